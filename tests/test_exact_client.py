"""The client against the sandbox: refresh at the window's edge, ten processes at an expiry,
rate limits, and a $filter built from hostile values."""

import subprocess
import sys
import textwrap
import time

import pytest

from exactsync.exact import ExactClient, TokenStore, odata
from exactsync.exact.errors import DailyLimitReached
from tests.helpers.connecting import log_in, point_config_at
from tests.helpers.fakes import FakeClock

DIVISIONS = ("system/Divisions", {"$select": "Code"})


@pytest.fixture
def connected(config_path, sandboxes):
    def start(**sandbox_options):
        sandbox = sandboxes(seed=1, customers=5, items=3, **sandbox_options)
        config = point_config_at(config_path, sandbox, division=sandbox.division)
        log_in(sandbox, config)
        return sandbox, config
    return start


def wait_until(moment):
    time.sleep(max(moment - time.time(), 0))


def time_passes_until(moment, clock, sandbox):
    """The client's clock and Exact's (for its login) at `moment`, without waiting for it."""
    clock.now = moment
    sandbox.advance_clock(seconds=moment - sandbox.now())


def test_refresh_at_the_edge_of_the_window(connected):
    sandbox, config = connected(token_lifetime=3, refresh_window=1)
    tokens = TokenStore.beside(config.store_path)
    issued = tokens.load()
    clock = FakeClock()
    early = ExactClient.from_config(config, refresh_margin=2.0, clock=clock)  # would ask before Exact allows it
    edge = ExactClient.from_config(config, refresh_margin=0.7, clock=clock)
    assert len(early.get(*DIVISIONS)) == 1 and sandbox.calls["POST token"] == 1  # the code exchange

    time_passes_until(issued.expires_at - 1.6, clock, sandbox)
    assert len(early.get(*DIVISIONS)) == 1  # "too early" kept the current token
    assert sandbox.calls["POST token"] == 2 and tokens.load() == issued

    time_passes_until(issued.expires_at - 0.6, clock, sandbox)
    assert len(edge.get(*DIVISIONS)) == 1
    assert sandbox.calls["POST token"] == 3 and tokens.load() != issued
    assert sandbox.calls["GET system/Divisions"] == 3  # no call was refused with a 401


WORKER = textwrap.dedent("""
    import pathlib, sys, time
    from exactsync import config
    from exactsync.exact import ExactClient
    client = ExactClient.from_config(config.load(sys.argv[1]), refresh_margin=1.0)
    go = pathlib.Path(sys.argv[2])
    pathlib.Path(sys.argv[3]).touch()
    while not go.exists():
        time.sleep(0.002)
    print(len(client.get("system/Divisions", {"$select": "Code"})))
""")


@pytest.mark.slow
@pytest.mark.parametrize("expiry", ["Exact expires the tokens", "the token runs out locally"])
def test_ten_processes_at_a_token_expiry_all_succeed_and_the_chain_survives(connected, tmp_path, expiry):
    sandbox, config = connected(token_lifetime=4, refresh_window=4)
    tokens = TokenStore.beside(config.store_path)
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(config.path), str(go), str(tmp_path / f"ready{i}")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(10)]
    while len(list(tmp_path.glob("ready*"))) < 10:
        time.sleep(0.01)
    if expiry == "Exact expires the tokens":
        sandbox.expire_tokens()
    else:
        wait_until(tokens.load().expires_at - 0.9)
    sandbox.reset_calls()
    go.touch()
    results = [worker.communicate(timeout=60) for worker in workers]
    assert [(w.returncode, out, err) for w, (out, err) in zip(workers, results, strict=True)] == [(0, "1\n", "")] * 10
    assert sandbox.calls["POST token"] == 1

    sandbox.expire_tokens()
    assert len(ExactClient.from_config(config).get(*DIVISIONS)) == 1  # the saved refresh token still works
    assert sandbox.calls["POST token"] == 2


class RecordedSleep:
    def __init__(self):
        self.seconds = []

    def __call__(self, seconds):
        self.seconds.append(seconds)


def test_a_429_is_waited_out_and_the_get_retried(connected):
    sandbox, config = connected()
    sleep = RecordedSleep()
    client = ExactClient.from_config(config, sleep=sleep)
    sandbox.fault(method="GET", path="system/Divisions", kind="429", times=1)
    assert len(client.get(*DIVISIONS)) == 1
    assert sandbox.calls["GET system/Divisions"] == 2
    assert len(sleep.seconds) == 1 and 0 < sleep.seconds[0] <= 61
    assert client.limits.daily_remaining is not None and client.limits.daily_remaining > 0


def test_daily_limit_spent_stops_at_once(connected):
    sandbox, config = connected()
    sleep = RecordedSleep()
    client = ExactClient.from_config(config, sleep=sleep)
    sandbox.exhaust_daily_limit()
    with pytest.raises(DailyLimitReached, match="daily API limit for this division is spent; it resets at "):
        client.get(*DIVISIONS)
    with pytest.raises(DailyLimitReached):
        client.get(*DIVISIONS)
    assert sandbox.calls["GET system/Divisions"] == 1 and client.calls == 1 and sleep.seconds == []


HOSTILE_NAMES = ["O'Brien & Zoë's ‘Café’", "x' or Name ne '", "Bakkerij 't Hoekje' or Name eq 'Nieuwe klant",
                 "Ĳzerhandel Ærø ∑ 😀"]


def test_a_filter_from_quotes_or_and_unicode_returns_exactly_the_matching_row(connected):
    sandbox, config = connected()
    ids = {name: sandbox.add_customer(Name=name) for name in HOSTILE_NAMES}
    sandbox.add_customer(Name="Nieuwe klant")
    client = ExactClient.from_config(config)
    for name, guid in ids.items():
        rows = client.get("crm/Accounts", {"$filter": f"Name eq {odata.quote(name)}", "$select": "ID,Name"})
        assert [(r["ID"], r["Name"]) for r in rows] == [(guid, name)]
    by_id = client.get("crm/Accounts", {"$filter": f"ID eq {odata.guid(ids[HOSTILE_NAMES[0]])}", "$select": "ID"})
    assert [r["ID"] for r in by_id] == [ids[HOSTILE_NAMES[0]]]


def test_pacing_keeps_a_run_under_the_minutely_limit(connected):
    sandbox, config = connected(minutely_limit=5)
    clock = FakeClock()  # shared: sleeping moves the client and the sandbox's limiter at once
    sandbox.limits.clock = clock
    client = ExactClient.from_config(config, clock=clock, sleep=clock.sleep)
    for _ in range(12):
        client.get(*DIVISIONS)
    assert sandbox.calls["GET system/Divisions"] == 12  # not one call was refused with a 429
    assert len(clock.slept) == 2 and all(0 < s <= 61 for s in clock.slept)
