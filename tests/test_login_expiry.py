"""An Exact login that expired or was revoked stops every run with one error row, and is never
a work order's fault: nothing queued counts a try, and after connect the next push sends it all."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import requests

from exactsync import config as config_mod
from exactsync import log, wipe
from exactsync.exact import TokenStore
from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.exact.errors import LoginExpired, LoginUnavailable, ReconnectNeeded
from exactsync.exact.tokens import Tokens
from exactsync.sandbox import Sandbox
from exactsync.store import get_state
from tests.helpers.fakes import FakeClock
from tests.helpers.login import log_in
from tests.helpers.push import (
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    sales_item_codes,
)
from tests.helpers.sandbox_http import connect as sandbox_connect
from tests.helpers.sandbox_http import token_call

pytestmark = pytest.mark.sandbox(seed=3, customers=20, items=30, minutely_limit=10_000)

EXPIRED = "Error: the Exact login has expired or was revoked (Exact: "
INVOICES = "POST salesinvoice/SalesInvoices"


@pytest.fixture
def queue(sandbox, config_path):
    """Three archived work orders waiting for push, invoice only. The pull brought every item, so the
    invoice POST is push's first call (the tests check that it was made)."""
    config, db = connected_store(sandbox, config_path, work_time_item=sales_item_codes(sandbox)[0])
    numbers = [archived(db, code, form=False) for code in customer_codes(db)[:3]]
    yield config, db, numbers
    db.close()


def error_rows(db) -> list[dict]:
    return log.rows(db, log.LogFilter(kinds=("error",), limit=None))


def untouched_outbox(db) -> bool:
    """No step counts a try, waits for a back-off or failed."""
    return db.execute("SELECT count(*) FROM outbox WHERE attempts > 0 OR state != 'pending' "
                      "OR next_attempt_at IS NOT NULL").fetchone()[0] == 0


def assert_stopped_by_the_login(run, db, sandbox, numbers, exact_said: str) -> None:
    """Push and pull, twice each as cron would: every run stops with exit 1, one error row in all."""
    token_calls = sandbox.calls["POST token"]
    for command in ("push", "pull", "push", "pull"):
        result = run(command)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(EXPIRED + exact_said), result.stderr
        assert result.stderr.endswith(": run `exactsync connect` to log in to Exact again\n"), result.stderr
    assert sandbox.calls["POST token"] == token_calls + 1  # found once; later runs do not ask Exact again
    assert not sandbox.invoices
    assert {r[0] for r in db.execute("SELECT status FROM work_orders")} == {"archived"}
    assert untouched_outbox(db)
    [row] = error_rows(db)
    assert (row["table"], row["action"]) == ("connection", "run exactsync connect to log in to Exact again")
    assert row["message"].startswith("push failed: the Exact login has expired or was revoked (Exact: " + exact_said)
    assert not log.rows(db, log.LogFilter(kinds=("warning", "error"), table="workorder", limit=None))
    assert get_state(db, "last_pull_outcome") == "failed: the Exact login must be renewed"


def assert_status_says_expired(run, exact_said: str) -> None:
    shown = json.loads(run("status", "--json").stdout)["login"]
    assert shown["state"] == "expired" and shown["exact_said"].startswith(exact_said) and shown["since"]
    table = run("status").stdout
    assert "expired or revoked" in table and "run exactsync connect" in table


def assert_connect_sends_everything_once(run, config_path, sandbox, db, numbers) -> None:
    assert wipe.not_from_exact(db) == {}  # connect starts without a wipe
    log_in(config_mod.load(config_path))
    assert json.loads(run("status", "--json").stdout)["login"]["state"] == "connected"
    result = run("push")
    assert result.exit_code == 0, result.output
    assert_exactly_once(sandbox, db, numbers, pdf_kinds=())
    assert sandbox.calls[INVOICES] == len(numbers) + 1  # the one refused with 401, then each once
    assert {r[0] for r in db.execute("SELECT attempts FROM outbox")} == {1}
    assert run("pull").exit_code == 0 and run("push").exit_code == 0
    assert len(sandbox.invoices) == len(numbers) and len(error_rows(db)) == 1


def test_a_login_unused_for_31_days_stops_runs_once_and_connect_sends_what_waited(sandbox, config_path, run, queue):
    config, db, numbers = queue
    sandbox.advance_clock(days=31)

    assert_stopped_by_the_login(run, db, sandbox, numbers, "The refresh token expired at ")
    assert sandbox.calls[INVOICES] == 1  # refused with 401 before Exact did anything: not the work order's try
    assert_status_says_expired(run, "The refresh token expired at ")
    assert_connect_sends_everything_once(run, config_path, sandbox, db, numbers)


@pytest.mark.parametrize("when", ["at the invoice POST", "before any call"])
def test_a_refresh_token_used_elsewhere_stops_runs_once_and_connect_sends_what_waited(sandbox, config_path, run,
                                                                                      queue, when):
    config, db, numbers = queue
    tokens = TokenStore.beside(config.store_path)
    stored = tokens.load()
    sandbox.expire_tokens()
    assert token_call(sandbox, grant_type="refresh_token", refresh_token=stored.refresh_token).status_code == 200
    if when == "before any call":  # exactsync knows its access token is spent and refreshes first
        tokens.save(replace(stored, expires_at=0.0))

    assert_stopped_by_the_login(run, db, sandbox, numbers, "Old refresh token used.")
    assert sandbox.calls[INVOICES] == (1 if when == "at the invoice POST" else 0)
    assert_status_says_expired(run, "Old refresh token used.")
    log_in(config_mod.load(config_path))
    assert run("push").exit_code == 0
    assert_exactly_once(sandbox, db, numbers, pdf_kinds=())
    assert {r[0] for r in db.execute("SELECT attempts FROM outbox")} == {1}
    assert len(error_rows(db)) == 1


