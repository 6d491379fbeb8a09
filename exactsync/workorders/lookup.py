"""Finding customers, items, work addresses and work orders as users type them,
and parsing the values they give. Every refusal is a WorkOrderError that says
what is wrong and what to do; the CLI and the importer share these checks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlite_utils

from exactsync.errors import ExactsyncError
from exactsync.store import records
from exactsync.store.workorders import work_order_by_number

READ_ONLY_STATUSES = ("archived", "sent", "failed")
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
        raise WorkOrderError("the customer code is empty: give the code as it is in Exact, e.g. 25")
    rows = records.customers_by_code(db, typed)
    if not rows and typed.isdigit():
        rows = records.customers_by_number(db, typed.lstrip("0"))
    if not rows:
        raise WorkOrderError(
            f"customer {typed} does not exist: check the code in Exact; a customer added there "
            "arrives with the next exactsync pull"
        )
    if len(rows) > 1:
        codes = ", ".join(r["code"].strip() for r in rows)
        raise WorkOrderError(f"customer code {typed} matches {codes}: type the code exactly as it is in Exact")
    return rows[0]


def usable_customer(db: sqlite_utils.Database, code: str) -> dict:
    """The customer, refused unless it comes from Exact and is active there."""
    customer = find_customer(db, code)
    label = customer_label(customer)
    if not customer["exact_id"]:
        raise WorkOrderError(
            f"customer {label} was created locally, not in Exact: only customers from Exact can be "
            "invoiced; add the customer in Exact and run exactsync pull"
        )
    if not customer["active"]:
        reason = f" ({customer['inactive_reason']})" if customer["inactive_reason"] else ""
        raise WorkOrderError(
            f"customer {label} is inactive in Exact{reason}: make it active in Exact, or choose another customer"
        )
    return customer


def customer_label(customer: dict) -> str:
    code = customer["code"].strip()
    return f"{code} ({customer['name']})" if customer["name"] else code


def usable_item(db: sqlite_utils.Database, code: str) -> dict:
    """The item with this code (trimmed, exact), refused unless it comes from Exact and is active."""
    typed = str(code).strip()
    item = records.item_by_code(db, typed)
    if item is None or not item["exact_id"]:
        raise WorkOrderError(
            f"item '{typed}' is not an item from Exact: choose an item pulled from Exact "
            "(one added there arrives with the next exactsync pull)"
        )
    if not item["active"]:
        raise WorkOrderError(f"item '{typed}' is inactive in Exact: choose another item, or make it active in Exact")
    return item


# --- work addresses and work orders ------------------------------------------

def get_work_address(db: sqlite_utils.Database, address_id: int) -> dict:
    address = records.work_address_by_id(db, address_id) if is_row_id(address_id) else None
    if address is None:
        raise WorkOrderError(
            f"work address {address_id} does not exist: see exactsync workaddress list CUSTOMER_CODE"
        )
    return address


def address_of_customer(db: sqlite_utils.Database, address_id: int, customer: dict) -> dict:
    """The work address, refused when it belongs to another customer (R4: it could not be invoiced)."""
    address = get_work_address(db, address_id)
    if address["customer_id"] != customer["id"]:
        raise WorkOrderError(
            f"work address {address_id} belongs to another customer, not to customer {customer_label(customer)}: "
            f"choose one from exactsync workaddress list {customer['code'].strip()}, or add one there"
        )
    return address


def get_work_order(db: sqlite_utils.Database, number: str) -> dict:
    order = work_order_by_number(db, str(number).strip())
    if order is None:
        raise WorkOrderError(f"work order {number} does not exist: see exactsync workorder list")
    return order


def changeable_work_order(db: sqlite_utils.Database, number: str) -> dict:
    """The work order, refused once archived: from then on it belongs to the invoice in Exact."""
    order = get_work_order(db, number)
    if order["status"] in READ_ONLY_STATUSES:
        raise WorkOrderError(
            f"work order {order['number']} is {order['status']} and can no longer be changed: "
            "corrections are possible until it is archived; correct the draft invoice in Exact instead"
        )
    return order


# --- values ------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_row_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def shown(value) -> str:
    """A refused value in a message: short, and never past Python's limit on turning an int into text."""
    if isinstance(value, (int, Decimal)) and not (isinstance(value, Decimal) and value.is_nan()) \
            and abs(value) >= 10**40:
        return "a number of more than 40 digits"
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
        raise WorkOrderError(f"minutes must be a whole number from 1 to {MAX_BOOKING_MINUTES} (24 hours) per "
                             f"booking, got {shown(value)}: book longer work per day")
    return minutes


def parse_quantity(value) -> Decimal:
    """A quantity above 0 and at most MAX_QUANTITY, with at most 4 decimals; a decimal comma
    is read as a point ("1,5" is 1.5). Within these bounds the double Exact keeps is what was typed."""
    try:
        quantity = _decimal(value)
    except InvalidOperation:
        quantity = Decimal("NaN")
    if not quantity.is_finite() or quantity <= 0:
        raise WorkOrderError(f"quantity must be a number above 0 such as 1.5, got {shown(value)}")
    if quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_DECIMALS)):
        raise WorkOrderError(f"quantity must be at most {MAX_QUANTITY:,} with at most {QUANTITY_DECIMALS} "
                             f"decimals (what Exact keeps), got {shown(value)}")
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


def parse_date(value) -> str:
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise WorkOrderError(f"date must be a date as YYYY-MM-DD, e.g. 2026-12-01, got {value!r}") from None
    return text


def parse_time(value) -> str:
    text = str(value).strip()
    if not _TIME.match(text):
        raise WorkOrderError(f"time must be HH:MM on a 24-hour clock, e.g. 08:30, got {value!r}")
    return text


def required_text(value, what: str) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text:
        raise WorkOrderError(f"{what} must not be empty")
    return text


def parse_answer(text: str) -> tuple[str, str]:
    """'question=answer' -> (question, answer); the first '=' separates them."""
    question, sep, answer = text.partition("=")
    if not sep or not question.strip():
        raise WorkOrderError(f"answer {text!r} is not question=answer, e.g. \"Meterstand=1234\"")
    return question.strip(), answer.strip()
