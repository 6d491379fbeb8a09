"""Work addresses (R4): where the work is done. The first one of a customer comes
from its default address in Exact (pull keeps it in step); the others are added here.

Work orders refer to a work address by its key, not its row id: a wipe and the next
pull renumber rows, while the key of the one from Exact comes from Exact and one
added here is kept by the wipe as long as a work order not yet sent uses it."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.i18n import msg
from exactsync.store import records, transaction
from exactsync.store.workorders import unlink_work_address, unsent_numbers_using_address
from exactsync.timeutil import utcnow
from exactsync.workorders.lookup import (
    WorkOrderError,
    customer_label,
    find_customer,
    get_work_address,
    required_text,
    usable_customer,
)


def address_lines(address: dict) -> list[str]:
    """A work address as the lines printed on a PDF: name, street, postcode and city, country."""
    place = " ".join(p for p in (address["postcode"], address["city"]) if p)
    return [line for line in (address["name"], address["street"], place, address["country"]) if line]


def add(db: sqlite_utils.Database, customer_code: str, *, street: str, postcode: str, city: str,
        country: str = "NL", name: str = "") -> dict:
    """Add a work address to a customer from Exact; return the new row."""
    customer = usable_customer(db, customer_code)
    values = {
        "customer_id": customer["id"],
        "name": name.strip(),
        "street": required_text(street, msg("the street")),
        "postcode": postcode.strip(),
        "city": required_text(city, msg("the city")),
        "country": country.strip().upper(),
        "created_at": utcnow(),
    }
    with transaction(db):
        address_id = records.add_work_address(db, values)
        log.info(db, "work_address", msg("work address added to customer {customer}: {address}",
                                         customer=customer_label(customer), address=", ".join(address_lines(values))),
                 record=str(address_id))
    return get_work_address(db, address_id)


def of_customer(db: sqlite_utils.Database, customer_code: str) -> tuple[dict, list[dict]]:
    """The customer and its work addresses, the one from Exact first."""
    customer = find_customer(db, customer_code)
    return customer, addresses_of(db, customer)


def addresses_of(db: sqlite_utils.Database, customer: dict) -> list[dict]:
    return records.work_addresses_of_customer(db, customer["id"])


def same_address(db: sqlite_utils.Database, customer: dict, fields: dict) -> dict | None:
    """The customer's work address that reads as `fields` (name, street, postcode, city, country),
    whatever the case or the spaces around them; None when it has none."""
    def folded(address: dict) -> tuple:
        return tuple(address[name].strip().casefold() for name in ("name", "street", "postcode", "city", "country"))
    return next((a for a in addresses_of(db, customer) if folded(a) == folded(fields)), None)


def first_of_customer(db: sqlite_utils.Database, customer: dict) -> dict:
    """The default work address of a new work order: the customer's first one."""
    rows = addresses_of(db, customer)
    if not rows:
        code = customer["code"].strip()
        raise WorkOrderError(msg("customer {customer} has no work address: add one with "
                                 "exactsync workaddress add {code} --street ... --postcode ... --city ...",
                                 customer=customer_label(customer), code=code))
    return rows[0]


def remove(db: sqlite_utils.Database, address_id: int) -> dict:
    """Remove a work address that no unsent work order uses; return the removed row."""
    address = get_work_address(db, address_id)
    if address["exact_address_id"]:
        raise WorkOrderError(msg("work address {id} is the customer's address from Exact: change or remove it "
                                 "in Exact", id=str(address_id)))
    in_use = unsent_numbers_using_address(db, address["key"])
    if in_use:
        raise WorkOrderError(msg("work address {id} is used by work order {numbers}, not yet sent to Exact: "
                                 "remove it once those are sent", id=str(address_id), numbers=", ".join(in_use)))
    with transaction(db):
        # Sent work orders keep the address as text (their snapshot); only the link goes.
        unlink_work_address(db, address["key"])
        records.delete_work_address(db, address_id)
        log.info(db, "work_address", msg("work address removed: {address}",
                                         address=", ".join(address_lines(address))), record=str(address_id))
    return address


def by_key(db: sqlite_utils.Database, key: str | None) -> dict | None:
    """The work address a work order refers to, or None when it has none or it was removed."""
    return records.work_address_by_key(db, key) if key else None
