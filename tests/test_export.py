"""`exactsync export`: changes out with a cursor, removals with their reason, a wipe that starts over,
and an export with nothing changed that reads nothing it does not print."""

import json

import pytest

from exactsync import log
from exactsync.fieldapp import feed
from exactsync.store import outbox, transaction
from exactsync.store import workorders as store
from exactsync.sync import cleanup, mapping
from exactsync.wipe import wipe
from exactsync.workorders import addresses, lifecycle
from tests.helpers.cli_results import ok
from tests.helpers.factories import add_customer, add_item
from tests.helpers.feed import cursor_of, export, records


@pytest.fixture
def shop(db):
    return {"customer": add_customer(db, "25", "Bakkerij Jansen"), "other": add_customer(db, "26"),
            "item": add_item(db, "M100", "Kraan messing")}


def test_everything_without_a_cursor_then_only_what_changed(run, db, shop):
    first = export(run)
    assert [line["type"] for line in first] == ["customer", "customer", "work_address", "work_address", "item",
                                                "cursor"]
    customer = records(first)["customer", shop["customer"]["id"]]
    assert (customer["code"], customer["name"], customer["state"], customer["reason"]) == (
        "25", "Bakkerij Jansen", "active", None)
    address = records(first)["work_address", shop["customer"]["work_address_id"]]
    assert (address["customer_code"], address["street"], address["from_exact"]) == ("25", "Dorpsstraat 1", True)

    assert export(run, "--since", cursor_of(first)) == [{"type": "cursor", "cursor": cursor_of(first)}]

    with transaction(db):
        db["customers"].update(shop["other"]["id"], {"name": "Slagerij Pietersen"})
    added = addresses.add(db, "25", street="Kerkstraat 1", postcode="3511 AA", city="Utrecht")
    second = export(run, "--since", cursor_of(first))
    assert [(line["type"], line.get("id")) for line in second[:-1]] == [
        ("customer", shop["other"]["id"]), ("work_address", added["id"])]
    assert records(second)["customer", shop["other"]["id"]]["name"] == "Slagerij Pietersen"
    assert cursor_of(second) != cursor_of(first)


def test_a_pull_that_reads_a_record_again_unchanged_adds_nothing(run, db, shop):
    since = cursor_of(export(run))
    with transaction(db):  # what a full read does to every row it sees: only the bookkeeping changes
        db.execute("UPDATE customers SET updated_at = 'later', seen_generation = 7, exact_timestamp = 99")
    assert export(run, "--since", since) == [{"type": "cursor", "cursor": since}]


def test_a_customer_made_inactive_then_removed_by_cleanup_comes_with_its_reason(run, db, shop):
    since = cursor_of(export(run))
    with transaction(db):
        db["customers"].update(shop["other"]["id"], {"active": 0, "inactive_reason": mapping.BLOCKED})
    inactive = records(export(run, "--since", since))["customer", shop["other"]["id"]]
    assert (inactive["state"], inactive["reason"], inactive["reason_text"]) == (
        "inactive", "blocked", "is blocked in Exact")

    cleanup.cleanup(db)
    lines = export(run, "--since", since)
    assert records(lines)["customer", shop["other"]["id"]] == {
        "type": "customer", "id": shop["other"]["id"], "state": "removed", "reason": "blocked",
        "reason_text": "is blocked in Exact", "code": "26"}
    assert records(lines)["work_address", shop["other"]["work_address_id"]] == {
        "type": "work_address", "id": shop["other"]["work_address_id"], "state": "removed",
        "reason": "customer_removed", "reason_text": "its customer was removed",
        "key": "exact:" + shop["other"]["exact_id"]}
    # In Dutch, the same codes with the text in the reader's language.
    dutch = records([json.loads(x) for x in ok(run("--lang", "nl", "export", "--since", since)).splitlines()])
    assert dutch["customer", shop["other"]["id"]]["reason"] == "blocked"
    assert dutch["customer", shop["other"]["id"]]["reason_text"] != "is blocked in Exact"


def test_a_customer_made_locally_is_removed_as_not_from_exact(run, db, shop):
    local = add_customer(db, "L1", from_exact=False, with_work_address=False)
    since = cursor_of(export(run))
    cleanup.cleanup(db)
    gone = records(export(run, "--since", since))["customer", local["id"]]
    assert (gone["state"], gone["reason"]) == ("removed", "not_from_exact")


def test_after_a_wipe_an_older_cursor_starts_over(run, db, shop):
    since = cursor_of(export(run))
    wipe(db, ["customers"])
    add_customer(db, "27")  # the next pull brings them back, renumbered
    lines = export(run, "--since", since)
    assert lines[0]["type"] == "reset" and lines[0]["reason"] == "store_wiped"
    assert [line["code"] for line in lines if line["type"] == "customer"] == ["27"]
    assert [line["code"] for line in lines if line["type"] == "item"] == ["M100"]  # everything, not what changed
    assert cursor_of(lines) != since
    # From the new cursor on, the feed goes on as before.
    assert export(run, "--since", cursor_of(lines)) == [lines[-1]]


