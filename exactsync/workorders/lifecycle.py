"""The life of a work order (R6): open -> planned -> completed -> archived.

Push takes it from there (sent or failed, with `exact_invoice_id`). Hours,
materials and forms can be corrected until the work order is archived; from then
on it is read-only, because it is, or is about to be, a draft invoice in Exact.
Each function checks everything before it writes, in one transaction.
"""

from __future__ import annotations

from decimal import Decimal

import sqlite_utils

from exactsync import log
from exactsync.i18n import Msg, msg
from exactsync.store import outbox, records, state, transaction
from exactsync.store import workorders as store
from exactsync.sync.highwater import last_number_sent
from exactsync.timeutil import utcnow
from exactsync.workorders import addresses
from exactsync.workorders.lookup import (
    KIND_LABELS,
    WorkOrderError,
    address_of_customer,
    changeable_work_order,
    customer_label,
    get_work_order,
    is_row_id,
    parse_date,
    parse_minutes,
    parse_time,
    quantity_text,
    required_text,
    status_label,
    usable_customer,
    usable_item,
)

STATUSES = ("open", "planned", "completed", "archived", "sent", "failed")
KINDS = ("work", "travel")
NUMBER_DIGITS = 5
# Booked time per kind on one work order, at most 1,000 hours (half a year of one person's work):
# one invoice line of hours; a job larger than that is a project, split over several work orders.
MAX_ORDER_MINUTES = 60_000


def _next_number(db: sqlite_utils.Database, prefix: str) -> str:
    # Never below a number push sent: a store restored from an older backup has an older counter.
    last = max(state.WORKORDER_LAST_NUMBER.get(db), last_number_sent(db))
    while True:
        last += 1
        number = f"{prefix}{last:0{NUMBER_DIGITS}d}"
        if not store.number_taken(db, number):
            break
    state.WORKORDER_LAST_NUMBER.set(db, last)
    return number


def _snapshot(customer: dict, address: dict) -> dict:
    """What a PDF and the invoice need from the customer and the work address."""
    place = " ".join(filter(None, (customer["postcode"], customer["city"])))
    customer_address = filter(None, (customer["address_line1"], customer["address_line2"], place,
                                     customer["country"].strip()))
    return {
        "customer_id": customer["id"],
        "customer_code": customer["code"].strip(),
        "customer_exact_id": customer["exact_id"],
        "customer_name": customer["name"],
        "customer_address": "\n".join(customer_address),
        "work_address_key": address["key"],
        "work_address": "\n".join(addresses.address_lines(address)),
    }


def create(db: sqlite_utils.Database, *, prefix: str, customer_code: str, description: str,
           work_address_id: int | None = None, customer_reference: str = "") -> str:
    """Create an open work order; return its number."""
    customer = usable_customer(db, customer_code)
    if work_address_id is None:
        address = addresses.first_of_customer(db, customer)
    else:
        address = address_of_customer(db, work_address_id, customer)
    values = {
        **_snapshot(customer, address),
        "description": required_text(description, msg("the description")),
        "customer_reference": customer_reference.strip(),
        "status": "open",
        "created_at": utcnow(),
    }
    with transaction(db):
        values["number"] = _next_number(db, prefix)
        store.add_work_order(db, values)
    return values["number"]


def set_customer(db: sqlite_utils.Database, number: str, *, customer_code: str,
                 work_address_id: int | None = None, run_locked: bool = False) -> None:
    """Give the work order another customer (and work address) from Exact. Allowed until its
    invoice may be in Exact, also once archived: that is how a work order whose customer was
    removed or never came from Exact gets invoiced after all (R12). Push reads an archived
    work order and then sends it, so one is changed only by a caller holding the run lock
    (`run_locked`): otherwise its invoice could go to the old customer while the store says the new."""
    with transaction(db):
        order = get_work_order(db, number)
        if order["status"] == "sent" or _invoice_may_be_in_exact(db, order):
            raise WorkOrderError(msg(
                "work order {number} already has its invoice in Exact (or is being sent): "
                "change the customer on the draft invoice in Exact instead", number=order["number"]))
        if order["status"] == "archived" and not run_locked:
            raise WorkOrderError(msg("work order {number} was archived meanwhile, so push may be sending it: "
                                     "run the command again", number=order["number"]))
        if outbox.has_step_in_flight(db, order["id"]):
            # Push looks an unanswered call up on the customer's card: it must stay the one it went to.
            raise WorkOrderError(msg("work order {number} is being sent: a call to Exact has no answer yet; run "
                                     "the command again after the next exactsync push", number=order["number"]))
        customer = usable_customer(db, customer_code)
        if work_address_id is None:
            address = addresses.first_of_customer(db, customer)
        else:
            address = address_of_customer(db, work_address_id, customer)
        store.update_work_order(db, order["id"], _snapshot(customer, address))
        for document in outbox.forget_documents(db, order["id"]):
            log.warning(db, "workorder", msg("work order {number}: its document {document} stays on the customer's "
                                             "card of {customer} in Exact; push makes a new one for the new customer",
                                             number=order["number"], document=document,
                                             customer=order["customer_name"]),
                        record=order["number"], action=msg("delete that document in Exact if {customer} should not "
                                                           "keep it", customer=order["customer_name"]))
        log.info(db, "workorder", msg("work order {number} now for customer {customer}", number=order["number"],
                                      customer=customer_label(customer)),
                 record=order["number"],
                 action=msg("none: the next exactsync push sends it") if order["status"] in ("archived", "failed")
                 else "")


