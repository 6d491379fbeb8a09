"""OAuth2 with Exact: the authorize URL, the code exchange, and refreshes that never lose the chain.

Exact refuses a refresh during the first 570 s of a token's 600 s (400 with
`Reason: TooEarlyToRefreshTokens`) and burns the old refresh token on every
refresh. So a refresh happens only near the end of a token's life or after a
401, under the token lock, after re-reading the file (another process may have
refreshed meanwhile), and the new pair is saved before it is used.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

import requests

from exactsync.errors import ExactsyncError
from exactsync.exact.errors import ExactApiError, LoginExpired, LoginUnavailable
from exactsync.exact.tokens import Tokens, TokenStore
from exactsync.store import utcnow

# Exact allows a refresh only in the last 30 s of a token's life; refresh 15 s before the end.
REFRESH_MARGIN_SECONDS = 15.0
# After Exact said "too early", wait this long before asking again (the token endpoint allows 200 calls a day).
TOO_EARLY_BACKOFF_SECONDS = 5.0
TOKEN_TIMEOUT = (10, 30)


@dataclass(frozen=True)
class OAuthApp:
    """The app registered in the Exact App Center, as the config describes it."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str

    @classmethod
    def from_config(cls, config) -> "OAuthApp":
        return cls(config.base_url, config.client_id, config.client_secret, config.redirect_uri)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token"

    def authorize_url(self, state: str) -> str:
        query = urlencode({"client_id": self.client_id, "redirect_uri": self.redirect_uri,
                           "response_type": "code", "state": state, "force_login": "0"})
        return f"{self.base_url}/api/oauth2/auth?{query}"


class TooEarly(Exception):
    """Exact will not refresh yet: the current access token is still good."""


class TokenRefused(Exception):
    """The token endpoint refused the code or refresh token (used, expired, or the chain broke)."""


class Authenticator:
    def __init__(self, app: OAuthApp, tokens: TokenStore, session: requests.Session, *,
                 clock: Callable[[], float] = time.time, refresh_margin: float = REFRESH_MARGIN_SECONDS):
        self.app = app
        self.tokens = tokens
        self.session = session
        self.clock = clock
        self.refresh_margin = refresh_margin
        self.token_calls = 0
        self._next_refresh_try = 0.0

    def access_token(self) -> str:
        """A usable access token, refreshed first when it is about to expire."""
        current = self._stored()
        now = self.clock()
        if current.seconds_left(now) > self.refresh_margin or now < self._next_refresh_try:
            return current.access_token
        return self._refresh(lambda stored: stored.seconds_left(self.clock()) <= self.refresh_margin)

    def access_token_after_401(self, rejected: str) -> str:
        """Exact refused `rejected`: refresh, unless another process already replaced it."""
        return self._refresh(lambda stored: stored.access_token == rejected)

    def exchange_code(self, code: str) -> None:
        try:
            tokens = self._token_call({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": self.app.redirect_uri})
        except TokenRefused as exc:
            raise ExactsyncError(f"Exact refused the authorization code ({exc}); a code works once and only "
                                 "for a few minutes: run `exactsync connect` again") from None
        with self.tokens.locked():
            self.tokens.save(tokens)

    def _stored(self) -> Tokens:
        return self.tokens.login()

    def _refresh(self, still_needed: Callable[[Tokens], bool]) -> str:
        with self.tokens.locked():
            current = self._stored()
            if not still_needed(current):
                return current.access_token
            if not self.app.client_secret:
                raise LoginUnavailable("[exact] client_secret is not set (nor EXACTSYNC_CLIENT_SECRET): copy it "
                                       "from your app in the Exact App Center")
            # Exact burns the refresh token it is given: only spend it once the new pair has room on disk.
            with self.tokens.reserve() as reservation:
                try:
                    fresh = self._token_call({"grant_type": "refresh_token", "refresh_token": current.refresh_token})
                except TooEarly:
                    self._next_refresh_try = self.clock() + TOO_EARLY_BACKOFF_SECONDS
                    return current.access_token
                except TokenRefused as exc:
                    # Said once: later runs find the mark and ask neither Exact nor the log again.
                    with contextlib.suppress(ExactsyncError):
                        reservation.fill(current.refused(utcnow(), str(exc)))
                    raise LoginExpired(str(exc)) from None
                except LoginUnavailable:
                    raise
                except ExactsyncError as exc:
                    # No answer, or not Exact's kind: the login's trouble, never the caller's call's.
                    raise LoginUnavailable(str(exc)) from None
                reservation.fill(fresh)
            return fresh.access_token

    def _token_call(self, form: dict) -> Tokens:
        form = {**form, "client_id": self.app.client_id, "client_secret": self.app.client_secret}
        self.token_calls += 1
        try:
            answer = self.session.post(self.app.token_url, data=form, headers={"Accept": "application/json"},
                                       timeout=TOKEN_TIMEOUT)
        except requests.RequestException as exc:
            raise ExactsyncError(f"cannot reach Exact at {self.app.token_url} ({type(exc).__name__}): "
                                 "check [exact] base_url and the network, then try again") from None
        if answer.ok:
            try:
                return Tokens.from_token_response(answer.json(), self.clock())
            except (ValueError, KeyError, TypeError):
                raise ExactApiError(answer.status_code, "the token answer is not what Exact sends",
                                    request="POST token") from None
        raise token_error(answer, refreshing=form["grant_type"] == "refresh_token")


def token_error(answer: requests.Response, *, refreshing: bool) -> Exception:
    """Map a refused token call to what the caller should do about it.

    While refreshing, every answer is about the login, never about the call that needed
    the token: a refusal of the refresh token (400 invalid_request "The refresh token
    expired at ...", 401 unauthorized_client "Old refresh token used.", 400 invalid_grant
    on a broken chain; exact-online-api.md section 10) means log in again, and anything
    else (429, 5xx) is LoginUnavailable: the run stops and the next one tries again."""
    try:
        body = answer.json()
        error, description = str(body.get("error", "")), str(body.get("error_description", ""))
    except (ValueError, AttributeError):
        error, description = "", answer.text[:200].strip()
    reason = answer.headers.get("Reason", "")
    if reason.startswith("TooEarlyToRefreshTokens") or (refreshing and answer.status_code == 400
                                                         and error == "access_denied"):
        return TooEarly()
    if error == "invalid_client":
        return LoginUnavailable(
            "Exact refused the client ID or client secret (invalid_client): copy both again from the Exact "
            "App Center into [exact] client_id and client_secret (or EXACTSYNC_CLIENT_SECRET)")
    refused = ("invalid_grant", "unauthorized_client") + (("invalid_request",) if refreshing else ())
    if error in refused or answer.status_code == 401:
        return TokenRefused(description or error or f"HTTP {answer.status_code}")
    if refreshing:
        said = description or error or reason or "no message"
        return LoginUnavailable(f"Exact did not renew the login this time (HTTP {answer.status_code}: {said}); "
                                "the login is kept: nothing to do, the next run tries again")
    return ExactApiError(answer.status_code, description or error, reason, request="POST token")
