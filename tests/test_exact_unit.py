"""The client's decisions (paging, retries, rate limits, refresh, errors) against a scripted session."""

import json
import multiprocessing
import os
import stat

import pytest
import requests

from exactsync.exact import ExactClient, TokenStore
from exactsync.exact.auth import OAuthApp
from exactsync.exact.errors import DailyLimitReached, ExactApiError, PagingLoop, ReconnectNeeded, UncertainOutcome
from exactsync.exact.tokens import Tokens
from tests.helpers.fakes import FakeClock

BASE = "https://start.exactonline.nl"
APP = OAuthApp(BASE, "client-1", "s3cret", "http://127.0.0.1:8765/callback")


def answer(status=200, body=None, headers=None):
    result = requests.Response()
    result.status_code = status
    result._content = json.dumps(body).encode() if body is not None else b""
    result.headers["Content-Type"] = "application/json"
    result.headers.update(headers or {})
    return result


class ScriptedSession:
    """Answers API calls from `script` in order; records every call."""

    def __init__(self, *script, token_answers=()):
        self.script = list(script)
        self.token_answers = list(token_answers)
        self.sent = []
        self.token_forms = []

    def request(self, method, url, params=None, json=None, headers=None, timeout=None):
        self.sent.append((method, url, params, headers))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def post(self, url, data=None, headers=None, timeout=None):
        self.token_forms.append(data)
        return self.token_answers.pop(0)


@pytest.fixture
def clock():
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def tokens(tmp_path, clock):
    store = TokenStore.beside(tmp_path / "exactsync.db")
    store.save(Tokens("access-1", "refresh-1", clock.now + 600))
    return store


def client_for(session, tokens, clock):
    return ExactClient(APP, tokens, 123456, session=session, clock=clock, sleep=clock.sleep)


def page(rows, next_url=None):
    d = {"results": rows}
    if next_url:
        d["__next"] = next_url
    return answer(200, {"d": d})


