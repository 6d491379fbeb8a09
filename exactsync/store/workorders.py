"""Work orders: their bookings, materials, forms and answers, and the queries of their life."""

from __future__ import annotations

import sqlite_utils


def work_order_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """{status: work orders}, for the statuses that have any."""
    return dict(db.execute("SELECT status, count(*) FROM work_orders GROUP BY status").fetchall())


def oldest_queued(db: sqlite_utils.Database) -> dict | None:
    """The archived work order waiting longest for Exact (number, archived_at), None when none waits."""
    return next(db.query("SELECT number, archived_at FROM work_orders WHERE status = 'archived' "
                         "ORDER BY archived_at, id LIMIT 1"), None)


def count_refused_by_checks(db: sqlite_utils.Database) -> int:
    """Archived work orders push's own checks refused (an error on the invoice step, never tried, no
    retry planned): they wait for a person to fix them, as failed ones do."""
    return db.execute("SELECT count(*) FROM work_orders w JOIN outbox o ON o.work_order_id = w.id "
                      "WHERE w.status = 'archived' AND o.step = 'invoice' AND o.state = 'pending' "
                      "AND o.last_error != '' AND o.next_attempt_at IS NULL").fetchone()[0]


def work_order_by_number(db: sqlite_utils.Database, number: str) -> dict | None:
    """The work order numbered `number`, in any case."""
    return next(db.query("SELECT * FROM work_orders WHERE number = ? COLLATE NOCASE", [number]), None)


def number_taken(db: sqlite_utils.Database, number: str) -> bool:
    return db.execute("SELECT 1 FROM work_orders WHERE number = ?", [number]).fetchone() is not None


def list_work_orders(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    """The work orders by number, those of `status` if given: the columns a list shows."""
    sql = (
        "SELECT number, status, customer_code, customer_name, description, planned_employee, planned_date, "
        "planned_time, created_at, completed_at, archived_at, exact_invoice_id FROM work_orders"
    )
    params = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    return list(db.query(sql + " ORDER BY number", params))


def unsent_numbers_using_address(db: sqlite_utils.Database, key: str) -> list[str]:
    """The work orders not yet sent whose work address has this key."""
    return [r["number"] for r in db.query(
        "SELECT number FROM work_orders WHERE work_address_key = ? AND status != 'sent' ORDER BY number", [key],
    )]


# --- changing work orders (each inside the caller's transaction) ----------------------

def add_work_order(db: sqlite_utils.Database, values: dict) -> None:
    db["work_orders"].insert(values)


def update_work_order(db: sqlite_utils.Database, order_id: int, values: dict) -> None:
    db["work_orders"].update(order_id, values)


def unlink_work_address(db: sqlite_utils.Database, key: str) -> None:
    """Work orders keep the address as text (their snapshot); only the link to it goes."""
    db.execute("UPDATE work_orders SET work_address_key = NULL WHERE work_address_key = ?", [key])


def add_time_booking(db: sqlite_utils.Database, values: dict) -> int:
    return db["time_bookings"].insert(values).last_pk


def add_material(db: sqlite_utils.Database, values: dict) -> int:
    return db["materials"].insert(values).last_pk


def remove_line(db: sqlite_utils.Database, table: str, line_id: int, order_id: int) -> bool:
    """Delete the time booking or material (`table`) `line_id` of the work order; whether it was there."""
    return db.execute(f"DELETE FROM {table} WHERE id = ? AND work_order_id = ?", [line_id, order_id]).rowcount > 0


def replace_form(db: sqlite_utils.Database, order_id: int, name: str, answers: list[tuple[str, str]],
                 filled_at: str) -> int:
    """The work order's form `name` with these answers, in place of one of that name; return its id."""
    old = [r[0] for r in db.execute("SELECT id FROM forms WHERE work_order_id = ? AND name = ?", [order_id, name])]
    for form_id in old:
        db.execute("DELETE FROM form_answers WHERE form_id = ?", [form_id])
        db.execute("DELETE FROM forms WHERE id = ?", [form_id])
    form_id = db["forms"].insert({"work_order_id": order_id, "name": name, "filled_at": filled_at}).last_pk
    db["form_answers"].insert_all(
        {"form_id": form_id, "position": i, "question": q, "answer": a} for i, (q, a) in enumerate(answers)
    )
    return form_id


# --- what a work order holds ------------------------------------------------------

def booked_minutes(db: sqlite_utils.Database, order_id: int) -> dict[str, int]:
    """{kind: minutes booked} on the work order."""
    return dict(db.execute("SELECT kind, sum(minutes) FROM time_bookings WHERE work_order_id = ? GROUP BY kind",
                           [order_id]).fetchall())


def time_bookings(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query(
        "SELECT id, employee, kind, minutes, booked_at FROM time_bookings WHERE work_order_id = ? ORDER BY id",
        [order_id],
    ))


def materials(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query(
        "SELECT id, item_code AS item, item_exact_id, description, quantity, booked_at FROM materials "
        "WHERE work_order_id = ? ORDER BY id", [order_id],
    ))


def invoice_materials(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    """The work order's materials as its invoice reads them: item_code, item_exact_id, description, quantity."""
    return list(db.query("SELECT item_code, item_exact_id, description, quantity FROM materials "
                         "WHERE work_order_id = ? ORDER BY id", [order_id]))


def has_forms(db: sqlite_utils.Database, order_id: int) -> bool:
    return db.execute("SELECT 1 FROM forms WHERE work_order_id = ?", [order_id]).fetchone() is not None


def forms(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    """The work order's forms, each with its `answers` (question, answer) in order."""
    found = list(db.query("SELECT id, name, filled_at FROM forms WHERE work_order_id = ? ORDER BY id", [order_id]))
    for form in found:
        form["answers"] = list(db.query(
            "SELECT question, answer FROM form_answers WHERE form_id = ? ORDER BY position", [form["id"]]
        ))
    return found
