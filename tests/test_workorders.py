"""Work orders through the CLI: the whole lifecycle, and every refusal with its exact message."""

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exactsync import config as config_mod
from exactsync.store import get_state
from exactsync.workorders.lifecycle import MAX_ORDER_MINUTES
from exactsync.workorders.lookup import MAX_QUANTITY, WorkOrderError, parse_quantity, quantity_text
from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer, add_item


@pytest.fixture
def shop(db):
    """Customer 25 with its work address from Exact, and two items, as pull leaves them."""
    return {
        "customer": add_customer(db, "25", "Bakkerij Jansen"),
        "other": add_customer(db, "26", "Slagerij Pietersen"),
        "item": add_item(db, "M100", "Kraan messing"),
    }


def create(run, *extra) -> str:
    return ok(run("workorder", "create", "--customer", "25", "--description", "Lekkage verhelpen", *extra))


def show(run, number: str) -> dict:
    return json.loads(ok(run("workorder", "show", number, "--json")))


def test_whole_lifecycle(run, db, shop):
    number = create(run, "--reference", "PO-881")
    assert number == "WO00001"
    ok(run("workorder", "plan", number, "--employee", "Jan", "--date", "2026-12-01", "--time", "08:30"))
    work_id, travel_id = ok(run("workorder", "book-time", number, "--employee", "Jan", "--work", "90",
                                "--travel", "15")).split()
    ok(run("workorder", "book-time", number, "--employee", "Piet", "--work", "30"))
    material_id = ok(run("workorder", "add-material", number, "M100", "1,5"))
    ok(run("workorder", "form", number, "Veiligheid", "--answer", "Gas afgesloten?=Ja", "--answer", "Stand=a=b"))
    ok(run("workorder", "complete", number))
    # Corrections after completion, before archive.
    ok(run("workorder", "remove-time", number, travel_id))
    ok(run("workorder", "remove-material", number, material_id))
    ok(run("workorder", "add-material", number, "M100", "2", "--description", "Kraan 1/2 inch"))
    ok(run("workorder", "archive", number))

    order = show(run, number)
    assert order["status"] == "archived" and order["archived_at"] and order["completed_at"]
    assert order["customer"]["code"] == "25" and order["customer"]["name"] == "Bakkerij Jansen"
    assert order["customer"]["exact_id"] == shop["customer"]["exact_id"]
    assert order["work_address"] == {"id": shop["customer"]["work_address_id"],
                                     "lines": ["Dorpsstraat 1", "1234 AB Utrecht", "NL"]}
    assert order["customer_reference"] == "PO-881"
    assert order["planned"] == {"employee": "Jan", "date": "2026-12-01", "time": "08:30"}
    assert [(h["id"], h["employee"], h["kind"], h["minutes"]) for h in order["hours"]] == [
        (int(work_id), "Jan", "work", 90), (3, "Piet", "work", 30)]
    assert order["totals"] == {"work_minutes": 120, "travel_minutes": 0}
    assert [(m["item"], m["description"], m["quantity"], m["item_exact_id"]) for m in order["materials"]] == [
        ("M100", "Kraan 1/2 inch", "2", shop["item"]["exact_id"])]
    assert [(f["name"], f["answers"]) for f in order["forms"]] == [
        ("Veiligheid", [{"question": "Gas afgesloten?", "answer": "Ja"}, {"question": "Stand", "answer": "a=b"}])]
    assert order["exact_invoice_id"] is None and order["push"] == []

    log_rows = [json.loads(line) for line in ok(run("log", "--table", "workorder", "--json")).splitlines()]
    assert [r["message"] for r in log_rows] == ["work order WO00001 archived: queued for Exact as a draft invoice"]
    assert json.loads(ok(run("status", "--json")))["workorders_queued"] == 1


def test_show_includes_push_state_once_sent(run, db, shop):
    number = create(run)
    db.execute("UPDATE work_orders SET status = 'sent', exact_invoice_id = 'inv-guid' WHERE number = ?", [number])
    db.execute("INSERT INTO outbox (work_order_id, step, state, exact_id, attempts, updated_at) "
               "VALUES (1, 'invoice', 'done', 'inv-guid', 1, '2026-11-28T10:00:00Z')")
    order = show(run, number)
    assert order["exact_invoice_id"] == "inv-guid"
    assert order["push"] == [{"step": "invoice", "state": "done", "exact_id": "inv-guid", "attempts": 1,
                              "last_error": "", "next_attempt_at": None, "updated_at": "2026-11-28T10:00:00Z"}]
    human = ok(run("workorder", "show", number))
    assert "push to Exact" in human and "inv-guid" in human


