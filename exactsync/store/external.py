"""Work orders by the field app's own id (`external_id`, unique where set; migration 910), and what
an import needs to bring a known work order to the state of its entry."""

from __future__ import annotations

import sqlite_utils


def work_order_by_external_id(db: sqlite_utils.Database, external_id: str) -> dict | None:
    return next(db.query("SELECT * FROM work_orders WHERE external_id = ?", [external_id]), None)


def set_external_id(db: sqlite_utils.Database, number: str, external_id: str) -> None:
    """Runs inside the caller's transaction, with creating the work order."""
    db.execute("UPDATE work_orders SET external_id = ? WHERE number = ?", [external_id, number])


def set_import_digest(db: sqlite_utils.Database, number: str, digest: str) -> None:
    """The entry the work order now stands as. Runs inside the caller's transaction, with importing it."""
    db.execute("UPDATE work_orders SET import_digest = ? WHERE number = ?", [digest, number])


def remove_forms(db: sqlite_utils.Database, order_id: int) -> None:
    """Delete the work order's forms and their answers. Runs inside the caller's transaction, with
    filling in the forms that replace them."""
    db.execute("DELETE FROM form_answers WHERE form_id IN (SELECT id FROM forms WHERE work_order_id = ?)", [order_id])
    db.execute("DELETE FROM forms WHERE work_order_id = ?", [order_id])
