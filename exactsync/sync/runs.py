"""How a cron run (pull, push, cleanup) ended: recorded for `status`, explained in the log. Which
of these a run calls is decided in one place, `exactsync.commands._run`."""

from __future__ import annotations

import contextlib
import sqlite3

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, LoginUnavailable, ReconnectNeeded, ScopeViolation
from exactsync.i18n import N_, Msg, message_of, msg
from exactsync.store import state, store_failure, transaction
from exactsync.timeutil import utcnow

# A run's outcome as `status` shows it: stored in English, translated where it is read.
OK, FAILED = N_("ok"), N_("failed")
NO_SCOPE = N_("failed: the Exact app lacks a scope")
LIMIT_SPENT = N_("stopped: Exact's daily call limit is spent")
LOGIN_EXPIRED = N_("failed: the Exact login must be renewed")
NEXT_RUN_TRIES = N_("see the message; the next run tries again")


def succeeded(db: sqlite_utils.Database, name: str) -> None:
    _record(db, name, OK)


def failed(db: sqlite_utils.Database, name: str, exc: ExactsyncError | sqlite3.DatabaseError) -> BaseException:
    """Record that run `name` failed with `exc`, in the log and for `status`; return what to raise:
    `exc`, or for SQLite failing for a reason outside the program, the error the user can act on."""
    if isinstance(exc, ScopeViolation):
        # One row for the run, whichever work order or record it was on: none of them is at fault.
        log.error(db, "connection", msg("{run} stopped: {error}", run=name, error=message_of(exc)),
                  action=msg("{tick}; nothing is lost, the next run continues", tick=exc.action))
        _record(db, name, NO_SCOPE)
    elif isinstance(exc, ReconnectNeeded):
        # One row while the login stays broken (found_at: an earlier run wrote it), not one every
        # 5 minutes; status keeps showing it.
        _login_failed(db, name, exc, msg("run exactsync connect to log in to Exact again"), LOGIN_EXPIRED,
                      said_before=exc.found_at is not None)
    elif isinstance(exc, LoginUnavailable):
        _login_failed(db, name, exc, msg(NEXT_RUN_TRIES), FAILED)
    elif isinstance(exc, ExactsyncError):
        log.error(db, "connection", _failed(name, exc), action=msg(NEXT_RUN_TRIES))
        _record(db, name, FAILED)
    else:
        failure = store_failure(exc)
        if failure is None:
            return exc
        # On a full disk or a damaged store the row may not fit either; the CLI still prints the error.
        with contextlib.suppress(sqlite3.DatabaseError):
            log.error(db, "connection", _failed(name, failure), action=msg("free disk space or restore the store"))
            _record(db, name, FAILED)
        return failure
    return exc


def _failed(name: str, exc: BaseException) -> Msg:
    return msg("{run} failed: {error}", run=name, error=message_of(exc))


def _login_failed(db: sqlite_utils.Database, name: str, exc: LoginUnavailable, action: Msg, outcome: str,
                  said_before: bool = False) -> None:
    # The login's folder may be on a full disk, the store's too: then the CLI's error line is all there is.
    with contextlib.suppress(sqlite3.DatabaseError):
        if not said_before:
            log.error(db, "connection", _failed(name, exc), action=action)
        _record(db, name, outcome)


def daily_limit_reached(db: sqlite_utils.Database, name: str, exc: DailyLimitReached) -> None:
    """Spending Exact's daily call budget is a warning, not a failure: what was committed stays,
    the first run after the reset resumes. One row per run name until the reset, not one every
    5 minutes from cron."""
    _record(db, name, LIMIT_SPENT)
    # Whole seconds: a reset restored from the store has lost the header's milliseconds.
    noted, reset = state.DAILY_LIMIT_NOTED(name), str(int(exc.resets_at) if exc.resets_at else utcnow()[:10])
    if noted.get(db) == reset:
        return
    with transaction(db):
        log.warning(db, "connection", daily_limit_message(name, exc),
                    action=msg("nothing: the first run after the reset continues where this one stopped"))
        noted.set(db, reset)


def daily_limit_message(name: str, exc: DailyLimitReached) -> Msg:
    if not exc.reset_time:
        return msg("{run} stopped: Exact's daily call limit is reached; {run} resumes after the reset tomorrow",
                   run=name)
    return msg("{run} stopped: Exact's daily call limit is reached; {run} resumes after the reset at {time}",
               run=name, time=exc.reset_time)


def _record(db: sqlite_utils.Database, name: str, outcome: str) -> None:
    now = utcnow()
    with transaction(db):
        state.LAST_RUN_AT(name).set(db, now)
        state.LAST_RUN_OUTCOME(name).set(db, outcome)
        if outcome == OK:  # what `status --check` measures staleness from
            state.LAST_RUN_OK_AT(name).set(db, now)