def test_numbers_are_sequential_with_the_prefix_and_never_reused(run, db, config_path, shop):
    assert [create(run), create(run)] == ["WO00001", "WO00002"]
    db.execute("DELETE FROM work_orders")  # as a wipe would
    assert create(run) == "WO00003"
    config_mod.update(config_mod.load(config_path), "workorders", "number_prefix", "WB-")
    assert create(run) == "WB-00004"
    assert get_state(db, "workorder_last_number") == "4"


def test_customer_codes_as_typed(run, db, shop):
    add_customer(db, "0040", "Nullen BV")
    assert create(run) == "WO00001"
    for typed in (" 25 ", "40", "0040"):
        ok(run("workorder", "create", "--customer", typed, "--description", "x"))
    assert [r["customer_code"] for r in json.loads(ok(run("workorder", "list", "--json")))] == [
        "25", "25", "0040", "0040"]


def test_ambiguous_leading_zeros_are_refused(run, db, shop):
    add_customer(db, "007")
    add_customer(db, "0007")
    refused(run("workorder", "create", "--customer", "7", "--description", "x"),
            "customer code 7 matches 007, 0007: type the code exactly as it is in Exact")


def test_list_filters_by_status(run, shop):
    first, second = create(run), create(run)
    ok(run("workorder", "complete", second))
    assert [r["number"] for r in json.loads(ok(run("workorder", "list", "--status", "completed", "--json")))] == [second]
    assert [r["number"] for r in json.loads(ok(run("workorder", "list", "--status", "open", "--json")))] == [first]
    table = ok(run("workorder", "list"))
    assert first in table and "Bakkerij Jansen" in table and "2 work orders" in table
    assert re.search(r"\b1 work order\b(?!s)", ok(run("workorder", "list", "--status", "open")))


def _unchanged(db):
    return [list(db.query(f"SELECT * FROM {t}")) for t in ("work_orders", "time_bookings", "materials", "forms")]


