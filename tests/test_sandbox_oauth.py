"""OAuth2 as Exact runs it: one registered https redirect URI, single-use codes,
rotating single-use refresh tokens, the too-early refresh rule, and the bearer
check on every API call."""

import subprocess
import sys

import pytest
import requests

from exactsync.sandbox import Sandbox
from tests.helpers.sandbox_http import REDIRECT_URI, Api, authorize, connect, error_value, exchange, token_call

pytestmark = pytest.mark.sandbox(customers=5, items=3)


def test_authorize_redirects_with_code_and_state(sandbox):
    query = authorize(sandbox, state="abc")
    assert query["state"] == "abc" and len(query["code"]) > 40


def test_denied_consent_redirects_with_access_denied(sandbox):
    sandbox.consent = "deny"
    assert authorize(sandbox, state="abc") == {"error": "access_denied", "state": "abc"}


@pytest.mark.parametrize("client_id, redirect_uri", [
    ("someone-else", REDIRECT_URI),
    (None, "http://127.0.0.1:8765/callback"),        # loopback and http: never registered at Exact
    (None, "http://exactsync.example/callback"),     # the registered address, but http
    (None, REDIRECT_URI + "/"),                      # matched exactly, not by prefix
    (None, "https://exactsync.example/Callback"),
    (None, "https://evil.example/callback"),
])
def test_authorize_answers_anything_but_the_registered_redirect_uri_with_an_error_page(sandbox, client_id, redirect_uri):
    answer = requests.get(f"{sandbox.base_url}/api/oauth2/auth", allow_redirects=False, params={
        "client_id": client_id or sandbox.client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": "s"})
    assert (answer.status_code, answer.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "Location" not in answer.headers and "<h1>Error</h1>" in answer.text


def test_the_redirect_goes_to_the_registered_https_address_with_a_code_holding_an_exclamation_mark(sandbox):
    answer = requests.get(f"{sandbox.base_url}/api/oauth2/auth", allow_redirects=False, params={
        "client_id": sandbox.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "s"})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://exactsync.example/callback?code=") and "%21" in location
    assert "!" in authorize(sandbox)["code"]


def test_one_https_redirect_uri_is_registered_per_app():
    with Sandbox(customers=1, items=1, redirect_uri="https://intranet.example.nl/exact") as sandbox:
        location = requests.get(f"{sandbox.base_url}/api/oauth2/auth", allow_redirects=False, params={
            "client_id": sandbox.client_id, "redirect_uri": "https://intranet.example.nl/exact", "state": "s"}
                                ).headers["Location"]
        assert location.startswith("https://intranet.example.nl/exact?code=")
    for refused in ("http://exactsync.example/callback", "https://localhost/callback", "https://127.0.0.1/cb"):
        with pytest.raises(ValueError, match="Exact registers only a public https address"):
            Sandbox(customers=1, items=1, redirect_uri=refused)


@pytest.mark.slow
def test_sandbox_serve_prints_the_registered_redirect_uri_and_refuses_an_http_one():
    serve = [sys.executable, "-m", "exactsync", "sandbox", "serve", "--port", "0", "--customers", "1", "--items", "1"]
    process = subprocess.Popen([*serve, "--redirect-uri", "https://example.nl/cb"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        printed = [process.stdout.readline() for _ in range(4)]
    finally:
        process.kill()
        process.wait()
    assert printed[3] == 'redirect_uri = "https://example.nl/cb"\n'
    refused = subprocess.run([*serve, "--redirect-uri", "http://localhost:8765/callback"], capture_output=True,
                             text=True, timeout=30)
    assert refused.returncode == 2 and "Exact registers only a public https address" in refused.stderr


def test_code_exchange_gives_exacts_token_shape(sandbox):
    answer = exchange(sandbox, authorize(sandbox)["code"])
    body = answer.json()
    assert answer.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == "600"
    assert len(body["access_token"]) > 100 and len(body["refresh_token"]) > 100
    assert sandbox.calls["POST token"] == 1


def test_a_code_works_once_and_only_with_its_redirect_uri(sandbox):
    code = authorize(sandbox)["code"]
    assert exchange(sandbox, code).status_code == 200
    reused = exchange(sandbox, code)
    assert (reused.status_code, reused.text) == (400, "Bad Request")
    other = token_call(sandbox, grant_type="authorization_code", code=authorize(sandbox)["code"],
                       redirect_uri="https://exactsync.example/elsewhere")
    assert other.status_code == 400


def test_wrong_client_secret_is_invalid_client(sandbox):
    answer = requests.post(f"{sandbox.base_url}/api/oauth2/token", data={
        "grant_type": "authorization_code", "code": authorize(sandbox)["code"], "redirect_uri": REDIRECT_URI,
        "client_id": sandbox.client_id, "client_secret": "wrong"})
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_client"}


def test_refresh_too_early_is_refused_with_the_reason_header(sandbox):
    tokens = connect(sandbox)
    answer = token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "access_denied",
                             "error_description": "Rate limit exceeded: access_token not expired"}
    assert answer.headers["Reason"] == "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired"
    # the refused refresh token is still good once the window opens
    sandbox.expire_tokens()
    assert token_call(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 200


def test_refresh_tokens_rotate_and_the_old_one_is_dead():
    with Sandbox(customers=1, items=1, token_lifetime=20, refresh_window=30) as sandbox:
        first = connect(sandbox)
        second = token_call(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"] and second["expires_in"] == "20"
        old = token_call(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert old.status_code == 401
        assert old.json() == {"error": "unauthorized_client", "error_description": "Old refresh token used."}
        assert Api(sandbox, second).get("system/Divisions").status_code == 200
        assert Api(sandbox, first).get("system/Divisions").status_code == 401


def test_unknown_refresh_token_is_invalid_grant(sandbox):
    answer = token_call(sandbox, grant_type="refresh_token", refresh_token="made-up")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic abc"])
def test_api_calls_need_a_valid_bearer_token(sandbox, authorization):
    headers = {"Accept": "application/json"} | ({"Authorization": authorization} if authorization else {})
    answer = requests.get(f"{sandbox.base_url}/api/v1/current/Me", headers=headers)
    assert answer.status_code == 401
    assert set(answer.json()["error"]) == {"code", "message"} and error_value(answer)


def test_expired_access_token_gets_401_until_refreshed(sandbox):
    api = Api(sandbox)
    assert api.get("current/Me").status_code == 200
    sandbox.expire_tokens()
    assert api.get("current/Me").status_code == 401
    api.tokens = token_call(sandbox, grant_type="refresh_token", refresh_token=api.tokens["refresh_token"]).json()
    assert api.get("current/Me").status_code == 200


@pytest.mark.slow
def test_sandbox_serve_speaks_dutch():
    serve = [sys.executable, "-m", "exactsync", "--lang", "nl", "sandbox", "serve", "--port", "0", "--customers", "3",
             "--items", "2"]
    process = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        settings = [process.stdout.readline() for _ in range(4)]
        shown = process.stderr.readline()
    finally:
        process.kill()
        process.wait()
    assert settings[0].startswith('base_url = "http://127.0.0.1:')  # the config's keys stay as they are
    assert shown == "administratie 123456: 3 klanten, 2 artikelen. Ctrl-C stopt.\n"
    refused = subprocess.run([*serve, "--redirect-uri", "http://localhost:8765/callback"], capture_output=True,
                             text=True, timeout=30)
    assert refused.returncode == 2
    assert "redirect-URI 'http://localhost:8765/callback': Exact registreert alleen een openbaar https-adres" in \
        refused.stderr