def test_token_file_is_private_and_replaced_atomically(tmp_path):
    store = TokenStore.beside(tmp_path / "exactsync.db")
    store.save(Tokens("a", "r", 1.0))
    assert store.path.name == "exactsync.db.tokens.json"
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    store.save(Tokens("a2", "r2", 2.0))
    assert store.load() == Tokens("a2", "r2", 2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exactsync.db.tokens.json"]
    assert "a2" not in repr(store.load()) and "r2" not in repr(store.load())


def test_an_unreadable_token_file_asks_for_connect(tmp_path):
    store = TokenStore.beside(tmp_path / "exactsync.db")
    store.path.write_text("{not json")
    with pytest.raises(ReconnectNeeded, match="run `exactsync connect`"):
        store.load()


def test_paging_follows_next_exactly_as_given(tokens, clock):
    next_url = f"{BASE}/api/v1/123456/crm/Accounts?$filter=Name%20eq%20'x'&$skiptoken=guid'00000000-0000-0000-0000-000000000001'"
    session = ScriptedSession(page([{"ID": 1}], next_url), page([{"ID": 2}]))
    client = client_for(session, tokens, clock)
    assert client.get("crm/Accounts", {"$filter": "Name eq 'x'"}) == [{"ID": 1}, {"ID": 2}]
    assert session.sent[0][1:3] == (f"{BASE}/api/v1/123456/crm/Accounts", {"$filter": "Name eq 'x'"})
    assert session.sent[1][1:3] == (next_url, None)
    assert all(headers["Accept"] == "application/json" for *_, headers in session.sent)
    assert client.calls == 2


def test_a_next_link_seen_twice_is_an_error_not_a_loop(tokens, clock):
    again = f"{BASE}/api/v1/123456/crm/Accounts?$skiptoken=1"
    session = ScriptedSession(page([{"ID": 1}], again), page([{"ID": 2}], again))
    with pytest.raises(PagingLoop, match="points back at a page already read"):
        client_for(session, tokens, clock).get("crm/Accounts")


def test_exact_error_body_and_reason_header_make_a_readable_error(tokens, clock):
    body = {"error": {"code": "", "message": {"lang": "", "value": "Verplicht: Factuur voor\r\nVerplicht: Besteld door"}}}
    session = ScriptedSession(answer(403, body, {"Reason": "NoDivisionAccess"}))
    with pytest.raises(ExactApiError) as caught:
        client_for(session, tokens, clock).get("salesinvoice/SalesInvoices")
    error = caught.value
    assert (error.status, error.reason) == (403, "NoDivisionAccess")
    assert error.message == "Verplicht: Factuur voor; Verplicht: Besteld door"
    assert str(error) == ("Exact answered 403 to GET salesinvoice/SalesInvoices: Verplicht: Factuur voor; "
                          "Verplicht: Besteld door (Reason: NoDivisionAccess)")


def test_get_one_is_none_for_404(tokens, clock):
    session = ScriptedSession(answer(404, {"error": {"message": {"value": "Not found"}}}),
                              answer(200, {"d": {"ID": "x"}}))
    client = client_for(session, tokens, clock)
    assert client.get_one("crm/Accounts(guid'00000000-0000-0000-0000-000000000001')") is None
    assert client.get_one("crm/Accounts(guid'00000000-0000-0000-0000-000000000002')") == {"ID": "x"}


@pytest.mark.parametrize("failure", [requests.Timeout("read timed out"), requests.ConnectionError("aborted"),
                                     answer(500, {"error": {"message": {"value": "Ongeldige referentie: Besteld door"}}}),
                                     answer(503, None)])
def test_a_post_is_never_retried_blindly(tokens, clock, failure):
    session = ScriptedSession(failure, answer(201, {"d": {"ID": "dup"}}))
    with pytest.raises(UncertainOutcome) as caught:
        client_for(session, tokens, clock).post("salesinvoice/SalesInvoices", {"Journal": "70"})
    assert len(session.sent) == 1
    if isinstance(failure, requests.Response) and failure.status_code == 500:
        assert caught.value.message == "Ongeldige referentie: Besteld door"


def test_a_get_is_retried_after_a_dropped_connection(tokens, clock):
    session = ScriptedSession(requests.ConnectionError("reset"), answer(503, None), page([{"ID": 1}]))
    assert client_for(session, tokens, clock).get("crm/Accounts") == [{"ID": 1}]
    assert clock.slept == [2.0, 4.0]


def test_a_minutely_429_is_waited_out_and_the_get_retried(tokens, clock):
    reset_ms = int((clock.now + 20) * 1000)
    minutely_only = {"X-RateLimit-Minutely-Limit": "60", "X-RateLimit-Minutely-Remaining": "0",
                     "X-RateLimit-Minutely-Reset": str(reset_ms)}
    session = ScriptedSession(answer(429, None, minutely_only), page([{"ID": 1}]))
    client = client_for(session, tokens, clock)
    assert client.get("crm/Accounts") == [{"ID": 1}]
    assert clock.slept == [pytest.approx(20.5)]
    assert client.limits.daily_remaining is None  # missing daily headers are not 0


def test_429s_with_empty_bodies_that_do_not_end_raise_a_readable_error(tokens, clock):
    # picqer#528: a minutely 429 may come without a body, even when it says it is JSON.
    minutely_only = {"X-RateLimit-Minutely-Remaining": "0",
                     "X-RateLimit-Minutely-Reset": str(int((clock.now + 10) * 1000))}
    session = ScriptedSession(*[answer(429, None, minutely_only) for _ in range(4)])
    with pytest.raises(ExactApiError) as caught:
        client_for(session, tokens, clock).post("salesinvoice/SalesInvoices", {"Journal": "70"})
    assert caught.value.status == 429 and len(session.sent) == 4
    assert str(caught.value) == "Exact answered 429 to POST salesinvoice/SalesInvoices: no message"


def test_pacing_waits_for_the_next_minute_before_the_limit_is_hit(tokens, clock):
    reset_ms = int((clock.now + 30) * 1000)
    low = {"X-RateLimit-Minutely-Remaining": "1", "X-RateLimit-Minutely-Reset": str(reset_ms),
           "X-RateLimit-Remaining": "4000", "X-RateLimit-Reset": str(reset_ms + 3_600_000)}
    session = ScriptedSession(page([{"ID": 1}], f"{BASE}/next"), page([{"ID": 2}]))
    session.script[0].headers.update(low)
    client = client_for(session, tokens, clock)
    assert len(client.get("crm/Accounts")) == 2
    assert clock.slept == [pytest.approx(30.5)]


def test_waits_are_bounded(tokens, clock):
    far = {"X-RateLimit-Minutely-Remaining": "0", "X-RateLimit-Minutely-Reset": str(int((clock.now + 3600) * 1000))}
    session = ScriptedSession(answer(429, None, far), page([]))
    client_for(session, tokens, clock).get("crm/Accounts")
    assert clock.slept == [65.0]


def test_daily_limit_spent_stops_without_another_call(tokens, clock):
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int((clock.now + 7200) * 1000)),
             "X-RateLimit-Minutely-Remaining": "50"}
    session = ScriptedSession(page([{"ID": 1}], f"{BASE}/next"))
    session.script[0].headers.update(spent)
    client = client_for(session, tokens, clock)
    with pytest.raises(DailyLimitReached, match="daily API limit"):
        client.get("crm/Accounts")
    assert client.calls == 1


def test_a_daily_429_raises_daily_limit_reached(tokens, clock):
    spent = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
             "X-RateLimit-Reset": str(int((clock.now + 7200) * 1000))}
    session = ScriptedSession(answer(429, None, spent))
    with pytest.raises(DailyLimitReached):
        client_for(session, tokens, clock).get("crm/Accounts")
    assert clock.slept == []


