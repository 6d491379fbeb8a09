"""What became of a work order in Exact, as the field app reads it (`exactsync export`,
`workorder show --json`): queued, refused (push will try again once the cause is fixed), sent
(with Exact's numbers where push and pull record them), deleted (the office deleted the draft in
Exact: `workorder resend` sends it again, if it must be invoiced after all) or failed, and for a
refused, deleted or failed one the log's newest message about it with the action to take."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.store import outbox

# A work order's status before archiving: nothing of it is for Exact yet.
NOT_FOR_EXACT_YET = ("open", "planned", "completed")


def exact_state(db: sqlite_utils.Database, order: dict) -> dict:
    """`order` is a work order's row (its id, number, status and exact_ columns)."""
    state = _state(db, order)
    result = {
        "state": state,
        "invoice_id": order["exact_invoice_id"],
        "order_number": order["exact_order_number"],
        "invoice_number": order["exact_invoice_number"],
        "processed_at": order["exact_processed_at"],
        "deleted_at": order["exact_deleted_at"],
        "message": None,
        "action": None,
    }
    if state in ("refused", "deleted", "failed"):
        problem = log.latest_problem(db, "workorder", order["number"])
        if problem:
            result.update(message=problem["message"], action=problem["action"])
    return result


def _state(db: sqlite_utils.Database, order: dict) -> str | None:
    status = order["status"]
    if status in NOT_FOR_EXACT_YET:
        return None
    if status == "sent" and order["exact_deleted_at"]:
        return "deleted"
    if status != "archived":
        return status  # sent or failed
    # A step waiting with an error was refused, by push's own checks or by Exact; a step in flight
    # with one got no answer, and push looks it up: that work order is still on its way.
    steps = outbox.steps_of(db, order["id"])
    return "refused" if any(s["state"] == "pending" and s["last_error"] for s in steps) else "queued"
