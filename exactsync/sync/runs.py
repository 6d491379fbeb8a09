"""How a cron run (pull, push, cleanup) ends: recorded for `status`, explained in the log."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, LoginUnavailable, ReconnectNeeded, ScopeViolation
from exactsync.exact.scopes import tick_action
from exactsync.store import get_state, set_state, store_failure, transaction
from exactsync.timeutil import utcnow


@contextlib.contextmanager
def recorded_run(db: sqlite_utils.Database, name: str) -> Iterator[None]:
    """Record the outcome of run `name`. Spending Exact's daily call budget is a
    warning, not a failure: what was committed stays, the first run after the reset
    resumes. It is raised on, so the command can say so and end without an error."""
    try:
        yield
    except ScopeViolation as exc:
        # One row for the run, whichever work order or record it was on: none of them is at fault.
        log.error(db, "connection", f"{name} stopped: {exc}",
                  action=tick_action(exc.scope) + "; nothing is lost, the next run continues")
        _record(db, name, "failed: the Exact app lacks a scope")
        raise
    except DailyLimitReached as exc:
        _note_daily_limit(db, name, exc)
        _record(db, name, "stopped: Exact's daily call limit is spent")
        raise
    except ReconnectNeeded as exc:
        # One row while the login stays broken (found_at: an earlier run wrote it), not one every
        # 5 minutes; status keeps showing it.
        _login_failed(db, name, exc, "run exactsync connect to log in to Exact again",
                      "failed: the Exact login must be renewed", said_before=exc.found_at is not None)
        raise
    except LoginUnavailable as exc:
        _login_failed(db, name, exc, "see the message; the next run tries again", "failed")
        raise
    except ExactsyncError as exc:
        log.error(db, "connection", f"{name} failed: {exc}", action="see the message; the next run tries again")
        _record(db, name, "failed")
        raise
    except sqlite3.DatabaseError as exc:
        failure = store_failure(exc)
        if failure is None:
            raise
        # On a full disk or a damaged store the row may not fit either; the CLI still prints the error.
        with contextlib.suppress(sqlite3.DatabaseError):
            log.error(db, "connection", f"{name} failed: {failure}", action="free disk space or restore the store")
            _record(db, name, "failed")
        raise failure from None
    else:
        _record(db, name, "ok")


def _login_failed(db: sqlite_utils.Database, name: str, exc: LoginUnavailable, action: str, outcome: str,
                  said_before: bool = False) -> None:
    # The login's folder may be on a full disk, the store's too: then the CLI's error line is all there is.
    with contextlib.suppress(sqlite3.DatabaseError):
        if not said_before:
            log.error(db, "connection", f"{name} failed: {exc}", action=action)
        _record(db, name, outcome)


def _note_daily_limit(db: sqlite_utils.Database, name: str, exc: DailyLimitReached) -> None:
    """One row per run name until the reset, not one every 5 minutes from cron."""
    # Whole seconds: a reset restored from the store has lost the header's milliseconds.
    key, reset = f"{name}_daily_limit_noted", str(int(exc.resets_at) if exc.resets_at else utcnow()[:10])
    if get_state(db, key) == reset:
        return
    with transaction(db):
        log.warning(db, "connection", daily_limit_message(name, exc),
                    action="nothing: the first run after the reset continues where this one stopped")
        set_state(db, **{key: reset})


def daily_limit_message(name: str, exc: DailyLimitReached) -> str:
    return f"{name} stopped: Exact's daily call limit is reached; {name} resumes after the reset {exc.when}"


def _record(db: sqlite_utils.Database, name: str, outcome: str) -> None:
    set_state(db, **{f"last_{name}_at": utcnow(), f"last_{name}_outcome": outcome})
