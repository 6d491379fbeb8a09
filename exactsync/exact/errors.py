"""What the Exact client raises. All are ExactsyncError, so an unhandled one still
reaches the user as a readable `Error: ...` line, never as a traceback."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterator

from exactsync.errors import ExactsyncError
from exactsync.exact.scopes import scope_of, tick_action
from exactsync.i18n import Msg, msg
from exactsync.timeutil import for_people, iso


class ExactApiError(ExactsyncError):
    """Exact answered with an error: `status`, Exact's own `message` (often Dutch) and the `Reason` header."""

    def __init__(self, status: int, message: str | Msg, reason: str = "", *, request: str = ""):
        self.status = status
        # Exact's own words are data, kept as Exact wrote them; exactsync's own (a msg) in the reader's language.
        self.message = str(message)
        self.reason = reason
        self.request = request
        said = message or msg("no message")
        if request:
            text = msg("Exact answered {status} to {request}: {message}", status=status, request=request, message=said)
        else:
            text = msg("Exact answered {status}: {message}", status=status, message=said)
        if reason:
            text = msg("{error} (Reason: {reason})", error=text, reason=reason)
        super().__init__(text)


class ScopeViolation(ExactApiError):
    """Exact refused the call because the app may not use the endpoint's scope. Not a fault of the
    record being sent: every call there fails alike until the scope is ticked for the app."""

    def __init__(self, status: int, message: str, reason: str = "", *, request: str = ""):
        super().__init__(status, message, reason, request=request)
        self.scope = scope_of(request.split(" ", 1)[-1]) or ""  # "": an endpoint exactsync has no scope for
        which = msg("Exact's scope \"{scope}\"", scope=self.scope) if self.scope else \
            msg("the scope of this endpoint")
        # Its own message in place of ExactApiError's: what is refused and which box to tick.
        self.args = (msg("Exact refused {request}: this app may not use {which} (Exact answered {status}: "
                         "{message}): {action}", request=request, which=which, status=status, message=message,
                         action=self.action),)

    @property
    def action(self) -> Msg:
        """What the admin does about it."""
        return tick_action(self.scope)


class DivisionNotInScope(ScopeViolation):
    """Exact's 403 "User division is not within division scope": at the login the user did not tick
    this administration for the app (INV 1756, 3060). Every call in the division fails alike."""

    def __init__(self, status: int, message: str, reason: str = "", *, request: str = ""):
        super().__init__(status, message, reason, request=request)
        self.scope = ""
        self.args = (msg("Exact refused {request}: this app may not use this administration (Exact answered "
                         "{status}: {message}): {action}", request=request, status=status, message=message,
                         action=self.action),)

    @property
    def action(self) -> Msg:
        return msg("run exactsync connect again and, when Exact asks which administrations the app may use, "
                   "tick this one")


class NothingSent(ExactsyncError):
    """The call never reached Exact, or Exact refused it before storing anything, for a reason that
    stops every call alike (the login, the day's calls, the run's time): no try of the record counts."""


class RunTimeUp(NothingSent):
    """The run's time is up (push --max-seconds): no new call starts, not even after a pace wait."""

    def __init__(self):
        super().__init__(msg("the run's time is up: no new call to Exact starts"))


class DailyLimitReached(NothingSent):
    """The day's API calls for this app and division are spent. Stop cleanly; the next run resumes."""

    def __init__(self, resets_at: float | None):
        self.resets_at = resets_at
        if self.reset_time:
            super().__init__(msg("Exact's daily API limit for this division is spent; it resets at {time}",
                                 time=self.reset_time))
        else:
            super().__init__(msg("Exact's daily API limit for this division is spent; it resets tomorrow"))

    @property
    def reset_time(self) -> str | None:
        """When the limit resets, as the office reads it; None when Exact did not say."""
        return for_people(iso(self.resets_at), "%Y-%m-%d %H:%M") if self.resets_at else None


@contextlib.contextmanager
def daily_limit_stops(stop: Callable[[DailyLimitReached], BaseException]) -> Iterator[None]:
    """The one place a spent daily limit is caught. Every call to Exact fails alike until the reset, so
    what the caller does stops as a whole: `stop(exc)` is raised in its place (a cron run exits 0,
    check-settings checks nothing more), never one record's or one setting's failure."""
    try:
        yield
    except DailyLimitReached as exc:
        raise stop(exc) from None


class LoginUnavailable(NothingSent):
    """No usable access token now, so nothing was sent to Exact with one: the run stops, and
    it is no work order's fault (push counts no try and starts no back-off)."""


class ReconnectNeeded(LoginUnavailable):
    """No usable Exact login: the tokens are missing or the refresh chain is broken."""

    # When an earlier run already found (and reported) this very problem; None when it is news.
    found_at: str | None = None

    def __init__(self, why: str | Msg):
        super().__init__(msg("{why}: run `exactsync connect` to log in to Exact again", why=why))


class LoginExpired(ReconnectNeeded):
    """Exact refused the stored refresh token: unused for 30 days, used before, or its chain
    broke (exact-online-api.md section 10). Only a new login helps."""

    def __init__(self, exact_said: str, *, found_at: str | None = None):
        self.exact_said = exact_said
        self.found_at = found_at
        super().__init__(msg("the Exact login has expired or was revoked (Exact: {exact_said})", exact_said=exact_said))


class TokenFileUnwritable(LoginUnavailable):
    """The folder of the token file cannot take it: the disk is full, it is read-only, or not ours.
    `outcome` says what became of the login; `then` what to run once the folder is fixed."""

    def __init__(self, folder, error: OSError, *, outcome: Msg, then: Msg | None = None):
        problem, action = folder_problem(error)
        super().__init__(msg("cannot write the Exact login in {folder}: {problem}; {outcome}: {action}, then {then}",
                             folder=str(folder), problem=problem, outcome=outcome, action=action,
                             then=then or msg("run exactsync again")))


def folder_problem(error: OSError) -> tuple[Msg, Msg]:
    """What is wrong with a folder that refused a write, and what to do about it."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return msg("the disk is full"), msg("free some space there")
    if error.errno == errno.EROFS:
        return msg("the folder is on a read-only file system"), msg("make it writable again")
    if error.errno in (errno.EACCES, errno.EPERM):
        return msg("permission denied"), msg("give the user that runs exactsync write access to the folder")
    return msg("the disk gives an error ({error})", error=error.strerror or str(error)), msg("check the disk")


class UncertainOutcome(ExactsyncError):
    """A write whose fate is unknown (timeout, dropped connection, 5xx). Exact may have stored it:
    reconcile by reading back before writing again, never re-post blindly."""

    def __init__(self, request: str, why: str | Msg, *, status: int | None = None, message: str = ""):
        self.request = request
        self.status = status
        self.message = message
        if message:
            super().__init__(msg("{request}: {why} ({message}); Exact may or may not have stored it",
                                 request=request, why=why, message=message))
        else:
            super().__init__(msg("{request}: {why}; Exact may or may not have stored it", request=request, why=why))


class PagingLoop(ExactsyncError):
    """Exact's next-page link pointed at a page already read."""