def token_answer(access, refresh):
    return answer(200, {"access_token": access, "token_type": "bearer", "expires_in": "600", "refresh_token": refresh})


def test_refresh_only_near_the_end_and_saved_before_use(tokens, clock):
    session = ScriptedSession(page([]), page([]), token_answers=[token_answer("access-2", "refresh-2")])
    client = client_for(session, tokens, clock)
    client.get("crm/Accounts")
    assert session.token_forms == []
    clock.now += 590
    client.get("crm/Accounts")
    assert session.token_forms[0]["grant_type"] == "refresh_token"
    assert session.token_forms[0]["refresh_token"] == "refresh-1"
    assert session.sent[-1][3]["Authorization"] == "Bearer access-2"
    assert tokens.load() == Tokens("access-2", "refresh-2", clock.now + 600)


def test_too_early_keeps_the_current_token(tokens, clock):
    too_early = answer(400, {"error": "access_denied", "error_description": "Rate limit exceeded: access_token not expired"},
                       {"Reason": "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired"})
    session = ScriptedSession(page([]), page([]), token_answers=[too_early])
    client = client_for(session, tokens, clock)
    clock.now += 590
    client.get("crm/Accounts")
    client.get("crm/Accounts")
    assert len(session.token_forms) == 1  # the second call did not ask again right away
    assert [h["Authorization"] for *_, h in session.sent] == ["Bearer access-1"] * 2


def test_a_401_refreshes_once_and_retries_once(tokens, clock):
    unauthorized = answer(401, {"error": {"message": {"value": "Unauthorized"}}})
    session = ScriptedSession(unauthorized, page([{"ID": 1}]), token_answers=[token_answer("access-2", "refresh-2")])
    assert client_for(session, tokens, clock).get("crm/Accounts") == [{"ID": 1}]
    assert len(session.token_forms) == 1

    session = ScriptedSession(unauthorized, unauthorized, token_answers=[token_answer("access-3", "refresh-3")])
    with pytest.raises(ReconnectNeeded):
        client_for(session, tokens, clock).get("crm/Accounts")
    assert len(session.sent) == 2 and len(session.token_forms) == 1


def test_old_refresh_token_means_the_chain_is_broken(tokens, clock):
    old = answer(401, {"error": "unauthorized_client", "error_description": "Old refresh token used."})
    session = ScriptedSession(token_answers=[old])
    clock.now += 600
    with pytest.raises(ReconnectNeeded, match=r"Old refresh token used.*exactsync connect"):
        client_for(session, tokens, clock).get("crm/Accounts")


def test_no_tokens_asks_for_connect(tmp_path, clock):
    client = client_for(ScriptedSession(), TokenStore.beside(tmp_path / "x.db"), clock)
    with pytest.raises(ReconnectNeeded, match="not logged in"):
        client.me()


def _hold_lock(path, ready, release):
    with TokenStore(path).locked():
        ready.set()
        release.wait(10)


@pytest.mark.slow
def test_the_token_lock_excludes_other_processes(tmp_path):
    store = TokenStore.beside(tmp_path / "x.db")
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(store.path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(Exception, match="while refreshing the Exact login"):
            with store.locked(wait_seconds=0.2):
                pass
    finally:
        release.set()
        holder.join(10)
    with store.locked(wait_seconds=1):
        pass


def test_a_get_gives_up_after_three_tries_without_an_answer(tokens, clock):
    session = ScriptedSession(*[requests.ConnectionError("refused")] * 3)
    with pytest.raises(Exception, match=r"GET crm/Accounts: no answer from Exact \(ConnectionError\) after 3 tries"):
        client_for(session, tokens, clock).get("crm/Accounts")
    assert len(session.sent) == 3


def test_an_answer_that_is_not_json_is_an_error(tokens, clock):
    atom = answer(200)
    atom._content = b"<?xml version='1.0'?><feed/>"
    atom.headers["Content-Type"] = "application/atom+xml"
    with pytest.raises(ExactApiError, match="the answer is application/atom\\+xml, not OData JSON"):
        client_for(ScriptedSession(atom), tokens, clock).get("crm/Accounts")
    with pytest.raises(UncertainOutcome, match="Exact answered 200 with application/atom\\+xml instead of the stored"):
        client_for(ScriptedSession(atom), tokens, clock).post("crm/Accounts", {"Name": "x"})


def test_a_post_refused_with_401_goes_again_once_with_a_new_token(tokens, clock):
    session = ScriptedSession(answer(401, None), answer(201, {"d": {"ID": "new"}}),
                              token_answers=[token_answer("access-2", "refresh-2")])
    assert client_for(session, tokens, clock).post("crm/Accounts", {"Name": "x"}) == {"ID": "new"}
    assert [h["Authorization"] for *_, h in session.sent] == ["Bearer access-1", "Bearer access-2"]
    assert session.sent[1][3]["Prefer"] == "return=representation"
