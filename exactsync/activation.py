"""Whether the integration runs (R15): `active` in the state table, switched at once.

While inactive, pull, push and cleanup do nothing and exit 0, so cron stays quiet,
but they leave a warning once a day (see `commands/_run.py`): the log and `status` show
that no invoices go to Exact. Their checkpoints stay, so activation resumes from them.
"""

from __future__ import annotations

from datetime import date

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.exact import TokenStore
from exactsync.i18n import Msg, msg
from exactsync.store import state, transaction
from exactsync.timeutil import amsterdam_today, parse, utcnow


def is_active(db: sqlite_utils.Database) -> bool:
    return state.ACTIVE.get(db)


def why_inactive(db: sqlite_utils.Database) -> Msg | None:
    """Why nothing goes to Exact now, for the log and `status`; None while active."""
    if is_active(db):
        return None
    since = state.DEACTIVATED_AT.get(db)
    if since is None:
        return msg("the integration is not active yet: no invoices go to Exact; exactsync connect starts it")
    day = amsterdam_today(parse(since))
    return msg("the integration is deactivated since {day}: no invoices go to Exact; exactsync activate resumes",
               day=day.isoformat())


def warn_once_a_day(db: sqlite_utils.Database, reason: Msg, today: date | None = None) -> bool:
    """Log that a run was skipped for `reason`, unless that was done today; True when logged.
    Every 5 minutes from cron a row each time would bury the log, none would hide that
    invoicing stopped."""
    today = today or amsterdam_today()
    with transaction(db):
        if state.INACTIVE_WARNED_ON.get(db) == today.isoformat():
            return False
        deactivated = state.DEACTIVATED_AT.get(db) is not None
        action = msg("run `exactsync activate` to resume") if deactivated else msg("run `exactsync connect`")
        log.warning(db, "connection", reason, action=action)
        state.INACTIVE_WARNED_ON.set(db, today.isoformat())
    return True


def deactivate(db: sqlite_utils.Database) -> bool:
    """Switch off; False when it already was off."""
    with transaction(db):
        if not is_active(db):
            return False
        # The first run after this warns, even when a warning was written earlier today.
        state.ACTIVE.set(db, False)
        state.DEACTIVATED_AT.set(db, utcnow())
        state.INACTIVE_WARNED_ON.set(db, None)
        log.info(db, "connection", msg("integration deactivated: nothing is pulled from or pushed to Exact"),
                 action=msg("run `exactsync activate` to resume"))
    return True


def activate(db: sqlite_utils.Database, tokens: TokenStore) -> bool:
    """Switch on again; False when it already was on."""
    if not tokens.exists():
        raise ExactsyncError(msg("exactsync has never been connected to Exact (no login stored): "
                                 "run `exactsync connect`, which also activates the integration"))
    with transaction(db):
        if is_active(db):
            return False
        state.ACTIVE.set(db, True)
        state.ACTIVATED_AT.set(db, utcnow())
        log.info(db, "connection", msg("integration activated: pull and push resume from where they stopped"),
                 action=msg("none"))
    return True
