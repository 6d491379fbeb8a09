"""Finding customers, items, work addresses and work orders as users type them,
and parsing the values they give. Every refusal is a WorkOrderError that says
what is wrong and what to do; the CLI and the importer share these checks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlite_utils

from exactsync.errors import ExactsyncError
from exactsync.i18n import N_, Msg, _, ambiguous_grouping, msg, number
from exactsync.store import records
from exactsync.store.workorders import work_order_by_number
from exactsync.sync import mapping

READ_ONLY_STATUSES = ("archived", "sent", "failed")
# The statuses and kinds of time as people read them (the store keeps the English word).
STATUS_LABELS = {"open": N_("open"), "planned": N_("planned"), "completed": N_("completed"),
                 "archived": N_("archived"), "sent": N_("sent"), "failed": N_("failed")}
KIND_LABELS = {"work": N_("work"), "travel": N_("travel")}
# Bounds at entry, so that a typo or a hostile file never becomes an absurd invoice (README, workorder).
# One booking is one stretch of work or travel by one person: at most a day; longer work is booked per day.
MAX_BOOKING_MINUTES = 24 * 60
# A material line of a field-service job: 100,000 covers 100 km of cable in metres or 100 kg in grams.
MAX_QUANTITY = 100_000
# Exact keeps quantities with 4 decimals (see sync.invoice.HOURS_QUANTUM).
QUANTITY_DECIMALS = 4
# Row ids are SQLite integers: a larger number cannot be the id of anything.
MAX_ROW_ID = 2**63 - 1


class WorkOrderError(ExactsyncError):
    """A work order, work address or one of their values was refused; nothing changed."""


# --- customers and items from Exact ------------------------------------------

def find_customer(db: sqlite_utils.Database, code: str) -> dict:
    """The customer with this code as the user typed it.

    Codes match on the trimmed text (Exact pads them with leading spaces). A code
    of digits that matches nothing exactly also matches the one customer whose
    code is the same number with leading zeros ("25" finds "0025"), since people
    type what they say; two such customers is an error, never a guess.
    """
    typed = str(code).strip()
    if not typed:
        raise WorkOrderError(msg("the customer code is empty: give the code as it is in Exact, e.g. 25"))
    rows = records.customers_by_code(db, typed)
    if not rows and typed.isdigit():
        rows = records.customers_by_number(db, typed.lstrip("0"))
    if not rows:
        raise WorkOrderError(msg(
            "customer {code} does not exist: check the code in Exact; a customer added there "
            "arrives with the next exactsync pull", code=typed))
    if len(rows) > 1:
        codes = ", ".join(r["code"].strip() for r in rows)
        raise WorkOrderError(msg("customer code {code} matches {codes}: type the code exactly as it is in Exact",
                                 code=typed, codes=codes))
    return rows[0]


def usable_customer(db: sqlite_utils.Database, code: str) -> dict:
    """The customer, refused unless it comes from Exact and is active there."""
    customer = find_customer(db, code)
    label = customer_label(customer)
    if not customer["exact_id"]:
        raise WorkOrderError(msg(
            "customer {customer} was created locally, not in Exact: only customers from Exact can be "
            "invoiced; add the customer in Exact and run exactsync pull", customer=label))
    if not customer["active"]:
        inactive = _inactive(msg("customer {customer} is inactive in Exact", customer=label),
                             customer["inactive_reason"])
        raise WorkOrderError(_or_another(inactive, mapping.fix_for("customer", customer["inactive_reason"],
                                                                     customer["code"].strip()),
                                         msg("choose another customer")))
    return customer


def _inactive(inactive: Msg, reason: str) -> Msg:
    return msg("{inactive} ({reason})", inactive=inactive, reason=mapping.reason_message(reason)) if reason \
        else inactive


def _or_another(inactive: Msg, fix: Msg | None, another: Msg) -> Msg:
    """Why a customer or item cannot be chosen, with what can be done: the fix its reason allows
    (none for one deleted in Exact), or another one."""
    if fix is None:
        return msg("{inactive}: {another}", inactive=inactive, another=another)
    return msg("{inactive}: {fix}, or {another}", inactive=inactive, fix=fix, another=another)


def customer_label(customer: dict) -> str:
    code = customer["code"].strip()
    return f"{code} ({customer['name']})" if customer["name"] else code


def usable_item(db: sqlite_utils.Database, code: str) -> dict:
    """The item with this code (trimmed, exact), refused unless it comes from Exact and is active."""
    typed = str(code).strip()
    item = records.item_by_code(db, typed)
    if item is None or not item["exact_id"]:
        raise WorkOrderError(msg(
            "item '{code}' is not an item from Exact: choose an item pulled from Exact "
            "(one added there arrives with the next exactsync pull)", code=typed))
    if not item["active"]:
        inactive = _inactive(msg("item '{code}' is inactive in Exact", code=typed), item["inactive_reason"])
        raise WorkOrderError(_or_another(inactive, mapping.fix_for("item", item["inactive_reason"], typed),
                                         msg("choose another item")))
    return item


# --- work addresses and work orders ------------------------------------------

def get_work_address(db: sqlite_utils.Database, address_id: int) -> dict:
    address = records.work_address_by_id(db, address_id) if is_row_id(address_id) else None
    if address is None:
        raise WorkOrderError(msg("work address {id} does not exist: see exactsync workaddress list CUSTOMER_CODE",
                                 id=str(address_id)))
    return address


def address_of_customer(db: sqlite_utils.Database, address_id: int, customer: dict) -> dict:
    """The work address, refused when it belongs to another customer (R4: it could not be invoiced)."""
    address = get_work_address(db, address_id)
    if address["customer_id"] != customer["id"]:
        raise WorkOrderError(msg(
            "work address {id} belongs to another customer, not to customer {customer}: "
            "choose one from exactsync workaddress list {code}, or add one there",
            id=str(address_id), customer=customer_label(customer), code=customer["code"].strip()))
    return address


def get_work_order(db: sqlite_utils.Database, number: str) -> dict:
    order = work_order_by_number(db, str(number).strip())
    if order is None:
        raise WorkOrderError(msg("work order {number} does not exist: see exactsync workorder list",
                                 number=str(number)))
    return order


def changeable_work_order(db: sqlite_utils.Database, number: str) -> dict:
    """The work order, refused once archived: from then on it belongs to the invoice in Exact."""
    order = get_work_order(db, number)
    if order["status"] in READ_ONLY_STATUSES:
        raise WorkOrderError(msg(
            "work order {number} is {status} and can no longer be changed: "
            "corrections are possible until it is archived; correct the draft invoice in Exact instead",
            number=order["number"], status=status_label(order["status"])))
    return order


# --- values ------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")  # 8-12-2026, as the werkbon writes it
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SHORT_TIME = re.compile(r"^\d:[0-5]\d$")  # 8:30


def status_label(status: str) -> Msg:
    """A work order's status in the reader's language."""
    return msg(STATUS_LABELS.get(status, status))


def is_row_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def shown(value) -> str:
    """A refused value in a message: short, and never past Python's limit on turning an int into text."""
    if isinstance(value, (int, Decimal)) and not (isinstance(value, Decimal) and value.is_nan()) \
            and abs(value) >= 10**40:
        return _("a number of more than 40 digits")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_minutes(value) -> int:
    """The minutes of one booking: a whole number from 1 to MAX_BOOKING_MINUTES."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):  # 9 digits: no int() limit
        minutes = int(value)
    else:
        minutes = 0
    if not 1 <= minutes <= MAX_BOOKING_MINUTES:
        raise WorkOrderError(msg("minutes must be a whole number from 1 to {max} (24 hours) per booking, got "
                                 "{value}: book longer work per day", max=MAX_BOOKING_MINUTES, value=shown(value)))
    return minutes


def parse_quantity(value) -> Decimal:
    """A quantity above 0 and at most MAX_QUANTITY, with at most 4 decimals; a decimal comma
    is read as a point ("1,5" is 1.5). Within these bounds the double Exact keeps is what was typed."""
    readings = ambiguous_grouping(value) if isinstance(value, str) else None
    if readings:
        raise WorkOrderError(msg("quantity {value} can be read two ways: {grouped} (with a thousands separator) or "
                                 "{decimals} (with decimals); type {grouped} or {decimals}", value=value.strip(),
                                 grouped=readings[0], decimals=readings[1]))
    try:
        quantity = _decimal(value)
    except InvalidOperation:
        quantity = Decimal("NaN")
    if not quantity.is_finite() or quantity <= 0:
        raise WorkOrderError(msg("quantity must be a number above 0 such as 1.5, got {value}", value=shown(value)))
    if quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_DECIMALS)):
        raise WorkOrderError(msg("quantity must be at most {max} with at most {decimals} decimals (what Exact "
                                 "keeps), got {value}", max=number(MAX_QUANTITY), decimals=QUANTITY_DECIMALS,
                                 value=shown(value)))
    return quantity


def quantity_text(quantity: Decimal) -> str:
    """How a quantity is stored and shown: plain digits, no exponent, no trailing zeros."""
    return format(quantity.normalize(), "f")


def _decimal(value) -> Decimal:
    if isinstance(value, str):
        text = value.strip()
        return Decimal(text.replace(",", ".") if "," in text and "." not in text else text)
    if isinstance(value, float):
        return Decimal(repr(value))  # 0.1 is 0.1, not the double's 0.1000000000000000055...
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    return Decimal("NaN")


def typed_date(text: str) -> str:
    """A date as a person types it: day first (08-12-2026, as the werkbon writes it) becomes its ISO text
    when it is a date; anything else is left for parse_date to take or refuse."""
    dutch = _DUTCH_DATE.match(text.strip())
    try:
        return date(int(dutch[3]), int(dutch[2]), int(dutch[1])).isoformat() if dutch else text
    except ValueError:
        return text


def typed_time(text: str) -> str:
    """A time as a person types it: 8:30 is 08:30."""
    return text.strip().zfill(5) if _SHORT_TIME.match(text.strip()) else text


def parse_date(value) -> str:
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise WorkOrderError(msg("date must be a date as YYYY-MM-DD, e.g. 2026-12-01, got {value}",
                                 value=repr(value))) from None
    return text


def parse_time(value) -> str:
    text = str(value).strip()
    if not _TIME.match(text):
        raise WorkOrderError(msg("time must be HH:MM on a 24-hour clock, e.g. 08:30, got {value}", value=repr(value)))
    return text


def required_text(value, what: Msg) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text:
        raise WorkOrderError(msg("{what} must not be empty", what=what))
    return text


def parse_answer(text: str) -> tuple[str, str]:
    """'question=answer' -> (question, answer); the first '=' separates them."""
    question, sep, answer = text.partition("=")
    if not sep or not question.strip():
        raise WorkOrderError(msg("answer {text} is not question=answer, e.g. \"Meterstand=1234\"", text=repr(text)))
    return question.strip(), answer.strip()
