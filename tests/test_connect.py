"""`exactsync connect` end to end against the sandbox: the login by pasted address, as Exact allows it."""

import io
import json
import os
import re
import stat
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from exactsync import config as config_mod
from exactsync import connect as connect_mod
from exactsync.demo import address_landed_on
from exactsync.errors import ExactsyncError
from exactsync.exact import TokenStore
from exactsync.exact.auth import PLAIN_HTTP_PERMISSION, Authenticator, OAuthApp
from exactsync.exact.errors import ExactApiError
from exactsync.store import get_state, set_state, utcnow
from tests.helpers.connecting import connect, connected, point_config_at
from tests.helpers.language import english_in
from tests.helpers.login import connect as connect_store

pytestmark = pytest.mark.sandbox(seed=1, customers=5, items=3)

CONNECTED = "connected to Exact Online division 123456; the integration is active\n"
STATE_MISMATCH = ("Error: the pasted address does not belong to this login (state mismatch), so it was ignored: "
                  "run `exactsync connect` again and paste the address it leads to\n")


@pytest.fixture
def config(config_path, sandbox):
    return point_config_at(config_path, sandbox)


def tokens_of(config):
    return TokenStore.beside(config.store_path)


def code_in(address: str) -> str:
    return parse_qs(urlsplit(address).query)["code"][0]


def test_connect_by_the_pasted_address(config, db, sandbox):
    result = connected(config.path)
    login_url = urlsplit(result.login_url)
    assert f"{login_url.scheme}://{login_url.netloc}{login_url.path}" == f"{sandbox.base_url}/api/oauth2/auth"
    query = parse_qs(login_url.query)
    assert (query["client_id"], query["redirect_uri"], query["response_type"]) == (
        [sandbox.client_id], ["https://exactsync.example/callback"], ["code"])
    assert len(query["state"][0]) >= 20
    assert result.stdout == result.login_url + "\n"  # the address alone on stdout, for scripts
    assert result.landed_on.startswith("https://exactsync.example/callback?code=")
    assert result.stderr.endswith(CONNECTED)
    assert config_mod.load(config.path).settings.division == 123456
    assert get_state(db, "active") == "1" and get_state(db, "division") is None  # the config's is the one
    assert get_state(db, "connected_at")
    assert stat.S_IMODE(os.stat(tokens_of(config).path).st_mode) == 0o600
    assert [(r["kind"], r["message"]) for r in db["log"].rows] == [("info", CONNECTED.strip())]
    assert sandbox.calls["GET current/Me"] == 1 and sandbox.calls["POST token"] == 1


@pytest.mark.slow
def test_the_code_with_its_exclamation_mark_is_decoded_and_never_shown(run, config, db, sandbox):
    result = connected(config.path)
    code = code_in(result.landed_on)
    assert "!" in code and quote(code, safe="") in result.landed_on  # Exact's codes hold a "!" (CD step2)
    stored = json.loads(tokens_of(config).path.read_text())
    status = run("status", "--json").output + run("log", "--json").output
    log_text = json.dumps(list(db["log"].rows))
    for secret in (code, stored["access_token"], stored["refresh_token"], sandbox.client_secret):
        assert len(secret) > 16
        for text in (result.stdout, result.stderr, status, log_text):
            assert secret not in text and quote(secret, safe="") not in text


@pytest.mark.slow
def test_a_division_already_chosen_is_kept(config_path, sandbox, db):
    point_config_at(config_path, sandbox, division=123456)
    connected(config_path)
    assert config_mod.load(config_path).settings.division == 123456


@pytest.mark.slow
def test_a_forged_state_is_refused_before_any_token_call(config, db, sandbox):
    result = connect(config.path, paste=lambda landed_on: landed_on.replace("state=", "state=forged"))
    assert (result.returncode, result.stderr[-len(STATE_MISMATCH):]) == (1, STATE_MISMATCH)
    assert sandbox.calls["POST token"] == 0
    assert not tokens_of(config).exists() and get_state(db, "active") is None


@pytest.mark.slow
def test_an_address_without_state_is_refused(config, sandbox):
    result = connect(config.path, paste=lambda landed_on: re.sub(r"&?state=[^&]*", "", landed_on))
    assert result.stderr.endswith(STATE_MISMATCH)
    assert sandbox.calls["POST token"] == 0


@pytest.mark.slow
def test_an_address_without_a_code_says_what_to_paste(config, sandbox):
    result = connect(config.path, paste=lambda landed_on: re.sub(r"code=[^&]*&", "", landed_on))
    assert result.returncode == 1
    assert result.stderr.endswith("Error: the pasted address holds no authorization code: paste the whole "
                                  "address the browser ended on, starting with "
                                  "https://exactsync.example/callback\n")
    assert sandbox.calls["POST token"] == 0


