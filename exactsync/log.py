"""The integration log (R16): one row per event, written by every command through `write`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from exactsync.store import transaction
from exactsync.store.log import add_log_row, count_log_since, delete_log_before, log_rows
from exactsync.timeutil import iso, utcnow

KINDS = ("info", "warning", "error")
# The log's tables, each with the store table of the records its rows name (None: not a record).
STORE_TABLES = {"workorder": "work_orders", "customer": "customers", "work_address": "work_addresses",
                "item_group": "item_groups", "item": "items", "settings": None, "connection": None}
TABLES = tuple(STORE_TABLES)
TABLE_OF = {store: table for table, store in STORE_TABLES.items() if store}


def write(db: sqlite_utils.Database, kind: str, table: str, message: str, *, record: str = "",
          action: str = "") -> None:
    """Add a log row. Inside a transaction it commits or rolls back with the data it describes."""
    if kind not in KINDS:
        raise ValueError(f"log kind {kind!r} is not one of {KINDS}")
    if table not in TABLES:
        raise ValueError(f"log table {table!r} is not one of {TABLES}")
    with transaction(db):
        add_log_row(db, utcnow(), kind, table, str(record), message, action)


def info(db, table, message, **kw):
    write(db, "info", table, message, **kw)


def warning(db, table, message, **kw):
    write(db, "warning", table, message, **kw)


def error(db, table, message, **kw):
    write(db, "error", table, message, **kw)


# A full read can deactivate thousands of records: the log names the first ones of each table.
RECORDS_PER_TABLE = 200


@dataclass
class Records:
    """Rows naming each record a run deactivates, removes or skips: the first `limit` per
    kind and table, then, at `finish`, one row per table counting the rest."""

    limit: int = RECORDS_PER_TABLE
    written: Counter = field(default_factory=Counter)  # (kind, table) -> rows written
    left: Counter = field(default_factory=Counter)  # (kind, table) -> rows not written

    def write(self, db: sqlite_utils.Database, kind: str, table: str, message: str, *, record: str = "",
              action: str = "") -> None:
        if self.written[kind, table] >= self.limit:
            self.left[kind, table] += 1
            return
        self.written[kind, table] += 1
        write(db, kind, table, message, record=record, action=action)

    def finish(self, db: sqlite_utils.Database, where: dict[tuple[str, str], str]) -> None:
        """One row per kind and table with rows left out: "... and N more: <where to see them>"."""
        for (kind, table), count in self.left.items():
            write(db, kind, table, f"... and {count} more: {where.get((kind, table), 'like the rows above')}")
        self.left.clear()


@dataclass(frozen=True)
class LogFilter:
    kinds: tuple[str, ...] = KINDS
    table: str | None = None
    since: str | None = None  # ISO UTC, inclusive
    limit: int | None = 100


def rows(db: sqlite_utils.Database, where: LogFilter) -> list[dict]:
    """Log rows newest first, as dicts with the keys at, kind, table, record, message, action."""
    return log_rows(db, where.kinds, where.table, where.since, where.limit)


def prune(db: sqlite_utils.Database, retention_days: int) -> int:
    """Remove rows older than `retention_days`; return how many went."""
    cutoff = iso(datetime.now(UTC) - timedelta(days=retention_days))
    with transaction(db):
        return delete_log_before(db, cutoff)


def count_since(db: sqlite_utils.Database, kind: str, since: str) -> int:
    return count_log_since(db, kind, since)
