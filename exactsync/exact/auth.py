"""OAuth2 with Exact: the authorize URL, the code exchange, and refreshes that never lose the chain.

Exact refuses a refresh during the first 570 s of a token's 600 s (400 with
`Reason: TooEarlyToRefreshTokens`) and burns the old refresh token on every
refresh. So a refresh happens only near the end of a token's life or after a
401, under the token lock, after re-reading the file (another process may have
refreshed meanwhile), and the new pair is saved before it is used.

requests-oauthlib (OAuth2Session) forms the authorize URL with its state, checks
the address the browser was sent to, and makes the code and refresh calls;
exactsync's lock, re-read, refresh window and error mapping stay around it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from exactsync.config import SECRET_ENV
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import ExactApiError, LoginExpired, LoginUnavailable
from exactsync.exact.tokens import Tokens, TokenStore
from exactsync.i18n import message_of, msg
from exactsync.timeutil import utcnow

if TYPE_CHECKING:
    from exactsync.exact.oauth import TransportSession

# Exact allows a refresh only in the last 30 s of a token's life; refresh 15 s before the end.
REFRESH_MARGIN_SECONDS = 15.0
# After Exact said "too early", wait this long before asking again (the token endpoint allows 200 calls a day).
TOO_EARLY_BACKOFF_SECONDS = 5.0
TOKEN_TIMEOUT = (10, 30)
# oauthlib refuses plain http unless this is set; only the sandbox on this machine speaks it.
PLAIN_HTTP_PERMISSION = "OAUTHLIB_INSECURE_TRANSPORT"
_plain_http_lock = threading.Lock()


class ConsentDenied(ExactsyncError):
    """The admin did not allow access in Exact's consent page."""


