"""Migration 940's schema: the change feed the field app reads (`exactsync export`).

Every write to a customer, work address, item or work order, or to a work order's push steps,
leaves one row in `changes` with the next number of a sequence that only goes up (AUTOINCREMENT
never hands out a number twice, also after rows are deleted). SQLite triggers write it, in the
transaction of the write itself, so the feed is complete whoever writes: pull, cleanup, wipe, the
commands, an import. A record keeps one row, its latest change; a removed record keeps its row as a
tombstone, with why it went, so the app can hide it.

An update counts only when a column the feed prints changed: a pull that reads a record again
unchanged, or a push run that stamps its step again, adds nothing to the feed.

This module is part of a shipped migration: never edit it; a change is a new migration.
"""

from __future__ import annotations

from exactsync.i18n import N_

# Stored as the reason of a work address removed with its customer (cleanup, a customer wipe).
CUSTOMER_REMOVED = N_("its customer was removed")

# (store table, kind in the feed, the columns the feed prints, the reason a deleted row is given, its code)
FEED_TABLES = (
    ("customers", "customer",
     ("exact_id", "code", "name", "address_line1", "address_line2", "postcode", "city", "country", "email",
      "phone", "active", "inactive_reason"),
     # As cleanup names it (sync/mapping.py's NOT_FROM_EXACT for one not from Exact, else why it became
     # inactive); the store sits below sync, so the text is written out here.
     "CASE WHEN OLD.exact_id IS NULL THEN 'is not from Exact' ELSE OLD.inactive_reason END", "OLD.code"),
    ("work_addresses", "work_address",
     ("key", "customer_id", "name", "street", "postcode", "city", "country", "exact_address_id"),
     f"CASE WHEN (SELECT 1 FROM customers WHERE id = OLD.customer_id) IS NULL THEN '{CUSTOMER_REMOVED}' "
     "ELSE '' END", "OLD.key"),
    ("items", "item",
     ("exact_id", "code", "description", "item_group_code", "item_group_description", "unit", "active",
      "inactive_reason"),
     "CASE WHEN OLD.exact_id IS NULL THEN 'is not from Exact' ELSE OLD.inactive_reason END", "OLD.code"),
    ("work_orders", "work_order",
     ("number", "status", "customer_code", "work_address_key", "description", "customer_reference",
      "planned_employee", "planned_date", "planned_time", "external_id", "exact_invoice_id", "exact_order_number",
      "exact_invoice_number", "exact_processed_at", "exact_deleted_at"),
     "''", "OLD.number"),
)
# A push step's state, error or Exact ID is its work order's Exact state (queued, refused, sent, failed).
OUTBOX_COLUMNS = ("state", "last_error", "exact_id")

TABLES = (
    """CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        row_id INTEGER NOT NULL,
        removed INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE UNIQUE INDEX changes_record ON changes (kind, row_id)",
    # An export reads the changes of one kind after its cursor, and nothing else.
    "CREATE INDEX changes_kind_seq ON changes (kind, seq)",
    # The feed's message for a refused or failed work order is its newest problem in the log.
    "CREATE INDEX log_record ON log (tbl, record)",
    # The store's epoch: a wipe (or another store) starts a new one, so an older cursor starts over.
    "INSERT INTO state (key, value) VALUES ('changes_epoch', lower(hex(randomblob(8)))) "
    "ON CONFLICT (key) DO NOTHING",
)


def _record(kind: str, row_id: str, removed: str = "0", reason: str = "''", code: str = "''") -> str:
    return (f"DELETE FROM changes WHERE kind = '{kind}' AND row_id = {row_id}; "
            f"INSERT INTO changes (kind, row_id, removed, reason, code) "
            f"VALUES ('{kind}', {row_id}, {removed}, {reason}, {code});")


def _differs(columns: tuple[str, ...]) -> str:
    return f"({', '.join(f'OLD.{c}' for c in columns)}) IS NOT ({', '.join(f'NEW.{c}' for c in columns)})"


def triggers() -> list[str]:
    statements = []
    for table, kind, columns, reason, code in FEED_TABLES:
        statements += [
            f"CREATE TRIGGER {table}_feed_insert AFTER INSERT ON {table} BEGIN {_record(kind, 'NEW.id')} END",
            f"CREATE TRIGGER {table}_feed_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"WHEN {_differs(columns)} BEGIN {_record(kind, 'NEW.id')} END",
            f"CREATE TRIGGER {table}_feed_delete AFTER DELETE ON {table} "
            f"BEGIN {_record(kind, 'OLD.id', '1', reason, code)} END",
        ]
    its_order = _record("work_order", "NEW.work_order_id")
    return statements + [
        f"CREATE TRIGGER outbox_feed_insert AFTER INSERT ON outbox BEGIN {its_order} END",
        f"CREATE TRIGGER outbox_feed_update AFTER UPDATE OF {', '.join(OUTBOX_COLUMNS)} ON outbox "
        f"WHEN {_differs(OUTBOX_COLUMNS)} BEGIN {its_order} END",
    ]
