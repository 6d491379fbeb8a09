"""Work orders: their bookings, materials, forms and answers, and the queries of their life."""

from __future__ import annotations

import sqlite_utils


def work_order_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """{status: work orders}, for the statuses that have any."""
    return dict(db.execute("SELECT status, count(*) FROM work_orders GROUP BY status").fetchall())
