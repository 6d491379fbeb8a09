"""`exactsync pull` and `exactsync cleanup` against the running sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from exactsync import i18n, log
from exactsync.exact import ExactClient
from exactsync.sandbox import Sandbox
from exactsync.sandbox import odata as sandbox_odata
from exactsync.sandbox.data import AMSTERDAM
from exactsync.store import get_state, open_store, set_state
from exactsync.sync import pull
from tests.helpers.budget import exact_day_passes
from tests.helpers.cli_results import ok
from tests.helpers.fakes import FakeClock
from tests.helpers.language import english_in
from tests.helpers.login import connect
from tests.helpers.pull import expected_customers, expected_items, stored_customers, stored_items, today

pytestmark = pytest.mark.sandbox(seed=7, customers=120, items=60, minutely_limit=10_000)

SYNC_CALLS = ("GET sync/CRM/Accounts", "GET sync/CRM/Addresses", "GET sync/Logistics/Items", "GET sync/Deleted")


@pytest.fixture
def connected(sandbox, config_path):
    return connect(sandbox, config_path)


def test_a_pull_completes_through_minutely_429s_with_empty_bodies(sandbox, connected):
    clock = FakeClock()  # shared, so waiting for the next minute moves the sandbox's limiter too
    sandbox.limits.clock = clock
    sandbox.fault(method="GET", kind="429", times=3)  # the sandbox sends a minutely 429 without a body
    db = open_store(connected.store_path)
    pull.pull(ExactClient.from_config(connected, clock=clock, sleep=clock.sleep), db, connected.settings)
    assert stored_customers(db) == expected_customers(sandbox)
    assert len(clock.slept) == 3 and all(0 < seconds <= 61 for seconds in clock.slept)


def pull_ok(run):
    result = run("pull")
    assert result.exit_code == 0, result.output
    return result


def test_full_pull_brings_exactly_the_active_customers_and_items(connected, sandbox, run, db):
    result = pull_ok(run)
    assert stored_customers(db) == expected_customers(sandbox)
    assert stored_items(db) == expected_items(sandbox)
    units = dict(db.execute("SELECT exact_id, unit FROM items").fetchall())
    assert units == {guid: item["Unit"].strip() for guid, item in sandbox.items.items() if guid in units}
    assert all(item["Unit"].endswith(" ") for item in sandbox.items.values())  # Exact pads them
    assert db["item_groups"].count == len(sandbox.item_groups)
    # Every customer has its Exact address as first work address.
    missing = db.execute("SELECT count(*) FROM customers c WHERE NOT EXISTS "
                         "(SELECT 1 FROM work_addresses w WHERE w.customer_id = c.id AND w.exact_address_id IS NOT NULL)")
    assert missing.fetchone()[0] == 0
    assert "pulled in" in result.output
    messages = [r["message"] for r in log.rows(db, log.LogFilter(limit=None))]
    assert "first pull: reading everything" in messages
    assert any(m.startswith(f"pull customers: {len(expected_customers(sandbox))} added") for m in messages)
    assert get_state(db, "highest_mutation_at") is not None
    assert get_state(db, "last_pull_outcome") == "ok"


def api_calls(sandbox) -> dict[str, int]:
    return {k: v for k, v in sandbox.calls.items() if k != "POST token"}


def a_day_later(db) -> None:
    """As if the last read of the division's move date was on the previous UTC day."""
    checked = json.loads(get_state(db, "division_move_checked"))
    day = datetime.fromisoformat(checked["day"]).date() - timedelta(days=1)
    set_state(db, division_move_checked=json.dumps({**checked, "day": day.isoformat()}))


def test_a_pull_with_nothing_changed_costs_the_4_sync_reads_only(connected, sandbox, run, db):
    pull_ok(run)
    sandbox.reset_calls()
    pull_ok(run)
    assert api_calls(sandbox) == {c: 1 for c in SYNC_CALLS}
    assert log.rows(db, log.LogFilter())[0]["message"] == "pull: nothing changed in Exact"


def test_the_division_move_date_is_read_on_the_first_pull_of_each_utc_day(connected, sandbox, run, db):
    pull_ok(run)
    assert sandbox.calls["GET system/Divisions"] == 1
    for _ in range(3):
        pull_ok(run)
    assert sandbox.calls["GET system/Divisions"] == 1
    a_day_later(db)
    sandbox.reset_calls()
    pull_ok(run)
    assert api_calls(sandbox) == {"GET system/Divisions": 1, **{c: 1 for c in SYNC_CALLS}}
    sandbox.reset_calls()
    pull_ok(run)
    assert api_calls(sandbox) == {c: 1 for c in SYNC_CALLS}