@pytest.mark.parametrize("args, message", [
    (["create", "--customer", "99", "--description", "x"],
     "customer 99 does not exist: check the code in Exact; a customer added there arrives with the next exactsync pull"),
    (["create", "--customer", "30", "--description", "x"],
     "customer 30 (Klant 30) is inactive in Exact: make customer 30 active in Exact again, or choose another "
     "customer"),
    (["create", "--customer", "31", "--description", "x"],
     "customer 31 (Klant 31) was created locally, not in Exact: only customers from Exact can be invoiced; "
     "add the customer in Exact and run exactsync pull"),
    (["create", "--customer", "32", "--description", "x"],
     "customer 32 (Klant 32) has no work address: add one with exactsync workaddress add 32 "
     "--street ... --postcode ... --city ..."),
    (["create", "--customer", "25", "--work-address", "2", "--description", "x"],
     "work address 2 belongs to another customer, not to customer 25 (Bakkerij Jansen): "
     "choose one from exactsync workaddress list 25, or add one there"),
    (["create", "--customer", "25", "--work-address", "77", "--description", "x"],
     "work address 77 does not exist: see exactsync workaddress list CUSTOMER_CODE"),
    (["create", "--customer", "25", "--description", "  "], "the description must not be empty"),
    (["plan", "WO00099", "--employee", "Jan", "--date", "2026-12-01"],
     "work order WO00099 does not exist: see exactsync workorder list"),
    (["plan", "WO00001", "--employee", "Jan", "--date", "31-11-2026"],
     "date must be a date as YYYY-MM-DD, e.g. 2026-12-01, got '31-11-2026'"),
    (["plan", "WO00001", "--employee", "Jan", "--date", "2026-02-30"],
     "date must be a date as YYYY-MM-DD, e.g. 2026-12-01, got '2026-02-30'"),
    (["plan", "WO00001", "--employee", "Jan", "--date", "2026-12-01", "--time", "25:00"],
     "time must be HH:MM on a 24-hour clock, e.g. 08:30, got '25:00'"),
    (["plan", "WO00001", "--employee", "", "--date", "2026-12-01"], "the employee must not be empty"),
    (["book-time", "WO00001", "--employee", "Jan"], "nothing to book: give --work MINUTES, --travel MINUTES or both"),
    (["add-material", "WO00001", "X9", "1"],
     "item 'X9' is not an item from Exact: choose an item pulled from Exact (one added there arrives with the "
     "next exactsync pull)"),
    (["add-material", "WO00001", "LOCAL", "1"],
     "item 'LOCAL' is not an item from Exact: choose an item pulled from Exact (one added there arrives with the "
     "next exactsync pull)"),
    (["add-material", "WO00001", "OLD", "1"],
     "item 'OLD' is inactive in Exact: make item OLD active in Exact again, or choose another item"),
    (["add-material", "WO00001", "M100", "0"], "quantity must be a number above 0 such as 1.5, got '0'"),
    (["add-material", "WO00001", "M100", "abc"], "quantity must be a number above 0 such as 1.5, got 'abc'"),
    (["add-material", "WO00001", "M100", "inf"], "quantity must be a number above 0 such as 1.5, got 'inf'"),
    (["remove-time", "WO00001", "5"],
     "time booking 5 is not on work order WO00001: see the ids in exactsync workorder show WO00001"),
    (["remove-material", "WO00001", "5"],
     "material 5 is not on work order WO00001: see the ids in exactsync workorder show WO00001"),
    (["archive", "WO00001"],
     "work order WO00001 is open, not completed: complete it first with exactsync workorder complete WO00001, "
     "then archive it"),
    (["show", "WO00099"], "work order WO00099 does not exist: see exactsync workorder list"),
    (["pdf", "WO00099", "--out", "x.pdf"], "work order WO00099 does not exist: see exactsync workorder list"),
])
def test_refusals_change_nothing(run, db, shop, args, message):
    add_customer(db, "30", active=False)
    add_customer(db, "31", from_exact=False)
    add_customer(db, "32", with_work_address=False)
    add_item(db, "LOCAL", from_exact=False)
    add_item(db, "OLD", active=False)
    create(run)
    before = _unchanged(db)
    refused(run("workorder", *args), message)
    assert _unchanged(db) == before


def test_usage_errors_exit_2(run, shop):
    create(run)
    assert run("workorder", "book-time", "WO00001", "--employee", "Jan", "--work", "0").exit_code == 2
    result = run("workorder", "form", "WO00001", "Check", "--answer", "no equals sign")
    assert result.exit_code == 2
    assert "answer 'no equals sign' is not question=answer" in result.output


def test_complete_twice_and_plan_after_complete_are_refused(run, shop):
    number = create(run)
    ok(run("workorder", "complete", number))
    refused(run("workorder", "complete", number),
            "work order WO00001 is already completed: archive it with exactsync workorder archive WO00001")
    refused(run("workorder", "plan", number, "--employee", "Jan", "--date", "2026-12-01"),
            "work order WO00001 is already completed: there is nothing left to plan")


@pytest.mark.parametrize("status", ["archived", "sent", "failed"])
def test_read_only_once_archived(run, db, shop, status):
    number = create(run)
    ok(run("workorder", "book-time", number, "--employee", "Jan", "--work", "60"))
    ok(run("workorder", "complete", number))
    ok(run("workorder", "archive", number))
    db.execute("UPDATE work_orders SET status = ?", [status])
    before = _unchanged(db)
    message = (f"work order WO00001 is {status} and can no longer be changed: corrections are possible until it "
               "is archived; correct the draft invoice in Exact instead")
    for args in (["plan", number, "--employee", "Jan", "--date", "2026-12-01"],
                 ["book-time", number, "--employee", "Jan", "--work", "5"],
                 ["remove-time", number, "1"],
                 ["add-material", number, "M100", "1"],
                 ["remove-material", number, "1"],
                 ["form", number, "Check", "--answer", "a=b"],
                 ["complete", number],
                 ["archive", number]):
        refused(run("workorder", *args), message)
    assert _unchanged(db) == before


