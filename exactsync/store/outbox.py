"""The push outbox: one row per step of sending a work order (the invoice; per PDF a document and
its attachment; the link), in flight and committed before each call to Exact, done with Exact's ID
after it. Push owns the order of those commits, so each write here runs inside the caller's
transaction; the reads run anywhere."""

from __future__ import annotations

import sqlite_utils

from exactsync.store.db import utcnow

# --- reading the outbox --------------------------------------------------------------

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


def done_exact_id(db: sqlite_utils.Database, work_order_id: int, step: str) -> str | None:
    """Exact's ID of what the step created, None until it is done."""
    row = db.execute("SELECT exact_id FROM outbox WHERE work_order_id = ? AND step = ? AND state = 'done'",
                     [work_order_id, step]).fetchone()
    return row[0] if row else None


def attempts_of(db: sqlite_utils.Database, work_order_id: int, step: str) -> int:
    """How often the step was tried since it was last queued (begun, not undone by mark_not_tried)."""
    return db.execute("SELECT attempts FROM outbox WHERE work_order_id = ? AND step = ?",
                      [work_order_id, step]).fetchone()[0]


def in_flight_steps(db: sqlite_utils.Database) -> list[dict]:
    """The steps a run left in flight, oldest first: each outbox row with its work order's number
    and customer_exact_id, what looking it up in Exact needs."""
    return list(db.query(
        "SELECT o.*, w.number, w.customer_exact_id FROM outbox o JOIN work_orders w ON w.id = o.work_order_id "
        "WHERE o.state = 'in_flight' ORDER BY o.id"))


def push_queue(db: sqlite_utils.Database) -> list[dict]:
    """Archived work orders not sent yet, oldest archive first; those with an error on any step
    come last, so they cannot keep good ones waiting behind the rate and error limits."""
    return list(db.query(
        "SELECT * FROM work_orders w WHERE status = 'archived' ORDER BY "
        "EXISTS (SELECT 1 FROM outbox o WHERE o.work_order_id = w.id AND o.last_error != ''), archived_at, id"))


# --- a step's life (each inside the caller's transaction) ------------------------------

def begin_step(db: sqlite_utils.Database, work_order_id: int, step: str) -> None:
    """The step is in flight, one attempt more: made if new, from any state but done. Runs inside the
    caller's transaction, committed BEFORE the call to Exact, so a crash during the call leaves the
    step to be looked up."""
    db.execute(
        "INSERT INTO outbox (work_order_id, step, state, attempts, updated_at) VALUES (?, ?, 'in_flight', 1, ?) "
        "ON CONFLICT (work_order_id, step) DO UPDATE SET state = 'in_flight', attempts = attempts + 1, "
        "last_status = NULL, updated_at = excluded.updated_at", [work_order_id, step, utcnow()])


def stamp_step(db: sqlite_utils.Database, work_order_id: int, step: str, at: str) -> None:
    """A try of the step goes out at `at`: from then on Exact may be storing it. Runs inside the
    caller's transaction."""
    db.execute("UPDATE outbox SET updated_at = ? WHERE work_order_id = ? AND step = ?", [at, work_order_id, step])


def mark_uncertain(db: sqlite_utils.Database, work_order_id: int, step: str, error: str, status: int | None) -> None:
    """The step stays in flight: no answer (`status` None) or a 5xx, so Exact may have stored it. Runs inside the
    caller's transaction, with its log row."""
    db.execute("UPDATE outbox SET last_error = ?, last_status = ?, updated_at = ? WHERE work_order_id = ? AND step = ?",
               [error, status, utcnow(), work_order_id, step])


def mark_done(db: sqlite_utils.Database, work_order_id: int, step: str, exact_id: str) -> None:
    """Exact holds what the step created, as `exact_id`; its errors are cleared. Runs inside the caller's
    transaction, committed only AFTER the call to Exact returned."""
    db.execute("UPDATE outbox SET state = 'done', exact_id = ?, last_error = '', last_status = NULL, "
               "next_attempt_at = NULL, updated_at = ? WHERE work_order_id = ? AND step = ?",
               [exact_id, utcnow(), work_order_id, step])