def test_incremental_pull_follows_creates_updates_blocks_and_deletes(connected, sandbox, run, db):
    pull_ok(run)
    accounts = [a["ID"] for a in sandbox.accounts.values() if a["ID"] in expected_customers(sandbox)]
    new = sandbox.add_customer(Name="Nieuwe Klant Één", Status="C", IsSales=True, AddressLine1="Laan 1",
                               Postcode="1000 AA", City="Amsterdam", Country="NL")
    sandbox.update_account(accounts[0], Name="Hernoemd B.V.")
    sandbox.block_account(accounts[1])
    deleted_code, deleted_name = sandbox.accounts[accounts[2]]["Code"].strip(), sandbox.accounts[accounts[2]]["Name"]
    sandbox.delete_account(accounts[2])
    sandbox.update_account(accounts[3], Status="P")
    items = list(expected_items(sandbox))
    deleted_item = (sandbox.items[items[0]]["Code"].strip(), sandbox.items[items[0]]["Description"])
    sandbox.delete_item(items[0])
    sandbox.update_item(items[1], IsSalesItem=False)
    sandbox.reset_calls()

    pull_ok(run)

    assert stored_customers(db) == expected_customers(sandbox)
    assert stored_items(db) == expected_items(sandbox)
    reasons = dict(db.execute("SELECT exact_id, inactive_reason FROM customers WHERE active = 0").fetchall())
    assert reasons[accounts[1]] == "is blocked in Exact"
    assert reasons[accounts[2]] == "deleted in Exact"
    assert reasons[accounts[3]] == "is not a customer in Exact (status P)"
    assert db.execute("SELECT name FROM customers WHERE exact_id = ?", [new]).fetchone()[0] == "Nieuwe Klant Één"
    assert sum(sandbox.calls[c] for c in SYNC_CALLS) == 4
    messages = [r["message"] for r in log.rows(db, log.LogFilter())]
    assert "pull customers: 1 added, 3 changed, 2 deactivated" in messages, messages
    assert "pull items: 0 added, 1 changed, 1 deactivated" in messages, messages
    # Each record deactivated has its own row, on its own table, with its code, name and reason.
    named = {(r["table"], r["record"], r["message"]) for r in log.rows(db, log.LogFilter()) if r["record"]}
    account, item = sandbox.accounts, {i: sandbox.items.get(i) for i in items[:2]}
    code = {guid: (row["Code"].strip(), row["Name"]) for guid, row in account.items()}
    assert named == {
        ("customer", code[accounts[1]][0], f"customer {code[accounts[1]][0]} ({code[accounts[1]][1]}) is blocked in "
                                           "Exact: deactivated by pull"),
        ("customer", deleted_code, f"customer {deleted_code} ({deleted_name}) deleted in Exact: deactivated by pull"),
        ("customer", code[accounts[3]][0], f"customer {code[accounts[3]][0]} ({code[accounts[3]][1]}) is not a "
                                           "customer in Exact (status P): deactivated by pull"),
        ("item", deleted_item[0], f"item {deleted_item[0]} ({deleted_item[1]}) deleted in Exact: deactivated by pull"),
        ("item", item[items[1]]["Code"].strip(), f"item {item[items[1]]['Code'].strip()} "
                                                 f"({item[items[1]]['Description']}) is not a sales item in Exact: "
                                                 "deactivated by pull"),
    }
    # Deletions are counted on the table of what was deleted.
    summary = {(r["table"], r["message"]) for r in log.rows(db, log.LogFilter()) if "deletions" in r["message"]}
    assert summary == {("customer", "pull deletions: 1 customer deactivated"),
                       ("item", "pull deletions: 1 item deactivated")}


