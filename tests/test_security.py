"""Security: secrets stay secret over a whole working life, private files stay private, the code in
a pasted login address is never shown whatever becomes of it, and every $filter value is a quoted literal.
(Connect's own output and the cassettes are checked in test_connect.py and test_cassettes.py.)"""

from __future__ import annotations

import ast
import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import exactsync
from tests.helpers.connecting import connect, connected, point_config_at

pytestmark = pytest.mark.sandbox(seed=4, customers=15, items=12, minutely_limit=10_000)

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


def exactsync_cli(config_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def careless_umask():
    """Even a umask that lets everyone read new files must not open up the login or the config."""
    previous = os.umask(0o000)
    yield
    os.umask(previous)


@pytest.mark.slow
def test_no_code_token_or_secret_anywhere_after_a_working_life(sandbox, config_path, run, db, tmp_path,
                                                               careless_umask):
    issued = IssuedSecrets(sandbox)
    item_code = "ARB'1 or 1 eq 1"  # a quote and OData keywords in a $filter value
    sandbox.add_item(Code=item_code, Description="Arbeid")
    point_config_at(config_path, sandbox, journal="70", work_time_item=item_code, pdfs="both")
    login = connected(config_path)
    outputs = [login.stdout + login.stderr]

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
        # Without a terminal the run's error rows come first (cron mails them), then the error itself.
        assert result.returncode == 1 and "Error: " in result.stderr, result.stderr
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


# --- the pasted login address ----------------------------------------------------------------------

def shown_forms(code: str) -> tuple[str, ...]:
    """The code as Exact writes it in the address (its "!" encoded) and decoded."""
    return code, quote(code, safe=""), code.split("!", 1)[1]


def state_of(address: str) -> str:
    return parse_qs(urlsplit(address).query)["state"][0]


@pytest.mark.slow
@pytest.mark.parametrize("becomes", ["used", "reused", "forged state", "too late"])
def test_the_code_of_a_pasted_address_never_reaches_output_or_the_store(sandbox, config_path, run, db, becomes):
    config = point_config_at(config_path, sandbox)
    earlier = connected(config_path).landed_on if becomes == "reused" else None
    pasted = []

    def paste(landed_on: str) -> str:
        if becomes == "too late":
            sandbox.advance_clock(seconds=181)
        if becomes == "forged state":
            landed_on = landed_on.replace("state=", "state=x")
        if earlier:  # the code already exchanged, in an address that passes the state check
            landed_on = earlier.replace(state_of(earlier), state_of(landed_on))
        pasted.append(landed_on)
        return landed_on

    result = connect(config_path, paste=paste)
    assert result.returncode == (0 if becomes == "used" else 1), result.stderr
    code = parse_qs(urlsplit(pasted[0]).query)["code"][0]
    texts = [result.stdout, result.stderr, run("status", "--json").output, run("log", "--json").output]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = config.store_path.read_bytes()
    for shown in shown_forms(code):
        assert all(shown not in text for text in texts)
        assert shown.encode() not in stored


# --- $filter -------------------------------------------------------------------------------------

def filter_values(tree: ast.AST):
    """(line, expression) of every value interpolated into an f-string given as "$filter"."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
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
