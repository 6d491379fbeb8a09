"""The integration log (R16): one row per event, written by every command through `write`.

A row's message and action are message objects (`exactsync.i18n.msg`): stored as key and
parameters, rendered when read, in the reader's language. Plain strings are still taken and
shown as written.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from exactsync.i18n import N_, Msg, msg
from exactsync.store import changes, transaction
from exactsync.store.log import add_log_row, count_log_since, delete_log_before, last_log_id, log_rows
from exactsync.store.space import give_back_free_pages
from exactsync.timeutil import iso, utcnow

KINDS = ("info", "warning", "error")
# The log's tables, each with the store table of the records its rows name (None: not a record).
STORE_TABLES = {"workorder": "work_orders", "customer": "customers", "work_address": "work_addresses",
                "item_group": "item_groups", "item": "items", "settings": None, "connection": None}
TABLES = tuple(STORE_TABLES)
TABLE_OF = {store: table for table, store in STORE_TABLES.items() if store}
# What people read for a kind and a table (translated with `_` where shown).
KIND_LABELS = {"info": N_("Info"), "warning": N_("Warning"), "error": N_("Error")}
TABLE_LABELS = {"workorder": N_("work order"), "customer": N_("customer"), "work_address": N_("work address"),
                "item_group": N_("item group"), "item": N_("item"), "settings": N_("settings"),
                "connection": N_("connection")}

Text = str | Msg


def _stored(text: Text) -> tuple[str, str | None, str | None]:
    """(English text, key, JSON parameters) of a message; a plain string has no key."""
    if isinstance(text, Msg):
        data = text.as_json()
        return text.english(), data["key"], json.dumps(data["params"], ensure_ascii=False)
    return text, None, None


def write(db: sqlite_utils.Database, kind: str, table: str, message: Text, *, record: str = "",
          action: Text = "") -> None:
    """Add a log row. Inside a transaction it commits or rolls back with the data it describes."""
    if kind not in KINDS:
        raise ValueError(f"log kind {kind!r} is not one of {KINDS}")
    if table not in TABLES:
        raise ValueError(f"log table {table!r} is not one of {TABLES}")
    message_text, message_key, message_params = _stored(message)
    action_text, action_key, action_params = _stored(action)
    with transaction(db):
        add_log_row(db, utcnow(), kind, table, str(record), message_text, action_text, message_key, message_params,
                    action_key, action_params)


def info(db, table, message, **kw):
    write(db, "info", table, message, **kw)


def warning(db, table, message, **kw):
    write(db, "warning", table, message, **kw)


def error(db, table, message, **kw):
    write(db, "error", table, message, **kw)


# A full read can deactivate thousands of records: the log names the first ones of each table.
RECORDS_PER_TABLE = 200


LIKE_THE_ROWS_ABOVE = msg("like the rows above")


@dataclass
class Records:
    """Rows naming each record a run deactivates, removes or skips: the first `limit` per
    kind and table, then, at `finish`, one row per table counting the rest."""

    limit: int = RECORDS_PER_TABLE
    written: Counter = field(default_factory=Counter)  # (kind, table) -> rows written
    left: Counter = field(default_factory=Counter)  # (kind, table) -> rows not written

    def write(self, db: sqlite_utils.Database, kind: str, table: str, message: Text, *, record: str = "",
              action: Text = "") -> None:
        if self.written[kind, table] >= self.limit:
            self.left[kind, table] += 1
            return
        self.written[kind, table] += 1
        write(db, kind, table, message, record=record, action=action)

    def finish(self, db: sqlite_utils.Database, where: dict[tuple[str, str], Text]) -> None:
        """One row per kind and table with rows left out: "... and N more: <where to see them>"."""
        for (kind, table), count in self.left.items():
            where_to_look = where.get((kind, table), LIKE_THE_ROWS_ABOVE)
            write(db, kind, table, msg("... and {count} more: {where}", count=count, where=where_to_look))
        self.left.clear()


@dataclass(frozen=True)
class LogFilter:
    kinds: tuple[str, ...] = KINDS
    table: str | None = None
    since: str | None = None  # ISO UTC, inclusive
    limit: int | None = 100
    after: int | None = None  # only rows written after the one with this id (see `newest_id`)


def rows(db: sqlite_utils.Database, where: LogFilter) -> list[dict]:
    """Log rows newest first, as dicts with the keys at, kind, table, record, and message and action
    rendered in the language in force, each beside its key and parameters (`message_key`,
    `message_params`; None for a row written as plain text, which is shown as written)."""
    return [{"at": row["at"], "kind": row["kind"], "table": row["table"], "record": row["record"],
             **_rendered("message", row), **_rendered("action", row)}
            for row in log_rows(db, where.kinds, where.table, where.since, where.limit, where.after)]


def latest_problem(db: sqlite_utils.Database, table: str, record: str) -> dict | None:
    """The newest warning or error about `record` of `table`, its kind, message and action rendered
    as `rows` renders them; None when there is none."""
    row = changes.latest_problem(db, table, record)
    if row is None:
        return None
    return {"kind": row["kind"], **_rendered("message", row), **_rendered("action", row)}


def _rendered(part: str, row: dict) -> dict:
    key, params = row[f"{part}_key"], row[f"{part}_params"]
    if key is None:
        return {part: row[part], f"{part}_key": None, f"{part}_params": None}
    data = {"key": key, "params": json.loads(params)}
    return {part: Msg.from_json(data).render(), f"{part}_key": key, f"{part}_params": data["params"]}


def prune(db: sqlite_utils.Database, retention_days: int, now: datetime | None = None) -> int:
    """Remove rows older than `retention_days` (before `now`), and give the store's free pages back to
    the disk once they add up; return how many rows went."""
    cutoff = iso((now or datetime.now(UTC)) - timedelta(days=retention_days))
    with transaction(db):
        removed = delete_log_before(db, cutoff)
    give_back_free_pages(db)
    return removed


def newest_id(db: sqlite_utils.Database) -> int:
    """Where the log stands now: `LogFilter(after=...)` reads the rows written since."""
    return last_log_id(db)


def count_since(db: sqlite_utils.Database, kind: str, since: str) -> int:
    return count_log_since(db, kind, since)