def test_an_end_date_that_passes_deactivates_without_a_change_in_exact(connected, sandbox, run, db):
    account = next(iter(expected_customers(sandbox)))
    sandbox.update_account(account, EndDate=datetime.now(AMSTERDAM).replace(tzinfo=None, hour=0, minute=0,
                                                                           second=0, microsecond=0))
    pull_ok(run)
    assert account in stored_customers(db)  # ends today: still active today
    db.execute("UPDATE customers SET end_date = ? WHERE exact_id = ?",
               [(today() - timedelta(days=1)).isoformat(), account])  # as if a day has passed
    pull_ok(run)
    assert account not in stored_customers(db)
    code, name = sandbox.accounts[account]["Code"].strip(), sandbox.accounts[account]["Name"]
    ended = (today() - timedelta(days=1)).isoformat()
    assert [(r["table"], r["record"], r["message"]) for r in log.rows(db, log.LogFilter(limit=2))] == [
        ("customer", "", "pull ended: 1 customer deactivated"),
        ("customer", code, f"customer {code} ({name}) ended in Exact on {ended}: deactivated by pull")]


def test_a_row_without_a_code_is_skipped_with_a_row_naming_it(connected, sandbox, run, db):
    account = next(iter(expected_customers(sandbox)))
    item = next(iter(expected_items(sandbox)))
    sandbox.update_account(account, Code="")
    sandbox.update_item(item, Code=" ")
    pull_ok(run)
    warnings = [(r["table"], r["record"], r["message"], r["action"]) for r in log.rows(db, log.LogFilter(kinds=("warning",)))]
    assert sorted(warnings) == [
        ("customer", account, f"pull skipped customer '{sandbox.accounts[account]['Name']}' (Exact ID {account}): it "
                              "has no code in Exact", "fix the record in Exact; the next pull takes it"),
        ("item", item, f"pull skipped item '{sandbox.items[item]['Description']}' (Exact ID {item}): it has no code "
                       "in Exact", "fix the record in Exact; the next pull takes it")]
    messages = [r["message"] for r in log.rows(db, log.LogFilter())]
    assert any(m.startswith("pull customers: ") and m.endswith(", 1 skipped") for m in messages), messages


def test_a_read_that_deactivates_hundreds_names_the_first_200_and_counts_the_rest(config_path, run, db):
    with Sandbox(seed=3, customers=300, items=10, minutely_limit=10_000) as big:
        connect(big, config_path)
        pull_ok(run)
        active = list(expected_customers(big))
        for guid in active[:230]:
            big.block_account(guid)
        pull_ok(run)
    rows = [r for r in log.rows(db, log.LogFilter(table="customer", limit=None))]
    named = [r for r in rows if r["message"].endswith("is blocked in Exact: deactivated by pull")]
    assert len(named) == log.RECORDS_PER_TABLE == 200
    assert "... and 30 more: exactsync customers --all" in [r["message"] for r in rows]
    assert "pull customers: 0 added, 230 changed, 230 deactivated" in [r["message"] for r in rows]


def test_an_item_group_gone_from_exact_is_named(connected, sandbox, run, db):
    pull_ok(run)
    db["item_groups"].insert({"exact_id": "00000000-0000-4000-8000-000000000abc", "code": "OUD",
                              "description": "Vervallen groep", "updated_at": "2026-01-01T00:00:00Z"})
    set_state(db, item_groups_read_at="2020-01-01T00:00:00Z")
    pull_ok(run)
    [row] = [r for r in log.rows(db, log.LogFilter(table="item_group"))]
    assert (row["record"], row["message"]) == ("OUD", "item group OUD (Vervallen groep) no longer in Exact: "
                                                      "removed by pull")


def test_a_changed_exact_address_moves_the_derived_work_address_but_not_a_local_one(connected, sandbox, run, db):
    pull_ok(run)
    account = next(iter(expected_customers(sandbox)))
    code = sandbox.accounts[account]["Code"].strip()
    assert run("workaddress", "add", code, "--street", "Werfstraat 9", "--postcode", "3000",
               "--city", "Leuven", "--country", "BE").exit_code == 0
    address = next(a for a in sandbox.addresses.values() if a["Account"] == account and a["Type"] == 1 and a["Main"])
    sandbox.update_address(address["ID"], AddressLine1="Stationsplein 2", Postcode="1012 AB", City="Amsterdam")
    pull_ok(run)
    rows = db.execute("SELECT w.street, w.city, w.exact_address_id FROM work_addresses w JOIN customers c "
                      "ON c.id = w.customer_id WHERE c.exact_id = ? ORDER BY w.id", [account]).fetchall()
    assert rows == [("Stationsplein 2", "Amsterdam", address["ID"]), ("Werfstraat 9", "Leuven", None)]
    customer = db.execute("SELECT address_line1, postcode FROM customers WHERE exact_id = ?", [account]).fetchone()
    assert customer == ("Stationsplein 2", "1012 AB")


