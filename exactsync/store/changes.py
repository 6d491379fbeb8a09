"""The change feed (migration 940): what changed after a point in the sequence the triggers keep,
the records themselves for a full export, and the store's epoch. Reads stream row by row: an
export of a hundred thousand customers never holds them all."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import sqlite_utils

from exactsync.store.state import CHANGES_EPOCH

KINDS = ("customer", "work_address", "item", "work_order")
# Per kind: the store table, the joins the feed's line needs, and its columns (x is the record).
_TABLE = {"customer": "customers", "work_address": "work_addresses", "item": "items", "work_order": "work_orders"}
_JOINS = {"work_address": "LEFT JOIN customers k ON k.id = x.customer_id",
          "work_order": "LEFT JOIN work_addresses a ON a.key = x.work_address_key"}
_COLUMNS = {
    "customer": "x.code, x.exact_id, x.name, x.address_line1, x.address_line2, x.postcode, x.city, x.country, "
                "x.email, x.phone, x.active, x.inactive_reason",
    "work_address": "x.key, x.customer_id, k.code AS customer_code, x.name, x.street, x.postcode, x.city, "
                    "x.country, x.exact_address_id IS NOT NULL AS from_exact",
    "item": "x.code, x.exact_id, x.description, x.unit, x.item_group_code, x.item_group_description, x.active, "
            "x.inactive_reason",
    "work_order": "x.number, x.external_id, x.status, x.customer_code, a.id AS work_address_id, x.description, "
                  "x.customer_reference, x.planned_employee, x.planned_date, x.planned_time, x.created_at, "
                  "x.completed_at, x.archived_at, x.exact_invoice_id, x.exact_order_number, x.exact_invoice_number, "
                  "x.exact_processed_at, x.exact_deleted_at",
}


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """One read transaction: every query inside sees the store as it was at the first, so the cursor
    an export ends with covers exactly what it printed, whatever pull writes meanwhile."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")  # nothing was written: there is nothing to roll back


def epoch(db: sqlite_utils.Database) -> str:
    return CHANGES_EPOCH.get(db)


def last_seq(db: sqlite_utils.Database) -> int:
    """The highest number the sequence has handed out (0 before the first change)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return row[0] if row else 0


def start_over(db: sqlite_utils.Database) -> None:
    """A new epoch, and the changes of the old one forgotten: a cursor from before tells the app to
    start over. Runs inside the caller's transaction (a wipe's)."""
    CHANGES_EPOCH.set(db, secrets.token_hex(8))
    db.execute("DELETE FROM changes")


def all_records(db: sqlite_utils.Database, kind: str) -> Iterator[dict]:
    """Every record of `kind`, by id, as the feed prints it (`removed` 0)."""
    return db.query(f"SELECT x.id, 0 AS removed, '' AS removed_reason, '' AS removed_code, {_COLUMNS[kind]} "
                    f"FROM {_TABLE[kind]} x {_JOINS.get(kind, '')} ORDER BY x.id")


def changed_records(db: sqlite_utils.Database, kind: str, after: int) -> Iterator[dict]:
    """The records of `kind` changed after the sequence number `after`, in the order they last
    changed; a removed one (or one whose row is gone) has `removed` 1, its reason and code."""
    return db.query(
        f"SELECT c.row_id AS id, c.removed OR x.id IS NULL AS removed, c.reason AS removed_reason, "
        f"c.code AS removed_code, {_COLUMNS[kind]} FROM changes c LEFT JOIN {_TABLE[kind]} x ON x.id = c.row_id "
        f"{_JOINS.get(kind, '')} WHERE c.kind = ? AND c.seq > ? ORDER BY c.seq", [kind, after])


def latest_problem(db: sqlite_utils.Database, table: str, record: str) -> dict | None:
    """The newest warning or error row of the log about `record` of `table`, with its message and
    action each beside its key and parameters; None when there is none."""
    return next(db.query(
        "SELECT kind, message, message_key, message_params, action, action_key, action_params FROM log "
        "WHERE tbl = ? AND record = ? AND kind IN ('warning', 'error') ORDER BY id DESC LIMIT 1",
        [table, record]), None)
