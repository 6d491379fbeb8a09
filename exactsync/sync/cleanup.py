"""Cleanup (R5): remove customers and items that did not come from Exact, or that
Exact deleted, blocked or ended (pull marked those inactive). Work orders are never
removed: they keep their own copy of what they need, and push explains what is missing."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.store import transaction

REMOVABLE = "exact_id IS NULL OR active = 0"


def cleanup(db: sqlite_utils.Database) -> dict[str, int]:
    """Remove what should go, in one transaction; return the count per table."""
    with transaction(db):
        removed = {
            # Work addresses go with their customer (ON DELETE CASCADE); count them first.
            "work_address": _count(db, f"SELECT count(*) FROM work_addresses WHERE customer_id IN "
                                       f"(SELECT id FROM customers WHERE {REMOVABLE})"),
            "customer": db.execute(f"DELETE FROM customers WHERE {REMOVABLE}").rowcount,
            "item": db.execute(f"DELETE FROM items WHERE {REMOVABLE}").rowcount,
            "item_group": db.execute("DELETE FROM item_groups WHERE exact_id IS NULL").rowcount,
        }
        for table, count in removed.items():
            log.info(db, table, f"cleanup removed {count} {table.replace('_', ' ')}(s) "
                                "that are not (or no longer) in Exact")
    return removed


def _count(db: sqlite_utils.Database, sql: str) -> int:
    return db.execute(sql).fetchone()[0]