def test_item_group_filter_change_takes_effect_at_the_next_pull(sandbox, config_path, run, db):
    groups = sorted({g["Description"] for g in sandbox.item_groups.values()})
    connect(sandbox, config_path, item_groups=[groups[0]])
    pull_ok(run)
    assert stored_items(db) == expected_items(sandbox, [groups[0]])

    connect(sandbox, config_path, item_groups=[groups[1]])
    pull_ok(run)
    assert stored_items(db) == expected_items(sandbox, [groups[1]])
    assert any(r["message"] == "item groups changed in the settings: reading all items again"
               for r in log.rows(db, log.LogFilter()))
    result = run("items", "--all", "--json")
    assert any(r["inactive_reason"].endswith("which is not in [settings] item_groups") for r in
               __import__("json").loads(result.output))
    # Every item the new groups leave out has its row, naming it and why; the count row sums them.
    left_out = set(expected_items(sandbox, [groups[0]])) - set(expected_items(sandbox, [groups[1]]))
    rows = [r for r in log.rows(db, log.LogFilter(table="item", limit=None)) if r["record"]]
    assert len(rows) == len(left_out) > 0
    for guid in left_out:
        item = sandbox.items[guid]
        group = sandbox.item_groups[item["ItemGroup"]]["Code"]
        assert (f"item {item['Code'].strip()} ({item['Description']}) is in item group {group}, which is not in "
                "[settings] item_groups: deactivated by pull") in [r["message"] for r in rows]
    assert any(r["message"].startswith("pull items: ") and r["message"].endswith(f", {len(left_out)} deactivated")
               for r in log.rows(db, log.LogFilter(table="item")))


def moved_with_a_lost_deletion(sandbox) -> str:
    """Move the division, then delete a customer whose deletion the move loses; returns its ID."""
    sandbox.move_division()
    victim = next(iter(expected_customers(sandbox)))
    sandbox.delete_account(victim)
    # A division move loses the deleted log too: forget the deletion, as Exact would.
    for key in [k for k, d in sandbox.deleted.items() if d["EntityKey"] == victim]:
        del sandbox.admin.deleted[key]
    return victim


def test_a_division_move_falls_back_to_a_full_read(connected, sandbox, run, db):
    pull_ok(run)
    victim = moved_with_a_lost_deletion(sandbox)
    # The renumbered rows lie below every checkpoint, so the sync reads see nothing:
    # the move shows on the first pull of the next UTC day, when the move date is read.
    pull_ok(run)
    assert not any("Exact moved the division" in r["message"] for r in log.rows(db, log.LogFilter()))
    a_day_later(db)
    pull_ok(run)
    assert stored_customers(db) == expected_customers(sandbox)
    row = db.execute("SELECT active, inactive_reason FROM customers WHERE exact_id = ?", [victim]).fetchone()
    assert row == (0, "no longer in Exact")
    assert any("Exact moved the division" in r["message"] for r in log.rows(db, log.LogFilter()))


def ignore_one_timestamp_floor(monkeypatch) -> list[int]:
    """The next sync answer ignores its `Timestamp gt` floor and sends every row; returns the
    floors ignored. The sandbox, like Exact, honours the floor, and a move renumbers its rows
    below every checkpoint (section 5), so without this no answer would show a move."""
    real_floor, ignored = sandbox_odata.timestamp_floor, []

    def floor_ignored_once(text):
        floor, equals = real_floor(text)
        if not ignored and floor > 1:
            ignored.append(floor)
            return 0, equals
        return floor, equals

    monkeypatch.setattr(sandbox_odata, "timestamp_floor", floor_ignored_once)
    return ignored


