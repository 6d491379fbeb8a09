"""The log table: one row per event (R16)."""

from __future__ import annotations

import sqlite_utils


def add_log_row(db: sqlite_utils.Database, at: str, kind: str, table: str, record: str, message: str,
                action: str) -> None:
    """Runs inside the caller's transaction."""
    db.execute(
        "INSERT INTO log (at, kind, tbl, record, message, action) VALUES (?, ?, ?, ?, ?, ?)",
        [at, kind, table, record, message, action],
    )


def log_rows(db: sqlite_utils.Database, kinds: tuple[str, ...], table: str | None, since: str | None,
             limit: int | None) -> list[dict]:
    """Log rows newest first, as dicts with the keys at, kind, table, record, message, action."""
    clauses = [f"kind IN ({', '.join('?' * len(kinds))})"]
    params: list = list(kinds)
    if table:
        clauses.append("tbl = ?")
        params.append(table)
    if since:
        clauses.append("at >= ?")
        params.append(since)
    sql = (
        "SELECT at, kind, tbl AS \"table\", record, message, action FROM log "
        f"WHERE {' AND '.join(clauses)} ORDER BY at DESC, id DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


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
