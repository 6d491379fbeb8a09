"""The heartbeat against a local HTTP server: pull and push ping `<url>/start`, then `<url>` or
`<url>/fail` with the run's error rows; a ping that fails never fails the run and warns once a day;
the address (a token) is never written whole."""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exactsync import config as config_mod
from exactsync import heartbeat, log
from exactsync.errors import ConfigError
from exactsync.settings_check import record_verified
from exactsync.store import set_state
from tests.helpers.push import archived, connected_store, customer_codes

pytestmark = pytest.mark.sandbox(seed=5, customers=5, items=5, minutely_limit=10_000)

TOKEN = "5d2c4b1e-0f7a-4c59-9d3e-2b8f6a1c7e90"


class Monitor:
    """A healthchecks.io stand-in: it records each ping (method, path below the check, body)."""

    def __init__(self):
        self.pings: list[tuple[str, str, str]] = []
        self.status = 200
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._ping("")

            def do_POST(self):
                self._ping(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))

            def _ping(self, body: str):
                monitor.pings.append((self.command, self.path.removeprefix(f"/ping/{TOKEN}"), body))
                self.send_response(monitor.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ping/{TOKEN}"

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.pings]


@pytest.fixture
def monitor():
    found = Monitor()
    thread = threading.Thread(target=found.server.serve_forever, args=(0.01,), daemon=True)  # a quick shutdown
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()
    thread.join()


def with_ping_url(config_path, url: str) -> config_mod.Config:
    return config_mod.update(config_mod.load(config_path), "monitoring", "ping_url", url)


def everything_written(run, db) -> str:
    return run("log", "--json").stdout + str(list(db["state"].rows))


def test_a_skipped_run_pings_start_and_success(run, config_path, monitor):
    with_ping_url(config_path, monitor.url)
    assert run("pull").exit_code == 0  # never connected: skipped, which is no failure
    assert monitor.pings == [("GET", "/start", ""), ("GET", "", "")]


def test_a_failed_run_pings_fail_with_its_error_rows(run, config_path, db, monitor):
    with_ping_url(config_path, monitor.url)
    set_state(db, active=1)  # settings never checked: the run is refused with an error row
    result = run("push")
    assert result.exit_code == 1
    assert monitor.paths() == ["/start", "/fail"]
    assert monitor.pings[1][2] == "Error: settings were never checked: run exactsync check-settings"


def test_cleanup_does_not_ping(run, config_path, db, monitor):
    config = with_ping_url(config_path, monitor.url)
    set_state(db, active=1)
    record_verified(db, config.settings)
    assert run("cleanup").exit_code == 0
    assert monitor.pings == []


def test_pull_and_push_ping_success_and_a_push_that_wrote_error_rows_pings_fail(run, sandbox, config_path,
                                                                                 monitor):
    _, db = connected_store(sandbox, config_path)
    with_ping_url(config_path, monitor.url)
    assert run("pull").exit_code == 0
    assert run("push").exit_code == 0  # nothing queued
    assert monitor.paths() == ["/start", "", "/start", ""]

    monitor.pings.clear()
    nothing = archived(db, customer_codes(db)[0], work=None, travel=None, form=False)
    assert run("push").exit_code == 0  # the work order is refused, the run goes on: an error row
    assert monitor.paths() == ["/start", "/fail"]
    assert monitor.pings[1][2].startswith(f"work order {nothing} ")
    assert "what to do: " in monitor.pings[1][2]

    monitor.pings.clear()
    assert run("push").exit_code == 0  # refused again, said before: no new row, nothing for a person
    assert monitor.paths() == ["/start", ""]
    assert TOKEN not in everything_written(run, db)


def test_a_failing_ping_never_fails_the_run_and_warns_once_a_day(run, config_path, db, monitor):
    with_ping_url(config_path, monitor.url)
    monitor.status = 500
    for _ in range(2):
        assert run("pull").exit_code == 0
    warned = [r for r in log.rows(db, log.LogFilter(kinds=("warning",))) if "heartbeat" in r["message"]]
    assert [(r["message"], r["action"]) for r in warned] == [(
        "the heartbeat to http://127.0.0.1/... failed: HTTP 500 Internal Server Error",
        "check [monitoring] ping_url and the network; the runs themselves go on")]
    assert TOKEN not in everything_written(run, db)


def test_an_unreachable_monitor_warns_once_per_day(db, monitor):
    url = monitor.url
    monitor.server.shutdown()
    monitor.server.server_close()  # nothing listens there now: refused at once
    days = iter([date(2026, 12, 1)] * 3 + [date(2026, 12, 2)])
    beat = heartbeat.Heartbeat(db, url, today=lambda: next(days))
    beat.start()
    beat.finish(None)
    beat.finish("error")
    beat.start()
    messages = [r["message"] for r in log.rows(db, log.LogFilter(kinds=("warning",)))]
    assert len(messages) == 2 and all(m.startswith("the heartbeat to http://127.0.0.1/... failed: ") for m in messages)
    assert all(TOKEN not in m for m in messages)


def test_the_fail_body_is_cut_at_10_kb_on_a_character_boundary(db, monitor):
    heartbeat.Heartbeat(db, monitor.url).finish("é" * 6000)  # 12,000 bytes
    method, path, body = monitor.pings[0]
    assert (method, path) == ("POST", "/fail")
    assert body == "é" * 5000 and len(body.encode()) == heartbeat.BODY_LIMIT


def test_the_address_is_shown_without_its_token():
    assert heartbeat.redacted(f"https://hc-ping.com/{TOKEN}") == "https://hc-ping.com/..."


def test_the_config_refuses_a_ping_url_that_is_no_web_address_without_repeating_it(config_path):
    with pytest.raises(ConfigError) as refused:
        with_ping_url(config_path, f"hc-ping.com/{TOKEN}")
    assert "[monitoring] ping_url: must be an http or https address" in str(refused.value)
    assert TOKEN not in str(refused.value)
