"""`exactsync connect` end to end against the sandbox."""

import json
import os
import re
import socket
import stat
import subprocess
import sys

import pytest
import requests

from exactsync import config as config_mod
from exactsync import connect as connect_mod
from exactsync.exact import TokenStore
from exactsync.sandbox import Sandbox
from exactsync.store import get_state, set_state, utcnow
from exact_helpers import Browser, connect, point_config_at


@pytest.fixture
def sandbox():
    with Sandbox(seed=1, customers=5, items=3) as sb:
        yield sb


@pytest.fixture
def config(config_path, sandbox):
    return point_config_at(config_path, sandbox)


def tokens_of(config):
    return TokenStore.beside(config.store_path)


def test_connect_through_the_browser_callback(run, config, db, sandbox, monkeypatch):
    browser, result = connect(run, monkeypatch)
    assert result.output == "connected to Exact Online division 123456; the integration is active\n"
    assert browser.pages == [(200, browser.pages[0][1])]
    assert "connected to Exact Online" in browser.pages[0][1]
    assert config_mod.load(config.path).settings.division == 123456
    assert (get_state(db, "active"), get_state(db, "division")) == ("1", "123456")
    assert get_state(db, "connected_at")
    token_file = tokens_of(config).path
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert [(r["kind"], r["message"]) for r in db["log"].rows] == [
        ("info", "connected to Exact Online division 123456; the integration is active")]
    assert sandbox.calls["GET current/Me"] == 1


def test_no_secret_appears_in_output_log_or_pages(run, config, db, sandbox, monkeypatch):
    browser, result = connect(run, monkeypatch)
    stored = json.loads(tokens_of(config).path.read_text())
    code = re.search(r"code=([^&]+)", browser.locations[0])[1]
    secrets = [stored["access_token"], stored["refresh_token"], sandbox.client_secret, code]
    status = run("status", "--json").output + run("log", "--json").output
    log_text = json.dumps(list(db["log"].rows))
    for secret in secrets:
        assert len(secret) > 16
        for text in (result.output, status, log_text, browser.pages[0][1]):
            assert secret not in text


def test_a_division_already_chosen_is_kept(run, config_path, sandbox, db, monkeypatch):
    point_config_at(config_path, sandbox, division=123456)
    connect(run, monkeypatch)
    assert get_state(db, "division") == "123456"


def test_state_mismatch_is_refused(run, config, db, monkeypatch):
    browser = Browser(monkeypatch, tamper=lambda location: location.replace("state=", "state=forged"))
    result = run("connect", "--timeout", "20")
    browser.wait()
    assert result.exit_code == 1
    assert result.output == ("Error: the login answer does not belong to this connect (state mismatch), so it was "
                             "ignored: run `exactsync connect` again and use the address it gives\n")
    assert browser.pages[0][0] == 400
    assert not tokens_of(config).exists() and get_state(db, "active") is None


def test_denied_consent(run, config, sandbox, monkeypatch):
    sandbox.consent = "deny"
    Browser(monkeypatch)
    result = run("connect", "--timeout", "20")
    assert result.exit_code == 1
    assert result.output == ("Error: access was not allowed in Exact (consent denied): run `exactsync connect` "
                             "again and click allow\n")
    assert not tokens_of(config).exists()


def test_wrong_client_secret(run, config, monkeypatch):
    config_mod.update(config, "exact", "client_secret", "not-the-secret")
    Browser(monkeypatch)
    result = run("connect", "--timeout", "20")
    assert result.exit_code == 1
    assert "Exact refused the client ID or client secret (invalid_client)" in result.output
    assert "not-the-secret" not in result.output


def test_missing_client_id_and_secret(run, config_path):
    result = run("connect")
    assert result.exit_code == 1
    assert result.output.startswith("Error: [exact] client_id and [exact] client_secret (or EXACTSYNC_CLIENT_SECRET) "
                                    "not set in ")


def test_busy_port(run, config):
    port = int(config.redirect_uri.split(":")[2].split("/")[0])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = run("connect", "--timeout", "2")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: port {port} of [exact] redirect_uri is busy")


