"""Cleanup (R5): remove customers and items that did not come from Exact, or that
Exact deleted, blocked or ended (pull marked those inactive). Work orders are never
removed: they keep their own copy of what they need, and push explains what is missing.

An inactive item that a work order not yet in Exact books stays (it cannot be picked
anyway): pull keeps it in step with Exact, so push can tell whether that material can
still be invoiced without asking Exact every run."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.store import transaction

REMOVABLE = "exact_id IS NULL OR active = 0"
BOOKED_NOT_SENT = ("exact_id IN (SELECT m.item_exact_id FROM materials m JOIN work_orders w ON w.id = m.work_order_id "
                   "WHERE w.status != 'sent' AND m.item_exact_id IS NOT NULL)")
REMOVABLE_ITEM = f"exact_id IS NULL OR (active = 0 AND NOT {BOOKED_NOT_SENT})"
WHY = "CASE WHEN exact_id IS NULL THEN 'is not from Exact' ELSE inactive_reason END"
# The rows past log.RECORDS_PER_TABLE are gone: the count row says how many went in all.
MORE = {("info", table): "removed as well (the cleanup count row has them all)"
        for table in ("customer", "work_address", "item", "item_group")}


def cleanup(db: sqlite_utils.Database) -> dict[str, int]:
    """Remove what should go, in one transaction, with a log row per record and a count
    row per table; return the count per table."""
    records = log.Records()
    with transaction(db):
        # Work addresses go with their customer (ON DELETE CASCADE): logged first, while they are there.
        addresses = db.execute(
            f"""SELECT w.id, w.street, w.city, c.code FROM work_addresses w JOIN customers c ON c.id = w.customer_id
                WHERE c.id IN (SELECT id FROM customers WHERE {REMOVABLE}) ORDER BY w.id""").fetchall()
        for address_id, street, city, code in addresses:
            place = ", ".join(filter(None, (street, city))) or "no address"
            records.write(db, "info", "work_address", f"work address {address_id} ({place}) of customer {code}: "
                          "removed by cleanup with its customer", record=str(address_id), action="none")
        removed = {
            "work_address": len(addresses),
            "customer": _remove(db, records, "customers", "name", REMOVABLE, WHY),
            "item": _remove(db, records, "items", "description", REMOVABLE_ITEM, WHY),
            "item_group": _remove(db, records, "item_groups", "description", "exact_id IS NULL", "'is not from Exact'"),
        }
        records.finish(db, MORE)
        for table, count in removed.items():
            log.info(db, table, f"cleanup removed {count} {table.replace('_', ' ')}(s) "
                                "that are not (or no longer) in Exact")
        kept = db.execute(f"SELECT count(*) FROM items WHERE active = 0 AND {BOOKED_NOT_SENT}").fetchone()[0]
        if kept:
            log.info(db, "item", f"cleanup kept {kept} inactive item(s) that work orders not yet in Exact book",
                     action="none: they cannot be picked; push decides whether they can still be invoiced")
    return removed


def _remove(db: sqlite_utils.Database, records: log.Records, table: str, name: str, where: str, why: str) -> int:
    """Delete the rows `where` selects, with a log row each naming it and why (the SQL
    expression `why`); return how many."""
    noun = log.TABLE_OF[table]
    gone = db.execute(f"DELETE FROM {table} WHERE {where} RETURNING code, {name}, {why}").fetchall()
    for code, label, reason in sorted(gone):
        records.write(db, "info", noun, f"{noun.replace('_', ' ')} {code} ({label}) {reason or 'is inactive'}: "
                      "removed by cleanup", record=code, action="none")
    return len(gone)