def test_filling_a_form_again_replaces_its_answers(run, db, shop):
    number = create(run)
    ok(run("workorder", "form", number, "Check", "--answer", "a=1", "--answer", "b=2"))
    ok(run("workorder", "form", number, "Check", "--answer", "a=3"))
    ok(run("workorder", "form", number, "Other", "--answer", "c=4"))
    assert [(f["name"], [a["answer"] for a in f["answers"]]) for f in show(run, number)["forms"]] == [
        ("Check", ["3"]), ("Other", ["4"])]
    assert db.execute("SELECT count(*) FROM form_answers").fetchone()[0] == 2


def test_archive_keeps_a_snapshot_when_the_customer_is_cleaned_up(run, db, shop):
    number = create(run)
    db.execute("UPDATE customers SET name = 'Bakkerij Jansen & Zn' WHERE code = '25'")
    ok(run("workorder", "complete", number))
    ok(run("workorder", "archive", number))
    db.execute("DELETE FROM customers WHERE code = '25'")  # cleanup; its work addresses go with it
    order = show(run, number)
    assert order["customer"]["name"] == "Bakkerij Jansen & Zn"
    assert order["work_address"]["lines"] == ["Dorpsstraat 1", "1234 AB Utrecht", "NL"]


@pytest.mark.parametrize("typed, stored", [("1.5", "1.5"), ("1,50", "1.5"), ("10", "10"), ("0.125", "0.125"),
                                           ("2.000", "2"), ("1E2", "100"), ("100000", "100000"), ("0.0001", "0.0001"),
                                           ("99999.9999", "99999.9999"), ("1E5", "100000")])
def test_quantities_are_decimals(typed, stored):
    assert quantity_text(parse_quantity(typed)) == stored


@pytest.mark.parametrize("bad", ["", "-1", "0", "nan", "1,5.2", "twee", True])
def test_bad_quantities(bad):
    with pytest.raises(WorkOrderError):
        parse_quantity(bad)


def test_archive_ignores_a_new_customer_that_got_the_old_id(run, db, shop):
    number = create(run)
    ok(run("workorder", "complete", number))
    # A wipe of customers, then pull: SQLite hands the freed id to another customer.
    db.execute("DELETE FROM customers")
    add_customer(db, "77", "Iemand Anders")
    assert db.execute("SELECT id FROM customers").fetchone()[0] == shop["customer"]["id"]
    ok(run("workorder", "archive", number))
    order = show(run, number)
    assert (order["customer"]["code"], order["customer"]["name"]) == ("25", "Bakkerij Jansen")
    assert order["work_address"]["lines"] == ["Dorpsstraat 1", "1234 AB Utrecht", "NL"]


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(MAX_QUANTITY), places=4))
def test_a_stored_quantity_reads_back_as_the_same_number(quantity):
    stored = quantity_text(parse_quantity(str(quantity)))
    assert Decimal(stored) == quantity and "E" not in stored and stored == quantity_text(parse_quantity(stored))


def test_set_customer_moves_an_unsent_work_order_and_refuses_a_foreign_address(run, db, shop):
    number = create(run)
    other_address = shop["other"]["work_address_id"]
    refused(run("workorder", "set-customer", number, "--customer", "25", "--work-address", str(other_address)),
            f"work address {other_address} belongs to another customer, not to customer 25 (Bakkerij Jansen): "
            "choose one from exactsync workaddress list 25, or add one there")
    ok(run("workorder", "set-customer", number, "--customer", "26"))
    order = show(run, number)
    assert order["customer"]["code"] == "26" and order["work_address"]["id"] == other_address


# --- bounds at entry (README, workorder) -----------------------------------------------------------

@pytest.mark.parametrize("minutes", ["1441", "9223372036854775807", "9223372036854775808", "1" * 5000, "0"])
def test_a_booking_beyond_24_hours_is_a_usage_error_and_books_nothing(run, db, shop, minutes):
    number = create(run)
    before = _unchanged(db)
    result = run("workorder", "book-time", number, "--employee", "Jan", "--travel", "60", "--work", minutes)
    assert result.exit_code == 2, result.output
    assert "--work" in result.output and "Traceback" not in result.output
    assert _unchanged(db) == before


def test_a_booking_of_24_hours_is_taken(run, shop):
    number = create(run)
    ok(run("workorder", "book-time", number, "--employee", "Jan", "--work", "1440"))
    assert show(run, number)["totals"]["work_minutes"] == 1440


