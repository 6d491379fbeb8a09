"""The store's named functions on their own: a new store, rows in, the exact rows out."""

from __future__ import annotations

import pytest

from exactsync.store import open_store, records, transaction, wipe, workorders
from exactsync.workorders import lifecycle
from factories import add_customer, add_item


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
