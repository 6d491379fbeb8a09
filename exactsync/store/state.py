"""The integration state: one text value per key (the `state` table)."""

from __future__ import annotations

import sqlite_utils

from exactsync.store.db import transaction


def get_state(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_state(db: sqlite_utils.Database, **values) -> None:
    with transaction(db):
        for key, value in values.items():
            if value is None:
                db.execute("DELETE FROM state WHERE key = ?", [key])
            else:
                db.execute(
                    "INSERT INTO state (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, str(value)],
                )


def raise_mutation_date(db: sqlite_utils.Database, at: str) -> None:
    """Move the highest mutation date (R16) forward to `at`, never back."""
    current = get_state(db, "highest_mutation_at")
    if current is None or at > current:
        set_state(db, highest_mutation_at=at)
