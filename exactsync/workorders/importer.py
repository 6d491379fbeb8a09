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
from exactsync.store import transaction
from exactsync.workorders import addresses, lifecycle
from exactsync.workorders.lookup import (
    WorkOrderError,
    address_of_customer,
    parse_date,
    parse_minutes,
    parse_quantity,
    parse_time,
    required_text,
    usable_customer,
    usable_item,
)

ENTRY_FIELDS = ("customer", "work_address", "description", "customer_reference", "planned", "hours",
                "materials", "forms", "status")
ADDRESS_FIELDS = ("name", "street", "postcode", "city", "country")
IMPORT_STATUSES = ("open", "completed", "archived")


class ImportRefused(WorkOrderError):
    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} {noun}; nothing was imported:\n{lines}\n"
                         "fix them in the file and import it again")


class _Checker:
    """Runs the shared checks, collecting each refusal as `entry N, field: message`."""

    def __init__(self):
        self.problems: list[str] = []

    def __call__(self, where: str, check: Callable, *args):
        try:
            return check(*args)
        except WorkOrderError as exc:
            self.problems.append(f"{where}: {exc}")
            return None

    def fields(self, where: str, value, known: tuple[str, ...]) -> dict:
        """The object at `where`, its unknown fields reported; {} if it is no object. A missing
        field is reported by the check of its value."""
        if not isinstance(value, dict):
            self.problems.append(f"{where}: must be an object with {', '.join(known)}")
            return {}
        for name in value:
            if name not in known:
                self.problems.append(f"{where}: unknown field {name!r} (known: {', '.join(known)})")
        return value

    def items(self, where: str, value) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(f"{where}: must be a list")
            return []
        return value


def read_entries(path: Path) -> list:
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"), parse_int=_json_int)
    except OSError as exc:
        raise WorkOrderError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WorkOrderError(f"{path} is not valid JSON ({exc}): fix the file and import it again") from None
    except RecursionError:
        raise WorkOrderError(f"{path} is nested too deeply to be a list of work orders: "
                             "fix the file and import it again") from None
    if not isinstance(entries, list):
        raise WorkOrderError(f"{path} must hold a list of work orders ([{{...}}, ...]), not a {type(entries).__name__}")
    return entries


def _json_int(digits: str) -> int | Decimal:
    """A JSON whole number: past 40 digits a Decimal, which the checks refuse by entry and field,
    where int() would stop the whole read at Python's 4,300-digit limit."""
    return int(digits) if len(digits) <= 40 else Decimal(digits)


def check_entries(db: sqlite_utils.Database, entries: list) -> tuple[list[str], list[dict]]:
    """Check every entry; return (problems, the entries resolved to what the store needs)."""
    check = _Checker()
    resolved = [_check_entry(db, check, f"entry {i}", entry) for i, entry in enumerate(entries)]
    return check.problems, resolved


def _check_entry(db, check: _Checker, where: str, entry) -> dict:
    check.fields(where, entry, ENTRY_FIELDS)
    if not isinstance(entry, dict):
        return {}
    customer = check(f"{where}, customer", usable_customer, db, entry.get("customer", ""))
    description = check(f"{where}, description", required_text, entry.get("description"), "the description")
    reference = entry.get("customer_reference", "")
    if not isinstance(reference, str):
        check.problems.append(f"{where}, customer_reference: must be text")
    status = entry.get("status", "open")
    if status not in IMPORT_STATUSES:
        check.problems.append(f"{where}, status: must be one of {', '.join(IMPORT_STATUSES)}, got {status!r}")
    return {
        "customer": customer,
        "work_address": _check_work_address(db, check, f"{where}, work_address", customer, entry.get("work_address")),
        "description": description,
        "customer_reference": reference if isinstance(reference, str) else "",
        "planned": _check_planned(check, f"{where}, planned", entry.get("planned")),
        "hours": _check_all_hours(check, f"{where}, hours", entry.get("hours")),
        "materials": [_check_material(db, check, f"{where}, materials[{i}]", m) for i, m in
                      enumerate(check.items(f"{where}, materials", entry.get("materials")))],
        "forms": [_check_form(check, f"{where}, forms[{i}]", f) for i, f in
                  enumerate(check.items(f"{where}, forms", entry.get("forms")))],
        "status": status,
    }


