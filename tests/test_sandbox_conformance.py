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

exactonline = pytest.importorskip("exactonline")
from exactonline import http as exact_http  # noqa: E402
from exactonline.api import ExactApi  # noqa: E402
from exactonline.resource import GET  # noqa: E402
from exactonline.storage import ExactOnlineConfig, MissingSetting  # noqa: E402

pytestmark = pytest.mark.sandbox(customers=2100, items=5)


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
def api(sandbox, monkeypatch) -> ExactApi:
    monkeypatch.setattr(exact_http.opt_secure, "protocols", ("http", "https"))
    monkeypatch.setattr(exact_http.opt_secure, "verify_cert", False)
    storage = MemoryStorage({
        ("server", "auth_url"): f"{sandbox.base_url}/api/oauth2/auth",
        ("server", "rest_url"): f"{sandbox.base_url}/api",
        ("server", "token_url"): f"{sandbox.base_url}/api/oauth2/token",
        ("application", "base_url"): sandbox.redirect_uri,   # the one registered redirect URI
        ("application", "client_id"): sandbox.client_id,
        ("application", "client_secret"): sandbox.client_secret,
    })
    api = ExactApi(storage=storage)
    redirect = requests.get(api.create_auth_request_url(), allow_redirects=False)
    api.request_token(parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0])
    return api


def test_the_client_logs_in_and_selects_the_division(sandbox, api):
    choices, current = api.get_divisions()
    assert current == sandbox.division and choices == {sandbox.division: "Demo Installatietechniek B.V."}
    api.set_division(current)
    assert api.storage.get_division() == sandbox.division


def test_the_client_refreshes_on_401_and_reads_every_page(sandbox, api):
    api.set_division(sandbox.division)
    sandbox.expire_tokens()
    old_refresh_token = api.storage.get_refresh_token()
    rows = api.restv1(GET("sync/CRM/Accounts?$filter=Timestamp+gt+1L&$select=ID,Code,Name,Timestamp"))
    assert api.storage.get_refresh_token() != old_refresh_token
    assert sandbox.calls["POST token"] == 2 and sandbox.calls["GET sync/CRM/Accounts"] == 4   # 401, then 3 pages
    assert len(rows) == 2100 == len({r["ID"] for r in rows})
    assert {r["ID"] for r in rows} == set(sandbox.accounts)


def test_the_client_reads_normal_pages_of_60_and_finds_a_padded_code(sandbox, api):
    api.set_division(sandbox.division)
    unblocked = api.relations.filter(filter="Blocked eq false")
    assert len(unblocked) == sum(1 for a in sandbox.accounts.values() if not a["Blocked"])
    assert sandbox.calls["GET crm/Accounts"] >= len(unblocked) // 60
    (found,) = api.relations.filter(relation_code="12")
    assert found["Code"] == "12".rjust(18)
