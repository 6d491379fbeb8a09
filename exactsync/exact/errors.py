"""What the Exact client raises. All are ExactsyncError, so an unhandled one still
reaches the user as a readable `Error: ...` line, never as a traceback."""

from __future__ import annotations

import errno

from exactsync.errors import ExactsyncError
from exactsync.exact.scopes import scope_of, tick_action
from exactsync.i18n import msg
from exactsync.timeutil import for_people, iso


class ExactApiError(ExactsyncError):
    """Exact answered with an error: `status`, Exact's own `message` (often Dutch) and the `Reason` header."""

    def __init__(self, status: int, message: str, reason: str = "", *, request: str = ""):
        self.status = status
        self.message = message
        self.reason = reason
        self.request = request
        text = f"Exact answered {status}"
        if request:
            text += f" to {request}"
        text += f": {message or 'no message'}"
        if reason:
            text += f" (Reason: {reason})"
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
                         action=tick_action(self.scope)),)


class DailyLimitReached(ExactsyncError):
    """The day's API calls for this app and division are spent. Stop cleanly; the next run resumes."""

    def __init__(self, resets_at: float | None):
        self.resets_at = resets_at
        self.when = "tomorrow"
        if resets_at:
            self.when = "at " + for_people(iso(resets_at), "%Y-%m-%d %H:%M")
        super().__init__(f"Exact's daily API limit for this division is spent; it resets {self.when}")


class LoginUnavailable(ExactsyncError):
    """No usable access token now, so nothing was sent to Exact with one: the run stops, and
    it is no work order's fault (push counts no try and starts no back-off)."""


class ReconnectNeeded(LoginUnavailable):
    """No usable Exact login: the tokens are missing or the refresh chain is broken."""

    # When an earlier run already found (and reported) this very problem; None when it is news.
    found_at: str | None = None

    def __init__(self, why: str):
        super().__init__(f"{why}: run `exactsync connect` to log in to Exact again")


class LoginExpired(ReconnectNeeded):
    """Exact refused the stored refresh token: unused for 30 days, used before, or its chain
    broke (exact-online-api.md section 10). Only a new login helps."""

    def __init__(self, exact_said: str, *, found_at: str | None = None):
        self.exact_said = exact_said
        self.found_at = found_at
        super().__init__(f"the Exact login has expired or was revoked (Exact: {exact_said})")


class TokenFileUnwritable(LoginUnavailable):
    """The folder of the token file cannot take it: the disk is full, it is read-only, or not ours.
    `outcome` says what became of the login; `then` what to run once the folder is fixed."""

    def __init__(self, folder, error: OSError, *, outcome: str, then: str = "run exactsync again"):
        problem, action = folder_problem(error)
        super().__init__(f"cannot write the Exact login in {folder}: {problem}; {outcome}: {action}, then {then}")


def folder_problem(error: OSError) -> tuple[str, str]:
    """What is wrong with a folder that refused a write, and what to do about it."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full", "free some space there"
    if error.errno == errno.EROFS:
        return "the folder is on a read-only file system", "make it writable again"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", "give the user that runs exactsync write access to the folder"
    return f"the disk gives an error ({error.strerror or error})", "check the disk"


class UncertainOutcome(ExactsyncError):
    """A write whose fate is unknown (timeout, dropped connection, 5xx). Exact may have stored it:
    reconcile by reading back before writing again, never re-post blindly."""

    def __init__(self, request: str, why: str, *, status: int | None = None, message: str = ""):
        self.request = request
        self.status = status
        self.message = message
        detail = f" ({message})" if message else ""
        super().__init__(f"{request}: {why}{detail}; Exact may or may not have stored it")


class PagingLoop(ExactsyncError):
    """Exact's next-page link pointed at a page already read."""
