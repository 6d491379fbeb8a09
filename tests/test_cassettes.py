"""Cassettes pin Exact's wire format as the sandbox speaks it: the login (the
authorize redirect to the registered https address, whose address is pasted into
exactsync's own code exchange), the refusal of another redirect URI, the too-early refresh, a paged sync read, an invoice POST, and the error bodies.

Normal runs replay `cassettes/sandbox_wire.yaml` offline (record_mode "none")
and check what a client relies on; a second test runs the same exchanges
live against a fresh sandbox and compares their shape with the cassette, so
a change in the sandbox's wire format fails here until it is re-recorded on
purpose: `make cassettes` (EXACTSYNC_RECORD=1).

Tokens, codes and the client secret are scrubbed from headers AND bodies
(Exact returns tokens in the body of the token answer).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
import requests
import vcr

from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.exact.tokens import TokenStore
from exactsync.sandbox import DEFAULT_REDIRECT_URI, Sandbox

CASSETTE = Path(__file__).resolve().parent.parent / "cassettes" / "sandbox_wire.yaml"
RECORDING = os.environ.get("EXACTSYNC_RECORD") == "1"
REDIRECT_URI = DEFAULT_REDIRECT_URI
DIVISION = 123456
CUSTOMERS = 1001      # two sync pages: 1000 rows and 1
REDACTED = "REDACTED"
SECRET_FORM_FIELDS = ("client_secret", "code", "refresh_token")
SECRET_BODY_FIELDS = ("access_token", "refresh_token")
LEAKED_TOKEN = re.compile(r"(?:at|rt|code)-(?:[A-Za-z0-9_!-]|%21){40,}")  # a code holds a "!" (CD step2)
SHAPE_HEADERS = ("Content-Type", "Location", "Reason", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                 "X-RateLimit-Reset", "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining",
                 "X-RateLimit-Minutely-Reset")


def scrub_request(request):
    if "Authorization" in request.headers:
        request.headers["Authorization"] = f"Bearer {REDACTED}"
    if request.body and b"grant_type" in request.body:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        form.update({k: REDACTED for k in SECRET_FORM_FIELDS if k in form})
        request.body = urlencode(form).encode()
    return request


def scrub_response(response):
    headers = response["headers"]
    for name in [n for n in headers if n.lower() == "location"]:
        headers[name] = [re.sub(r"code=[^&]+", f"code={REDACTED}", value) for value in headers[name]]
    body = response["body"]["string"]
    if b"access_token" in body:
        token = json.loads(body)
        token.update({k: REDACTED for k in SECRET_BODY_FIELDS if k in token})
        response["body"]["string"] = json.dumps(token, separators=(",", ":")).encode()
    return response


def cassette_player(record_mode: str):
    return vcr.VCR(record_mode=record_mode, match_on=["method", "path", "query"],
                   filter_headers=[("Authorization", f"Bearer {REDACTED}")],
                   before_record_request=scrub_request, before_record_response=scrub_response,
                   decode_compressed_response=True)


def exchanges(base_url: str, client_id: str, client_secret: str, token_file: Path, sb: Sandbox | None = None) -> list:
    """The main exchanges of a client with Exact; `sb` (when live) sets up the faults."""
    http = requests.Session()
    answers = []
    http.hooks["response"].append(lambda answer, **kwargs: answers.append(answer))
    authorize = f"{base_url}/api/oauth2/auth"
    # the browser's part: the login page sends it on to the registered address, which is not followed
    http.get(authorize, allow_redirects=False, params={
        "client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "cassette"})
    # the admin pastes that address; exactsync checks it and exchanges the code
    auth = Authenticator(OAuthApp(base_url, client_id, client_secret, REDIRECT_URI), TokenStore(token_file), http)
    auth.exchange_code(answers[-1].headers["Location"], "cassette")
    tokens = auth.tokens.load()
    form = {"client_id": client_id, "client_secret": client_secret}
    http.post(f"{base_url}/api/oauth2/token", data=form | {
        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token})
    headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}
    api = f"{base_url}/api/v1/{DIVISION}"
    http.get(f"{api}/sync/CRM/Accounts", headers=headers, params={
        "$filter": "Timestamp gt 1L", "$select": "ID,Code,Name,Country,Blocked,Modified,Timestamp"})
    http.get(answers[-1].json()["d"]["__next"], headers=headers)
    account = answers[-1].json()["d"]["results"][0]["ID"]
    http.get(f"{api}/logistics/Items", headers=headers, params={
        "$filter": "IsSalesItem eq true", "$select": "ID,Code,Description", "$top": "1"})
    item = answers[-1].json()["d"]["results"][0]["ID"]
    invoice = {"OrderedBy": account, "Journal": "70", "YourRef": "WO-1", "Description": "Werkbon 1",
               "SalesInvoiceLines": [{"Item": item, "Quantity": 1.5, "UnitPrice": 60}]}
    http.post(f"{api}/salesinvoice/SalesInvoices", headers=headers, json=invoice)
    http.post(f"{api}/salesinvoice/SalesInvoices", headers=headers,
              json=invoice | {"OrderedBy": "6f1c2c1e-0000-4000-8000-000000000000"})
    http.get(f"{api}/crm/Accounts", headers=headers)
    http.get(f"{api}/crm/Accounts", headers=headers | {"Authorization": "Bearer expired"})
    http.get(f"{base_url}/api/v1/999/crm/Accounts", headers=headers, params={"$filter": "Name eq 'x'"})
    if sb is not None:
        sb.fault(path="financial/Journals", kind="429")
    http.get(f"{api}/financial/Journals", headers=headers)
    http.get(authorize, allow_redirects=False, params={
        "client_id": client_id, "redirect_uri": "http://127.0.0.1:8765/callback", "response_type": "code"})
    return answers


def shape(value):
    """The structure of a JSON value: keys and value types, not the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def summary(answer: requests.Response) -> tuple:
    body = answer.json() if "json" in answer.headers.get("Content-Type", "") else answer.text
    return answer.status_code, sorted(h for h in SHAPE_HEADERS if h in answer.headers), shape(body)