@dataclass(frozen=True)
class OAuthApp:
    """The app registered in the Exact App Center, as the config describes it."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str

    @classmethod
    def from_config(cls, config) -> OAuthApp:
        return cls(config.base_url, config.client_id, config.client_secret, config.redirect_uri)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token"

    def missing_credentials(self) -> list[str]:
        return [name for name, value in (("[exact] client_id", self.client_id),
                                         (f"[exact] client_secret (or {SECRET_ENV})", self.client_secret))
                if not value]

    def session(self, transport: requests.Session | None = None, state: str | None = None) -> TransportSession:
        """requests-oauthlib's session for this app; its token calls go over `transport`."""
        # Imported here, as in the two methods that catch oauthlib's errors: see exactsync.exact.oauth.
        from exactsync.exact.oauth import TransportSession

        return TransportSession(transport, client_id=self.client_id, redirect_uri=self.redirect_uri, state=state)

    def authorize_url(self) -> tuple[str, str]:
        """The address of Exact's login and consent page, and the random state it carries."""
        with self.transport_checked():
            return self.session().authorization_url(f"{self.base_url}/api/oauth2/auth", force_login="0")

    @contextlib.contextmanager
    def transport_checked(self) -> Iterator[None]:
        """https, or plain http to the sandbox on this machine, for the duration of one call only."""
        parts = urlsplit(self.base_url)
        if parts.scheme == "https":
            yield
            return
        if parts.scheme != "http" or not _is_loopback(parts.hostname):
            raise ExactsyncError(msg("[exact] base_url {url} must start with https:// (plain http only for the "
                                     "sandbox on this machine): use your country's https://start.exactonline...",
                                     url=repr(self.base_url)))
        with _plain_http_lock:
            before = os.environ.get(PLAIN_HTTP_PERMISSION)
            os.environ[PLAIN_HTTP_PERMISSION] = "1"
            try:
                yield
            finally:
                if before is None:
                    os.environ.pop(PLAIN_HTTP_PERMISSION, None)
                else:
                    os.environ[PLAIN_HTTP_PERMISSION] = before


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


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

    def exchange_code(self, address: str, state: str) -> None:
        """Log in with the address Exact sent the browser to: requests-oauthlib checks its state
        and takes its code, which is exchanged at once and never shown (a code works once, for 3 minutes)."""
        from exactsync.exact.oauth import AccessDeniedError, MismatchingStateError, OAuth2Error  # see session

        try:
            tokens = self._token_call({"grant_type": "authorization_code", "authorization_response": address.strip(),
                                       "state": state})
        except MismatchingStateError:
            raise ExactsyncError(msg("the pasted address does not belong to this login (state mismatch), so it "
                                     "was ignored: run `exactsync connect` again and paste the address it leads "
                                     "to")) from None
        except AccessDeniedError:
            raise ConsentDenied(msg("access was not allowed in Exact (consent denied): run `exactsync connect` "
                                    "again and click allow")) from None
        except OAuth2Error:
            raise ExactsyncError(msg("the pasted address holds no authorization code: paste the whole address the "
                                     "browser ended on, starting with {redirect_uri}",
                                     redirect_uri=self.app.redirect_uri)) from None
        except (TokenRefused, ExactApiError) as exc:
            # a used or expired code gets a bare 400 "Bad Request" (PQ-README; gh:picqer#96)
            if isinstance(exc, ExactApiError) and exc.status != 400:
                raise
            reason = exc.message if isinstance(exc, ExactApiError) else str(exc)
            raise ExactsyncError(msg("Exact refused the authorization code ({reason}); a code works once and only "
                                     "for 3 minutes: run `exactsync connect` again", reason=reason)) from None
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
                raise LoginUnavailable(msg("[exact] client_secret is not set (nor EXACTSYNC_CLIENT_SECRET): copy it "
                                           "from your app in the Exact App Center"))
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
                    raise LoginUnavailable(message_of(exc)) from None
                reservation.fill(fresh)
            return fresh.access_token

    def _token_call(self, form: dict) -> Tokens:
        """One call to Exact's token endpoint through requests-oauthlib. Exact's refusals are mapped
        (token_error) as soon as its answer arrives, before oauthlib reads it."""
        from exactsync.exact.oauth import OAuth2Error  # see OAuthApp.session

        refreshing = form["grant_type"] == "refresh_token"
        oauth = self.app.session(self.session, state=form.get("state"))
        answered: list[requests.Response] = []

        def refusals_mapped(answer: requests.Response) -> requests.Response:
            answered.append(answer)
            if not answer.ok:
                raise token_error(answer, refreshing=refreshing)
            return answer

        def counted(*request):
            self.token_calls += 1
            return request

        kind = "refresh_token" if refreshing else "access_token"
        oauth.register_compliance_hook(f"{kind}_request", counted)
        oauth.register_compliance_hook(f"{kind}_response", refusals_mapped)
        try:
            with self.app.transport_checked():
                # Exact wants client_id and client_secret in the form (PQ-Conn)
                if refreshing:
                    token = oauth.refresh_token(self.app.token_url, refresh_token=form["refresh_token"],
                                                client_id=self.app.client_id, client_secret=self.app.client_secret,
                                                timeout=TOKEN_TIMEOUT)
                else:  # the pasted address is checked (state, error, code) before anything is sent
                    token = oauth.fetch_token(self.app.token_url, authorization_response=form["authorization_response"],
                                              include_client_id=True, client_secret=self.app.client_secret,
                                              timeout=TOKEN_TIMEOUT)
        except requests.RequestException as exc:
            raise ExactsyncError(msg("cannot reach Exact at {url} ({error}): check [exact] base_url and the network, "
                                     "then try again", url=self.app.token_url, error=type(exc).__name__)) from None
        except (OAuth2Error, ValueError, Warning):
            if not answered:
                raise  # the pasted address, refused before any call
            raise _unlike_exact(answered[0]) from None
        try:
            # Exact writes "Bearer" (CD step3), older answers "bearer": the type is case-insensitive (RFC 6749).
            if str(token["token_type"]).lower() != "bearer":
                raise ValueError(token["token_type"])
            return Tokens.from_token_response(token, self.clock())
        except (ValueError, KeyError, TypeError):
            raise _unlike_exact(answered[0]) from None


def _unlike_exact(answer: requests.Response) -> ExactApiError:
    return ExactApiError(answer.status_code, msg("the token answer is not what Exact sends"), request="POST token")


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
        return LoginUnavailable(msg(
            "Exact refused the client ID or client secret (invalid_client): copy both again from the Exact "
            "App Center into [exact] client_id and client_secret (or EXACTSYNC_CLIENT_SECRET)"))
    refused = ("invalid_grant", "unauthorized_client") + (("invalid_request",) if refreshing else ())
    if error in refused or answer.status_code == 401:
        return TokenRefused(description or error or f"HTTP {answer.status_code}")
    if refreshing:
        said = description or error or reason or msg("no message")
        return LoginUnavailable(msg("Exact did not renew the login this time (HTTP {status}: {said}); the login is "
                                    "kept: nothing to do, the next run tries again",
                                    status=answer.status_code, said=said))
    return ExactApiError(answer.status_code, description or error, reason, request="POST token")
