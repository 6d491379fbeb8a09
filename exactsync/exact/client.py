"""ExactClient: every call to Exact's REST API goes through `_send`, which paces
for the rate limits, authenticates, and decides what may be retried.

What may be retried: a GET, always (reading twice is harmless); any call that
Exact refused before doing anything (401 once after a refresh, 429 after the
reset). What may not: a POST or PUT that timed out, lost its connection or got a
5xx. Exact has no idempotency key and reports some validation failures as 500,
so those raise UncertainOutcome and the caller reconciles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import requests

from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.exact.auth import REFRESH_MARGIN_SECONDS, Authenticator, OAuthApp
from exactsync.exact.errors import (
    DailyLimitReached,
    DivisionNotInScope,
    ExactApiError,
    PagingLoop,
    ReconnectNeeded,
    ScopeViolation,
    UncertainOutcome,
)
from exactsync.exact.ratelimit import RateLimits, is_daily_429, seconds_until
from exactsync.exact.tokens import TokenStore
from exactsync.i18n import msg

CONNECT_TIMEOUT_SECONDS = 10
DEFAULT_TIMEOUT_SECONDS = 120  # [exact] timeout_seconds
MAX_429_RETRIES = 3
GET_RETRIES = 2  # after a timeout, a dropped connection or a 502/503/504
GET_RETRY_PAUSE_SECONDS = 2.0
# Exact's 403 for a call outside the app's scopes carries no code and, in every report, no Reason
# header: its fixed English text is the only sign (picqer#453, #509, #659).
SCOPE_VIOLATED = "application scope violated"
# The 403 for a division not ticked at the login, also text only (INV 1756, 3060).
DIVISION_NOT_IN_SCOPE = "not within division scope"


class ExactClient:
    def __init__(self, app: OAuthApp, tokens: TokenStore, division: int, *,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 refresh_margin: float = REFRESH_MARGIN_SECONDS, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self.session = session or requests.Session()
        self.auth = Authenticator(app, tokens, self.session, clock=clock, refresh_margin=refresh_margin)
        self.base_url = app.base_url
        self.division = division
        self.limits = RateLimits()
        self.clock = clock
        self.sleep = sleep
        self.calls = 0
        self.timeout = (min(CONNECT_TIMEOUT_SECONDS, timeout), timeout)  # connect, read

    @property
    def longest_call(self) -> float:
        """Seconds after a call started by which the client has its answer or has given up."""
        return sum(self.timeout)

    @classmethod
    def from_config(cls, config, **kwargs) -> ExactClient:
        return cls(OAuthApp.from_config(config), TokenStore.beside(config.store_path),
                   config.settings.division, **{"timeout": config.timeout_seconds, **kwargs})

    # --- the public calls ------------------------------------------------------

    def me(self) -> dict:
        rows, _ = self._rows("GET", f"{self.base_url}/api/v1/current/Me")
        if not rows:
            raise ExactApiError(200, msg("current/Me returned no user"), request="GET current/Me")
        return rows[0]

    def pages(self, path: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Each page of a collection, following `__next` exactly as Exact gives it."""
        url: str | None = self.url(path)
        seen: set[str] = set()
        while url:
            rows, next_url = self._rows("GET", url, params=params)
            yield rows
            seen.add(url)
            if next_url in seen:
                raise PagingLoop(msg("Exact's next-page link for {path} points back at a page already read "
                                     "({url}); stopped instead of reading forever: try again later",
                                     path=path, url=next_url))
            url, params = next_url, None

    def get(self, path: str, params: dict | None = None) -> list[dict]:
        return [row for page in self.pages(path, params) for row in page]

    def get_one(self, path: str) -> dict | None:
        try:
            rows, _ = self._rows("GET", self.url(path))
        except ExactApiError as exc:
            if exc.status == 404:
                return None
            raise
        return rows[0] if rows else None

    def post(self, path: str, body: dict, *, sending: Callable[[], None] = lambda: None) -> dict:
        """Create an entity. `sending` is called just before each try goes out (a 401 or 429
        sends it again): a caller that records when Exact may have started on it."""
        rows, _ = self._rows("POST", self.url(path), body=body, sending=sending)
        return rows[0]

    def put(self, path: str, body: dict) -> None:
        self._send("PUT", self.url(path), body=body)

    def url(self, path: str) -> str:
        if not self.division:
            raise ExactsyncError(msg("no Exact division is set: run `exactsync connect`, "
                                     "or set [settings] division in the config"))
        return f"{self.base_url}/api/v1/{self.division}/{path.lstrip('/')}"

    # --- one call --------------------------------------------------------------

    def _rows(self, method: str, url: str, *, params: dict | None = None, body: dict | None = None,
              sending: Callable[[], None] = lambda: None) -> tuple[list[dict], str | None]:
        answer = self._send(method, url, params=params, body=body, sending=sending)
        try:
            rows, next_url = odata.unwrap(answer.json())
            if method == "POST" and not rows:
                raise ValueError("no entity")
        except ValueError:
            kind = answer.headers.get("Content-Type", "no content type")
            if method != "GET":
                # Exact took the write but did not say what it stored: only reading back can tell.
                raise UncertainOutcome(_describe(method, url), msg(
                    "Exact answered {status} with {kind} instead of the stored entity",
                    status=answer.status_code, kind=kind)) from None
            raise ExactApiError(answer.status_code, msg("the answer is {kind}, not OData JSON", kind=kind),
                                request=_describe(method, url)) from None
        return rows, next_url

    def _send(self, method: str, url: str, *, params: dict | None = None, body: dict | None = None,
              sending: Callable[[], None] = lambda: None) -> requests.Response:
        tries = _Tries(method, _describe(method, url))
        while True:
            self._pace()
            token = self.auth.access_token()
            sending()
            try:
                answer = self.session.request(method, url, params=params, json=body,
                                              headers=_headers(method, token), timeout=self.timeout)
            except requests.RequestException as exc:
                self.calls += 1
                self.sleep(tries.after_no_answer(type(exc).__name__))
                continue
            self.calls += 1
            self.limits.update(answer.headers)
            if answer.status_code == 401:
                tries.after_401()
                self.auth.access_token_after_401(token)
            elif answer.status_code == 429:
                self.sleep(tries.after_429(answer, self.limits, self.clock()))
                self.limits.minutely_remaining = None
            elif answer.status_code >= 500:
                self.sleep(tries.after_server_error(answer))
            elif answer.status_code >= 400:
                raise api_error(answer, tries.request)
            else:
                return answer

    def _pace(self) -> None:
        now = self.clock()
        if self.limits.daily_spent(now):
            raise DailyLimitReached(self.limits.daily_reset)
        wait = self.limits.wait_before_next_call(now)
        if wait > 0:
            self.sleep(wait)
            self.limits.minutely_remaining = None


