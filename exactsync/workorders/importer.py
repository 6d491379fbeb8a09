"""`workorder import`: work orders in bulk from another system, all or nothing.

Every entry is checked with the same rules as the commands before anything is
written; one problem anywhere rejects the whole file, and every problem is listed
by entry index and field (indexes count from 0, as in the JSON). An entry with the
external_id of a work order imported before is checked against it (reimport.py);
import_apply.py stores what passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlite_utils

from exactsync.i18n import Msg, message_of, msg, number
from exactsync.store import external
from exactsync.text import not_text_at
from exactsync.workorders import addresses, lifecycle, reimport
from exactsync.workorders.lookup import (
    WorkOrderError,
    address_of_customer,
    parse_date,
    parse_minutes,
    parse_quantity,
    parse_time,
    required_text,
    shown,
    usable_customer,
    usable_item,
)

ENTRY_FIELDS = ("external_id", "customer", "work_address", "description", "customer_reference", "planned", "hours",
                "materials", "forms", "status")
ADDRESS_FIELDS = ("name", "street", "postcode", "city", "country")
IMPORT_STATUSES = ("open", "completed", "archived")
# The app's own id of a work order: any text up to this long (an id, a UUID, a path of ids).
MAX_EXTERNAL_ID = 200


class ImportRefused(WorkOrderError):
    def __init__(self, source: str, problems: list[Msg]):
        self.problems = problems
        # Rendered now: the refusal is printed at once, in the language in force.
        lines = "\n".join(f"  {p}" for p in problems)
        if len(problems) == 1:
            text = msg("{source} has 1 problem; nothing was imported:\n{lines}\nfix them in the file and import "
                       "it again", source=source, lines=lines)
        else:
            text = msg("{source} has {count} problems; nothing was imported:\n{lines}\nfix them in the file and "
                       "import it again", source=source, count=number(len(problems)), lines=lines)
        super().__init__(text)


class _Checker:
    """Runs the shared checks, collecting each refusal as `entry N, field: message`. A place
    (`where`) is a msg: "entry" is in the reader's language, the field names are the file's."""

    def __init__(self):
        self.problems: list[Msg] = []

    def __call__(self, where: Msg, check: Callable, *args):
        try:
            return check(*args)
        except WorkOrderError as exc:
            self.problem(where, message_of(exc))
            return None

    def problem(self, where: Msg, problem: str | Msg) -> None:
        self.problems.append(msg("{where}: {problem}", where=where, problem=problem))

    def fields(self, where: Msg, value, known: tuple[str, ...]) -> dict:
        """The object at `where`, its unknown fields reported; {} if it is no object. A missing
        field is reported by the check of its value."""
        if not isinstance(value, dict):
            self.problem(where, msg("must be an object with {fields}", fields=", ".join(known)))
            return {}
        for name in value:
            if name not in known:
                self.problem(where, msg("unknown field {name} (known: {fields})", name=repr(name),
                                        fields=", ".join(known)))
        return value

    def items(self, where: Msg, value) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, msg("must be a list"))
            return []
        return value


def _field(where: Msg, name: str) -> Msg:
    return msg("{where}, {field}", where=where, field=name)


def _member(where: Msg, name: str) -> Msg:
    return msg("{where}.{field}", where=where, field=name)


def _index(where: Msg, index: int) -> Msg:
    return msg("{where}[{index}]", where=where, index=index)


def read_entries(path: Path) -> list:
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"), parse_int=_json_int)
    except OSError as exc:
        raise WorkOrderError(msg("cannot read {path}: {error}", path=str(path), error=str(exc.strerror))) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WorkOrderError(msg("{path} is not valid JSON ({error}): fix the file and import it again",
                                 path=str(path), error=str(exc))) from None
    except RecursionError:
        raise WorkOrderError(msg("{path} is nested too deeply to be a list of work orders: "
                                 "fix the file and import it again", path=str(path))) from None
    if not isinstance(entries, list):
        raise WorkOrderError(msg("{path} must hold a list of work orders ([{{...}}, ...]), not a {kind}",
                                 path=str(path), kind=type(entries).__name__))
    return entries


def _json_int(digits: str) -> int | Decimal:
    """A JSON whole number: past 40 digits a Decimal, which the checks refuse by entry and field,
    where int() would stop the whole read at Python's 4,300-digit limit."""
    return int(digits) if len(digits) <= 40 else Decimal(digits)


@dataclass
class Outcome:
    """What became of one entry: created, updated, unchanged, or refused with its problems."""

    index: int
    entry: dict  # checked, and resolved to what the store needs
    problems: list[Msg]
    order: dict | None = None  # the work order its external_id names, when that is known
    differ: list[str] = field(default_factory=list)  # what the entry changes on that work order
    result: str = "refused"
    number: str | None = None
    digest: str | None = None  # of the entry as sent (entry_digest)


