"""The store's named functions on their own: a new store, rows in, the exact rows out."""

from __future__ import annotations

import pytest

from exactsync.store import open_store, outbox, records, transaction, wipe, workorders
from exactsync.workorders import lifecycle
from tests.helpers.factories import add_customer, add_item


@pytest.fixture
def db(tmp_path):
    db = open_store(tmp_path / "s.db")
    yield db
    db.close()


def test_customer_search_takes_like_wildcards_as_text(db):
    add_customer(db, "10", "100% Schoon")
    add_customer(db, "11", "1000 Schoon")
    add_customer(db, "12", "Oud_Bouw", active=False)
    assert [r["code"] for r in records.list_customers(db, "100%", False)] == ["10"]
    assert [r["code"] for r in records.list_customers(db, "_", False)] == []
    assert [r["code"] for r in records.list_customers(db, "_", True)] == ["12"]


def test_items_of_a_group_by_code_or_description(db):
    add_item(db, "A1")
    with transaction(db):
        db.execute("UPDATE items SET item_group_code = 'DIENST', item_group_description = 'Diensten' WHERE code = 'A1'")
    add_item(db, "B2")
    assert [r["code"] for r in records.list_items(db, None, "Diensten", False)] == ["A1"]
    assert [r["code"] for r in records.list_items(db, None, "DIENST", False)] == ["A1"]
    assert [r["code"] for r in records.list_items(db, None, None, False)] == ["A1", "B2"]


def test_a_work_order_by_number_in_any_case_and_its_form_replaced(db):
    add_customer(db, "10")
    number = lifecycle.create(db, prefix="wo", customer_code="10", description="Lekkage")
    order = workorders.work_order_by_number(db, number.upper())
    assert order["number"] == number
    assert workorders.work_order_by_number(db, "WO99999") is None
    with transaction(db):
        workorders.replace_form(db, order["id"], "Keuring", [("Meterstand", "1"), ("Lek", "ja")],
                                "2026-01-01T00:00:00Z")
        workorders.replace_form(db, order["id"], "Keuring", [("Meterstand", "2")], "2026-01-02T00:00:00Z")
    [form] = workorders.forms(db, order["id"])
    assert (form["name"], form["filled_at"], form["answers"]) == (
        "Keuring", "2026-01-02T00:00:00Z", [{"question": "Meterstand", "answer": "2"}])
    assert db.execute("SELECT count(*) FROM form_answers").fetchone()[0] == 1


def test_a_line_of_another_work_order_is_not_removed(db):
    add_customer(db, "10")
    first, second = (lifecycle.create(db, prefix="wo", customer_code="10", description=d) for d in ("a", "b"))
    [booking] = lifecycle.book_time(db, first, employee="Piet", minutes_by_kind={"work": 30})
    other = workorders.work_order_by_number(db, second)["id"]
    mine = workorders.work_order_by_number(db, first)["id"]
    with transaction(db):
        assert workorders.remove_line(db, "time_bookings", booking, other) is False
        assert workorders.booked_minutes(db, mine) == {"work": 30}
        assert workorders.remove_line(db, "time_bookings", booking, mine) is True
    assert workorders.time_bookings(db, mine) == []


def test_a_wipe_keeps_the_work_address_of_an_unsent_work_order_and_its_customer(db):
    add_customer(db, "10")
    add_customer(db, "11")
    number = lifecycle.create(db, prefix="wo", customer_code="10", description="Lekkage")
    with transaction(db):
        assert wipe.delete_rows(db, "work_addresses") == (1, 1)
        assert wipe.delete_rows(db, "customers") == (1, 1)
    assert [r["code"] for r in records.list_customers(db, None, True)] == ["10"]
    assert wipe.numbers_using_kept_addresses(db) == [number]


# --- the push outbox ------------------------------------------------------------------

def work_orders(db, count: int) -> list[int]:
    add_customer(db, "10")
    numbers = [lifecycle.create(db, prefix="wo", customer_code="10", description=str(i)) for i in range(count)]
    return [workorders.work_order_by_number(db, n)["id"] for n in numbers]


def test_a_step_begun_twice_counts_two_attempts_and_not_tried_undoes_one(db):
    [order] = work_orders(db, 1)
    with transaction(db):
        outbox.begin_step(db, order, "invoice")
    with transaction(db):
        outbox.mark_uncertain(db, order, "invoice", "503 Service Unavailable", 503)
        outbox.begin_step(db, order, "invoice")
    [flying] = outbox.in_flight_steps(db)
    assert (flying["step"], flying["attempts"], flying["last_status"]) == ("invoice", 2, None)
    assert flying["number"] == workorders.list_work_orders(db)[0]["number"]
    assert outbox.invoice_step_state(db, order) == "in_flight"
    with transaction(db):
        outbox.mark_not_tried(db, order, "invoice")
    assert outbox.in_flight_steps(db) == []
    assert (outbox.invoice_step_state(db, order), outbox.attempts_of(db, order, "invoice")) == ("pending", 1)


def test_only_a_done_step_has_an_exact_id_and_done_clears_its_error(db):
    [order] = work_orders(db, 1)
    with transaction(db):
        outbox.begin_step(db, order, "document:workorder")
        outbox.mark_refused(db, order, "document:workorder", "400 Bad Request", "2026-01-01T00:15:00Z")
    assert outbox.done_exact_id(db, order, "document:workorder") is None
    with transaction(db):
        outbox.begin_step(db, order, "document:workorder")
        outbox.mark_done(db, order, "document:workorder", "doc-1")
    [step] = outbox.steps_of(db, order)
    assert (step["state"], step["exact_id"], step["last_error"], step["next_attempt_at"]) == ("done", "doc-1", "", None)
    assert outbox.done_exact_id(db, order, "document:workorder") == "doc-1"
    assert outbox.done_exact_id(db, order, "invoice") is None


def test_the_queue_holds_archived_work_orders_by_archive_time_those_that_went_wrong_last(db):
    first, second, third, completed = work_orders(db, 4)
    with transaction(db):
        for order, at in ((first, "03"), (second, "01"), (third, "02")):
            workorders.update_work_order(db, order, {"status": "archived", "archived_at": f"2026-01-01T00:00:{at}Z"})
        workorders.update_work_order(db, completed, {"status": "completed"})
        outbox.set_last_error(db, third, "invoice", "work order has no customer")
    assert [o["id"] for o in outbox.push_queue(db)] == [second, first, third]
    assert outbox.invoice_step_state(db, third) == "pending"  # push's own refusal is no try


def test_a_retried_work_order_has_its_failed_steps_pending_with_no_attempts(db):
    [order] = work_orders(db, 1)
    with transaction(db):
        outbox.begin_step(db, order, "invoice")
        outbox.mark_done(db, order, "invoice", "inv-1")
        for _ in range(2):
            outbox.begin_step(db, order, "document:workorder")
        outbox.mark_failed(db, order, "document:workorder", "400 Bad Request")
    with transaction(db):
        outbox.reset_failed_steps(db, order)
    assert [(s["step"], s["state"], s["attempts"]) for s in outbox.steps_of(db, order)] == [
        ("invoice", "done", 1), ("document:workorder", "pending", 0)]
