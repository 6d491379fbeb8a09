"""The log table: one row per event (R16).

A row keeps its message and action as English text and, when written as a message object,
their key (the English template) and parameters as JSON, so each reader sees them in their
own language; rows from before that have the text only (key NULL).
"""

from __future__ import annotations

import sqlite_utils

_COLUMNS = ("at, kind, tbl AS \"table\", record, message, message_key, message_params, "
            "action, action_key, action_params")


def add_log_row(db: sqlite_utils.Database, at: str, kind: str, table: str, record: str, message: str,
                action: str, message_key: str | None = None, message_params: str | None = None,
                action_key: str | None = None, action_params: str | None = None) -> None:
    """Runs inside the caller's transaction."""
    db.execute(
        "INSERT INTO log (at, kind, tbl, record, message, action, message_key, message_params, action_key, "
        "action_params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at, kind, table, record, message, action, message_key, message_params, action_key, action_params],
    )


def log_rows(db: sqlite_utils.Database, kinds: tuple[str, ...], table: str | None, since: str | None,
             limit: int | None, after_id: int | None = None) -> list[dict]:
    """Log rows newest first, as dicts with the keys at, kind, table, record, and message and action
    each with its _key and _params (JSON text, or None); with `after_id`, only rows written after
    the row of that id."""
    clauses = [f"kind IN ({', '.join('?' * len(kinds))})"]
    params: list = list(kinds)
    if table:
        clauses.append("tbl = ?")
        params.append(table)
    if since:
        clauses.append("at >= ?")
        params.append(since)
    if after_id is not None:
        clauses.append("id > ?")
        params.append(after_id)
    sql = f"SELECT {_COLUMNS} FROM log WHERE {' AND '.join(clauses)} ORDER BY at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


def last_log_id(db: sqlite_utils.Database) -> int:
    """The id of the newest log row, 0 in an empty log: rows written later have higher ids."""
    return db.execute("SELECT coalesce(max(id), 0) FROM log").fetchone()[0]


def delete_log_before(db: sqlite_utils.Database, cutoff: str) -> int:
    """Runs inside the caller's transaction; returns how many rows went."""
    return db.execute("DELETE FROM log WHERE at < ?", [cutoff]).rowcount


def count_log_since(db: sqlite_utils.Database, kind: str, since: str) -> int:
    return db.execute("SELECT count(*) FROM log WHERE kind = ? AND at >= ?", [kind, since]).fetchone()[0]


def latest_message(db: sqlite_utils.Database, table: str, record: str) -> str | None:
    """The message of the newest log row about `record` of `table`, None when there is none."""
    row = db.execute("SELECT message FROM log WHERE tbl = ? AND record = ? ORDER BY id DESC LIMIT 1",
                     [table, record]).fetchone()
    return row[0] if row else None