@pytest.mark.parametrize("moved", [True, False], ids=["moved", "not-moved"])
def test_a_sync_answer_below_its_checkpoint_reads_the_move_date_at_once(connected, sandbox, run, db, monkeypatch,
                                                                        moved):
    pull_ok(run)
    victim = moved_with_a_lost_deletion(sandbox) if moved else None
    ignored = ignore_one_timestamp_floor(monkeypatch)
    sandbox.reset_calls()
    pull_ok(run)
    assert ignored and sandbox.calls["GET system/Divisions"] == 1
    messages = [r["message"] for r in log.rows(db, log.LogFilter(limit=None))]
    assert any(m.startswith("Exact sent sync/CRM/Accounts rows with a Timestamp of ") and
               m.endswith("reading the division's move date now") for m in messages), messages
    full_read = "Exact moved the division and reset its timestamps: reading everything again"
    assert (full_read in messages) == moved
    dutch = [r["message"] for r in logged(run, "nl")]
    assert any(m.startswith("Exact stuurde sync/CRM/Accounts-regels met een Timestamp van ") and
               m.endswith("de verhuisdatum van de administratie wordt nu gelezen") for m in dutch), dutch
    assert ("Exact heeft de administratie verhuisd en de tijdstempels opnieuw genummerd: alles wordt opnieuw gelezen"
            in dutch) == moved
    assert stored_customers(db) == expected_customers(sandbox)
    if moved:
        assert db.execute("SELECT active, inactive_reason FROM customers WHERE exact_id = ?",
                          [victim]).fetchone() == (0, "no longer in Exact")
    else:
        # The accounts page below its checkpoint was not stored: read again from the checkpoint.
        assert api_calls(sandbox) == {"GET system/Divisions": 1, **{c: 1 for c in SYNC_CALLS},
                                      "GET sync/CRM/Accounts": 2}


def test_a_deleted_log_older_than_exact_keeps_it_means_a_full_read(connected, sandbox, run, db):
    pull_ok(run)
    set_state(db, last_complete_pull_at="2020-01-01T00:00:00Z")
    pull_ok(run)
    assert any("older than Exact keeps deletions" in r["message"] for r in log.rows(db, log.LogFilter()))
    assert stored_customers(db) == expected_customers(sandbox)


def test_cleanup_removes_exactly_local_and_inactive_rows(connected, sandbox, run, db):
    from tests.helpers.factories import add_customer, add_item

    pull_ok(run)
    add_customer(db, "LOCAL1", from_exact=False)
    add_item(db, "LOCAL-ITEM", from_exact=False)
    victim = next(iter(expected_customers(sandbox)))
    sandbox.block_account(victim)
    pull_ok(run)
    inactive = db.execute("SELECT count(*) FROM customers WHERE active = 0").fetchone()[0]
    inactive_items = db.execute("SELECT count(*) FROM items WHERE active = 0").fetchone()[0]
    before = (db["customers"].count, db["items"].count)

    result = run("cleanup")
    assert result.exit_code == 0, result.output
    assert db["customers"].count == before[0] - inactive - 1
    assert db["items"].count == before[1] - inactive_items - 1
    assert stored_customers(db) == expected_customers(sandbox)
    assert db.execute("SELECT count(*) FROM customers WHERE exact_id IS NULL OR active = 0").fetchone()[0] == 0
    removed = [r["message"] for r in log.rows(db, log.LogFilter(table="customer"))]
    assert f"cleanup removed {inactive + 1} customers that are not (or no longer) in Exact" in removed
    # Each removed record has its own row, on its own table, naming it and why.
    code, name = sandbox.accounts[victim]["Code"].strip(), sandbox.accounts[victim]["Name"]
    named = {(r["table"], r["record"], r["message"]) for r in log.rows(db, log.LogFilter(limit=None))
             if "removed by cleanup" in r["message"]}
    assert ("customer", code, f"customer {code} ({name}) is blocked in Exact: removed by cleanup") in named
    assert ("customer", "LOCAL1", "customer LOCAL1 (Klant LOCAL1) is not from Exact: removed by cleanup") in named
    assert ("item", "LOCAL-ITEM", "item LOCAL-ITEM (Artikel LOCAL-ITEM) is not from Exact: removed by cleanup") in named
    assert sum(1 for table, _, _ in named if table == "customer") == inactive + 1
    assert sum(1 for table, _, _ in named if table == "item") == inactive_items + 1
    assert sum(1 for table, _, _ in named if table == "work_address") == inactive + 1
    assert any(m.startswith("work address ") and m.endswith(f" of customer {code}: removed by cleanup with its "
                                                             "customer") for _, _, m in named)


