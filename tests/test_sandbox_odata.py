"""The sandbox's OData v2 $filter: operators, literals, precedence, typing and collation."""

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exactsync.sandbox.odata import ODataError, compile_filter, timestamp_floor, wire_date, wire_value
from exactsync.sandbox.schema import ACCOUNT

ROW = {"ID": "6f1c2c1e-1111-4000-8000-000000000001", "Code": "               123", "Name": "Café O'Neill  ",
       "Blocked": False, "Status": "C", "Modified": datetime(2024, 5, 1, 12, 0), "Division": 7, "EndDate": None}


def matches(text: str, row=ROW) -> bool:
    predicate = compile_filter(text, ACCOUNT, "Exact.Web.Api.Models.Account")
    return predicate(row)


@pytest.mark.parametrize("text, expected", [
    ("Name eq 'café o''neill'", True),                      # case-insensitive, '' escape, trailing spaces
    ("Name eq ' café o''neill'", False),                    # leading spaces count
    ("Code eq '123'", False),
    ("trim(Code) eq '123'", True),
    ("ID eq guid'6F1C2C1E-1111-4000-8000-000000000001'", True),
    ("Blocked eq false and Status eq 'c'", True),
    ("Blocked eq true or Status eq 'C'", True),
    ("Blocked eq true or Status eq 'P' and Division eq 7", False),
    ("(Blocked eq true or Status eq 'C') and Division eq 7", True),
    ("Division ge 7 and Division lt 8L", True),
    ("Division gt 7", False),
    ("Modified gt datetime'2024-05-01T11:59:59'", True),
    ("Modified le datetime'2024-05-01'", False),
    ("EndDate eq null", True),
    ("EndDate gt datetime'2000-01-01'", False),
    ("not (Blocked eq true)", True),
    ("substringof('neill', Name)", True),
    ("startswith(Name, 'caf')", True),
])
def test_filter_semantics(text, expected):
    assert matches(text) is expected


@pytest.mark.parametrize("text, message", [
    ("Colour eq 'red'", "No property 'Colour' exists"),
    ("ID eq '6f1c2c1e-1111-4000-8000-000000000001'", "incompatible with operand types 'Edm.Guid' and 'Edm.String'"),
    ("Name eq", "Expression expected"),
    ("(Name eq 'x'", "')' or operator expected"),
    ("Name", "Expression of type 'Edm.Boolean' expected"),
    ("Name eq 'x' Blocked", "Syntax error"),
    ("Modified gt datetime'yesterday'", "Unrecognized 'Edm.DateTime' literal"),
    ("frobnicate(Name)", "Unknown function"),
])
def test_bad_filters_raise_400_messages(text, message):
    with pytest.raises(ODataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        matches(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20))
def test_any_quoted_string_finds_itself(name):
    quoted = name.replace("'", "''")
    assert matches(f"Name eq '{quoted}'", {"Name": name})


def test_sync_filter_takes_timestamp_and_equalities_only():
    assert timestamp_floor("Timestamp gt 4300012345L") == (4300012345, {})
    assert timestamp_floor("Timestamp gt 1 and EntityType eq 2") == (1, {"EntityType": 2})
    for text in ("Timestamp ge 1L", "Name eq 'x'", "Timestamp gt 1L or EntityType eq 2", "(Timestamp gt 1L)"):
        with pytest.raises(ODataError, match="not supported"):
            timestamp_floor(text)


def test_wire_values():
    assert wire_date(datetime(2026, 6, 25, 16, 21, 4, 260000)) == "/Date(1782404464260)/"
    assert wire_value("int64", 4300012345) == "4300012345"
    assert wire_value("decimal", Decimal("12.50")) == 12.5
    assert wire_value("date", None) is None and wire_value("bytes", b"x") is None
