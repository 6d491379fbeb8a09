"""Exactly once, whatever fails: dropped answers, 500s, kill -9, random faults over many runs, rate limits."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time

import pytest

from exactsync import config as config_mod
from exactsync.errors import ExactsyncError
from exactsync.exact import ExactClient
from exactsync.settings_check import verified_settings
from exactsync.sync import preview, steps
from exactsync.workorders import lifecycle
from tests.helpers.fakes import FakeClock
from tests.helpers.processes import kill, start_push, wait_for
from tests.helpers.push import (
    after_exact_is_done,
    archived,
    assert_exactly_once,
    cheap_pdfs,
    completed,
    connected_store,
    customer_codes,
    in_exact,
    run_push,
    sales_item_codes,
)

pytestmark = pytest.mark.sandbox(seed=9, customers=20, items=30, minutely_limit=10_000)

PATHS = ("salesinvoice/SalesInvoices", "documents/Documents", "documents/DocumentAttachments")
POSTS = tuple(f"POST {path}" for path in PATHS)
WRITES = POSTS
CREATED = {"salesinvoice/SalesInvoices": "invoices", "documents/Documents": "documents",
           "documents/DocumentAttachments": "attachments"}


@pytest.fixture
def queue(sandbox, config_path):
    """Two archived work orders, both PDFs on: four steps each."""
    config, db = connected_store(sandbox, config_path, pdfs="both", work_time_item=sales_item_codes(sandbox)[0])
    numbers = [archived(db, code) for code in customer_codes(db)[:2]]
    yield db, numbers
    db.close()


def no_pause(seconds: float) -> None:
    """The client's pause between GET retries, skipped in tests."""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", ["drop_after_commit", pytest.param("error500", marks=pytest.mark.slow),
                                  pytest.param("drop_before", marks=pytest.mark.slow)])
