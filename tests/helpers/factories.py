"""Customers and items as `exactsync pull` stores them, for tests of what builds on them.

Pull stores the code trimmed (Exact pads it to 18 with leading spaces), sets
exact_id to the Exact GUID, and makes the customer's default address its first
work address, with exact_address_id set and its key from the customer's Exact ID.
"""

from __future__ import annotations

import uuid

import sqlite_utils

from exactsync.store import transaction, utcnow
from exactsync.store.records import EXACT_KEY_PREFIX


def add_customer(db: sqlite_utils.Database, code: str, name: str = "", *, active: bool = True,
                 from_exact: bool = True, street: str = "Dorpsstraat 1", postcode: str = "1234 AB",
                 city: str = "Utrecht", country: str = "NL", with_work_address: bool = True) -> dict:
    """A customers row (and its first work address, derived from Exact); returns the row
    with `work_address_id` added (None without a work address)."""
    exact_id = str(uuid.uuid4()) if from_exact else None
    with transaction(db):
        customer_id = db["customers"].insert({
            "exact_id": exact_id, "code": code, "name": name or f"Klant {code}",
            "address_line1": street, "postcode": postcode, "city": city, "country": country,
            "active": int(active), "updated_at": utcnow(),
        }).last_pk
        address_id = None
        if with_work_address:
            key = {"key": EXACT_KEY_PREFIX + exact_id} if from_exact else {}  # else the store gives a random one
            address_id = db["work_addresses"].insert({
                **key, "customer_id": customer_id, "street": street, "postcode": postcode, "city": city,
                "country": country, "exact_address_id": str(uuid.uuid4()) if from_exact else None,
                "created_at": utcnow(),
            }).last_pk
    return {**db["customers"].get(customer_id), "work_address_id": address_id}


def add_item(db: sqlite_utils.Database, code: str, description: str = "", *, active: bool = True,
             from_exact: bool = True, unit: str = "pc") -> dict:
    with transaction(db):
        item_id = db["items"].insert({
            "exact_id": str(uuid.uuid4()) if from_exact else None, "code": code,
            "description": description or f"Artikel {code}", "unit": unit,
            "active": int(active), "updated_at": utcnow(),
        }).last_pk
    return db["items"].get(item_id)
