"""A store file read from outside, as another process would: read-only, so the reading changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows_of(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
