"""Deleting whole tables for a wipe (R13), but the rows unsent work orders need."""

from __future__ import annotations

import sqlite_utils

from exactsync.i18n import N_plural

# Archived but not (yet) an invoice in Exact: deleting these would lose work silently.
NOT_IN_EXACT = "status IN ('archived', 'failed') AND exact_invoice_id IS NULL"
# Rows a wipe keeps whatever was chosen, so that no work order that has not reached
# Exact loses its work address: the work addresses such work orders use, and the
# customers those belong to (the next pull updates both in place, by Exact ID and key).
KEPT = {
    "work_addresses": "key IN (SELECT work_address_key FROM work_orders WHERE status != 'sent')",
    "customers": "id IN (SELECT customer_id FROM work_addresses)",
}


def count_rows(db: sqlite_utils.Database, table: str) -> int:
    return db[table].count


def archived_not_in_exact(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute(f"SELECT number FROM work_orders WHERE {NOT_IN_EXACT} ORDER BY number")]


def delete_rows(db: sqlite_utils.Database, table: str) -> tuple[int, int]:
    """Delete the rows of `table` but those KEPT; return (deleted, kept). Runs inside the
    caller's transaction."""
    keep = f" WHERE NOT ({KEPT[table]})" if table in KEPT else ""
    deleted = db.execute(f"DELETE FROM [{table}]{keep}").rowcount
    return deleted, db[table].count if table in KEPT else 0


def numbers_using_kept_addresses(db: sqlite_utils.Database) -> list[str]:
    """The unsent work orders whose work address a wipe kept."""
    return [r[0] for r in db.execute(
        "SELECT number FROM work_orders WHERE status != 'sent' AND work_address_key IN "
        "(SELECT key FROM work_addresses) ORDER BY number")]


def made_locally(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    """{(singular, plural): rows} of the customers, items and item groups that did not come from Exact."""
    local = {
        N_plural("{count} customer made locally", "{count} customers made locally"):
            "SELECT count(*) FROM customers WHERE exact_id IS NULL",
        N_plural("{count} item made locally", "{count} items made locally"):
            "SELECT count(*) FROM items WHERE exact_id IS NULL",
        N_plural("{count} item group made locally", "{count} item groups made locally"):
            "SELECT count(*) FROM item_groups WHERE exact_id IS NULL",
    }
    return {what: db.execute(sql).fetchone()[0] for what, sql in local.items()}


def children(db: sqlite_utils.Database, table: str) -> list[str]:
    """`table` preceded by every table that references it by a foreign key, children first."""
    result: list[str] = []
    for other in db.table_names():
        if other != table and any(fk.other_table == table for fk in db[other].foreign_keys):
            result += [t for t in children(db, other) if t not in result]
    return result + [table]
