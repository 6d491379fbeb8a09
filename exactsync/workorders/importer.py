"""`workorder import`: work orders in bulk from another system, all or nothing.

Every entry is checked with the same rules as the commands before anything is
written; one problem anywhere rejects the whole file, and every problem is listed
by entry index and field (indexes count from 0, as in the JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import sqlite_utils

from exactsync import log
from exactsync.i18n import Msg, message_of, msg, number
from exactsync.store import transaction
from exactsync.text import not_text_at
from exactsync.workorders import addresses, lifecycle
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

ENTRY_FIELDS = ("customer", "work_address", "description", "customer_reference", "planned", "hours",
                "materials", "forms", "status")
ADDRESS_FIELDS = ("name", "street", "postcode", "city", "country")
IMPORT_STATUSES = ("open", "completed", "archived")


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


def check_entries(db: sqlite_utils.Database, entries: list) -> tuple[list[Msg], list[dict]]:
    """Check every entry; return (problems, the entries resolved to what the store needs). A string
    anywhere that is not text is refused first: no check may store or show it."""
    check = _Checker()
    for i, entry in enumerate(entries):
        _refuse_not_text(check, msg("entry {index}", index=i), entry, _field)
    if check.problems:
        return check.problems, []
    resolved = [_check_entry(db, check, msg("entry {index}", index=i), entry) for i, entry in enumerate(entries)]
    return check.problems, resolved


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


def import_entries(db: sqlite_utils.Database, entries: list, *, prefix: str, source: str) -> list[str]:
    """Import the entries in one transaction; return the new numbers. When any entry is wrong,
    write nothing, log a warning and raise ImportRefused listing every problem."""
    # Checked inside the write transaction, so a pull cannot change a customer or item in between.
    with transaction(db):
        problems, resolved = check_entries(db, entries)
        numbers = [] if problems else [_store_entry(db, entry, prefix) for entry in resolved]
        if numbers:
            log.info(db, "workorder", msg("imported {count} work orders from {source}: {first} to {last}",
                                          count=number(len(numbers)), source=source, first=numbers[0],
                                          last=numbers[-1]),
                     record=source)
    if problems:
        log.warning(db, "workorder", msg("import of {source} refused, nothing imported: {count} problems, "
                                         "the first: {problem}", source=source, count=number(len(problems)),
                                         problem=problems[0]), record=source,
                    action=msg("fix every problem the import printed, then import the file again"))
        raise ImportRefused(source, problems)
    return numbers


def _store_entry(db: sqlite_utils.Database, entry: dict, prefix: str) -> str:
    customer = entry["customer"]
    address_id = entry["work_address"]
    if isinstance(address_id, dict):
        address_id = _same_or_new_address(db, customer, address_id)
    number = lifecycle.create(db, prefix=prefix, customer_code=customer["code"], description=entry["description"],
                              work_address_id=address_id, customer_reference=entry["customer_reference"])
    if entry["planned"]:
        lifecycle.plan(db, number, **entry["planned"])
    for hours in entry["hours"]:
        lifecycle.book_time(db, number, employee=hours["employee"], minutes_by_kind={hours["kind"]: hours["minutes"]})
    for material in entry["materials"]:
        lifecycle.add_material(db, number, material["item"]["code"], material["quantity"], material["description"])
    for form in entry["forms"]:
        lifecycle.fill_form(db, number, form["name"], form["answers"])
    if entry["status"] in ("completed", "archived"):
        lifecycle.complete(db, number)
    if entry["status"] == "archived":
        lifecycle.archive(db, number)
    return number


def _same_or_new_address(db: sqlite_utils.Database, customer: dict, fields: dict) -> int:
    """Reuse the customer's identical work address, so importing many orders for one place adds it once."""
    wanted = {name: fields[name].strip().casefold() for name in ADDRESS_FIELDS}
    for address in addresses.addresses_of(db, customer):
        if {name: address[name].strip().casefold() for name in ADDRESS_FIELDS} == wanted:
            return address["id"]
    return addresses.add(db, customer["code"], **fields)["id"]