def test_timeout(run, config, monkeypatch):
    monkeypatch.setattr("webbrowser.open", lambda url: True)
    result = run("connect", "--timeout", "1")
    assert result.exit_code == 1
    assert result.output == ("Error: no answer from Exact's login within 1 s: run `exactsync connect` again "
                             "(--timeout gives more time)\n")


def test_first_connect_refuses_a_store_with_local_data(run, config, db):
    db["customers"].insert({"exact_id": None, "code": "1", "updated_at": utcnow()})
    result = run("connect")
    assert result.exit_code == 1
    assert result.output == ("Error: the store holds data that did not come from Exact (1 customers); Exact leads, "
                             "so wipe it first: run `exactsync wipe --all` (or, when reconnecting, wipe the parts "
                             "named)\n")
    assert run("wipe", "--all", "--yes").exit_code == 0
    assert get_state(db, "wiped_at")


def test_reconnect_keeps_data_from_exact(run, config, db, monkeypatch):
    connect(run, monkeypatch)
    db["customers"].insert({"exact_id": "5d0c1f2e-0000-0000-0000-000000000001", "code": "1", "updated_at": utcnow()})
    set_state(db, active=0)
    connect(run, monkeypatch)
    assert get_state(db, "active") == "1"


@pytest.mark.parametrize("answer", ["pasted", "callback"])
def test_no_browser_takes_the_pasted_address_or_the_callback(config, sandbox, answer):
    process = subprocess.Popen(
        [sys.executable, "-m", "exactsync", "--config", str(config.path), "connect", "--no-browser", "--timeout", "20"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        login_url = process.stdout.readline().strip()
        assert login_url.startswith(f"{sandbox.base_url}/api/oauth2/auth?client_id=")
        if answer == "pasted":
            location = requests.get(login_url, allow_redirects=False, timeout=10).headers["Location"]
            out, err = process.communicate(f"\n{location}\n", timeout=20)
        else:
            assert requests.get(login_url, timeout=10).status_code == 200
            out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == ""
    assert err.endswith("connected to Exact Online division 123456; the integration is active\n")
    assert "code=" not in err
    assert tokens_of(config).exists()


def test_with_no_browser_a_busy_port_leaves_pasting(config, capsys):
    port = int(config.redirect_uri.split(":")[2].split("/")[0])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert connect_mod.listen(config.redirect_uri, lambda url: url, paste_possible=True) is None
    assert f"port {port} of [exact] redirect_uri is busy" in capsys.readouterr().err


def test_without_a_browser_to_open_it_falls_back_to_pasting(run, config, monkeypatch):
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    # A pasted answer from another login is refused: proof that the paste path listens.
    result = run("connect", "--timeout", "5", input="http://127.0.0.1:8765/callback?code=abc&state=other\n")
    assert result.exit_code == 1
    assert result.output.startswith("Open this address in a browser, log in to Exact and allow access:\n"
                                    f"{config.base_url}/api/oauth2/auth?client_id=")
    assert "Error: the login answer does not belong to this connect (state mismatch)" in result.output


def test_reading_the_answer_address():
    judge = connect_mod.code_from_redirect
    assert judge("http://127.0.0.1:8765/callback?code=c0de&state=s1\n", "s1") == "c0de"
    for forged in ("http://127.0.0.1:8765/callback?code=c0de&state=s2", "http://127.0.0.1:8765/callback?code=c0de"):
        with pytest.raises(Exception, match="state mismatch"):
            judge(forged, "s1")
    with pytest.raises(connect_mod.ConsentDenied):
        judge("http://127.0.0.1:8765/callback?error=access_denied", "s1")
    with pytest.raises(Exception, match="state mismatch"):
        judge("http://127.0.0.1:8765/callback?error=access_denied&state=s2", "s1")


def test_the_answer_page_escapes_what_came_in(config):
    listener = connect_mod.CallbackListener(config.redirect_uri, lambda url: connect_mod.code_from_redirect(url, "s"))
    try:
        page = requests.get(config.redirect_uri, params={"error": "<script>alert(1)</script>", "state": "s"}, timeout=5)
    finally:
        listener.close()
    assert page.status_code == 400
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