def _invoice_may_be_in_exact(db: sqlite_utils.Database, order: dict) -> bool:
    step = outbox.invoice_step_state(db, order["id"])
    return order["exact_invoice_id"] is not None or step in ("in_flight", "done")


def plan(db: sqlite_utils.Database, number: str, *, employee: str, on: str, at: str = "") -> None:
    """Plan the work order for an employee (yourself or a colleague) on a date, optionally at a time."""
    order = changeable_work_order(db, number)
    if order["status"] == "completed":
        raise WorkOrderError(msg("work order {number} is already completed: there is nothing left to plan",
                                 number=order["number"]))
    values = {
        "planned_employee": required_text(employee, msg("the employee")),
        "planned_date": parse_date(on),
        "planned_time": parse_time(at) if at else "",
        "status": "planned",
    }
    with transaction(db):
        store.update_work_order(db, order["id"], values)


def book_time(db: sqlite_utils.Database, number: str, *, employee: str, minutes_by_kind: dict) -> list[int]:
    """Book work and/or travel minutes for an employee; return the new booking ids."""
    order = changeable_work_order(db, number)
    employee = required_text(employee, msg("the employee"))
    bookings = {kind: parse_minutes(m) for kind, m in minutes_by_kind.items() if m is not None}
    if not bookings:
        raise WorkOrderError(msg("nothing to book: give --work MINUTES, --travel MINUTES or both"))
    with transaction(db):
        booked = store.booked_minutes(db, order["id"])
        for kind, minutes in bookings.items():
            check_time_total(kind, booked.get(kind, 0) + minutes)
        return [
            store.add_time_booking(db, {
                "work_order_id": order["id"], "employee": employee, "kind": kind,
                "minutes": minutes, "booked_at": utcnow(),
            })
            for kind, minutes in bookings.items()
        ]