def _check_work_address(db, check: _Checker, where: str, customer: dict | None, value):
    """An address id of the customer, a new address as a dict, or None for the customer's first one."""
    if isinstance(value, dict):
        fields = check.fields(where, value, ADDRESS_FIELDS)
        texts = {name: fields.get(name, "NL" if name == "country" else "") for name in ADDRESS_FIELDS}
        for name, text in texts.items():
            if not isinstance(text, str):
                check.problems.append(f"{where}.{name}: must be text")
        check(f"{where}.street", required_text, texts["street"], "the street")
        check(f"{where}.city", required_text, texts["city"], "the city")
        return texts
    if customer is None:
        return None
    if value is None:
        address = check(where, addresses.first_of_customer, db, customer)
    elif isinstance(value, int) and not isinstance(value, bool):
        address = check(where, address_of_customer, db, value, customer)
    else:
        check.problems.append(f"{where}: must be a work address id or an object with {', '.join(ADDRESS_FIELDS)}")
        address = None
    return address["id"] if address else None


def _check_planned(check: _Checker, where: str, value) -> dict | None:
    if value is None:
        return None
    fields = check.fields(where, value, ("employee", "date", "time"))
    if not isinstance(value, dict):
        return None
    return {
        "employee": check(f"{where}.employee", required_text, fields.get("employee"), "the employee"),
        "on": check(f"{where}.date", parse_date, fields.get("date", "")),
        "at": check(f"{where}.time", parse_time, fields["time"]) if fields.get("time") else "",
    }


def _check_all_hours(check: _Checker, where: str, value) -> list[dict]:
    hours = [_check_hours(check, f"{where}[{i}]", h) for i, h in enumerate(check.items(where, value))]
    for kind in lifecycle.KINDS:
        total = sum(h["minutes"] for h in hours if h.get("kind") == kind and h.get("minutes"))
        check(where, lifecycle.check_time_total, kind, total)
    return hours


def _check_hours(check: _Checker, where: str, value) -> dict:
    fields = check.fields(where, value, ("kind", "minutes", "employee"))
    if not isinstance(value, dict):
        return {}
    if fields.get("kind") not in lifecycle.KINDS:
        check.problems.append(f"{where}.kind: must be work or travel, got {fields.get('kind')!r}")
    return {
        "kind": fields.get("kind"),
        "minutes": check(f"{where}.minutes", parse_minutes, fields.get("minutes", "")),
        "employee": check(f"{where}.employee", required_text, fields.get("employee"), "the employee"),
    }


def _check_material(db, check: _Checker, where: str, value) -> dict:
    fields = check.fields(where, value, ("item", "quantity", "description"))
    if not isinstance(value, dict):
        return {}
    description = fields.get("description", "")
    if not isinstance(description, str):
        check.problems.append(f"{where}.description: must be text")
    return {
        "item": check(f"{where}.item", usable_item, db, fields.get("item", "")),
        "quantity": check(f"{where}.quantity", parse_quantity, fields.get("quantity", "")),
        "description": description if isinstance(description, str) else "",
    }


def _check_form(check: _Checker, where: str, value) -> dict:
    fields = check.fields(where, value, ("name", "answers"))
    if not isinstance(value, dict):
        return {}
    answers = fields.get("answers")
    if not isinstance(answers, dict) or not answers:
        check.problems.append(f"{where}.answers: must be an object of question: answer, with at least one")
        answers = {}
    return {
        "name": check(f"{where}.name", required_text, fields.get("name"), "the form name"),
        "answers": [_form_answer(check, f"{where}.answers.{question}", question, answer)
                    for question, answer in answers.items()],
    }


def _form_answer(check: _Checker, where: str, question: str, answer) -> tuple[str, str] | None:
    if not question.strip():
        check.problems.append(f"{where}: the question must not be empty")
    if not isinstance(answer, (str, int, float)) or isinstance(answer, bool):
        check.problems.append(f"{where}: the answer must be text or a number")
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
            log.info(db, "workorder", f"imported {len(numbers)} work orders from {source}: "
                     f"{numbers[0]} to {numbers[-1]}", record=source)
    if problems:
        log.warning(db, "workorder", f"import of {source} refused, nothing imported: {len(problems)} problems, "
                    f"the first: {problems[0]}", record=source,
                    action="fix every problem the import printed, then import the file again")
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
