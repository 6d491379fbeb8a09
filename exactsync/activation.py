"""Whether the integration runs (R15): `active` in the state table, switched at once.

While inactive, pull, push and cleanup only write one info row and exit 0
(see `App.sync_run`); their checkpoints stay, so activation resumes from them.
"""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.exact import TokenStore
from exactsync.store import get_state, set_state, transaction, utcnow


def is_active(db: sqlite_utils.Database) -> bool:
    return get_state(db, "active") == "1"


def deactivate(db: sqlite_utils.Database) -> bool:
    """Switch off; False when it already was off."""
    with transaction(db):
        if not is_active(db):
            return False
        set_state(db, active=0, deactivated_at=utcnow())
        log.info(db, "connection", "integration deactivated: nothing is pulled from or pushed to Exact",
                 action="run `exactsync activate` to resume")
    return True


def activate(db: sqlite_utils.Database, tokens: TokenStore) -> bool:
    """Switch on again; False when it already was on."""
    if not tokens.exists():
        raise ExactsyncError("exactsync has never been connected to Exact (no login stored): "
                             "run `exactsync connect`, which also activates the integration")
    with transaction(db):
        if is_active(db):
            return False
        set_state(db, active=1, activated_at=utcnow())
        log.info(db, "connection", "integration activated: pull and push resume from where they stopped",
                 action="none")
    return True
