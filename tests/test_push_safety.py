"""Push under an adversary: a rerun right after kill -9 while Exact is still storing, a slow Exact the
client gave up on, a poison work order among good ones, set-customer racing a push, the summary."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from exactsync import config as config_mod
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, ExactApiError, ReconnectNeeded
from exactsync.exact.tokens import TokenStore
from exactsync.sync import push
from exactsync.workorders.lookup import WorkOrderError
from tests.helpers.processes import kill, start_push, wait_for
from tests.helpers.push import (
    after_exact_is_done,
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    run_push,
    sales_item_codes,
)

pytestmark = pytest.mark.sandbox(seed=14, customers=20, items=30, minutely_limit=10_000)

TIMEOUT_SECONDS = 2  # [exact] timeout_seconds: Exact's answer window, short enough to wait out in a test
SLOW_MS = 3000  # Exact's answer to the slowed call; it stores the record at the end, whoever still listens
PATHS = ("salesinvoice/SalesInvoices", "documents/Documents", "documents/DocumentAttachments")
CREATED = {"salesinvoice/SalesInvoices": "invoices", "documents/Documents": "documents",
           "documents/DocumentAttachments": "attachments"}
WAITING = "no answer came"


def short_timeout_store(sandbox, config_path, **settings):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0], **settings)
    config_mod.update(config, "exact", "timeout_seconds", TIMEOUT_SECONDS)
    return db


def push_cli(config_path) -> dict:
    """`exactsync push --json` as cron runs it; its summary."""
    result = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), "push", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def waiting_rows(db, number: str) -> list[str]:
    return [m for (m,) in db.execute("SELECT message FROM log WHERE record = ? AND kind = 'info' AND message LIKE ?",
                                     [number, f"%{WAITING}%"])]


def push_once_exact_is_done(config_path, db) -> dict:
    """The summary of a push run when the step left in flight may be looked up: its clock is past that
    moment, without waiting for it. Exact must be done for real: the caller waits for the slowed call."""
    return run_push(config_path, db, clock=after_exact_is_done(config_path)).summary()


# --- 14.1: a step in flight is looked up only once Exact can no longer be storing it -------------------------

@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
def test_a_rerun_right_after_kill_9_waits_for_exact_then_adopts_exactly_one(sandbox, config_path, path):
    db = short_timeout_store(sandbox, config_path, pdfs="workorder")
    number = archived(db, customer_codes(db)[0])
    sandbox.fault("POST", path, "latency", ms=SLOW_MS)
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls[f"POST {path}"] == 1)
    kill(process)

    at_once = push_cli(config_path)  # Exact is still working on the killed run's call

    assert at_once["waiting"] == [number] and at_once["sent"] == []
    assert sandbox.calls[f"POST {path}"] == 1, "posted again while Exact was still storing the first"
    assert len(waiting_rows(db, number)) == 1
    assert push_cli(config_path)["waiting"] == [number]
    assert len(waiting_rows(db, number)) == 1, "the info row is written once, not every run"

    wait_for(lambda: len(getattr(sandbox, CREATED[path])) == 1)  # Exact stored the killed run's call
    after = push_once_exact_is_done(config_path, db)

    assert after["sent"] == [number] and after["adopted"] == 1 and after["waiting"] == []
    assert sandbox.calls[f"POST {path}"] == 1
    assert len(getattr(sandbox, CREATED[path])) == 1
    assert_exactly_once(sandbox, db, [number], pdf_kinds=("Werkbon",))


@pytest.mark.slow
def test_a_call_the_client_gave_up_on_is_not_sent_again_while_exact_may_still_store_it(sandbox, config_path):
    db = short_timeout_store(sandbox, config_path)
    number = archived(db, customer_codes(db)[0])
    sandbox.fault("POST", "salesinvoice/SalesInvoices", "latency", ms=SLOW_MS)  # longer than the timeout

    first = push_cli(config_path)
    assert first["retrying"] == [number] and sandbox.invoices == {}  # the client stopped waiting first
    wait_for(lambda: len(sandbox.invoices) == 1)  # then Exact stored it all the same
    assert push_cli(config_path)["waiting"] == [number]
    assert sandbox.calls["POST salesinvoice/SalesInvoices"] == 1

    after = push_once_exact_is_done(config_path, db)
    assert after["sent"] == [number] and after["adopted"] == 1
    assert_exactly_once(sandbox, db, [number], pdf_kinds=())


# --- 14.4: one poison work order does not stop the others ----------------------------------------------------

def poison(db, number: str) -> None:
    """Two bookings whose sum SQLite cannot hold: as a store written before entry bounds existed."""
    work_order_id = db.execute("SELECT id FROM work_orders WHERE number = ?", [number]).fetchone()[0]
    for _ in range(2):
        db.execute("INSERT INTO time_bookings (work_order_id, employee, kind, minutes, booked_at) "
                   "VALUES (?, 'Piet', 'work', 9223372036854775807, '2026-12-01T08:00:00Z')", [work_order_id])


def test_a_poison_work_order_gets_one_error_row_and_the_others_still_go(sandbox, config_path, run, db):
    store = short_timeout_store(sandbox, config_path)
    first, bad, last = (archived(store, code) for code in customer_codes(store)[:3])
    poison(store, bad)

    result = run("push", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sent"] == [first, last] and summary["errored"] == [bad]
    assert "1 errored" in result.stderr
    assert_exactly_once(sandbox, store, [first, last], pdf_kinds=())
    errors = list(db.query("SELECT record, message, action FROM log WHERE kind = 'error'"))
    assert [(e["record"], e["message"], e["action"]) for e in errors] == [(
        bad, f"work order {bad} could not be handled by push (OperationalError at workorders.py:"
             f"{errors[0]['message'].split('workorders.py:')[1].split(':')[0]}: integer overflow); "
             "the other work orders are not held up",
        f"report this message; {bad} stays queued and each push tries it again")]
    assert store.execute("SELECT status FROM work_orders WHERE number = ?", [bad]).fetchone()[0] == "archived"

    again = run("push", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["errored"] == [bad]
    assert db.execute("SELECT count(*) FROM log WHERE kind = 'error'").fetchone()[0] == 1, "once per reason"


def test_dry_run_shows_a_poison_work_order_beside_the_others(sandbox, config_path, run):
    store = short_timeout_store(sandbox, config_path)
    good, bad = (archived(store, code) for code in customer_codes(store)[:2])
    poison(store, bad)

    result = run("push", "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    shown = {s["number"]: s for s in json.loads(result.stdout)}
    assert shown[good]["error"] is None and shown[good]["invoice"]["lines"]
    assert shown[bad]["invoice"] is None
    assert shown[bad]["error"]["message"].startswith(f"work order {bad} could not be handled by push")
    assert shown[bad]["error"]["action"].startswith("report this message")
    table = run("push", "--dry-run")
    assert table.exit_code == 0 and "cannot be handled" in table.output and good in table.output


def test_a_broken_login_still_stops_the_whole_run(sandbox, config_path, run):
    store = short_timeout_store(sandbox, config_path)
    bad, good = (archived(store, code) for code in customer_codes(store)[:2])
    poison(store, bad)
    TokenStore.beside(config_mod.load(config_path).store_path).path.unlink()

    result = run("push")

    assert result.exit_code == 1 and "run `exactsync connect`" in result.output, result.output
    errors = [r for (r,) in store.execute("SELECT record FROM log WHERE kind = 'error' AND tbl = 'workorder'")]
    assert errors == [bad], "the login is the run's trouble, not the good work order's"
    assert store.execute("SELECT status FROM work_orders WHERE number = ?", [good]).fetchone()[0] == "archived"


def full_disk() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database or disk is full")
    exc.sqlite_errorcode = sqlite3.SQLITE_FULL
    return exc


@pytest.mark.parametrize("exc, stops", [
    (DailyLimitReached(None), True), (ReconnectNeeded("no login"), True), (ExactApiError(429, "Too many"), True),
    (ExactsyncError("item 9 of [settings] default_item does not exist in Exact"), True), (full_disk(), True),
    (sqlite3.OperationalError("integer overflow"), False), (KeyError("InvoiceID"), False),
    (WorkOrderError("work order WO00001 does not exist"), False), (ValueError("bad date"), False)])
def test_what_stops_the_whole_run_and_what_is_one_work_orders(exc, stops):
    assert push.stops_the_run(exc) is stops


# --- 14.5: set-customer cannot interleave with a push --------------------------------------------------------

@pytest.mark.slow
def test_set_customer_on_an_archived_work_order_waits_for_a_running_push(sandbox, config_path, run):
    store = short_timeout_store(sandbox, config_path)
    item = sales_item_codes(sandbox)[0]
    store.execute("DELETE FROM items WHERE code = ?", [item])  # push asks Exact for the default item first
    old, new = customer_codes(store)[:2]
    number = archived(store, old)
    sandbox.fault("GET", "logistics/Items", "latency", ms=1000)  # push has read the work order by now
    sandbox.reset_calls()
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls["GET logistics/Items"] == 1)

    busy = run("workorder", "set-customer", number, "--customer", new, env={"EXACTSYNC_LOCK_WAIT": "0"})

    assert busy.exit_code == 1
    assert busy.output == (f"Error: work order {number} was not changed: a push (or another run) is busy and may "
                           "be sending it; run the command again when that run has finished\n")
    assert process.wait(timeout=60) == 0
    [invoice] = sandbox.invoices.values()
    order = store.execute("SELECT customer_code, customer_exact_id, status FROM work_orders WHERE number = ?",
                          [number]).fetchone()
    assert order == (old, invoice["OrderedBy"], "sent")
    later = run("workorder", "set-customer", number, "--customer", new)
    assert later.exit_code == 1 and "already has its invoice in Exact" in later.output


@pytest.mark.slow
def test_set_customer_that_waited_for_the_push_finds_the_invoice_sent(sandbox, config_path, run):
    store = short_timeout_store(sandbox, config_path)
    old, new = customer_codes(store)[:2]
    number = archived(store, old)
    sandbox.fault("POST", "salesinvoice/SalesInvoices", "latency", ms=1000)
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls["POST salesinvoice/SalesInvoices"] == 1)

    waited = run("workorder", "set-customer", number, "--customer", new, env={"EXACTSYNC_LOCK_WAIT": "60"})

    assert waited.exit_code == 1 and "already has its invoice in Exact" in waited.output  # it waited for push
    assert process.wait(timeout=60) == 0
    [invoice] = sandbox.invoices.values()
    assert store.execute("SELECT customer_exact_id FROM work_orders WHERE number = ?",
                         [number]).fetchone()[0] == invoice["OrderedBy"]


# --- 14.8: the summary counts each work order once -------------------------------------------------------------

def test_a_work_order_refused_twice_in_one_run_is_counted_once(sandbox, config_path, run):
    store = short_timeout_store(sandbox, config_path)
    number = archived(store, customer_codes(store)[0])
    sandbox.fault("POST", "salesinvoice/SalesInvoices", "error500", times=2)
    assert json.loads(run("push", "--json").stdout)["retrying"] == [number]

    second = run("push", "--json")  # the 500 is judged a refusal, the next try is due at once and fails again

    summary = json.loads(second.stdout)
    assert summary["retrying"] == [number] and summary["sent"] == []
    assert "1 retrying" in second.stderr


@pytest.mark.parametrize("value, problem", [("0", "must be 1 or more, got 0"),
                                            ("3601", "must be at most 3600, got 3601"),
                                            ("2.5", "must be a whole number, got 2.5 (float)")])
def test_the_answer_timeout_is_a_whole_number_of_seconds_from_1_to_3600(config_path, run, value, problem):
    text = config_path.read_text(encoding="utf-8").replace("timeout_seconds = 120", f"timeout_seconds = {value}")
    config_path.write_text(text, encoding="utf-8")
    result = run("push")
    assert result.exit_code == 1
    assert f"[exact] timeout_seconds: {problem}" in result.output
