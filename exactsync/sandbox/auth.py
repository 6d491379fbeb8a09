"""OAuth2 as Exact runs it, and its per app+division rate limits.

Codes are single-use; refresh tokens rotate, die on use and after 30 days unused; a refresh is
refused while the current access token still has more than `refresh_window`
seconds to live. Times come from `clock` so tests can move them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

CODE_LIFETIME = 180
# A refresh token unused for 30 days is dead (websmurf#19, #22, #23; CD step3).
REFRESH_LIFETIME = 30 * 86400


class OAuthError(Exception):
    """An answer from the token endpoint: HTTP status, JSON body (or text), extra headers."""

    def __init__(self, status: int, body, headers: dict | None = None):
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, error: str, description: str | None = None, headers: dict | None = None) -> OAuthError:
    body = {"error": error} if description is None else {"error": error, "error_description": description}
    return OAuthError(status, body, headers)


def new_token(prefix: str) -> str:
    # Exact's tokens are long opaque strings; the prefix only helps a human reading a test failure.
    return prefix + secrets.token_urlsafe(96)


def _exact_time(epoch: float) -> str:
    """`10/28/2022 4:15:50 PM`, in UTC (the recorded messages do not say which zone)."""
    t = datetime.fromtimestamp(epoch, UTC)
    return f"{t.month}/{t.day}/{t.year} {(t.hour - 1) % 12 + 1}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


@dataclass
class Grant:
    access_token: str
    access_expires: float
    refresh_token: str
    refresh_expires: float


@dataclass
class OAuthServer:
    client_id: str
    client_secret: str
    token_lifetime: int = 600
    refresh_window: int = 30
    clock: callable = time.time
    codes: dict = field(default_factory=dict)            # code -> (redirect_uri, expires)
    access: dict = field(default_factory=dict)           # access token -> expires
    refresh: dict = field(default_factory=dict)          # live refresh token -> Grant
    used_refresh: set = field(default_factory=set)

    def issue_code(self, redirect_uri: str) -> str:
        # Exact's codes look like "XTzM!IAAA...": the "!" must survive the pasted address (CD step2).
        code = f"code-{secrets.token_urlsafe(3)}!IAAA{secrets.token_urlsafe(96)}"
        self.codes[code] = (redirect_uri, self.clock() + CODE_LIFETIME)
        return code

    def token(self, form: dict) -> dict:
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
                form.get("client_secret", ""), self.client_secret):
            raise _error(400, "invalid_client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        raise _error(400, "unsupported_grant_type")

    def _exchange_code(self, form: dict) -> dict:
        # Single use, 3 minutes, and only with the redirect URI it was issued for, which authorize allows
        # only when it is the registered one (CD step3; PQ-README; gh:picqer#96).
        redirect_uri, expires = self.codes.pop(form.get("code", ""), (None, 0))
        if redirect_uri is None or expires < self.clock() or redirect_uri != form.get("redirect_uri"):
            raise OAuthError(400, "Bad Request")
        return self._grant()

    def _refresh(self, refresh_token: str) -> dict:
        if refresh_token in self.used_refresh:
            raise _error(401, "unauthorized_client", "Old refresh token used.")
        grant = self.refresh.get(refresh_token)
        if grant is None:
            raise _error(400, "invalid_grant", "Token is not allowed, because of invalid or empty chainId")
        now = self.clock()
        if now >= grant.refresh_expires:
            # Exact's words and its en-US times, as recorded in websmurf#22 and #23.
            raise _error(400, "invalid_request", f"The refresh token expired at {_exact_time(grant.refresh_expires)} "
                                                 f"and it is now {_exact_time(now)}.")
        if now < grant.access_expires - self.refresh_window:
            message = "Rate limit exceeded: access_token not expired"
            raise _error(400, "access_denied", message, {"Reason": f"TooEarlyToRefreshTokens: {message}"})
        del self.refresh[refresh_token]
        self.used_refresh.add(refresh_token)
        self.access.pop(grant.access_token, None)
        return self._grant()

    def _grant(self) -> dict:
        now = self.clock()
        grant = Grant(new_token("at-"), now + self.token_lifetime, new_token("rt-"), now + REFRESH_LIFETIME)
        self.access[grant.access_token] = grant.access_expires
        self.refresh[grant.refresh_token] = grant
        return {"access_token": grant.access_token, "token_type": "Bearer",  # CD step3
                "expires_in": str(self.token_lifetime), "refresh_token": grant.refresh_token}

    def valid(self, access_token: str) -> bool:
        expires = self.access.get(access_token)
        return expires is not None and self.clock() < expires

    def expire_all(self):
        now = self.clock()
        self.access = {token: min(expires, now) for token, expires in self.access.items()}
        for grant in self.refresh.values():
            grant.access_expires = min(grant.access_expires, now)


@dataclass
class RateLimits:
    """Fixed windows: the clock minute and the UTC day, per app+division."""

    minutely: int = 60
    daily: int = 5000
    clock: callable = time.time
    used: dict = field(default_factory=dict)   # (app, division) -> [minute, minute_count, day, day_count]

    def _counters(self, key) -> list:
        now = self.clock()
        minute, day = int(now // 60), int(now // 86400)
        counters = self.used.setdefault(key, [minute, 0, day, 0])
        if counters[0] != minute:
            counters[0:2] = [minute, 0]
        if counters[2] != day:
            counters[2:4] = [day, 0]
        return counters

    def take(self, key) -> tuple[str | None, dict]:
        """Count one call. Returns (None or "minutely"/"daily" when refused, the headers to send)."""
        counters = self._counters(key)
        if counters[3] >= self.daily:
            return "daily", self.headers(counters)
        if counters[1] >= self.minutely:
            return "minutely", self.headers(counters, minutely_only=True)
        counters[1] += 1
        counters[3] += 1
        return None, self.headers(counters)

    def headers(self, counters: list, minutely_only: bool = False) -> dict:
        minute, minute_count, day, day_count = counters
        headers = {
            "X-RateLimit-Minutely-Limit": str(self.minutely),
            "X-RateLimit-Minutely-Remaining": str(max(self.minutely - minute_count, 0)),
            "X-RateLimit-Minutely-Reset": str((minute + 1) * 60_000),
        }
        if not minutely_only:
            headers.update({
                "X-RateLimit-Limit": str(self.daily),
                "X-RateLimit-Remaining": str(max(self.daily - day_count, 0)),
                "X-RateLimit-Reset": str((day + 1) * 86_400_000),
            })
        return headers

    def refuse_minutely(self, key) -> dict:
        return self.headers(self._counters(key), minutely_only=True)

    def exhaust_daily(self, key):
        self._counters(key)[3] = self.daily


@dataclass
class ErrorLimit:
    """Exact blocks an app for an hour on an endpoint after more than `limit` errors (400, 401, 403,
    404) there within an hour. Off when `limit` is None; what a blocked call answers is not documented,
    so it gets a 429 with a message that says so."""

    limit: int | None = None
    clock: callable = time.time
    errors: dict = field(default_factory=dict)     # (app, division, endpoint) -> times of recent errors
    blocked: dict = field(default_factory=dict)    # (app, division, endpoint) -> blocked until

    COUNTED = (400, 401, 403, 404)

    def is_blocked(self, key) -> bool:
        return self.blocked.get(key, 0) > self.clock()

    def record(self, key, status: int):
        if self.limit is None or status not in self.COUNTED:
            return
        now = self.clock()
        recent = [t for t in self.errors.get(key, []) if t > now - 3600] + [now]
        self.errors[key] = recent
        if len(recent) > self.limit:
            self.blocked[key] = now + 3600
