"""Security: secrets stay secret over a whole working life, private files stay private, the OAuth
callback listens on loopback only for one answer, and every $filter value is a quoted literal.
(Connect's own output and the cassettes are checked in test_connect.py and test_cassettes.py.)"""

from __future__ import annotations

import ast
import base64
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import exactsync
from exactsync.connect import CallbackListener
from exactsync.errors import ExactsyncError
from exactsync.sandbox import Sandbox
from exact_helpers import connect, free_port, point_config_at

SOURCE = Path(exactsync.__file__).parent
FILTER_LITERALS = {"quote", "guid", "int64", "int"}  # odata.quote/guid/int64, or int() for a whole number


class IssuedSecrets:
    """Every code and token the sandbox hands out, including the ones a refresh replaces."""

    def __init__(self, sandbox):
        self.values: list[str] = [sandbox.client_secret]
        oauth = sandbox.oauth
        issue_code, grant = oauth.issue_code, oauth._grant

        def recorded_code(redirect_uri):
            self.values.append(issue_code(redirect_uri))
            return self.values[-1]

        def recorded_grant():
            answer = grant()
            self.values += [answer["access_token"], answer["refresh_token"]]
            return answer

        oauth.issue_code, oauth._grant = recorded_code, recorded_grant


@pytest.fixture
def sandbox():
    with Sandbox(seed=4, customers=15, items=12, minutely_limit=10_000) as sb:
        yield sb


def exactsync_cli(config_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def careless_umask():
    """Even a umask that lets everyone read new files must not open up the login or the config."""
    previous = os.umask(0o000)
    yield
    os.umask(previous)


def test_no_code_token_or_secret_anywhere_after_a_working_life(sandbox, config_path, run, db, monkeypatch, tmp_path,
                                                               careless_umask):
    issued = IssuedSecrets(sandbox)
    item_code = "ARB'1 or 1 eq 1"  # a quote and OData keywords in a $filter value
    sandbox.add_item(Code=item_code, Description="Arbeid")
    point_config_at(config_path, sandbox, journal="70", work_time_item=item_code, pdfs="both")
    browser, connected = connect(run, monkeypatch)
    outputs = [connected.output, *(page for _, page in browser.pages)]

    def cli_ok(*args: str) -> str:
        result = exactsync_cli(config_path, *args)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
        return result.stdout

    def in_process_ok(*args: str) -> str:
        result = run(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        return result.stdout

    def cli_refused(*args: str) -> str:
        result = exactsync_cli(config_path, *args)
        assert result.returncode == 1 and result.stderr.startswith("Error: "), result.stderr
        outputs.append(result.stdout + result.stderr)
        return result.stderr

    cli_ok("check-settings")
    cli_ok("pull")
    customer = db.execute("SELECT code FROM customers WHERE active = 1 LIMIT 1").fetchone()[0]
    number = in_process_ok("workorder", "create", "--customer", customer, "--description", "lekkage").strip()
    in_process_ok("workorder", "book-time", number, "--employee", "Piet", "--work", "90")
    in_process_ok("workorder", "form", number, "Veiligheid", "--answer", "Gas dicht?=Ja")
    in_process_ok("workorder", "complete", number)
    in_process_ok("workorder", "archive", number)
    sandbox.expire_tokens()  # the push refreshes the login half-way
    cli_ok("push")
    assert db.execute("SELECT status FROM work_orders").fetchone()[0] == "sent"
    sandbox.fault("GET", "sync/CRM/Accounts", "error500")
    cli_refused("pull")  # Exact's error text ends up in the message
    sandbox.expire_tokens()
    sandbox.oauth.refresh.clear()  # the chain is broken: the run must ask for a new connect
    cli_refused("pull")
    for args in (["status", "--json"], ["log", "--json"], ["workorder", "show", number, "--json"], ["settings"]):
        in_process_ok(*args)

    kinds = [value.split("-", 1)[0] for value in issued.values[1:]]
    assert kinds.count("code") == 1 and kinds.count("rt") >= 2, kinds  # a connect and at least one refresh
    outputs.append(json.dumps(list(db["log"].rows)))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store_bytes = (tmp_path / "exactsync.db").read_bytes()
    pdfs = [base64.b64decode(a["Attachment"]) for a in sandbox.attachments.values()]
    assert len(pdfs) == 2
    for secret in issued.values:
        assert len(secret) >= 16
        for text in outputs:
            assert secret not in text
        for blob in (store_bytes, *pdfs):
            assert secret.encode() not in blob

    tokens = Path(str(tmp_path / "exactsync.db") + ".tokens.json")
    for private in (tokens, config_path):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert not list(tmp_path.glob("*.tmp")), "a temporary token or config file was left behind"


# --- the OAuth callback ------------------------------------------------------------------------

def other_addresses_of_this_machine() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos} - {"127.0.0.1"})