def recorded_exchanges(token_file: Path) -> list:
    mode = "all" if RECORDING else "none"
    if RECORDING:
        with Sandbox(customers=CUSTOMERS, items=20) as sb, cassette_player(mode).use_cassette(str(CASSETTE)):
            return exchanges(sb.base_url, sb.client_id, sb.client_secret, token_file, sb)
    if not CASSETTE.exists():
        pytest.fail(f"{CASSETTE} is missing: run `make cassettes`")
    # replay: no server, and the port in the recorded URLs does not matter (matching ignores host and
    # port); the client id is in the authorize query, and the same seed gives the same one
    client_id = Sandbox(customers=CUSTOMERS, items=20).client_id
    with cassette_player(mode).use_cassette(str(CASSETTE)):
        return exchanges("http://127.0.0.1:9", client_id, REDACTED, token_file)


def test_the_recorded_wire_format(tmp_path):
    (auth, token, too_early, page1, page2, item, invoice, bad_invoice, unfiltered, unauthorized, no_division,
     limited, unregistered) = recorded_exchanges(tmp_path / "tokens.json")
    assert auth.status_code == 302 and "state=cassette" in auth.headers["Location"]
    assert auth.headers["Location"].startswith(f"{REDIRECT_URI}?code=")
    assert (unregistered.status_code, unregistered.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "Location" not in unregistered.headers
    assert token.json()["token_type"] == "Bearer" and token.json()["expires_in"] == "600"
    assert (too_early.status_code, too_early.json()["error"]) == (400, "access_denied")
    assert too_early.headers["Reason"].startswith("TooEarlyToRefreshTokens")
    first, second = page1.json()["d"], page2.json()["d"]
    assert len(first["results"]) == 1000 and first["__next"].startswith("http") and "$skiptoken=" in first["__next"]
    assert len(second["results"]) == 1 and "__next" not in second
    row = first["results"][0]
    assert isinstance(row["Timestamp"], str) and len(row["Code"]) == 18 and row["Modified"].startswith("/Date(")
    assert set(row["__metadata"]) == {"uri", "type"}
    assert page1.headers["X-RateLimit-Minutely-Limit"] == "60" and page1.headers["X-RateLimit-Limit"] == "5000"
    created = invoice.json()["d"]
    assert invoice.status_code == 201 and created["Status"] == 20 and created["InvoiceNumber"] is None
    assert "__deferred" in created["SalesInvoiceLines"]
    assert bad_invoice.status_code == 500
    assert bad_invoice.json()["error"]["message"]["value"].startswith("Ongeldige referentie: Besteld door")
    for answer, status in ((unfiltered, 400), (unauthorized, 401), (no_division, 403)):
        assert answer.status_code == status and set(answer.json()["error"]) == {"code", "message"}
    assert no_division.headers["Reason"] == "NoDivisionAccess"
    assert limited.status_code == 429 and "X-RateLimit-Reset" not in limited.headers and limited.content == b""
    assert item.status_code == 200


def test_the_sandbox_still_speaks_what_the_cassette_pinned(tmp_path):
    if RECORDING:
        pytest.skip("recording")
    recorded = [summary(answer) for answer in recorded_exchanges(tmp_path / "recorded.json")]
    with Sandbox(customers=CUSTOMERS, items=20) as sb:
        live = [summary(answer) for answer in exchanges(sb.base_url, sb.client_id, sb.client_secret,
                                                        tmp_path / "live.json", sb)]
    assert live == recorded, "the sandbox's wire format changed: if on purpose, run `make cassettes`"


def test_the_cassette_holds_no_tokens_codes_or_secrets():
    text = CASSETTE.read_text()
    assert not LEAKED_TOKEN.search(text)
    assert "client_secret=REDACTED" in text and "Bearer REDACTED" in text
    assert "callback?code=REDACTED&state=cassette" in text and "&code=REDACTED&" in text  # pasted, then exchanged
