"""Push against time: a step left without an answer is not looked up early, whatever the config or the
wall clock does meanwhile (issue 20.1); `push --max-seconds` starts no call, and no pace wait, that
would end after the bound (issue 20.6)."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exactsync.exact import ExactClient
from exactsync.exact.errors import UncertainOutcome
from exactsync.sandbox import Sandbox
from exactsync.settings_check import verified_settings
from exactsync.store import open_store
from exactsync.sync import push
from tests.helpers.fakes import FakeClock
from tests.helpers.push import (
    archived,
    assert_exactly_once,
    cheap_pdfs,
    connected_store,
    customer_codes,
    sales_item_codes,
)

TEXT_OF = {"salesinvoice/SalesInvoices": "Description", "documents/Documents": "Subject",
           "documents/DocumentAttachments": "FileName"}
START = 1_900_000_000.0


class LateExact:
    """Exact as push meets it when answers are lost: a lost POST is stored all the same, as late as
    Exact can (twice the client's longest call after it went out, counted in real time, which a wall
    clock step does not move); a lookup sees what is stored by then. `seconds` is the real time
    passed, `wall_offset` how far the wall clock was stepped, `timeout` the configured timeout."""

    def __init__(self):
        self.seconds = 0.0
        self.wall_offset = 0.0
        self.timeout = 120
        self.losing = True
        self.deadline = None
        self.landing: list[tuple[float, str, dict]] = []
        self.stored: list[tuple[str, dict]] = []
        self.order_numbers = itertools.count(1)

    @property
    def longest_call(self) -> float:
        return self.timeout + min(10, self.timeout)

    def clock(self) -> float:
        return START + self.seconds + self.wall_offset

    def boot(self) -> tuple[str, float]:
        return "this-boot", 1000 + self.seconds

    def post(self, path: str, body: dict, *, sending) -> dict:
        sending()
        row = {**body, "ID": str(uuid.uuid4())}
        if path == "salesinvoice/SalesInvoices":
            row |= {"InvoiceID": row["ID"], "OrderNumber": next(self.order_numbers)}
        if self.losing:
            self.landing.append((self.seconds + 2 * self.longest_call, path, row))
            raise UncertainOutcome(f"POST {path}", "no answer from Exact (ReadTimeout)")
        self.stored.append((path, row))
        return row

    def pages(self, path: str, params: dict):
        landed = [entry for entry in self.landing if entry[0] <= self.seconds]
        self.stored += [(p, row) for _, p, row in landed]
        self.landing = [entry for entry in self.landing if entry[0] > self.seconds]
        yield [row for p, row in self.stored if p == path]

    def copies(self) -> Counter:
        """How often each thing is (or is about to be) in Exact, by its unique text."""
        return Counter((path, row[TEXT_OF[path]]) for path, row in
                       self.stored + [(p, row) for _, p, row in self.landing])


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A store with one archived work order, both PDFs on, copied for each example."""
    folder = tmp_path_factory.mktemp("template")
    with Sandbox(seed=21, customers=5, items=10, minutely_limit=10_000) as sandbox:
        config, db = connected_store(sandbox, folder / "exactsync.toml", pdfs="both",
                                     default_item=sales_item_codes(sandbox)[0])
        archived(db, customer_codes(db)[0])
        db.close()
    return config.store_path


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("timeout"), st.integers(1, 300)),  # [exact] timeout_seconds edited
    st.tuples(st.just("step"), st.integers(-7200, 7200)),  # the wall clock stepped
    st.tuples(st.just("pass"), st.integers(0, 900)),  # real time passes
    st.tuples(st.just("push"), st.booleans()),  # a push runs; True: Exact's answers are lost
), max_size=14)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(operations=[("timeout", 1), ("pass", 6), ("push", False)])  # the lowered timeout
@example(operations=[("step", 60), ("pass", 200), ("push", False)])  # a clock step inside the window
@given(operations=OPERATIONS)
def test_no_config_edit_or_clock_step_while_steps_wait_yields_a_second_anything(template, tmp_path_factory,
                                                                               monkeypatch, operations):
    cheap_pdfs(monkeypatch)
    path = tmp_path_factory.mktemp("example") / "exactsync.db"
    shutil.copy(template, path)
    db = open_store(path)
    exact = LateExact()

    def push_now(losing: bool) -> None:
        exact.losing = losing
        push.Push(exact, db, verified_settings(db), clock=exact.clock, boot=exact.boot).run()
        assert max(exact.copies().values(), default=0) <= 1, exact.copies()

    for operation, value in [("push", True), *operations]:
        if operation == "timeout":
            exact.timeout = value
        elif operation == "step":
            exact.wall_offset += value
        elif operation == "pass":
            exact.seconds += value
        else:
            push_now(value)
    exact.seconds += 10 ** 6  # long after every wait, with answers arriving again
    for _ in range(3):
        push_now(False)
    assert sorted(exact.copies().values()) == [1, 1, 1, 1], exact.copies()
    assert db.execute("SELECT status FROM work_orders").fetchone()[0] == "sent"
    db.close()


# --- push --max-seconds ------------------------------------------------------------------------------------

def test_max_seconds_starts_no_call_and_no_pace_wait_that_would_end_after_the_bound(monkeypatch, config_path):
    cheap_pdfs(monkeypatch)
    with Sandbox(seed=22, customers=10, items=10, minutely_limit=10_000) as sandbox:
        config, db = connected_store(sandbox, config_path, pdfs="both", default_item=sales_item_codes(sandbox)[0])
        numbers = [archived(db, code) for code in customer_codes(db)[:6]]
        start = 60 * (START // 60)  # at a minute's start: the next minute's calls come after the bound
        clock = FakeClock(start)
        sandbox.limits.clock = clock.time
        sandbox.set_rate_limits(minutely=15)  # the 16th call would wait for the next minute: past 40 s
        client = ExactClient.from_config(config, clock=clock.time, sleep=clock.sleep)
        starts = []
        request = client.session.request
        client.session.request = lambda *args, **kwargs: starts.append(clock.time()) or request(*args, **kwargs)

        result = push.Push(client, db, verified_settings(db), clock=clock.time).run(max_seconds=40)

        assert starts and max(starts) <= start + 40
        assert clock.time() <= start + 40, clock.slept  # no pace wait began that would end after the bound
        assert result.left and len(result.sent) < len(numbers)
        assert db.execute("SELECT count(*) FROM outbox WHERE state = 'in_flight'").fetchone()[0] == 0
        assert db.execute("SELECT message FROM log ORDER BY id DESC LIMIT 1").fetchone()[0] == \
            f"push used its 40 s: {result.left} work order{'s' if result.left > 1 else ''} left for the next run"
        for _ in range(5):
            clock.sleep(300)
            push.Push(client, db, verified_settings(db), clock=clock.time).run(max_seconds=40)
        assert_exactly_once(sandbox, db, numbers)