def test_a_step_left_in_flight_keeps_its_count_while_the_login_is_expired(sandbox, config_path, run, queue):
    config, db, numbers = queue
    sandbox.fault("POST", "salesinvoice/SalesInvoices", "drop_after_commit")
    assert run("push").exit_code == 0  # the first invoice is in Exact, its answer lost: in flight
    # ...long enough ago that no request of that run can still be under way at Exact
    db.execute("UPDATE outbox SET updated_at = '2000-01-01T00:00:00Z', look_up_after = '2000-01-01T00:05:00Z', "
               "boot_id = NULL")  # on an earlier boot
    in_flight = db.execute("SELECT work_order_id, state, attempts FROM outbox WHERE state = 'in_flight'").fetchall()
    assert len(in_flight) == 1
    sandbox.advance_clock(days=31)

    result = run("push")
    assert result.exit_code == 1 and result.stderr.startswith(EXPIRED), result.output
    assert db.execute("SELECT work_order_id, state, attempts FROM outbox WHERE state = 'in_flight'").fetchall() \
        == in_flight
    log_in(config_mod.load(config_path))
    assert run("push").exit_code == 0
    assert_exactly_once(sandbox, db, numbers, pdf_kinds=())
    assert {r[0] for r in db.execute("SELECT attempts FROM outbox")} == {1}


# --- the token endpoint's answers, one by one ----------------------------------------------------------

def refused_by_exact(status: int, body: dict) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body).encode()
    answer.headers["Content-Type"] = "application/json"
    return answer


class TokenEndpoint:
    """A session whose token endpoint gives `answers` in turn."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def post(self, url, data=None, headers=None, timeout=None):
        self.calls += 1
        return self.answers.pop(0)


@pytest.fixture
def expired_login(tmp_path):
    tokens = TokenStore.beside(tmp_path / "exactsync.db")
    tokens.save(Tokens("access-1", "refresh-1", 1_000.0))
    return tokens


def authenticator(tokens, session) -> Authenticator:
    app = OAuthApp("https://start.exactonline.nl", "client-1", "s3cret", "https://example.com/exact")
    return Authenticator(app, tokens, session, clock=FakeClock(2_000.0))


@pytest.mark.parametrize("status, body", [
    (400, {"error": "invalid_request", "error_description": "The refresh token expired at 10/11/2022 9:18:20 PM "
                                                           "and it is now 10/28/2022 4:15:50 PM."}),
    (401, {"error": "unauthorized_client", "error_description": "Old refresh token used."}),
    (400, {"error": "invalid_grant", "error_description": "Token is not allowed, because of invalid or empty chainId"}),
])
def test_every_refusal_of_the_refresh_token_is_an_expired_login_found_once(expired_login, status, body):
    session = TokenEndpoint(refused_by_exact(status, body))
    with pytest.raises(LoginExpired) as first:
        authenticator(expired_login, session).access_token()
    assert first.value.found_at is None and first.value.exact_said == body["error_description"]
    with pytest.raises(LoginExpired) as later:
        authenticator(expired_login, session).access_token()
    assert later.value.found_at and str(later.value) == str(first.value)
    assert session.calls == 1  # Exact is not asked again: its token endpoint allows 200 calls a day
    assert (expired_login.load().access_token, expired_login.load().refresh_token) == ("access-1", "refresh-1")


@pytest.mark.parametrize("status, body", [(500, {"error": "server_error"}), (429, {}), (503, {})])
def test_other_answers_of_the_token_endpoint_stop_the_run_and_keep_the_login(expired_login, status, body):
    session = TokenEndpoint(refused_by_exact(status, body))
    with pytest.raises(LoginUnavailable, match=f"Exact did not renew the login this time \\(HTTP {status}") as caught:
        authenticator(expired_login, session).access_token()
    assert not isinstance(caught.value, ReconnectNeeded)
    assert expired_login.load() == Tokens("access-1", "refresh-1", 1_000.0)


def test_a_login_found_expired_is_forgotten_once_a_new_one_is_saved(expired_login):
    session = TokenEndpoint(refused_by_exact(401, {"error": "unauthorized_client",
                                                   "error_description": "Old refresh token used."}))
    with pytest.raises(LoginExpired):
        authenticator(expired_login, session).access_token()
    expired_login.save(Tokens("access-2", "refresh-2", 10_000.0))  # what connect does
    assert authenticator(expired_login, session).access_token() == "access-2"


# --- the sandbox ---------------------------------------------------------------------------------------------

def test_the_sandbox_expires_a_refresh_token_unused_for_30_days_with_exacts_answer():
    with Sandbox(customers=1, items=1) as sb:
        kept, lapsed = sandbox_connect(sb), sandbox_connect(sb)
        sb.advance_clock(days=29)
        renewed = token_call(sb, grant_type="refresh_token", refresh_token=kept["refresh_token"])
        assert renewed.status_code == 200
        sb.advance_clock(days=1)
        answer = token_call(sb, grant_type="refresh_token", refresh_token=lapsed["refresh_token"])
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
        when = r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M"  # as recorded: 10/28/2022 4:15:50 PM
        assert re.fullmatch(f"The refresh token expired at {when} and it is now {when}\\.",
                            answer.json()["error_description"]), answer.json()
        # the one renewed lives 30 days from its renewal: 29 days gone now
        sb.advance_clock(days=28)
        assert token_call(sb, grant_type="refresh_token",
                          refresh_token=renewed.json()["refresh_token"]).status_code == 200
