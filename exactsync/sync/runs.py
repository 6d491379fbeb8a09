"""How a cron run (pull, push, cleanup) ends: recorded for `status`, explained in the log."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, LoginUnavailable, ReconnectNeeded, ScopeViolation
from exactsync.i18n import N_, Msg, message_of, msg
from exactsync.store import get_state, set_state, store_failure, transaction
from exactsync.timeutil import utcnow

# A run's outcome as `status` shows it: stored in English, translated where it is read.
OK, FAILED = N_("ok"), N_("failed")
NO_SCOPE = N_("failed: the Exact app lacks a scope")
LIMIT_SPENT = N_("stopped: Exact's daily call limit is spent")
LOGIN_EXPIRED = N_("failed: the Exact login must be renewed")
NEXT_RUN_TRIES = N_("see the message; the next run tries again")


@contextlib.contextmanager
def recorded_run(db: sqlite_utils.Database, name: str) -> Iterator[None]:
    """Record the outcome of run `name`. Spending Exact's daily call budget is a
    warning, not a failure: what was committed stays, the first run after the reset
    resumes. It is raised on, so the command can say so and end without an error."""
    try:
        yield
    except ScopeViolation as exc:
        # One row for the run, whichever work order or record it was on: none of them is at fault.
        log.error(db, "connection", msg("{run} stopped: {error}", run=name, error=message_of(exc)),
                  action=msg("{tick}; nothing is lost, the next run continues", tick=exc.action))
        _record(db, name, NO_SCOPE)
        raise
    except DailyLimitReached as exc:
        _note_daily_limit(db, name, exc)
        _record(db, name, LIMIT_SPENT)
        raise
    except ReconnectNeeded as exc:
        # One row while the login stays broken (found_at: an earlier run wrote it), not one every
        # 5 minutes; status keeps showing it.
        _login_failed(db, name, exc, msg("run exactsync connect to log in to Exact again"), LOGIN_EXPIRED,
                      said_before=exc.found_at is not None)
        raise
    except LoginUnavailable as exc:
        _login_failed(db, name, exc, msg(NEXT_RUN_TRIES), FAILED)
        raise
    except ExactsyncError as exc:
        log.error(db, "connection", _failed(name, exc), action=msg(NEXT_RUN_TRIES))
        _record(db, name, FAILED)
        raise
    except sqlite3.DatabaseError as exc:
        failure = store_failure(exc)
        if failure is None:
            raise
        # On a full disk or a damaged store the row may not fit either; the CLI still prints the error.
        with contextlib.suppress(sqlite3.DatabaseError):
            log.error(db, "connection", _failed(name, failure), action=msg("free disk space or restore the store"))
            _record(db, name, FAILED)
        raise failure from None
    else:
        _record(db, name, OK)


def _failed(name: str, exc: BaseException) -> Msg:
    return msg("{run} failed: {error}", run=name, error=message_of(exc))


def _login_failed(db: sqlite_utils.Database, name: str, exc: LoginUnavailable, action: Msg, outcome: str,
                  said_before: bool = False) -> None:
    # The login's folder may be on a full disk, the store's too: then the CLI's error line is all there is.
    with contextlib.suppress(sqlite3.DatabaseError):
        if not said_before:
            log.error(db, "connection", _failed(name, exc), action=action)
        _record(db, name, outcome)


def _note_daily_limit(db: sqlite_utils.Database, name: str, exc: DailyLimitReached) -> None:
    """One row per run name until the reset, not one every 5 minutes from cron."""
    # Whole seconds: a reset restored from the store has lost the header's milliseconds.
    key, reset = f"{name}_daily_limit_noted", str(int(exc.resets_at) if exc.resets_at else utcnow()[:10])
    if get_state(db, key) == reset:
        return
    with transaction(db):
        log.warning(db, "connection", daily_limit_message(name, exc),
                    action=msg("nothing: the first run after the reset continues where this one stopped"))
        set_state(db, **{key: reset})


def daily_limit_message(name: str, exc: DailyLimitReached) -> Msg:
    if not exc.reset_time:
        return msg("{run} stopped: Exact's daily call limit is reached; {run} resumes after the reset tomorrow",
                   run=name)
    return msg("{run} stopped: Exact's daily call limit is reached; {run} resumes after the reset at {time}",
               run=name, time=exc.reset_time)


def _record(db: sqlite_utils.Database, name: str, outcome: str) -> None:
    set_state(db, **{f"last_{name}_at": utcnow(), f"last_{name}_outcome": outcome})