@pytest.mark.slow
def test_denied_consent(config, sandbox):
    sandbox.consent = "deny"
    result = connect(config.path)
    assert result.returncode == 1
    assert result.stderr.endswith("Error: access was not allowed in Exact (consent denied): run `exactsync "
                                  "connect` again and click allow\n")
    assert not tokens_of(config).exists() and sandbox.calls["POST token"] == 0


@pytest.mark.slow
def test_a_code_pasted_after_three_minutes_is_refused_by_exact(config, sandbox):
    def three_minutes_later(landed_on: str) -> str:
        sandbox.advance_clock(seconds=181)
        return landed_on

    result = connect(config.path, paste=three_minutes_later)
    assert result.returncode == 1
    assert result.stderr.endswith("Error: Exact refused the authorization code (Bad Request); a code works once "
                                  "and only for 3 minutes: run `exactsync connect` again\n")
    assert not tokens_of(config).exists()


@pytest.mark.slow
def test_a_wrong_redirect_uri_gets_exacts_error_page_and_no_code(config, sandbox):
    config_mod.update(config, "exact", "redirect_uri", "https://exactsync.example/other")
    with pytest.raises(ExactsyncError, match="login page answered 400 instead of sending the browser on"):
        connect(config.path)
    page = requests.get(f"{sandbox.base_url}/api/oauth2/auth", allow_redirects=False, timeout=5, params={
        "client_id": sandbox.client_id, "redirect_uri": "https://exactsync.example/other", "state": "s"})
    assert (page.status_code, page.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "Location" not in page.headers and "code" not in page.text


@pytest.mark.parametrize("redirect_uri, problem", [
    ("", "[exact] redirect_uri is not set"),
    ("http://127.0.0.1:8765/callback", "[exact] redirect_uri 'http://127.0.0.1:8765/callback' is not an https "
                                       "address, and Exact accepts no other"),
])
def test_a_redirect_uri_exact_cannot_use_is_named_before_anything_else(run, config, sandbox, redirect_uri, problem):
    config_mod.update(config, "exact", "redirect_uri", redirect_uri)
    result = run("connect", "--no-browser", input="")
    assert result.exit_code == 1
    assert result.output == (f"Error: {problem}: set it to the https address registered for your app in the Exact "
                             "App Center (README: Connect to your Exact administration)\n")
    assert sum(sandbox.calls.values()) == 0


@pytest.mark.slow
def test_wrong_client_secret(config):
    config_mod.update(config, "exact", "client_secret", "not-the-secret")
    result = connect(config.path)
    assert result.returncode == 1
    assert "Exact refused the client ID or client secret (invalid_client)" in result.stderr
    assert "not-the-secret" not in result.stderr + result.stdout


def test_missing_client_id_and_secret(run, config_path):
    result = run("connect")
    assert result.exit_code == 1
    assert result.output.startswith("Error: [exact] client_id and [exact] client_secret (or EXACTSYNC_CLIENT_SECRET) "
                                    "not set in ")


def test_a_missing_client_secret_is_named_before_any_token_call(run, config_path, sandbox):
    """Not Exact's "400 invalid_request": the setting, and no call spent on it."""
    config = connect_store(sandbox, config_path)
    config_mod.update(config, "exact", "client_secret", "")
    sandbox.expire_tokens()
    sandbox.reset_calls()
    result = run("pull")
    assert result.exit_code == 1
    assert result.output.startswith("Error: [exact] client_secret is not set (nor EXACTSYNC_CLIENT_SECRET)")
    assert sandbox.calls["POST token"] == 0
    assert run("pull", env={"EXACTSYNC_CLIENT_SECRET": sandbox.client_secret}).exit_code == 0


def test_nothing_pasted_is_a_clear_error(run, config, sandbox):
    result = run("connect", "--no-browser", input="\n\n")
    assert result.exit_code == 1
    assert result.output.endswith("Error: no address was pasted: run `exactsync connect` where you can paste, and "
                                  "paste the address the browser ended on\n")
    assert sandbox.calls["POST token"] == 0


def test_first_connect_refuses_a_store_with_local_data(run, config, db):
    db["customers"].insert({"exact_id": None, "code": "1", "updated_at": utcnow()})
    result = run("connect")
    assert result.exit_code == 1
    assert result.output == ("Error: the store holds data that did not come from Exact (1 customer); Exact leads, "
                             "so wipe it first: run `exactsync wipe --all` (or, when reconnecting, wipe the parts "
                             "named)\n")
    assert run("wipe", "--all", "--yes").exit_code == 0
    assert get_state(db, "wiped_at")


@pytest.mark.slow
def test_reconnect_keeps_data_from_exact(config, db):
    connected(config.path)
    db["customers"].insert({"exact_id": "5d0c1f2e-0000-0000-0000-000000000001", "code": "1", "updated_at": utcnow()})
    set_state(db, active=0)
    connected(config.path)
    assert get_state(db, "active") == "1"


# --- the login itself, with the browser passed in ---------------------------------------------------------

class Admin:
    """A browser that records what it was asked to open, and the hands that paste where it landed."""

    def __init__(self, opens: bool):
        self.opens = opens
        self.opened: list[str] = []

    def open(self, url: str) -> bool:
        self.opened.append(url)
        return self.opens

    def __iter__(self):
        yield from (address_landed_on(url) + "\n" for url in self.opened)


@pytest.mark.parametrize("opens", [True, False])
def test_the_browser_is_tried_and_the_paste_is_the_same_either_way(config, sandbox, capsys, opens):
    admin = Admin(opens)
    auth = Authenticator(OAuthApp.from_config(config), tokens_of(config), requests.Session())
    connect_mod.log_in(auth, admin, admin.open)
    out, err = capsys.readouterr()
    assert admin.opened == [out.strip()]
    assert ("(opened in your browser)" in err) == opens
    assert "Paste here the whole address from the browser's address bar, within 3 minutes:" in err
    assert tokens_of(config).exists()


def test_without_a_screen_no_text_browser_takes_the_terminal(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("webbrowser.open", lambda url: pytest.fail("a browser was started"))
    assert connect_mod.open_in_browser("https://start.exactonline.nl/api/oauth2/auth?x=1") is False


# --- requests-oauthlib's rules, kept --------------------------------------------------------------------

class TokenEndpoint:
    """The transport of the token calls: answers one scripted token response, and notes whether plain
    http was allowed while the call ran."""

    def __init__(self, body: dict):
        self.body = body
        self.plain_http_allowed: list[bool] = []

    def post(self, url, data=None, headers=None, timeout=None):
        self.plain_http_allowed.append(PLAIN_HTTP_PERMISSION in os.environ)
        answer = requests.Response()
        answer.status_code = 200
        answer._content = json.dumps(self.body).encode()
        answer.request = requests.Request("POST", url, data=data).prepare()
        return answer


def exchange(tmp_path, base_url: str, body: dict) -> TokenEndpoint:
    app = OAuthApp(base_url, "client-1", "s3cret", "https://exactsync.example/callback")
    endpoint = TokenEndpoint(body)
    auth = Authenticator(app, TokenStore.beside(tmp_path / "exactsync.db"), endpoint)
    login_url, state = app.authorize_url()
    auth.exchange_code(f"https://exactsync.example/callback?code=XTzM%21IAAA&state={state}", state)
    return endpoint


EXACTS_ANSWER = {"access_token": "a" * 40, "token_type": "Bearer", "expires_in": "600", "refresh_token": "r" * 40}


@pytest.mark.parametrize("token_type", ["Bearer", "bearer"])
def test_plain_http_is_allowed_only_to_the_loopback_sandbox_and_only_during_its_call(tmp_path, token_type):
    answer = {**EXACTS_ANSWER, "token_type": token_type}
    assert exchange(tmp_path, "https://start.exactonline.nl", answer).plain_http_allowed == [False]
    assert exchange(tmp_path, "http://127.0.0.1:8000", answer).plain_http_allowed == [True]
    assert PLAIN_HTTP_PERMISSION not in os.environ
    assert TokenStore.beside(tmp_path / "exactsync.db").load().access_token == "a" * 40


@pytest.mark.parametrize("base_url", ["http://start.exactonline.nl", "http://192.168.1.10:8000", "ftp://127.0.0.1"])
def test_plain_http_elsewhere_is_refused_before_any_call(tmp_path, base_url):
    with pytest.raises(ExactsyncError, match=r"\[exact\] base_url .* must start with https://"):
        exchange(tmp_path, base_url, EXACTS_ANSWER)
    assert PLAIN_HTTP_PERMISSION not in os.environ


def test_a_token_that_is_not_a_bearer_token_is_refused(tmp_path):
    with pytest.raises(ExactApiError, match="the token answer is not what Exact sends"):
        exchange(tmp_path, "https://start.exactonline.nl", {**EXACTS_ANSWER, "token_type": "mac"})
    assert not TokenStore.beside(tmp_path / "exactsync.db").exists()


def test_the_login_address_is_read_from_any_text_stream():
    assert connect_mod.pasted_address(io.StringIO("\n  https://x.example/cb?code=a%21b&state=s  \n")) == \
        "https://x.example/cb?code=a%21b&state=s"


def test_init_takes_the_registered_https_redirect_uri_and_refuses_another(run, tmp_path):
    path = tmp_path / "new.toml"
    refused = run("--config", str(path), "init", "--redirect-uri", "http://127.0.0.1:8765/callback")
    assert refused.exit_code == 1 and "is not an https address" in refused.output and not path.exists()
    written = run("--config", str(path), "init", "--redirect-uri", "https://www.example.nl/exactsync")
    assert written.exit_code == 0 and "next: set the client secret and run `exactsync connect`" in written.output
    assert config_mod.load(path).redirect_uri == "https://www.example.nl/exactsync"


# --- in Dutch ------------------------------------------------------------------------------------------------

def test_connect_instructs_and_reports_in_dutch(config, db, run, monkeypatch):
    monkeypatch.setenv("EXACTSYNC_LANG", "nl")
    result = connected(config.path)
    assert "Open dit adres in een browser, meld je aan bij Exact en geef toegang:\n" in result.stderr
    assert ("Exact stuurt de browser daarna naar https://exactsync.example/callback (die pagina mag een foutmelding "
            "tonen: geen probleem). Plak hier binnen 3 minuten het hele adres uit de adresbalk van de browser:"
            in result.stderr)
    assert result.stderr.endswith("aangemeld bij Exact Online, administratie 123456; de koppeling is actief\n")
    assert english_in(result.stderr) == set()
    monkeypatch.delenv("EXACTSYNC_LANG")
    [row] = [json.loads(line) for line in run("--lang", "nl", "log", "--json").output.splitlines()]
    assert (row["message"], row["action"]) == ("aangemeld bij Exact Online, administratie 123456; de koppeling is "
                                               "actief", "geen: `exactsync pull` haalt klanten en artikelen op")
    [row] = [json.loads(line) for line in run("--lang", "en", "log", "--json").output.splitlines()]
    assert row["message"] == CONNECTED.strip()


def test_a_refused_connect_says_why_in_dutch(run, config, db, sandbox):
    nothing_pasted = run("--lang", "nl", "connect", "--no-browser", input="\n\n")
    assert nothing_pasted.exit_code == 1
    assert "Open dit adres in een browser" in nothing_pasted.output
    assert nothing_pasted.output.endswith("Fout: er is geen adres geplakt: voer `exactsync connect` uit waar "
                                          "je kunt plakken, en plak het adres waar de browser op uitkwam\n")
    assert english_in(nothing_pasted.stderr) == set()  # the login address alone on stdout
    config_mod.update(config, "exact", "redirect_uri", "http://127.0.0.1:8765/callback")
    not_https = run("--lang", "nl", "connect", "--no-browser", input="")
    assert not_https.output == ("Fout: [exact] redirect_uri 'http://127.0.0.1:8765/callback' is geen "
                                "https-adres, en Exact accepteert geen ander: vul het https-adres dat voor je app in "
                                "het Exact App Center is geregistreerd (zie in de README het aanmelden bij je "
                                "Exact-administratie) in\n")
    db["customers"].insert({"exact_id": None, "code": "1", "updated_at": utcnow()})
    config_mod.update(config, "exact", "redirect_uri", sandbox.redirect_uri)
    local_data = run("--lang", "nl", "connect")
    assert local_data.output == ("Fout: de database bevat gegevens die niet uit Exact komen (1 klant); "
                                 "Exact is leidend, dus wis ze eerst: voer `exactsync wipe --all` uit (of wis bij "
                                 "opnieuw koppelen de genoemde onderdelen)\n")
    assert sum(sandbox.calls.values()) == 0


def test_init_answers_in_the_language_it_writes(run, tmp_path):
    path = tmp_path / "new.toml"
    written = run("--config", str(path), "init", "--language", "nl")
    assert written.output == (f"{path} geschreven; hierna: vul het client secret en [exact] redirect_uri in en voer "
                              "`exactsync connect` uit\n")
    again = run("--lang", "nl", "--config", str(path), "init")
    assert again.output == (f"Fout: {path} bestaat al: pas het aan, of geef --force mee om opnieuw te beginnen "
                            "met de standaardwaarden\n")
    assert run("--lang", "en", "--config", str(path), "init").output.startswith(f"Error: {path} already exists")
