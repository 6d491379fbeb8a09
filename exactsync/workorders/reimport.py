"""An import entry for a work order imported before, known by the app's own id (`external_id`).

The entry is the whole work order as the app has it. When it reads as the stored work order it is a
no-op, so a file imported twice changes nothing the second time. Otherwise it updates the work order
while that may still change: bookings, materials and forms become the entry's, the planning and the
texts too, and the status moves forward (open, planned, completed, archived), never back. Once the
work order is archived (or sent, or failed) it belongs to the invoice in Exact: an entry that
differs from it is refused, saying what differs.
"""

from __future__ import annotations

import sqlite_utils

from exactsync.i18n import msg
from exactsync.store import external as store_external
from exactsync.store import records, transaction
from exactsync.store import workorders as store
from exactsync.workorders import addresses, lifecycle
from exactsync.workorders.lookup import READ_ONLY_STATUSES, WorkOrderError, quantity_text, status_label

# The statuses an entry can ask for, in the only order they go.
FORWARD = ("open", "planned", "completed", "archived")


def entry_status(entry: dict) -> str:
    """The status the entry asks for: planned when it is open and planned."""
    if entry["status"] == "open" and entry["planned"]:
        return "planned"
    return entry["status"]


def differences(db: sqlite_utils.Database, order: dict, entry: dict) -> list[str]:
    """The parts of the checked `entry` that differ from the stored `order`, by the entry's field names."""
    stored, wanted = _stored(db, order), _wanted(db, entry)
    return [part for part in wanted if wanted[part] != stored[part]]


def refusal(order: dict, entry: dict, differ: list[str]) -> WorkOrderError | None:
    """Why the entry cannot update the work order, None when it can (or need not)."""
    number, status = order["number"], order["status"]
    if differ and status in READ_ONLY_STATUSES:
        return WorkOrderError(msg(
            "work order {number} is {status} and can no longer change, but the entry differs in {fields}: "
            "send it as it is now (exactsync workorder show {number} --json); correct the draft invoice in Exact "
            "instead", number=number, status=status_label(status), fields=", ".join(differ)))
    wanted = entry_status(entry)
    if status in FORWARD and FORWARD.index(wanted) < FORWARD.index(status):
        return WorkOrderError(msg(
            "work order {number} is {status}: an entry cannot move it back to {wanted}; a status only moves "
            "forward (open, planned, completed, archived)", number=number, status=status_label(status),
            wanted=status_label(wanted)))
    return None


def update(db: sqlite_utils.Database, order: dict, entry: dict, address_id: int, differ: list[str]) -> None:
    """Bring the work order to the entry's state (checked by `refusal`), in one transaction; the
    entry's new work address, if any, is `address_id`."""
    number = order["number"]
    with transaction(db):
        if {"customer", "work_address"} & set(differ):
            lifecycle.set_customer(db, number, customer_code=entry["customer"]["code"], work_address_id=address_id)
        store.update_work_order(db, order["id"], {"description": entry["description"],
                                                  "customer_reference": entry["customer_reference"].strip()})
        if "planned" in differ:
            _replan(db, order, entry["planned"])
        if "hours" in differ:
            _replace_hours(db, order, entry["hours"])
        if "materials" in differ:
            for material in store.materials(db, order["id"]):
                lifecycle.remove_material(db, number, material["id"])
            for material in entry["materials"]:
                lifecycle.add_material(db, number, material["item"]["code"], material["quantity"],
                                       material["description"])
        if "forms" in differ:
            store_external.remove_forms(db, order["id"])
            for form in entry["forms"]:
                lifecycle.fill_form(db, number, form["name"], form["answers"])
        _move_forward(db, number, entry["status"])


def _replan(db: sqlite_utils.Database, order: dict, planned: dict | None) -> None:
    if planned:
        lifecycle.plan(db, order["number"], **planned)
    else:  # a completed work order the app no longer has a planning for (open ones cannot go back)
        store.update_work_order(db, order["id"], {"planned_employee": "", "planned_date": "", "planned_time": ""})


def _replace_hours(db: sqlite_utils.Database, order: dict, hours: list[dict]) -> None:
    for booking in store.time_bookings(db, order["id"]):
        lifecycle.remove_time(db, order["number"], booking["id"])
    for booking in hours:
        lifecycle.book_time(db, order["number"], employee=booking["employee"],
                            minutes_by_kind={booking["kind"]: booking["minutes"]})


def _move_forward(db: sqlite_utils.Database, number: str, status: str) -> None:
    current = store.work_order_by_number(db, number)["status"]
    if status in ("completed", "archived") and current in ("open", "planned"):
        lifecycle.complete(db, number)
    if status == "archived":
        lifecycle.archive(db, number)


# --- the work order as an entry would give it -------------------------------------------

def _stored(db: sqlite_utils.Database, order: dict) -> dict:
    planned = None
    if order["planned_employee"]:
        planned = (order["planned_employee"], order["planned_date"], order["planned_time"])
    return {
        "customer": order["customer_exact_id"],
        "work_address": order["work_address_key"],
        "description": order["description"],
        "customer_reference": order["customer_reference"],
        "planned": planned,
        "hours": [(h["kind"], h["minutes"], h["employee"]) for h in store.time_bookings(db, order["id"])],
        "materials": [(m["item"], m["quantity"], m["description"]) for m in store.materials(db, order["id"])],
        "forms": [(f["name"], [(a["question"], a["answer"]) for a in f["answers"]])
                  for f in store.forms(db, order["id"])],
        # The app can only say archived: from there push moves it on (sent, failed), and the entry that
        # archived it stays the same entry.
        "status": "archived" if order["status"] in READ_ONLY_STATUSES else order["status"],
    }


def _wanted(db: sqlite_utils.Database, entry: dict) -> dict:
    customer, planned = entry["customer"], entry["planned"]
    return {
        "customer": customer["exact_id"],
        "work_address": _address_key(db, customer, entry["work_address"]),
        "description": entry["description"],
        "customer_reference": entry["customer_reference"].strip(),
        "planned": (planned["employee"], planned["on"], planned["at"]) if planned else None,
        "hours": [(h["kind"], h["minutes"], h["employee"]) for h in entry["hours"]],
        "materials": [(m["item"]["code"].strip(), quantity_text(m["quantity"]),
                       m["description"].strip() or m["item"]["description"]) for m in entry["materials"]],
        "forms": [(f["name"], list(f["answers"])) for f in filled_forms(entry["forms"])],
        "status": entry_status(entry),
    }


def _address_key(db: sqlite_utils.Database, customer: dict, address: int | dict) -> str | None:
    """The key of the entry's work address; None for a new address, which differs from every stored one."""
    found = addresses.same_address(db, customer, address) if isinstance(address, dict) else \
        records.work_address_by_id(db, address)
    return found["key"] if found else None


def filled_forms(forms: list[dict]) -> list[dict]:
    """The forms as filling them in one after the other leaves them: a form filled again replaces the
    earlier one of its name, and comes last."""
    result: list[dict] = []
    for form in forms:
        result = [f for f in result if f["name"] != form["name"]] + [form]
    return result
