"""A small OData v2 `$filter` parser and the wire format of Exact's JSON.

Filters compile to a Python predicate over a row dict. String comparison is
case-insensitive and ignores trailing spaces, as SQL Server's collation does
behind Exact; leading spaces count (an Account Code `'   123'` is not `'123'`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal

EPOCH = datetime(1970, 1, 1)
_MS = datetime(1970, 1, 1, 0, 0, 0, 1000) - EPOCH
EDM = {"guid": "Edm.Guid", "str": "Edm.String", "int": "Edm.Int32", "int64": "Edm.Int64",
       "bool": "Edm.Boolean", "date": "Edm.DateTime", "decimal": "Edm.Double", "bytes": "Edm.Binary"}
NUMERIC = {"int", "int64", "decimal"}


class ODataError(ValueError):
    """A query the service refuses with 400; the message is Exact's wording."""


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<guid>guid'(?P<guidval>[^']*)')
    | (?P<datetime>datetime'(?P<dtval>[^']*)')
    | (?P<string>'(?P<strval>(?:[^']|'')*)')
    | (?P<number>-?\d+(?:\.\d+)?)(?P<suffix>[LlMmDdFf]?)(?![\w])
    | (?P<name>[A-Za-z_][\w/]*)
    | (?P<punct>[(),])
    )""", re.VERBOSE)

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}


def tokenize(text: str) -> list[tuple[str, object, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise ODataError(f"Syntax error at position {pos}.")
        start = match.start(match.lastgroup) if match.lastgroup else pos
        if match.group("guid"):
            tokens.append(("literal", ("guid", _parse_guid(match.group("guidval"), start)), start))
        elif match.group("datetime"):
            tokens.append(("literal", ("date", _parse_datetime(match.group("dtval"), start)), start))
        elif match.group("string") is not None:
            tokens.append(("literal", ("str", match.group("strval").replace("''", "'")), start))
        elif match.group("number"):
            raw, suffix = match.group("number"), match.group("suffix").upper()
            if "." in raw or suffix in ("M", "D", "F"):
                tokens.append(("literal", ("decimal", Decimal(raw)), start))
            else:
                tokens.append(("literal", ("int64" if suffix == "L" else "int", int(raw)), start))
        elif match.group("name"):
            tokens.append(("name", match.group("name"), start))
        else:
            tokens.append(("punct", match.group("punct"), start))
        pos = match.end()
    return tokens


def _parse_guid(text: str, position: int) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ODataError(f"Unrecognized 'Edm.Guid' literal 'guid'{text}'' at '{position}'.") from None


def _parse_datetime(text: str, position: int) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", ""))
    except ValueError:
        raise ODataError(f"Unrecognized 'Edm.DateTime' literal 'datetime'{text}'' at '{position}'.") from None


class _Parser:
    """Recursive descent: or > and > not > comparison > primary."""

    def __init__(self, text: str, schema: dict[str, str], entity: str):
        self.tokens = tokenize(text)
        self.pos = 0
        self.schema = schema
        self.entity = entity

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None, -1)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str):
        kind, got, where = self.take()
        if got != value:
            raise ODataError(f"')' or operator expected at position {where}." if value == ")"
                             else f"'{value}' expected at position {where}.")

    def parse(self):
        if not self.tokens:
            raise ODataError("Expression expected at position 0.")
        node = self.parse_or()
        if self.pos != len(self.tokens):
            raise ODataError(f"Syntax error at position {self.peek()[2]}.")
        if node[0] != "bool":
            raise ODataError("Expression of type 'Edm.Boolean' expected at position 0.")
        return node[1]

    def parse_or(self):
        left = self.parse_and()
        while self.peek()[:2] == ("name", "or"):
            self.take()
            right = self.parse_and()
            left = ("bool", _either(left[1], right[1]))
        return left

    def parse_and(self):
        left = self.parse_not()
        while self.peek()[:2] == ("name", "and"):
            self.take()
            right = self.parse_not()
            left = ("bool", _both(left[1], right[1]))
        return left

    def parse_not(self):
        if self.peek()[:2] == ("name", "not"):
            self.take()
            inner = self.parse_not()
            return ("bool", lambda row, f=inner[1]: not f(row))
        return self.parse_comparison()

    def parse_comparison(self):
        left = self.parse_primary()
        kind, op, where = self.peek()
        if kind == "name" and op in COMPARISONS:
            self.take()
            right = self.parse_primary()
            return ("bool", _compare(op, left, right, where))
        return left

    def parse_primary(self):
        kind, value, where = self.take()
        if kind == "punct" and value == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if kind == "literal":
            literal_type, literal = value
            return (literal_type, lambda row, v=literal: v)
        if kind == "name":
            if value in ("true", "false"):
                return ("bool", lambda row, v=(value == "true"): v)
            if value == "null":
                return ("null", lambda row: None)
            if self.peek()[:2] == ("punct", "("):
                return self.parse_call(value, where)
            if value not in self.schema:
                raise ODataError(f"No property '{value}' exists in type '{self.entity}' at position {where}.")
            return (self.schema[value], lambda row, f=value: row.get(f))
        raise ODataError(f"Expression expected at position {where}.")

    def parse_call(self, name: str, where: int):
        self.expect("(")
        args = [self.parse_or()]
        while self.peek()[:2] == ("punct", ","):
            self.take()
            args.append(self.parse_or())
        self.expect(")")
        if name == "trim" and len(args) == 1:
            arg = args[0][1]
            return ("str", lambda row: None if (v := arg(row)) is None else v.strip(" "))
        if name == "substringof" and len(args) == 2:
            needle, hay = args[0][1], args[1][1]
            return ("bool", lambda row: collation_key(needle(row)) in collation_key(hay(row) or ""))
        if name == "startswith" and len(args) == 2:
            hay, needle = args[0][1], args[1][1]
            return ("bool", lambda row: collation_key(hay(row) or "").startswith(collation_key(needle(row))))
        raise ODataError(f"Unknown function '{name}' at position {where}.")


def _either(a, b):
    return lambda row: a(row) or b(row)


def _both(a, b):
    return lambda row: a(row) and b(row)


def collation_key(value):
    """Comparison key: SQL Server collation for strings (case-insensitive, trailing spaces ignored)."""
    if isinstance(value, str):
        return value.rstrip(" ").casefold()
    return value


def _compatible(left: str, right: str) -> bool:
    return left == right or "null" in (left, right) or (left in NUMERIC and right in NUMERIC)


def _compare(op: str, left, right, where: int):
    if not _compatible(left[0], right[0]):
        raise ODataError(f"Operator '{op}' incompatible with operand types '{EDM.get(left[0], left[0])}' "
                         f"and '{EDM.get(right[0], right[0])}' at position {where}.")
    get_left, get_right = left[1], right[1]

    def test(row):
        a, b = collation_key(get_left(row)), collation_key(get_right(row))
        if op == "eq":
            return a == b
        if op == "ne":
            return a != b
        if a is None or b is None:
            return False
        return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]
    return test


def compile_filter(text: str, schema: dict[str, str], entity: str):
    """The filter as a predicate over a row dict; ODataError (a 400) when Exact would refuse it."""
    return _Parser(text, schema, entity).parse()


def filter_fields(text: str) -> set[str]:
    """The property names a filter uses (not operators, functions or literals)."""
    tokens = tokenize(text) + [(None, None, -1)]
    keywords = COMPARISONS | {"and", "or", "not", "true", "false", "null"}
    return {value for (kind, value, _), following in zip(tokens, tokens[1:], strict=False)
            if kind == "name" and value not in keywords and following[:2] != ("punct", "(")}


def timestamp_floor(text: str) -> tuple[int, dict[str, object]]:
    """The only filter a sync endpoint takes: `Timestamp gt N` (and `X eq literal` clauses).

    Returns the floor and the equality clauses so the endpoint can check them."""
    tokens = tokenize(text)
    floor, equals = None, {}
    groups = [tokens[i:i + 3] for i in range(0, len(tokens), 4)]
    joins = [tokens[i] for i in range(3, len(tokens), 4)]
    if any(j[:2] != ("name", "and") for j in joins) or any(len(g) != 3 for g in groups):
        raise ODataError("This $filter parameter is not supported for this resource")
    for (k1, field, _), (k2, op, _), (k3, literal, _) in groups:
        if k1 != "name" or k2 != "name" or k3 != "literal":
            raise ODataError("This $filter parameter is not supported for this resource")
        if field == "Timestamp" and op == "gt" and literal[0] in NUMERIC:
            floor = int(literal[1])
        elif op == "eq":
            equals[field] = literal[1]
        else:
            raise ODataError("This $filter parameter is not supported for this resource")
    if floor is None:
        raise ODataError("This $filter parameter is not supported for this resource")
    return floor, equals


def order_key(orderby: str, schema: dict[str, str], entity: str):
    """`$orderby=Name desc,Code` as a list of (field, descending)."""
    keys = []
    for part in orderby.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby '{orderby}'.")
        if words[0] not in schema:
            raise ODataError(f"No property '{words[0]}' exists in type '{entity}'.")
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return keys


def sort_rows(rows: list[dict], keys: list[tuple[str, bool]]) -> list[dict]:
    for field, descending in reversed(keys):
        rows.sort(key=lambda r: (r.get(field) is not None, collation_key(r.get(field))), reverse=descending)
    return rows


def wire_date(value: datetime) -> str:
    """Exact writes its local (Amsterdam) wall-clock time as if it were UTC."""
    millis = (value.replace(tzinfo=None) - EPOCH) // _MS
    return f"/Date({millis})/"


def wire_value(kind: str, value):
    if value is None:
        return None
    if kind == "date":
        return wire_date(value)
    if kind == "int64":
        return str(value)
    if kind == "decimal":
        return float(value)
    if kind == "bytes":
        return None
    return value