def test_a_store_put_back_before_the_cursor_starts_over(run, db, shop):
    epoch, seq = cursor_of(export(run)).split("-")
    lines = export(run, "--since", f"{epoch}-{int(seq) + 10}")
    assert lines[0]["type"] == "reset" and lines[0]["reason"] == "store_restored"


def test_after_a_restore_a_cursor_from_after_the_backup_starts_over(run, db, shop, tmp_path):
    """Put back, the copy hands out again the change numbers the store handed out after it: a cursor
    from then must not skip what changed after the restore."""
    ok(run("backup", "copy.db"))
    ok(run("workorder", "create", "--customer", "25", "--description", "Na de kopie"))
    since = cursor_of(export(run))
    db.close()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"exactsync.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "copy.db").replace(tmp_path / "exactsync.db")
    ok(run("workorder", "create", "--customer", "25", "--description", "Opnieuw ingevoerd"))
    lines = export(run, "--since", since)
    assert lines[0]["type"] == "reset"
    assert [line["description"] for line in lines if line["type"] == "work_order"] == ["Opnieuw ingevoerd"]


@pytest.mark.parametrize("cursor", ["", "abc", "0123456789abcdef", "0123456789abcdef-x", "0123456789ABCDEF-1",
                                    "0123456789abcdef-" + "9" * 30])
def test_a_cursor_no_export_printed_is_a_usage_error(run, shop, cursor):
    result = run("export", "--since", cursor)
    assert result.exit_code == 2
    assert "is not a cursor: pass the cursor of the last line of the previous export" in result.stderr


def test_items_inactive_and_removed(run, db, shop):
    old = add_item(db, "OLD")
    since = cursor_of(export(run))
    with transaction(db):
        db["items"].update(old["id"], {"active": 0, "inactive_reason": mapping.DELETED})
    assert records(export(run, "--since", since))["item", old["id"]]["reason"] == "deleted_in_exact"
    cleanup.cleanup(db)
    removed = records(export(run, "--since", since))["item", old["id"]]
    assert (removed["state"], removed["reason"], removed["code"]) == ("removed", "deleted_in_exact", "OLD")


def _archived(db, prefix="WO") -> dict:
    number = lifecycle.create(db, prefix=prefix, customer_code="25", description="Lekkage")
    lifecycle.book_time(db, number, employee="Jan", minutes_by_kind={"work": 60})
    lifecycle.complete(db, number)
    lifecycle.archive(db, number)
    return store.work_order_by_number(db, number)


def test_work_orders_carry_their_state_in_exact(run, db, shop):
    since = cursor_of(export(run))
    order = _archived(db)
    line = records(export(run, "--since", since))["work_order", order["id"]]
    assert (line["number"], line["status"], line["exact"]["state"]) == (order["number"], "archived", "queued")

    since = cursor_of(export(run))
    with transaction(db):  # push refuses it before sending, as push does: the step's error and the log row
        outbox.set_last_error(db, order["id"], "invoice", "no customer")
        log.error(db, "workorder", "work order refused: no customer", record=order["number"],
                  action="run exactsync workorder set-customer")
    exact = records(export(run, "--since", since))["work_order", order["id"]]["exact"]
    assert (exact["state"], exact["message"], exact["action"]) == (
        "refused", "work order refused: no customer", "run exactsync workorder set-customer")

    since = cursor_of(export(run))
    with transaction(db):
        store.update_work_order(db, order["id"], {"status": "sent", "exact_invoice_id": "inv-1",
                                                  "exact_order_number": 4711})
    line = records(export(run, "--since", since))["work_order", order["id"]]
    assert (line["status"], line["exact"]["state"], line["exact"]["invoice_id"], line["exact"]["order_number"]) == (
        "sent", "sent", "inv-1", 4711)
    shown = json.loads(ok(run("workorder", "show", order["number"], "--json")))
    assert shown["exact"] == line["exact"] and shown["external_id"] is None


def test_a_push_run_that_changes_nothing_adds_nothing(run, db, shop):
    order = _archived(db)
    with transaction(db):
        outbox.set_last_error(db, order["id"], "invoice", "no customer")
    since = cursor_of(export(run))
    with transaction(db):  # the next run finds the same reason: only the step's time moves
        outbox.set_last_error(db, order["id"], "invoice", "no customer")
    assert export(run, "--since", since) == [{"type": "cursor", "cursor": since}]


def _steps_of_an_export_with_nothing_changed(run, db) -> int:
    """SQLite's virtual machine steps for `export --since` the latest cursor: the work it does."""
    since = cursor_of(export(run))
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.conn.set_progress_handler(count, 1)
    try:
        lines = list(feed.lines(db, feed.Cursor.parse(since)))
    finally:
        db.conn.set_progress_handler(None, 1)
    assert lines == [{"type": "cursor", "cursor": since}]
    return steps


def test_an_export_with_nothing_changed_reads_nothing_it_does_not_print(run, db, shop):
    small = _steps_of_an_export_with_nothing_changed(run, db)
    with transaction(db):
        for n in range(2000):
            db["customers"].insert({"exact_id": f"x{n}", "code": f"C{n}", "updated_at": "now"})
            db["items"].insert({"exact_id": f"i{n}", "code": f"I{n}", "updated_at": "now"})
    assert _steps_of_an_export_with_nothing_changed(run, db) == small