class _Tries:
    """What one call may still try; each method returns the pause before the next
    try, or raises when this answer (or its absence) ends the call."""

    def __init__(self, method: str, request: str):
        self.method = method
        self.request = request
        self.refreshed = False
        self.waits_429 = 0
        self.get_retries = 0

    def after_no_answer(self, what: str) -> float:
        if self.method != "GET":
            raise UncertainOutcome(self.request, msg("no answer from Exact ({what})", what=what))
        if self.get_retries >= GET_RETRIES:
            raise ExactsyncError(msg("{request}: no answer from Exact ({what}) after {tries} tries: check the "
                                     "network, the next run tries again",
                                     request=self.request, what=what, tries=GET_RETRIES + 1))
        return self._get_retry()

    def after_401(self) -> None:
        # Refused before anything happened, so even a POST may go again, once, with a new token.
        if self.refreshed:
            raise ReconnectNeeded(msg("Exact refused a fresh access token for {request}", request=self.request))
        self.refreshed = True

    def after_429(self, answer: requests.Response, limits: RateLimits, now: float) -> float:
        if is_daily_429(answer.headers):
            raise DailyLimitReached(limits.daily_reset)
        if self.waits_429 >= MAX_429_RETRIES:
            raise api_error(answer, self.request)
        self.waits_429 += 1
        return seconds_until(limits.minutely_reset, now)

    def after_server_error(self, answer: requests.Response) -> float:
        if self.method != "GET":
            raise UncertainOutcome(self.request, msg("Exact answered {status}", status=answer.status_code),
                                   status=answer.status_code,
                                   message=error_message(answer))
        if answer.status_code not in (502, 503, 504) or self.get_retries >= GET_RETRIES:
            raise api_error(answer, self.request)
        return self._get_retry()

    def _get_retry(self) -> float:
        self.get_retries += 1
        return GET_RETRY_PAUSE_SECONDS * self.get_retries


def _headers(method: str, token: str) -> dict:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    if method in ("POST", "PUT"):
        headers["Content-Type"] = "application/json"
    if method == "POST":
        # Without it a POST on crm/Accounts or logistics/Items returns only the ID.
        headers["Prefer"] = "return=representation"
    return headers


def _describe(method: str, url: str) -> str:
    """`GET crm/Accounts`: the path after the division, without the query."""
    path = url.split("?", 1)[0].split("/api/v1/", 1)[-1]
    path = path.split("/", 1)[1] if path.split("/", 1)[0].isdigit() and "/" in path else path
    return f"{method} {path}"


def api_error(answer: requests.Response, request: str) -> ExactApiError:
    """Exact's error body, `{"error": {"message": {"value": ...}}}`, and Reason header as one exception;
    a ScopeViolation when the app may not use the endpoint's scope."""
    message = error_message(answer)
    kind = ExactApiError
    if answer.status_code == 403:
        if SCOPE_VIOLATED in message.lower():
            kind = ScopeViolation
        elif DIVISION_NOT_IN_SCOPE in message.lower():
            kind = DivisionNotInScope
    return kind(answer.status_code, message, answer.headers.get("Reason", ""), request=request)


def error_message(answer: requests.Response) -> str:
    try:
        error = answer.json().get("error", {})
        message = error.get("message", "")
        text = message.get("value", "") if isinstance(message, dict) else str(message)
    except (ValueError, AttributeError):
        text = answer.text[:300]
    # Several validation messages come joined by CRLF: one line reads better in a log row.
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()) or answer.reason or ""
