"""Exact's daily call budget through the CLI: push and pull stop cleanly once it is spent,
say so once until the reset, spend no call meanwhile, and `status` shows what is left."""

from __future__ import annotations

import json

import pytest

from exactsync import log
from exactsync.store import get_state, set_state
from tests.helpers.budget import exact_day_passes
from tests.helpers.push import (
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    sales_item_codes,
)

pytestmark = pytest.mark.sandbox(seed=5, customers=25, items=40, minutely_limit=10_000)

STOPPED = "push stopped: Exact's daily call limit is reached; push resumes after the reset at "


def calls_used_today(sandbox) -> int:
    return sandbox.limits.used[sandbox.rate_key()][3]


def outbox(db) -> list[tuple]:
    return db.execute("SELECT w.number, o.step, o.state, o.attempts FROM outbox o "
                      "JOIN work_orders w ON w.id = o.work_order_id ORDER BY o.id").fetchall()


@pytest.mark.parametrize("calls_left", [pytest.param(0, marks=pytest.mark.slow), 1],
                         ids=["spent-before-the-push", "spent-after-the-document"])
def test_a_spent_daily_limit_stops_push_cleanly_once_and_the_work_order_goes_after_the_reset(
        sandbox, config_path, run, calls_left):
    _, db = connected_store(sandbox, config_path, pdfs="both", work_time_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])
    sandbox.set_rate_limits(daily=calls_used_today(sandbox) + calls_left)

    result = run("push")
    assert result.exit_code == 0, result.output
    assert STOPPED in result.output and "Traceback" not in result.output
    assert db.execute("SELECT status FROM work_orders WHERE number = ?", [number]).fetchone()[0] == "archived"
    assert [step for _, step, state, _ in outbox(db) if state == "done"] == ["document"] * calls_left
    # Refused before Exact did anything: no step in flight, no try counted.
    assert all(state in ("pending", "done") and attempts == (state == "done") for _, _, state, attempts in outbox(db)), \
        outbox(db)
    assert get_state(db, "last_push_outcome") == "stopped: Exact's daily call limit is spent"

    sandbox.reset_calls()
    for _ in range(3):  # cron, every 5 minutes until the reset
        again = run("push")
        assert again.exit_code == 0 and STOPPED in again.output
    assert sum(sandbox.calls.values()) == 0
    rows = [r["message"] for r in log.rows(db, log.LogFilter(kinds=("warning", "error"), limit=None))]
    assert len(rows) == 1 and rows[0].startswith(STOPPED), rows

    exact_day_passes(sandbox, db)
    result = run("push")
    assert result.exit_code == 0, result.output
    assert_exactly_once(sandbox, db, [number])


def test_status_shows_the_daily_calls_left_as_last_seen_and_unknown_after_the_reset(sandbox, config_path, run):
    _, db = connected_store(sandbox, config_path)
    assert json.loads(run("status", "--json").output)["exact_daily_calls"]["seen_at"] is None
    assert "not seen yet" in run("status").output

    assert run("pull").exit_code == 0
    calls = json.loads(run("status", "--json").output)["exact_daily_calls"]
    assert calls["limit"] == 5000 and calls["remaining"] == 5000 - calls_used_today(sandbox)
    assert calls["resets_at"].endswith("T00:00:00Z") and calls["seen_at"]
    table = run("status").output
    assert f"{calls['remaining']:,} of 5,000 left" in table

    sandbox.exhaust_daily_limit()
    run("pull")
    assert json.loads(run("status", "--json").output)["exact_daily_calls"]["remaining"] == 0
    assert "0 of 5,000 left" in run("status").output

    exact_day_passes(sandbox, db)
    calls = json.loads(run("status", "--json").output)["exact_daily_calls"]
    assert calls["remaining"] is None and calls["seen_at"]
    assert "unknown: Exact's day has reset since they were seen" in run("status").output


def test_a_budget_spent_in_another_division_does_not_stop_this_one(sandbox, config_path, run):
    _, db = connected_store(sandbox, config_path)
    sandbox.exhaust_daily_limit()
    assert run("pull").exit_code == 0
    assert json.loads(run("status", "--json").output)["exact_daily_calls"]["remaining"] == 0
    seen = json.loads(get_state(db, "exact_daily_calls"))
    set_state(db, exact_daily_calls=json.dumps({**seen, "division": sandbox.division + 1}))
    sandbox.set_rate_limits(daily=10_000)  # this division's calls are not spent
    result = run("pull")
    assert result.exit_code == 0 and "pulled in 4 calls" in result.output, result.output