def entry_digest(entry) -> str:
    """The entry as sent, whatever the order of its keys: the same entry sent again has the same digest."""
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_entries(db: sqlite_utils.Database, entries: list) -> list[Outcome]:
    """Check every entry, and an entry with a known external_id against its work order. An entry its
    work order was last brought to is a no-op as it stands: checking it again could refuse it for what
    changed since (a customer blocked in Exact after its work order was archived)."""
    outcomes: list[Outcome] = []
    first_of: dict[str, int] = {}
    for index, entry in enumerate(entries):
        check, where = _Checker(), msg("entry {index}", index=index)
        digest, known = entry_digest(entry), _named_work_order(db, entry)
        if known is not None and known["import_digest"] == digest and known["external_id"] not in first_of:
            first_of[known["external_id"]] = index
            outcomes.append(Outcome(index, {"external_id": known["external_id"]}, [], known, digest=digest))
            continue
        _refuse_not_text(check, where, entry, _field)
        if check.problems:  # no check may store or show a string that is not text
            outcomes.append(Outcome(index, {}, check.problems))
            continue
        outcome = Outcome(index, _check_entry(db, check, where, entry), check.problems, digest=digest)
        external_id = outcome.entry.get("external_id")
        if external_id is not None and external_id in first_of:
            check.problem(_field(where, "external_id"), msg(
                "{id} is also the external_id of entry {other}: give each work order its own",
                id=shown(external_id), other=first_of[external_id]))
        elif external_id is not None:
            first_of[external_id] = index
            if not check.problems:
                _against_known(db, check, where, outcome, known)
        outcomes.append(outcome)
    return outcomes


def _named_work_order(db: sqlite_utils.Database, entry) -> dict | None:
    """The work order the entry names by its external_id as sent, None when it names none."""
    external_id = entry.get("external_id") if isinstance(entry, dict) else None
    if not isinstance(external_id, str) or not_text_at(external_id) is not None:
        return None
    return external.work_order_by_external_id(db, external_id)


def _against_known(db: sqlite_utils.Database, check: _Checker, where: Msg, outcome: Outcome,
                   known: dict | None) -> None:
    """`known`: the work order the entry's checked external_id names, looked up as it came in."""
    outcome.order = known
    if outcome.order is None:
        return
    outcome.differ = reimport.differences(db, outcome.order, outcome.entry)
    refused = reimport.refusal(outcome.order, outcome.entry, outcome.differ)
    if refused:
        check.problem(_field(where, "external_id"), message_of(refused))