def test_cleanup_keeps_an_inactive_item_a_work_order_not_yet_in_exact_books(connected, sandbox, run, db):
    from exactsync.workorders import lifecycle

    pull_ok(run)
    booked, other = list(expected_items(sandbox))[:2]
    code = sandbox.items[booked]["Code"].strip()
    number = lifecycle.create(db, prefix="WO", customer_code=db.execute("SELECT code FROM customers LIMIT 1")
                              .fetchone()[0], description="x")
    lifecycle.add_material(db, number, code, __import__("decimal").Decimal(1))
    sandbox.update_item(booked, IsSalesItem=False)
    sandbox.update_item(other, IsSalesItem=False)
    pull_ok(run)
    assert run("cleanup").exit_code == 0
    assert db.execute("SELECT exact_id FROM items WHERE active = 0").fetchall() == [(booked,)]
    assert "cleanup kept 1 inactive item that work orders not yet in Exact book" in [
        r["message"] for r in log.rows(db, log.LogFilter(table="item"))]
    db.execute("UPDATE work_orders SET status = 'sent'")
    assert run("cleanup").exit_code == 0
    assert db.execute("SELECT count(*) FROM items WHERE active = 0").fetchone()[0] == 0


def test_deactivated_integration_reads_nothing(connected, sandbox, run, db):
    assert run("deactivate", "--yes").exit_code == 0
    sandbox.reset_calls()
    result = run("pull")
    assert result.exit_code == 0
    assert sum(sandbox.calls.values()) == 0
    assert db["customers"].count == 0


def test_unchecked_settings_read_nothing(sandbox, config_path, run, db):
    connect(sandbox, config_path, verified=False)
    sandbox.reset_calls()
    result = run("pull")
    assert result.exit_code == 1
    assert sum(sandbox.calls.values()) == 0
    assert log.rows(db, log.LogFilter(kinds=("error",)))[0]["message"] == (
        "settings were never checked: run exactsync check-settings")


def test_daily_limit_spent_stops_cleanly_once_and_the_first_run_after_the_reset_resumes(sandbox, config_path, run,
                                                                                        db):
    connect(sandbox, config_path)
    sandbox.set_rate_limits(daily=4)
    result = run("pull")
    assert result.exit_code == 0, result.output
    stopped = "pull stopped: Exact's daily call limit is reached; pull resumes after the reset at "
    assert stopped in result.output
    assert get_state(db, "last_pull_outcome") == "stopped: Exact's daily call limit is spent"
    sandbox.reset_calls()
    for _ in range(3):  # cron, every 5 minutes until the reset: no call, no new row
        result = run("pull")
        assert result.exit_code == 0 and stopped in result.output
    assert sum(sandbox.calls.values()) == 0
    warnings = [r["message"] for r in log.rows(db, log.LogFilter(kinds=("warning",)))]
    assert len(warnings) == 1 and warnings[0].startswith(stopped)
    exact_day_passes(sandbox, db)
    pull_ok(run)
    assert stored_customers(db) == expected_customers(sandbox)


def test_lists_find_codes(connected, sandbox, run):
    import json

    pull_ok(run)
    name, code = next((a["Name"], a["Code"].strip()) for a in sandbox.accounts.values()
                      if a["ID"] in expected_customers(sandbox))
    found = json.loads(run("customers", "--search", name[:12], "--json").output)
    assert code in [c["code"] for c in found]
    group = next(iter(sandbox.item_groups.values()))["Description"]
    items = json.loads(run("items", "--group", group, "--json").output)
    assert items and all(i["item_group_description"] == group for i in items)


# --- in Dutch or English (issue 17) ------------------------------------------------------

def said(result) -> str:
    """What a run that succeeded said on stderr."""
    assert result.exit_code == 0, result.output
    return result.stderr


def logged(run, language: str) -> list[dict]:
    return [json.loads(line) for line in ok(run("--lang", language, "log", "--json", "--limit", "1000")).splitlines()]


def without(text: str, *values: str) -> str:
    """`text` without the data in it (names, streets), which is neither Dutch nor English."""
    for value in values:
        text = text.replace(value, "")
    return text


# Commands and setting names stay as they are in Dutch.
NAMES_KEPT = ("[settings] item_groups", "exactsync customers --all", "exactsync items --all")


def block_a_customer_and_end_an_item_for_sales(sandbox) -> tuple[dict, dict]:
    customer = sandbox.accounts[next(iter(expected_customers(sandbox)))]
    item = sandbox.items[next(iter(expected_items(sandbox)))]
    sandbox.block_account(customer["ID"])
    sandbox.update_item(item["ID"], IsSalesItem=False)
    return customer, item


