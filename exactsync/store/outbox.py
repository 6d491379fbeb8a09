"""The push outbox as work orders see it: one row per step of sending a work order."""

from __future__ import annotations

import sqlite_utils


def invoice_step_state(db: sqlite_utils.Database, work_order_id: int) -> str | None:
    """The state of the work order's invoice step, None before push started it."""
    step = db.execute("SELECT state FROM outbox WHERE work_order_id = ? AND step = 'invoice'",
                      [work_order_id]).fetchone()
    return step[0] if step else None


def steps_of(db: sqlite_utils.Database, work_order_id: int) -> list[dict]:
    """The work order's steps in the order push started them."""
    return list(db.query(
        "SELECT step, state, exact_id, attempts, last_error, next_attempt_at, updated_at FROM outbox "
        "WHERE work_order_id = ? ORDER BY id", [work_order_id],
    ))
