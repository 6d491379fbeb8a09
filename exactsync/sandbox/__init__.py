"""An embedded Exact Online: an HTTP server on 127.0.0.1 that speaks Exact's
REST API and OAuth2 as documented in exact-online-api.md, with a harness to
seed data, change it, inject faults and see what clients did.

    with Sandbox(customers=300) as sb:
        requests.get(f"{sb.base_url}/api/v1/{sb.division}/sync/CRM/Accounts?...", headers=...)
"""

from __future__ import annotations

import collections
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from types import MappingProxyType
from urllib.parse import urlsplit

from exactsync.i18n import msg
from exactsync.sandbox import scopes as app_scopes
from exactsync.sandbox.auth import ErrorLimit, OAuthServer, RateLimits
from exactsync.sandbox.data import AMSTERDAM, Administration
from exactsync.sandbox.server import SandboxHTTPServer

FAULT_KINDS = ("error500", "drop_before", "drop_after_commit", "latency", "429")
# The app's one registered redirect URI. Exact registers only a public https address, no localhost, and
# matches it exactly (CD step1; picqer#463; websmurf#8); the page need not exist: nobody fetches it.
DEFAULT_REDIRECT_URI = "https://exactsync.example/callback"


def check_redirect_uri(redirect_uri: str) -> str:
    """What the App Center would refuse to register (CD step1; picqer#463)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "https" or not parts.hostname or parts.hostname in ("localhost", "127.0.0.1", "::1"):
        raise ValueError(msg("redirect URI {uri}: Exact registers only a public https address", uri=repr(redirect_uri)))
    return redirect_uri


def _view(table: str) -> property:
    """A read-only view of one of the administration's tables (dict by ID, Exact field names)."""
    return property(lambda self: MappingProxyType(getattr(self.admin, table)))