def test_a_pull_that_deactivates_writes_rows_read_in_dutch_and_in_english(connected, sandbox, run, db):
    assert "ophalen klaar (" in said(run("--lang", "nl", "pull"))
    customer, item = block_a_customer_and_end_an_item_for_sales(sandbox)
    output = said(run("--lang", "nl", "pull"))
    assert english_in(output) == set() and output.startswith("ophalen klaar (4 aanroepen): 0 klanten nieuw, 1 gewijzigd, 1 vervallen")
    assert said(run("--lang", "en", "pull")).startswith("pulled in 4 calls: 0 new customers, 0 changed, 0 deactivated")
    code, name = customer["Code"].strip(), customer["Name"]
    item_code, description = item["Code"].strip(), item["Description"]
    dutch, english = logged(run, "nl"), logged(run, "en")
    assert [(r["message_key"], r["message_params"]) for r in dutch] == [
        (r["message_key"], r["message_params"]) for r in english]  # the same rows, stored once
    pairs = {(e["message"], e["action"]): (d["message"], d["action"]) for d, e in zip(dutch, english, strict=True)}
    no_longer_picked = "none: it can no longer be picked for new work orders (Exact leads); if that is wrong: "
    assert pairs[f"customer {code} ({name}) is blocked in Exact: deactivated by pull",
                 f"{no_longer_picked}unblock customer {code} in Exact"] == (
        f"klant {code} ({name}) is geblokkeerd in Exact: gedeactiveerd door pull",
        "geen: het kan niet meer gekozen worden voor nieuwe werkbonnen (Exact is leidend); als dat niet klopt: "
        f"deblokkeer klant {code} in Exact")
    assert pairs[f"item {item_code} ({description}) is not a sales item in Exact: deactivated by pull",
                 f"{no_longer_picked}make item {item_code} a sales item in Exact again"][0] == (
        f"artikel {item_code} ({description}) is geen verkoopartikel in Exact: gedeactiveerd door pull")
    assert pairs["pull customers: 0 added, 1 changed, 1 deactivated", ""] == (
        "pull klanten: 0 toegevoegd, 1 gewijzigd, 1 gedeactiveerd", "")
    assert pairs["pull: nothing changed in Exact", ""] == ("pull: niets gewijzigd in Exact", "")
    assert ("eerste pull: alles wordt gelezen", "") in pairs.values()
    read_in_dutch = " ".join(r["message"] + " " + r["action"] for r in dutch)
    assert english_in(without(read_in_dutch, name, description)) == set()


def test_a_pull_on_a_terminal_shows_its_progress_in_the_readers_language():
    from exactsync.commands.pull import _reading

    assert _reading("accounts", 12_345) == "reading accounts 12,345 rows"
    i18n.use("nl")
    assert _reading("accounts", 12_345) == "klanten lezen: 12.345 regels"


def test_customers_and_items_list_in_dutch(connected, sandbox, run):
    pull_ok(run)
    customer, item = block_a_customer_and_end_an_item_for_sales(sandbox)
    pull_ok(run)
    shown = ok(run("--lang", "nl", "customers", "--all", "--search", customer["Name"]))
    for dutch in ("naam", "adres", "plaats", "land", "inactief omdat", "is geblokkeerd in Exact", "1 regel"):
        assert dutch in shown
    row_values = (customer["Name"], customer["AddressLine1"] or "", customer["City"] or "")
    assert english_in(without(shown, *row_values)) == set()
    assert "is blocked in Exact" in ok(run("--lang", "en", "customers", "--all", "--search", customer["Name"]))
    [found] = json.loads(ok(run("--lang", "nl", "customers", "--all", "--json", "--search", customer["Name"])))
    assert (found["code"], found["inactive_reason"]) == (customer["Code"].strip(), "is geblokkeerd in Exact")

    shown = ok(run("--lang", "nl", "items", "--all", "--search", item["Description"]))
    for dutch in ("omschrijving", "artikelgroepcode", "eenheid", "is geen verkoopartikel in Exact", " regels"):
        assert dutch in shown
    assert english_in(without(shown, *(i["Description"] for i in sandbox.items.values()))) == set()
    english = ok(run("--lang", "en", "items", "--all", "--search", item["Description"]))
    assert "item group code" in english and "is not a sales item in Exact" in english and " row" in english
    too_long = run("--lang", "nl", "items", "--search", "x" * 1001)
    assert too_long.exit_code == 2 and "ten hoogste 1000 tekens, dit zijn er 1.001" in too_long.output