def _check_external_id(check: _Checker, where: Msg, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EXTERNAL_ID:
        check.problem(where, msg("must be text of 1 to {max} characters: the app's own id of the work order",
                                 max=MAX_EXTERNAL_ID))
        return None
    return value


def _refuse_not_text(check: _Checker, where: Msg, value, member: Callable[[Msg, str], Msg] = _member) -> None:
    """Each string in `value`, field names included, that is not text (a lone surrogate, as "\\ud800"
    gives), reported at its place."""
    if isinstance(value, str):
        if (position := not_text_at(value)) is not None:
            check.problem(where, msg("is not text: character {position} is half of a UTF-16 pair (\\ud800 to "
                                     "\\udfff); write the text itself", position=position + 1))
    elif isinstance(value, dict):
        for name, field_value in value.items():
            if not_text_at(name) is None:
                _refuse_not_text(check, member(where, name), field_value)
            else:
                _refuse_not_text(check, where, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_not_text(check, _index(where, index), item)


def _check_entry(db, check: _Checker, where: Msg, entry) -> dict:
    check.fields(where, entry, ENTRY_FIELDS)
    if not isinstance(entry, dict):
        return {}
    customer = check(_field(where, "customer"), usable_customer, db, entry.get("customer", ""))
    description = check(_field(where, "description"), required_text, entry.get("description"),
                        msg("the description"))
    reference = entry.get("customer_reference", "")
    if not isinstance(reference, str):
        check.problem(_field(where, "customer_reference"), msg("must be text"))
    status = entry.get("status", "open")
    if status not in IMPORT_STATUSES:
        check.problem(_field(where, "status"), msg("must be one of {choices}, got {value}",
                                                   choices=", ".join(IMPORT_STATUSES), value=shown(status)))
    materials, forms = _field(where, "materials"), _field(where, "forms")
    return {
        "external_id": _check_external_id(check, _field(where, "external_id"), entry.get("external_id")),
        "customer": customer,
        "work_address": _check_work_address(db, check, _field(where, "work_address"), customer,
                                            entry.get("work_address")),
        "description": description,
        "customer_reference": reference if isinstance(reference, str) else "",
        "planned": _check_planned(check, _field(where, "planned"), entry.get("planned")),
        "hours": _check_all_hours(check, _field(where, "hours"), entry.get("hours")),
        "materials": [_check_material(db, check, _index(materials, i), m) for i, m in
                      enumerate(check.items(materials, entry.get("materials")))],
        "forms": [_check_form(check, _index(forms, i), f) for i, f in
                  enumerate(check.items(forms, entry.get("forms")))],
        "status": status,
    }


def _check_work_address(db, check: _Checker, where: Msg, customer: dict | None, value):
    """An address id of the customer, a new address as a dict, or None for the customer's first one."""
    if isinstance(value, dict):
        fields = check.fields(where, value, ADDRESS_FIELDS)
        texts = {name: fields.get(name, "NL" if name == "country" else "") for name in ADDRESS_FIELDS}
        for name, text in texts.items():
            if not isinstance(text, str):
                check.problem(_member(where, name), msg("must be text"))
        check(_member(where, "street"), required_text, texts["street"], msg("the street"))
        check(_member(where, "city"), required_text, texts["city"], msg("the city"))
        return texts
    if customer is None:
        return None
    if value is None:
        address = check(where, addresses.first_of_customer, db, customer)
    elif isinstance(value, int) and not isinstance(value, bool):
        address = check(where, address_of_customer, db, value, customer)
    else:
        check.problem(where, msg("must be a work address id or an object with {fields}",
                                 fields=", ".join(ADDRESS_FIELDS)))
        address = None
    return address["id"] if address else None


def _check_planned(check: _Checker, where: Msg, value) -> dict | None:
    if value is None:
        return None
    fields = check.fields(where, value, ("employee", "date", "time"))
    if not isinstance(value, dict):
        return None
    return {
        "employee": check(_member(where, "employee"), required_text, fields.get("employee"), msg("the employee")),
        "on": check(_member(where, "date"), parse_date, fields.get("date", "")),
        "at": check(_member(where, "time"), parse_time, fields["time"]) if fields.get("time") else "",
    }


def _check_all_hours(check: _Checker, where: Msg, value) -> list[dict]:
    hours = [_check_hours(check, _index(where, i), h) for i, h in enumerate(check.items(where, value))]
    for kind in lifecycle.KINDS:
        total = sum(h["minutes"] for h in hours if h.get("kind") == kind and h.get("minutes"))
        check(where, lifecycle.check_time_total, kind, total)
    return hours


def _check_hours(check: _Checker, where: Msg, value) -> dict:
    fields = check.fields(where, value, ("kind", "minutes", "employee"))
    if not isinstance(value, dict):
        return {}
    if fields.get("kind") not in lifecycle.KINDS:
        check.problem(_member(where, "kind"), msg("must be work or travel, got {value}",
                                                  value=shown(fields.get("kind"))))
    return {
        "kind": fields.get("kind"),
        "minutes": check(_member(where, "minutes"), parse_minutes, fields.get("minutes", "")),
        "employee": check(_member(where, "employee"), required_text, fields.get("employee"), msg("the employee")),
    }


def _check_material(db, check: _Checker, where: Msg, value) -> dict:
    fields = check.fields(where, value, ("item", "quantity", "description"))
    if not isinstance(value, dict):
        return {}
    description = fields.get("description", "")
    if not isinstance(description, str):
        check.problem(_member(where, "description"), msg("must be text"))
    return {
        "item": check(_member(where, "item"), usable_item, db, fields.get("item", "")),
        "quantity": check(_member(where, "quantity"), parse_quantity, fields.get("quantity", "")),
        "description": description if isinstance(description, str) else "",
    }


def _check_form(check: _Checker, where: Msg, value) -> dict:
    fields = check.fields(where, value, ("name", "answers"))
    if not isinstance(value, dict):
        return {}
    answers = fields.get("answers")
    if not isinstance(answers, dict) or not answers:
        check.problem(_member(where, "answers"), msg("must be an object of question: answer, with at least one"))
        answers = {}
    return {
        "name": check(_member(where, "name"), required_text, fields.get("name"), msg("the form name")),
        "answers": [_form_answer(check, _member(_member(where, "answers"), question), question, answer)
                    for question, answer in answers.items()],
    }


def _form_answer(check: _Checker, where: Msg, question: str, answer) -> tuple[str, str] | None:
    if not question.strip():
        check.problem(where, msg("the question must not be empty"))
    if not isinstance(answer, (str, int, float)) or isinstance(answer, bool):
        check.problem(where, msg("the answer must be text or a number"))
        return None
    return question.strip(), str(answer).strip()
