"""Deleting whole tables for a wipe (R13), but the rows unsent work orders need."""

from __future__ import annotations

import sqlite_utils

from exactsync.i18n import N_plural

# A work order push has not finished with: archived or failed (never sent, or a step left over), or
# any step of its outbox not done, whatever the step is called. Deleting one loses what Exact still lacks.
UNFINISHED = ("(status IN ('archived', 'failed') OR EXISTS (SELECT 1 FROM outbox o WHERE o.work_order_id = "
              "work_orders.id AND o.state != 'done'))")
# Rows a wipe keeps whatever was chosen, so that no work order that has not reached
# Exact loses its work address: the work addresses such work orders use, and the
# customers those belong to (the next pull updates both in place, by Exact ID and key).
# Each is an EXISTS, never `x IN (SELECT ...)`: a NULL in the list (a work order without
# a work address) makes IN NULL, and NOT NULL keeps every row.
KEPT = {
    "work_addresses": "EXISTS (SELECT 1 FROM work_orders w WHERE w.work_address_key = work_addresses.key "
                      "AND w.status != 'sent')",
    "customers": "EXISTS (SELECT 1 FROM work_addresses a WHERE a.customer_id = customers.id)",
}


def count_rows(db: sqlite_utils.Database, table: str) -> int:
    return db[table].count


def unfinished_work_orders(db: sqlite_utils.Database) -> list[dict]:
    """The work orders push has not finished with, by number: each with its Exact invoice ID and the
    names of its outbox steps that are not done (`open_steps`, in the order push began them)."""
    orders = list(db.query(f"SELECT id, number, exact_invoice_id FROM work_orders WHERE {UNFINISHED} ORDER BY number"))
    for order in orders:
        order["open_steps"] = [r[0] for r in db.execute(
            "SELECT step FROM outbox WHERE work_order_id = ? AND state != 'done' ORDER BY id", [order["id"]])]
    return orders


def delete_rows(db: sqlite_utils.Database, table: str) -> tuple[int, int]:
    """Delete the rows of `table` but those KEPT; return (deleted, kept). Runs inside the
    caller's transaction."""
    keep = f" WHERE NOT ({KEPT[table]})" if table in KEPT else ""
    deleted = db.execute(f"DELETE FROM [{table}]{keep}").rowcount
    return deleted, db[table].count if table in KEPT else 0


def numbers_using_kept_addresses(db: sqlite_utils.Database) -> list[str]:
    """The unsent work orders whose work address a wipe kept."""
    return [r[0] for r in db.execute(
        "SELECT number FROM work_orders w WHERE status != 'sent' AND EXISTS "
        "(SELECT 1 FROM work_addresses a WHERE a.key = w.work_address_key) ORDER BY number")]


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