def check_time_total(kind: str, minutes: int) -> None:
    """Refuse `minutes` of `kind` time in total on one work order beyond MAX_ORDER_MINUTES."""
    if minutes > MAX_ORDER_MINUTES:
        raise WorkOrderError(msg(
            "{kind} time on the work order would add up to {minutes} minutes, more than the {max} ({hours} hours) "
            "one work order may hold: check the bookings; split a job that large over several work orders",
            kind=msg(KIND_LABELS.get(kind, kind)), minutes=minutes, max=MAX_ORDER_MINUTES,
            hours=MAX_ORDER_MINUTES // 60))


def _remove_line(db: sqlite_utils.Database, number: str, table: str, line_id: int, what: Msg) -> None:
    order = changeable_work_order(db, number)
    with transaction(db):
        removed = is_row_id(line_id) and store.remove_line(db, table, line_id, order["id"])
        if not removed:
            raise WorkOrderError(msg("{what} {id} is not on work order {number}: see the ids in exactsync "
                                     "workorder show {number}", what=what, id=str(line_id), number=order["number"]))


def remove_time(db: sqlite_utils.Database, number: str, booking_id: int) -> None:
    _remove_line(db, number, "time_bookings", booking_id, msg("time booking"))


def add_material(db: sqlite_utils.Database, number: str, item_code: str, quantity: Decimal,
                 description: str = "") -> int:
    """Book a quantity of an Exact item; return the material id."""
    order = changeable_work_order(db, number)
    item = usable_item(db, item_code)
    with transaction(db):
        return store.add_material(db, {
            "work_order_id": order["id"], "item_code": item["code"].strip(), "item_exact_id": item["exact_id"],
            "description": description.strip() or item["description"], "quantity": quantity_text(quantity),
            "booked_at": utcnow(),
        })


def remove_material(db: sqlite_utils.Database, number: str, material_id: int) -> None:
    _remove_line(db, number, "materials", material_id, msg("material"))


def fill_form(db: sqlite_utils.Database, number: str, name: str, answers: list[tuple[str, str]]) -> int:
    """Fill in a custom form; filling a form of the same name again replaces its answers."""
    order = changeable_work_order(db, number)
    name = required_text(name, msg("the form name"))
    if not answers:
        raise WorkOrderError(msg("form {name} has no answers: give at least one --answer \"question=answer\"",
                                 name=repr(name)))
    with transaction(db):
        return store.replace_form(db, order["id"], name, answers, utcnow())


def complete(db: sqlite_utils.Database, number: str) -> None:
    """Mark the work order completed ("gereed")."""
    order = changeable_work_order(db, number)
    if order["status"] == "completed":
        raise WorkOrderError(msg("work order {number} is already completed: archive it with "
                                 "exactsync workorder archive {number}", number=order["number"]))
    with transaction(db):
        store.update_work_order(db, order["id"], {"status": "completed", "completed_at": utcnow()})


def archive(db: sqlite_utils.Database, number: str) -> None:
    """Archive a completed work order: it is queued for push and read-only from now on."""
    order = changeable_work_order(db, number)
    if order["status"] != "completed":
        raise WorkOrderError(msg("work order {number} is {status}, not completed: complete it first with "
                                 "exactsync workorder complete {number}, then archive it",
                                 number=order["number"], status=status_label(order["status"])))
    with transaction(db):
        store.update_work_order(db, order["id"], {**_current_snapshot(db, order), "status": "archived",
                                                  "archived_at": utcnow()})
        log.info(db, "workorder", msg("work order {number} archived: queued for Exact as a draft invoice",
                                      number=order["number"]),
                 record=order["number"], action=msg("none: the next exactsync push sends it"))


def retry(db: sqlite_utils.Database, number: str) -> str:
    """Queue a failed work order again (archived), its failed push steps with a fresh count of tries;
    return its number."""
    order = get_work_order(db, number)
    if order["status"] != "failed":
        raise WorkOrderError(msg("work order {number} is {status}, not failed: only a failed work order can be "
                                 "retried (an archived one is sent by the next push anyway)",
                                 number=order["number"], status=status_label(order["status"])))
    with transaction(db):
        store.update_work_order(db, order["id"], {"status": "archived"})
        outbox.reset_failed_steps(db, order["id"])
        log.info(db, "workorder", msg("work order {number} queued again for Exact", number=order["number"]),
                 record=order["number"], action=msg("none: the next push sends it"))
    return order["number"]


def resend(db: sqlite_utils.Database, number: str) -> list[str]:
    """Queue a sent work order again whose draft invoice the office deleted in Exact: the next push
    makes a new draft, exactly once, reusing its documents that are still in Exact. Push reads the
    outbox of an archived work order, so the caller holds the run lock. Returns the push steps that
    will be sent again."""
    with transaction(db):
        order = get_work_order(db, number)
        if order["status"] != "sent":
            raise WorkOrderError(msg("work order {number} is {status}, not sent: only a sent work order whose draft "
                                     "invoice was deleted in Exact can be sent again (see exactsync workorder show "
                                     "{number})", number=order["number"], status=status_label(order["status"])))
        if order["exact_deleted_at"] is None:
            raise WorkOrderError(msg(
                "the draft invoice for {number} was not deleted in Exact (as far as the last exactsync pull saw): "
                "it is not sent again, or it would be invoiced twice; delete the draft in Exact first, then run "
                "exactsync pull and this command again", number=order["number"]))
        again = outbox.requeue_deleted_draft(db, order["id"])
        store.update_work_order(db, order["id"], {"status": "archived", "exact_invoice_id": None,
                                                  "exact_order_number": None, "exact_deleted_at": None})
        log.info(db, "workorder", msg("work order {number} queued again for Exact: a new draft invoice, its "
                                      "documents still in Exact reused", number=order["number"]),
                 record=order["number"], action=msg("none: the next exactsync push sends it"))
    return again


def _current_snapshot(db: sqlite_utils.Database, order: dict) -> dict:
    """The snapshot taken again at archive, so the invoice shows the customer as it is now;
    a customer or address removed meanwhile keeps the snapshot taken before. Both are found by
    what survives a wipe and the next pull (Exact ID, work address key), not by row id."""
    customer = records.customer_by_exact_id(db, order["customer_exact_id"])
    address = addresses.by_key(db, order["work_address_key"])
    if customer is None or address is None or address["customer_id"] != customer["id"]:
        return {}
    return _snapshot(customer, address)


def list_orders(db: sqlite_utils.Database, status: str | None = None, exact_number: int | None = None) -> list[dict]:
    """The work orders, of `status`, and of Exact's draft (OrderNumber) or invoice number `exact_number`."""
    return store.list_work_orders(db, status, exact_number)


def details(db: sqlite_utils.Database, number: str) -> dict:
    """Everything about one work order, as plain data (also what the PDFs print)."""
    order = get_work_order(db, number)
    hours = store.time_bookings(db, order["id"])
    planned = None
    if order["planned_employee"]:
        planned = {"employee": order["planned_employee"], "date": order["planned_date"], "time": order["planned_time"]}
    return {
        "number": order["number"],
        "status": order["status"],
        "description": order["description"],
        "customer_reference": order["customer_reference"],
        "customer": {
            "code": order["customer_code"], "name": order["customer_name"], "exact_id": order["customer_exact_id"],
            "address": order["customer_address"].splitlines(),
        },
        "work_address": {"id": (addresses.by_key(db, order["work_address_key"]) or {}).get("id"),
                         "lines": order["work_address"].splitlines()},
        "planned": planned,
        "hours": hours,
        "totals": {kind + "_minutes": sum(h["minutes"] for h in hours if h["kind"] == kind) for kind in KINDS},
        "materials": store.materials(db, order["id"]),
        "forms": store.forms(db, order["id"]),
        "created_at": order["created_at"],
        "completed_at": order["completed_at"],
        "archived_at": order["archived_at"],
        "exact_invoice_id": order["exact_invoice_id"],
        "push": outbox.steps_of(db, order["id"]),
    }

