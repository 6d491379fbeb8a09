"""Giving the store's free pages back to the disk, so a store that prunes its log does not keep growing.

SQLite reuses the pages that deleted rows free, but never shrinks the file by itself: a burst of log rows
(a week of errors, say) would keep the file at that size for good. A store in auto_vacuum INCREMENTAL mode
gives free pages back on request (`PRAGMA incremental_vacuum`); a new store is built in that mode, and an
older one is rewritten into it once by a VACUUM, the first time it has something worth giving back.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL (0 is NONE, 1 FULL)
# Less than this free is left for new rows to reuse: not worth a write.
WORTH_GIVING_BACK_BYTES = 1 << 20
# What leaves the space for a later run: a disk too full for VACUUM's copy, another connection's lock.
LATER = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def build_incremental(conn: sqlite3.Connection) -> None:
    """Make a new, still empty store incremental: only before its first table is this a setting
    and not a VACUUM."""
    conn.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")


def free_bytes(db: sqlite_utils.Database) -> int:
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    return db.execute("PRAGMA freelist_count").fetchone()[0] * page_size


def is_incremental(db: sqlite_utils.Database) -> bool:
    return db.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL


def give_back_free_pages(db: sqlite_utils.Database) -> int:
    """Outside a transaction. Shrink the file by its free pages once they are worth it, rewriting an
    older store into incremental mode the first time; return the bytes given back. A full disk or a
    store another connection holds leaves it for a later run: a run must never fail over this."""
    free = free_bytes(db)
    if free < WORTH_GIVING_BACK_BYTES or db.conn.in_transaction:  # a VACUUM cannot run inside one
        return 0
    try:
        if is_incremental(db):
            # It frees one page per step, and a cursor takes one step for a statement without columns:
            # executescript steps it to the end.
            db.conn.executescript("PRAGMA incremental_vacuum;")
        else:
            db.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")
            db.execute("VACUUM")  # the one rewrite that switches an older store over
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in LATER:
            raise
        return 0
    return free - free_bytes(db)