def test_a_fault_on_any_step_ends_with_exactly_one_of_everything_after_the_next_run(sandbox, config_path, queue,
                                                                                     path, kind):
    db, numbers = queue
    sandbox.fault("POST", path, kind)
    first = run_push(config_path, db)
    assert first.retrying == [numbers[0]] and first.sent == [numbers[1]]
    if kind == "drop_after_commit":
        assert len(getattr(sandbox, CREATED[path])) >= 1  # Exact stored it; the answer never came
    [shown] = preview.preview(db, verified_settings(db))  # the invoice goes last: it waits for the failed step
    assert shown["exact_invoice_id"] is None and db["work_orders"].get(1)["exact_invoice_id"] is None
    if path == "salesinvoice/SalesInvoices":  # the work order's document and both PDFs went before it
        assert dict(db.execute("SELECT step, state FROM outbox WHERE work_order_id = 1").fetchall()) == {
            "document": "done", "attachment:workorder": "done", "attachment:forms": "done", "invoice": "in_flight"}
    second = run_push(config_path, db, clock=after_exact_is_done(config_path))
    assert second.sent == [numbers[0]]
    assert second.adopted == (1 if kind == "drop_after_commit" else 0)
    assert_exactly_once(sandbox, db, numbers)


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("moment", ["while Exact answers", "before the answer is recorded"])
def test_kill_9_at_each_step_ends_with_exactly_one_of_everything_after_the_next_run(sandbox, config_path, queue,
                                                                                    path, moment):
    db, numbers = queue
    table = CREATED[path]
    sandbox.fault("POST", path, "latency", ms=1000)  # time enough to act, even on a loaded machine
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls[f"POST {path}"] >= 1)
    if moment == "while Exact answers":
        kill(process)
        wait_for(lambda: len(getattr(sandbox, table)) == 1)  # Exact finishes what it started
    else:
        # Hold the store's write lock, so the push gets Exact's answer but cannot record it.
        blocker = sqlite3.connect(config_mod.load(config_path).store_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        wait_for(lambda: len(getattr(sandbox, table)) == 1)
        time.sleep(0.1)
        kill(process)
        blocker.execute("ROLLBACK")
        blocker.close()
    steps = dict(db.execute("SELECT step, state FROM outbox WHERE work_order_id = 1").fetchall())
    assert "in_flight" in steps.values(), steps
    result = run_push(config_path, db, clock=after_exact_is_done(config_path))
    assert result.adopted == 1 and result.sent == numbers
    assert_exactly_once(sandbox, db, numbers)


@pytest.mark.slow
def test_random_faults_over_many_runs_never_duplicate_and_everything_arrives(sandbox, config_path, monkeypatch):
    cheap_pdfs(monkeypatch)
    config, db = connected_store(sandbox, config_path, pdfs="both", default_item=sales_item_codes(sandbox)[0])
    numbers = [completed(db, code) for code in customer_codes(db)[:12]]
    rng = random.Random(2026)
    clock = FakeClock()
    client = ExactClient.from_config(config, sleep=no_pause)
    kinds = ("error500", "drop_before", "drop_after_commit")
    paths = [("POST", p) for p in PATHS] + [("GET", p) for p in PATHS]
    adopted = retried = 0
    for run in range(30):
        if run % 2 == 0 and run // 2 < len(numbers):
            lifecycle.archive(db, numbers[run // 2])  # work orders keep coming while things fail
        for _ in range(rng.randint(0, 3)):
            method, path = rng.choice(paths)
            sandbox.fault(method, path, rng.choice(kinds))
        try:
            result = run_push(config_path, db, clock=clock.time, client=client)
            adopted += result.adopted
            retried += len(result.retrying)
        except ExactsyncError:
            pass  # a failed lookup stops the run; the next one starts with it again
        found = in_exact(sandbox)
        assert max([*found["invoices"].values(), *found["documents"].values(), *found["attachments"].values(), 0]) <= 1
        for (number,) in db.execute("SELECT number FROM work_orders WHERE status = 'failed'").fetchall():
            lifecycle.retry(db, number)  # as support would, after reading the log
        clock.sleep(3600)
    assert adopted and retried, "the faults hit nothing"
    sandbox.faults.clear()
    for _ in range(3):
        run_push(config_path, db, clock=clock.time, client=client)
        clock.sleep(3600)
    assert_exactly_once(sandbox, db, numbers)


@pytest.mark.slow
def test_100_work_orders_with_60_calls_a_minute_are_all_sent_over_several_runs_without_a_429(sandbox, config_path,
                                                                                             monkeypatch):
    cheap_pdfs(monkeypatch)
    config, db = connected_store(sandbox, config_path, pdfs="workorder", work_time_item=sales_item_codes(sandbox)[0])
    codes = customer_codes(db)
    numbers = [archived(db, codes[n % len(codes)], form=False) for n in range(100)]
    clock = FakeClock()
    refused = []
    take = sandbox.limits.take

    def counted_take(key):
        answer = take(key)
        if answer[0]:
            refused.append(answer[0])
        return answer

    sandbox.limits.take = counted_take
    sandbox.limits.clock = clock.time
    sandbox.set_rate_limits(minutely=60)
    client = ExactClient.from_config(config, clock=clock.time, sleep=clock.sleep)
    runs = []
    while db.execute("SELECT count(*) FROM work_orders WHERE status = 'archived'").fetchone()[0] and len(runs) < 10:
        runs.append(len(run_push(config_path, db, clock=clock.time, client=client, max_seconds=120).sent))
        clock.sleep(60)  # the next cron run
    assert refused == [] and "429" not in str(sandbox.calls)
    assert sum(runs) == 100 and len(runs) >= 3, runs
    stops = [m for (m,) in db.execute("SELECT message FROM log WHERE message LIKE 'push used its%' ORDER BY id")]
    assert len(stops) == len(runs) - 1 and stops[0].startswith("push used its 120 s: "), stops
    assert_exactly_once(sandbox, db, numbers, pdf_kinds=("Werkbon",))


@pytest.mark.slow
def test_kill_9_at_random_points_over_many_runs_never_duplicates(sandbox, config_path, queue):
    db, numbers = queue
    numbers += [archived(db, code) for code in customer_codes(db)[2:4]]
    rng = random.Random(8)
    kills = 0
    for _ in range(8):
        target = sum(sandbox.calls[c] for c in WRITES) + rng.randint(1, 4)
        process = start_push(config_path)
        wait_for(lambda target=target, process=process:
                 sum(sandbox.calls[c] for c in WRITES) >= target or process.poll() is not None)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        kills += process.wait() == -signal.SIGKILL
        found = in_exact(sandbox)
        assert max([*found["invoices"].values(), *found["documents"].values(), *found["attachments"].values()]) == 1
    assert kills >= 4, kills
    run_push(config_path, db, clock=after_exact_is_done(config_path))
    assert_exactly_once(sandbox, db, numbers)


@pytest.mark.slow
def test_a_network_that_keeps_failing_never_fails_the_work_order(sandbox, config_path, queue):
    db, numbers = queue
    sandbox.fault("POST", "salesinvoice/SalesInvoices", "drop_before", times=2 * steps.MAX_ATTEMPTS)
    clock = FakeClock()
    for _ in range(2 * steps.MAX_ATTEMPTS + 1):
        run_push(config_path, db, clock=clock.time)
        clock.sleep(300)
    assert_exactly_once(sandbox, db, numbers)
    assert db.execute("SELECT attempts FROM outbox WHERE step = 'invoice' ORDER BY id").fetchall() == [(1,), (1,)]