def test_the_callback_listens_on_loopback_only_and_answers_once(monkeypatch):
    port = free_port()
    judged = []
    listener = CallbackListener(f"http://127.0.0.1:{port}/callback", lambda url: judged.append(url) or "code")
    try:
        assert listener.server.server_address[0] == "127.0.0.1"
        for address in other_addresses_of_this_machine():
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://{address}:{port}/callback?code=x&state=y", timeout=2)
        assert requests.get(f"http://127.0.0.1:{port}/elsewhere?code=x", timeout=5).status_code == 404
        assert requests.get(f"http://127.0.0.1:{port}/callback?code=x&state=y", timeout=5).status_code == 200
        assert judged == ["/callback?code=x&state=y"]  # the stray path was never judged
    finally:
        listener.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/callback?code=again", timeout=2)


@pytest.mark.parametrize("redirect_uri", [
    "http://0.0.0.0:8765/callback", "http://[::]:8765/callback", "http://192.168.1.10:8765/callback",
    "https://127.0.0.1:8765/callback", "http://example.com:8765/callback", "http://127.0.0.1/callback",
])
def test_a_callback_that_would_not_be_loopback_only_is_refused(redirect_uri):
    with pytest.raises(ExactsyncError, match="is not on this machine"):
        CallbackListener(redirect_uri, lambda url: url)


def test_connect_closes_the_callback_after_its_one_answer(sandbox, config_path, run, monkeypatch):
    config = point_config_at(config_path, sandbox)
    connect(run, monkeypatch)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{config.redirect_uri}?code=x&state=y", timeout=2)


# --- $filter -------------------------------------------------------------------------------------

def filter_values(tree: ast.AST):
    """(line, expression) of every value interpolated into an f-string given as "$filter"."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "$filter":
                    yield from _interpolated(value)


def _interpolated(value: ast.AST):
    if isinstance(value, ast.JoinedStr):
        for part in value.values:
            if isinstance(part, ast.FormattedValue):
                yield part.lineno, part.value
    elif not isinstance(value, ast.Constant):
        yield value.lineno, value  # built elsewhere: cannot be checked here, so not allowed


def is_literal(expression: ast.AST) -> bool:
    if not isinstance(expression, ast.Call):
        return False
    called = expression.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in FILTER_LITERALS


def test_every_filter_value_in_the_client_code_is_a_quoted_or_typed_literal():
    unquoted, seen = [], 0
    for path in sorted(SOURCE.rglob("*.py")):
        if "sandbox" in path.parts:
            continue  # the sandbox is Exact's side: it parses filters, it does not build them
        for line, expression in filter_values(ast.parse(path.read_text(encoding="utf-8"))):
            seen += 1
            if not is_literal(expression):
                unquoted.append(f"{path.relative_to(SOURCE)}:{line}: {ast.unparse(expression)}")
    assert seen >= 6, "the scan found no $filter values: has the code moved?"
    assert unquoted == []


def test_the_filter_check_catches_an_unquoted_value():
    tree = ast.parse('params = {"$filter": f"Code eq \'{code}\' and ID eq {odata.guid(x)}"}')
    assert [is_literal(e) for _, e in filter_values(tree)] == [False, True]
    assert [is_literal(e) for _, e in filter_values(ast.parse('q = {"$filter": "Code eq " + code}'))] == [False]