class Sandbox:
    """One Exact Online administration (division `division`) served on 127.0.0.1.

    Harness, for tests, the demo and benchmarks:
    - `start()`/`stop()` or `with`; `base_url`, `client_id`, `client_secret`, `redirect_uri` (the one
      registered for the app), `consent` ("allow"/"deny");
    - `calls` counts "METHOD path" (path after /api/v1/{division}/, or "token"/"auth"), `reset_calls()`;
    - data: `add_customer`, `update_account`, `block_account`, `delete_account`, `add_item`,
      `update_item`, `delete_item`, `update_address`, `move_division`; read-only views `accounts`,
      `addresses`, `items`, `item_groups`, `journals`, `invoices`, `documents`, `attachments`, `deleted`;
    - faults: `fault(method, path, kind, times, ms)`, `set_rate_limits`, `exhaust_daily_limit`,
      `expire_tokens`; `error_limit=10` turns on Exact's block after too many errors on an endpoint;
      `scopes` (default: every scope of sandbox.scopes.ENDPOINTS) and `set_scopes` are the app's scopes,
      read/write but for those also named in `read_only`;
      `division_ticked = False`: the division was not ticked at consent (server.DIVISION_NOT_IN_SCOPE);
    - the office in Exact: `process_invoice` (Status 50, InvoiceNumber; returns it), `delete_invoice` (a
      draft), `delete_document` (with its attachments); deletions show in `deleted` and sync/Deleted;
    - time: `advance_clock(days=31)` moves the clock of Exact's login on.
    """

    def __init__(self, seed: int = 1, customers: int = 300, items: int = 120, division: int = 123456,
                 minutely_limit: int = 60, daily_limit: int = 5000, token_lifetime: int = 600,
                 refresh_window: int = 30, latency_ms: int = 0, port: int = 0, error_limit: int | None = None,
                 scopes: Iterable[str] | None = None, redirect_uri: str = DEFAULT_REDIRECT_URI):
        self.seed = seed
        self.redirect_uri = check_redirect_uri(redirect_uri)
        self.division = division
        self.latency_ms = latency_ms
        self.port = port
        self.lock = threading.RLock()
        self.scopes: dict[str, str] = app_scopes.grants(app_scopes.ENDPOINTS if scopes is None else scopes)
        self.admin = Administration(division, seed=seed, customers=customers, items=items)
        self.client_id = str(uuid.UUID(int=self.admin.rng.getrandbits(128), version=4))
        self.client_secret = secrets.token_urlsafe(24)
        self.user_id = self.admin.new_guid()
        self.customer_id = self.admin.new_guid()
        self.clock_offset = 0.0
        self.oauth = OAuthServer(self.client_id, self.client_secret, token_lifetime, refresh_window, clock=self.now)
        self.limits = RateLimits(minutely_limit, daily_limit)
        self.errors = ErrorLimit(error_limit)
        self.consent = "allow"
        self.division_ticked = True
        self.calls: collections.Counter = collections.Counter()
        self.faults: list[dict] = []
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        self._server = SandboxHTTPServer(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        # a short poll interval keeps stop() quick: tests start and stop many sandboxes
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), name="exact-sandbox",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what the server asks -----------------------------------------------------------------------

    def rate_key(self):
        return (self.client_id, self.division)

    def take_fault(self, method: str, path: str, call: str) -> dict | None:
        with self.lock:
            self.calls[call] += 1
            for fault in self.faults:
                if fault["method"] in (None, method) and (fault["path"] is None or
                                                          fault["path"].lower() == path.lower()):
                    if fault["times"] is not None:
                        fault["times"] -= 1
                        if fault["times"] <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def me(self) -> dict:
        now = datetime.now(AMSTERDAM)
        return {"CurrentDivision": self.division, "UserID": self.user_id, "UserName": "demo@example.nl",
                "FullName": "Demo Gebruiker", "Email": "demo@example.nl", "LanguageCode": "nl-NL",
                "Legislation": 1, "AccountingDivision": self.division, "DivisionCustomer": self.customer_id,
                "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "ServerUtcOffset": int(now.utcoffset().total_seconds())}

    def division_row(self) -> dict:
        created = self.admin.today.replace(year=self.admin.today.year - 5)
        # system/Divisions names it Hid, the older hrm/Divisions HID (with Main)
        return {"Code": self.division, "Description": "Demo Installatietechniek B.V.", "Hid": 1, "HID": 1,
                "Main": True, "Current": True, "Status": 1, "BlockingStatus": 0,
                "DivisionMoveDate": self.admin.move_date, "Country": "NL ", "Currency": "EUR",
                "Customer": self.customer_id, "Created": created, "Modified": created}

    # -- harness: calls, faults, limits, tokens ---------------------------------------------------------

    def reset_calls(self):
        with self.lock:
            self.calls.clear()

    def fault(self, method: str | None = None, path: str | None = None, kind: str = "error500",
              times: int | None = 1, ms: int = 1000):
        """Make the next `times` matching calls misbehave (`times=None`: until cleared).

        `path` is the call path as in `calls` ("salesinvoice/SalesInvoices", "token"). `latency` waits
        `ms` before doing the call's work, which is then stored also when the client stopped waiting
        (timed out or was killed) meanwhile."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        with self.lock:
            self.faults.append({"method": method, "path": path, "kind": kind, "times": times, "ms": ms})

    def set_rate_limits(self, minutely: int | None = None, daily: int | None = None):
        with self.lock:
            if minutely is not None:
                self.limits.minutely = minutely
            if daily is not None:
                self.limits.daily = daily

    def exhaust_daily_limit(self):
        with self.lock:
            self.limits.exhaust_daily(self.rate_key())

    def set_scopes(self, scopes: Iterable[str], read_only: Iterable[str] = ()):
        """The scopes ticked for the app, those in `read_only` read-only; a call outside them gets 403
        (see server.SCOPE_VIOLATED)."""
        granted = app_scopes.grants(scopes, read_only)
        with self.lock:
            self.scopes = granted

    def expire_tokens(self):
        with self.lock:
            self.oauth.expire_all()

    def now(self) -> float:
        """Exact's time for its login (codes, access and refresh tokens): this machine's, plus what
        `advance_clock` added. The rate limits keep the machine's time: clients read their reset
        headers against their own clock, which the harness cannot move."""
        return time.time() + self.clock_offset

    def advance_clock(self, days: float = 0, seconds: float = 0):
        """Let time pass for Exact's login: `advance_clock(days=31)` outlives every refresh token."""
        with self.lock:
            self.clock_offset += days * 86400 + seconds

    # -- harness: data -----------------------------------------------------------------------------------

    def _locked(name):
        def call(self, *args, **kwargs):
            with self.lock:
                return getattr(self.admin, name)(*args, **kwargs)
        call.__name__ = name
        call.__doc__ = getattr(Administration, name).__doc__
        return call

    add_customer = _locked("add_customer")
    update_account = _locked("update_account")
    block_account = _locked("block_account")
    delete_account = _locked("delete_account")
    add_item = _locked("add_item")
    update_item = _locked("update_item")
    delete_item = _locked("delete_item")
    update_address = _locked("update_address")
    move_division = _locked("move_division")
    process_invoice = _locked("process_invoice")
    delete_invoice = _locked("delete_invoice")
    delete_document = _locked("delete_document")
    del _locked

    accounts = _view("accounts")
    addresses = _view("addresses")
    items = _view("items")
    item_groups = _view("item_groups")
    journals = _view("journals")
    invoices = _view("invoices")
    documents = _view("documents")
    attachments = _view("attachments")
    deleted = _view("deleted")


__all__ = ["Sandbox", "FAULT_KINDS", "DEFAULT_REDIRECT_URI", "check_redirect_uri"]