def test_booked_time_beyond_1000_hours_on_one_work_order_is_refused(run, db, shop):
    number = create(run)
    order_id = db.execute("SELECT id FROM work_orders").fetchone()[0]
    db["time_bookings"].insert_all({"work_order_id": order_id, "employee": "Jan", "kind": "work", "minutes": 1000,
                                    "booked_at": "2026-01-01T00:00:00Z"} for _ in range(MAX_ORDER_MINUTES // 1000))
    ok(run("workorder", "book-time", number, "--employee", "Jan", "--travel", "60"))  # another kind has its own total
    before = _unchanged(db)
    refused(run("workorder", "book-time", number, "--employee", "Jan", "--work", "1", "--travel", "1"),
            "work time on the work order would add up to 60001 minutes, more than the 60000 (1000 hours) one work "
            "order may hold: check the bookings; split a job that large over several work orders")
    assert _unchanged(db) == before


@pytest.mark.parametrize("quantity", ["100000.0001", "100001", "1000000000000", "1.00001", "0.00001",
                                      "9" * 5000, "1e999999999"])
def test_a_quantity_beyond_100000_or_with_more_than_4_decimals_is_refused(run, db, shop, quantity):
    number = create(run)
    before = _unchanged(db)
    result = run("workorder", "add-material", number, "M100", quantity)
    shown = repr(quantity) if len(quantity) <= 40 else repr(quantity)[:37] + "..."
    refused(result, f"quantity must be at most 100,000 with at most 4 decimals (what Exact keeps), got {shown}")
    assert _unchanged(db) == before


@pytest.mark.parametrize("args, message", [
    (["remove-time", "WO00001", str(10**30)], f"time booking {10**30} is not on work order WO00001: see the ids in "
                                              "exactsync workorder show WO00001"),
    (["remove-material", "WO00001", str(2**63)], f"material {2**63} is not on work order WO00001: see the ids in "
                                                 "exactsync workorder show WO00001"),
    (["create", "--customer", "25", "--description", "d", "--work-address", str(10**30)],
     f"work address {10**30} does not exist: see exactsync workaddress list CUSTOMER_CODE"),
])
def test_ids_beyond_what_sqlite_holds_are_not_found(run, db, shop, args, message):
    create(run)
    before = _unchanged(db)
    refused(run("workorder", *args), message)
    assert _unchanged(db) == before


def _archived(run, db) -> dict:
    number = create(run)
    ok(run("workorder", "book-time", number, "--employee", "Jan", "--work", "60"))
    ok(run("workorder", "complete", number))
    ok(run("workorder", "archive", number))
    return db.execute("SELECT id, number FROM work_orders WHERE number = ?", [number]).fetchone()


def test_set_customer_after_the_document_went_makes_a_new_one_and_names_the_one_left(run, db, shop):
    from exactsync.store import outbox, transaction
    from exactsync.workorders import lifecycle

    order_id, number = _archived(run, db)
    with transaction(db):  # Exact took the document and its PDF, then refused the invoice
        for step, exact_id in (("document", "d0c-1"), ("attachment:workorder", "a77-1")):
            outbox.begin_step(db, order_id, step)
            outbox.mark_done(db, order_id, step, exact_id)
    lifecycle.set_customer(db, number, customer_code="26", run_locked=True)
    assert outbox.steps_of(db, order_id) == []  # push makes the document again, on the new customer's card
    row = db.execute("SELECT kind, message, action FROM log WHERE message LIKE '%d0c-1%'").fetchone()
    assert row == ("warning", f"work order {number}: its document d0c-1 stays on the customer's card of Bakkerij "
                   "Jansen in Exact; push makes a new one for the new customer",
                   "delete that document in Exact if Bakkerij Jansen should not keep it")


def test_set_customer_waits_while_a_call_to_exact_has_no_answer(run, db, shop):
    from exactsync.store import outbox, transaction
    from exactsync.workorders import lifecycle

    order_id, number = _archived(run, db)
    with transaction(db):
        outbox.begin_step(db, order_id, "document")
    with pytest.raises(WorkOrderError, match="is being sent: a call to Exact has no answer yet"):
        lifecycle.set_customer(db, number, customer_code="26", run_locked=True)
    assert db.execute("SELECT customer_name FROM work_orders WHERE id = ?", [order_id]).fetchone()[0] == \
        "Bakkerij Jansen"