def mark_not_tried(db: sqlite_utils.Database, work_order_id: int, step: str) -> None:
    """Nothing of the step reached Exact: pending again, and its last attempt does not count. Runs inside
    the caller's transaction."""
    db.execute("UPDATE outbox SET state = 'pending', attempts = max(attempts - 1, 0), updated_at = ? "
               "WHERE work_order_id = ? AND step = ?", [utcnow(), work_order_id, step])


def mark_refused(db: sqlite_utils.Database, work_order_id: int, step: str, error: str, next_attempt_at: str) -> None:
    """Exact refused the step: pending, not tried again before `next_attempt_at`. Runs inside the
    caller's transaction, with its log row."""
    db.execute("UPDATE outbox SET state = 'pending', last_error = ?, last_status = NULL, next_attempt_at = ?, "
               "updated_at = ? WHERE work_order_id = ? AND step = ?",
               [error, next_attempt_at, utcnow(), work_order_id, step])


def mark_failed(db: sqlite_utils.Database, work_order_id: int, step: str, error: str) -> None:
    """Exact refused the step too often: not tried again until the work order is retried. Runs
    inside the caller's transaction, with the work order's status."""
    db.execute("UPDATE outbox SET state = 'failed', last_error = ?, last_status = NULL, next_attempt_at = NULL, "
               "updated_at = ? WHERE work_order_id = ? AND step = ?", [error, utcnow(), work_order_id, step])


def set_last_error(db: sqlite_utils.Database, work_order_id: int, step: str, error: str) -> None:
    """The step's last error without a try (push's own checks refused the work order): a new step
    is pending; an existing one keeps its state. Runs inside the caller's transaction, with its
    log row."""
    db.execute("INSERT INTO outbox (work_order_id, step, last_error, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (work_order_id, step) DO UPDATE SET last_error = excluded.last_error, "
               "updated_at = excluded.updated_at", [work_order_id, step, error, utcnow()])


def reset_failed_steps(db: sqlite_utils.Database, work_order_id: int) -> None:
    """The work order's failed steps are pending again, with a fresh count of attempts. Runs inside the
    caller's transaction, with the work order's status."""
    db.execute("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = NULL, updated_at = ? "
               "WHERE work_order_id = ? AND state = 'failed'", [utcnow(), work_order_id])


# --- drafts deleted in Exact (issue 21.4) ------------------------------------------------

def mark_deleted_in_exact(db: sqlite_utils.Database, exact_id: str, at: str) -> None:
    """Exact reported what a step created (`exact_id`) deleted at `at` (sync/Deleted). Runs inside the
    caller's transaction, with the page that reported it."""
    db.execute("UPDATE outbox SET exact_deleted_at = ? WHERE exact_id = ? AND exact_deleted_at IS NULL",
               [at, exact_id])


def requeue_deleted_draft(db: sqlite_utils.Database, work_order_id: int) -> list[str]:
    """Forget the work order's draft, which the office deleted in Exact, so that push makes a new one:
    its invoice step (and the invoice link of before issue 21) go, and so does every document step
    whose document Exact deleted, with that document's attachment steps, and any attachment step
    Exact deleted; documents still in Exact stay done, to be reused. Returns the steps removed. Runs
    inside the caller's transaction, with the work order's status."""
    steps = {r[0]: r[1] for r in db.execute("SELECT step, exact_deleted_at FROM outbox WHERE work_order_id = ?",
                                             [work_order_id])}
    gone = {"invoice", "invoice link"} | {step for step, deleted in steps.items() if deleted}
    for document in [step for step in gone if step == "document" or step.startswith("document:")]:
        kind = document.partition(":")[2]
        gone |= {step for step in steps if step.startswith("attachment:") and (not kind or step.endswith(":" + kind))}
    removed = sorted(gone & set(steps))
    db.execute(f"DELETE FROM outbox WHERE work_order_id = ? AND step IN ({', '.join('?' * len(removed))})",
               [work_order_id, *removed])
    return removed
