"""An independent Exact Online client from PyPI drives the sandbox: proof that
the sandbox speaks Exact's wire format, not just our own client's dialect.

The client is ossobv's `exactonline` (LGPL, in the [test] extra). It only
allows https by default; the one change made here is to let it use http for
127.0.0.1. Everything else (its OAuth calls, its token refresh on a 401, its
`__next` unwrapping, its rate-limit header parsing) runs unmodified.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from exactsync.sandbox import Sandbox

exactonline = pytest.importorskip("exactonline")
from exactonline import http as exact_http  # noqa: E402
from exactonline.api import ExactApi  # noqa: E402
from exactonline.resource import GET  # noqa: E402
from exactonline.storage import ExactOnlineConfig, MissingSetting  # noqa: E402


class MemoryStorage(ExactOnlineConfig):
    def __init__(self, settings: dict):
        self.settings = settings

    def get(self, section, option):
        try:
            return self.settings[(section, option)]
        except KeyError:
            raise MissingSetting(option) from None

    def set(self, section, option, value):
        self.settings[(section, option)] = value


@pytest.fixture
def sb(monkeypatch):
    monkeypatch.setattr(exact_http.opt_secure, "protocols", ("http", "https"))
    monkeypatch.setattr(exact_http.opt_secure, "verify_cert", False)
    with Sandbox(customers=2100, items=5) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb) -> ExactApi:
    storage = MemoryStorage({
        ("server", "auth_url"): f"{sb.base_url}/api/oauth2/auth",
        ("server", "rest_url"): f"{sb.base_url}/api",
        ("server", "token_url"): f"{sb.base_url}/api/oauth2/token",
        ("application", "base_url"): sb.redirect_uri,   # the one registered redirect URI
        ("application", "client_id"): sb.client_id,
        ("application", "client_secret"): sb.client_secret,
    })
    api = ExactApi(storage=storage)
    redirect = requests.get(api.create_auth_request_url(), allow_redirects=False)
    api.request_token(parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0])
    return api


def test_the_client_logs_in_and_selects_the_division(sb, api):
    choices, current = api.get_divisions()
    assert current == sb.division and choices == {sb.division: "Demo Installatietechniek B.V."}
    api.set_division(current)
    assert api.storage.get_division() == sb.division


def test_the_client_refreshes_on_401_and_reads_every_page(sb, api):
    api.set_division(sb.division)
    sb.expire_tokens()
    old_refresh_token = api.storage.get_refresh_token()
    rows = api.restv1(GET("sync/CRM/Accounts?$filter=Timestamp+gt+1L&$select=ID,Code,Name,Timestamp"))
    assert api.storage.get_refresh_token() != old_refresh_token
    assert sb.calls["POST token"] == 2 and sb.calls["GET sync/CRM/Accounts"] == 4   # 401, then 3 pages
    assert len(rows) == 2100 == len({r["ID"] for r in rows})
    assert {r["ID"] for r in rows} == set(sb.accounts)


def test_the_client_reads_normal_pages_of_60_and_finds_a_padded_code(sb, api):
    api.set_division(sb.division)
    unblocked = api.relations.filter(filter="Blocked eq false")
    assert len(unblocked) == sum(1 for a in sb.accounts.values() if not a["Blocked"])
    assert sb.calls["GET crm/Accounts"] >= len(unblocked) // 60
    (found,) = api.relations.filter(relation_code="12")
    assert found["Code"] == "12".rjust(18)