def test_cleanup_rows_read_in_dutch(connected, sandbox, run, db):
    pull_ok(run)
    customer, item = block_a_customer_and_end_an_item_for_sales(sandbox)
    pull_ok(run)
    before = {r["message"] for r in logged(run, "en")}
    output = said(run("--lang", "nl", "cleanup"))
    assert output.startswith("schoonmaak klaar, verwijderd: 1 werkadres, 1 klant, 1 artikel, 0 artikelgroepen")
    code, name = customer["Code"].strip(), customer["Name"]
    dutch = [(d["message"], d["action"]) for d, e in zip(logged(run, "nl"), logged(run, "en"), strict=True)
             if e["message"] not in before]
    assert (f"klant {code} ({name}) is geblokkeerd in Exact: verwijderd door de schoonmaak", "geen") in dutch
    assert (f"artikel {item['Code'].strip()} ({item['Description']}) is geen verkoopartikel in Exact: verwijderd "
            "door de schoonmaak", "geen") in dutch
    assert ("schoonmaak verwijderde 1 klant die niet (meer) in Exact staat", "") in dutch
    assert any(m.endswith(f" van klant {code}: door de schoonmaak verwijderd met de klant") for m, _ in dutch)
    streets = [a["AddressLine1"] or "" for a in sandbox.addresses.values() if a["Account"] == customer["ID"]]
    read_in_dutch = " ".join(f"{m} {a}" for m, a in dutch)
    assert english_in(without(read_in_dutch, name, item["Description"], customer["City"] or "", *streets)) == set(), (
        read_in_dutch)


# --- killed at any moment: the rerun ends where an uninterrupted pull ends ----------------

def store_dump(db) -> dict:
    return {
        "customers": db.execute("SELECT exact_id, code, name, address_line1, postcode, city, country, active, "
                                "inactive_reason, exact_timestamp FROM customers ORDER BY exact_id").fetchall(),
        "work_addresses": db.execute("SELECT c.exact_id, w.street, w.postcode, w.city, w.exact_address_id FROM "
                                     "work_addresses w JOIN customers c ON c.id = w.customer_id "
                                     "ORDER BY c.exact_id, w.exact_address_id").fetchall(),
        "items": db.execute("SELECT exact_id, code, description, active, inactive_reason FROM items "
                            "ORDER BY exact_id").fetchall(),
        "item_groups": db.execute("SELECT exact_id, code FROM item_groups ORDER BY exact_id").fetchall(),
        "checkpoints": db.execute("SELECT entity, timestamp, full_read_generation IS NULL FROM sync_checkpoints "
                                  "ORDER BY entity").fetchall(),
    }


@pytest.mark.slow
@pytest.mark.parametrize("call,count", [
    ("GET sync/CRM/Accounts", 1), ("GET sync/CRM/Accounts", 3), ("GET sync/CRM/Addresses", 2),
    ("GET sync/Logistics/Items", 1), ("GET sync/Deleted", 1), ("GET logistics/ItemGroups", 1),
])
def test_a_pull_killed_at_any_point_resumes_to_the_same_store(tmp_path, call, count):
    with Sandbox(seed=11, customers=2500, items=1200, minutely_limit=10_000, latency_ms=40) as sandbox:
        for key in list(sandbox.accounts)[:30]:
            sandbox.delete_account(key)
        reference = tmp_path / "reference"
        reference.mkdir()
        connect(sandbox, reference / "exactsync.toml")
        subprocess.run([sys.executable, "-m", "exactsync", "--config", str(reference / "exactsync.toml"), "pull"],
                       check=True, capture_output=True)

        killed = tmp_path / "killed"
        killed.mkdir()
        config = killed / "exactsync.toml"
        connect(sandbox, config)
        sandbox.reset_calls()
        puller = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config), "pull"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while sandbox.calls[call] < count and puller.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(puller.pid, signal.SIGKILL)
        puller.wait()
        assert puller.returncode == -signal.SIGKILL, "the pull ended before it could be killed"

        subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config), "pull"],
                       check=True, capture_output=True)
        expected = store_dump(open_store(reference / "exactsync.db"))
        assert store_dump(open_store(killed / "exactsync.db")) == expected
