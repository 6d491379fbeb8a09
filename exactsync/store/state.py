"""The integration state (the `state` table): one text value per key, every key declared here once,
with its type and meaning, as `config.KEYS` declares the config.

The package reads and writes a key only through its declaration: `ACTIVE.get(db)`,
`LAST_RUN_AT("pull").set(db, when)`. A declaration turns the stored text into its type and back,
so no module parses or formats state itself. `get_state` and `set_state` are the raw door under
the declarations (and the tests'): they refuse a name that is not declared, and
tests/test_state_keys.py keeps the other modules off them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlite_utils

from exactsync.store.db import transaction

T = TypeVar("T")


@dataclass(frozen=True)
class Kind(Generic[T]):
    """How a value of one type is kept as text."""

    name: str
    load: Callable[[str], T]
    dump: Callable[[T], str]


TEXT: Kind[str] = Kind("text", str, str)  # also the UTC times utcnow() writes and ISO dates
NUMBER: Kind[int] = Kind("whole number", int, str)
FLAG: Kind[bool] = Kind("flag", lambda text: text == "1", lambda on: "1" if on else "0")
JSON: Kind[dict] = Kind("JSON object", json.loads, lambda value: json.dumps(value, ensure_ascii=False))


@dataclass(frozen=True)
class Key(Generic[T]):
    name: str
    kind: Kind[T]
    meaning: str
    default: T | None = None  # what `get` returns while the key is not set

    def get(self, db: sqlite_utils.Database) -> T | None:
        text = get_state(db, self.name)
        return self.default if text is None else self.kind.load(text)

    def set(self, db: sqlite_utils.Database, value: T | None) -> None:
        """Keep `value`; None removes the key."""
        set_state(db, **{self.name: None if value is None else self.kind.dump(value)})


@dataclass(frozen=True)
class Family(Generic[T]):
    """Keys alike but for one part of their name, each of `members`: `LAST_RUN_AT("pull")`."""

    pattern: str  # the name with one {} for the member
    kind: Kind[T]
    meaning: str
    members: tuple[str, ...]

    def __call__(self, member: str) -> Key[T]:
        if member not in self.members:
            raise ValueError(f"state key {self.pattern!r} has no member {member!r} (declared: {self.members})")
        return Key(self.pattern.format(member), self.kind, self.meaning)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.pattern.format(member) for member in self.members)


# The cron runs, each with its outcome recorded (sync/runs.py).
RUNS = ("pull", "push", "cleanup")

# --- the connection and activation (connect.py, activation.py, wipe.py) ---
ACTIVE = Key("active", FLAG, "pull, push and cleanup run (R15); switched by connect, activate and deactivate",
             default=False)
CONNECTED_AT = Key("connected_at", TEXT, "when connect last logged in to Exact; unset: never connected")
ACTIVATED_AT = Key("activated_at", TEXT, "when `exactsync activate` last switched the integration on")
DEACTIVATED_AT = Key("deactivated_at", TEXT, "when `exactsync deactivate` last switched the integration off")
INACTIVE_WARNED_ON = Key("inactive_warned_on", TEXT,
                         "the office's day (ISO date) a skipped run last warned that the integration is not active")
WIPED_AT = Key("wiped_at", TEXT, "when `exactsync wipe` last deleted parts of the store")
DIVISION = Key("division", TEXT, "retired: connect's copy of the division, which migration 950 deletes (the "
                                 "config's [settings] division is the one); found only in stores from before it")

# --- the settings check-settings verified (settings_check.py) ---
SETTINGS_FINGERPRINT = Key("settings_fingerprint", TEXT, "hash of the [settings] check-settings last verified")
SETTINGS_CHECKED_AT = Key("settings_checked_at", TEXT, "when check-settings last verified every setting")
SETTINGS_VERIFIED = Key("settings_verified", JSON, "the [settings] check-settings last verified, as "
                                                   "config.Settings.as_dict() gives them; push applies these")

# --- pull (sync/) ---
HIGHEST_MUTATION_AT = Key("highest_mutation_at", TEXT, "the newest change seen in Exact or made by push (R16)")
SYNC_GENERATION = Key("sync_generation", NUMBER, "the number of the last full read pull started", default=0)
SYNC_SCOPE = Key("sync_scope", JSON, "the division and item groups pull last read under: "
                                     "{division, item_groups}; another one starts a full read")
DIVISION_MOVE_DATE = Key("division_move_date", TEXT,
                         "Exact's DivisionMoveDate (ISO date) as last read; a new one starts a full read")
DIVISION_MOVE_CHECKED = Key("division_move_checked", JSON,
                            "{division, day}: the division and UTC day the move date was last read for")
LAST_COMPLETE_PULL_AT = Key("last_complete_pull_at", TEXT, "when a pull last read every entity to its end")
ITEM_GROUPS_READ_AT = Key("item_groups_read_at", TEXT, "when pull last read all item groups; wipe unsets it")
SALES_INVOICES_READ_AT = Key("sales_invoices_read_at", TEXT,
                             "when pull last read what became of the drafts push sent")

# --- push (sync/steps.py, sync/highwater.py) ---
PUSH_ERROR_TIMES = Key("push_error_times", JSON, "{endpoint: [times of Exact's errors within the hour]}")
PUSH_CALLS_OUT = Key("push_calls_out", NUMBER, "creating calls push counted in the store (see sync/highwater.py)",
                     default=0)
PUSH_LOOK_UP_FIRST = Key("push_look_up_first", FLAG, "set: the store was found older than push's count beside it, "
                                                     "so push looks each queued work order up first", default=False)

# --- the runs (sync/runs.py, sync/budget.py, heartbeat.py) ---
LAST_RUN_AT = Family("last_{}_at", TEXT, "when the run last ended", RUNS)
LAST_RUN_OUTCOME = Family("last_{}_outcome", TEXT, "how the run last ended, in English (sync/runs.py)", RUNS)
LAST_RUN_OK_AT = Family("last_{}_ok_at", TEXT, "when the run last ended well; status --check measures from it",
                        RUNS)
DAILY_LIMIT_NOTED = Family("{}_daily_limit_noted", TEXT, "the reset (Unix seconds, or the UTC day) of the spent "
                                                          "daily limit the run last logged", RUNS)
EXACT_DAILY_CALLS = Key("exact_daily_calls", JSON,
                        "Exact's daily call budget as last seen: {division, limit, remaining, resets_at, seen_at}")
PING_FAILED_WARNED_ON = Key("ping_failed_warned_on", TEXT,
                            "the office's day (ISO date) a failed heartbeat ping last warned")

# --- the work orders and the change feed (workorders/lifecycle.py, store/changes.py) ---
WORKORDER_LAST_NUMBER = Key("workorder_last_number", NUMBER,
                            "the number of the last work order made; never wiped, so none is used twice", default=0)
CHANGES_EPOCH = Key("changes_epoch", TEXT, "the change feed's epoch: a new one (wipe) makes a field app start over")

KEYS: tuple[Key, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Key))
FAMILIES: tuple[Family, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Family))
DECLARED = frozenset([*(key.name for key in KEYS), *(name for family in FAMILIES for name in family.names)])


def _declared(name: str) -> str:
    if name not in DECLARED:
        raise ValueError(f"state key {name!r} is not declared in exactsync/store/state.py")
    return name


def get_state(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM state WHERE key = ?", [_declared(key)]).fetchone()
    return row[0] if row else default


def set_state(db: sqlite_utils.Database, **values) -> None:
    with transaction(db):
        for key, value in values.items():
            if value is None:
                db.execute("DELETE FROM state WHERE key = ?", [_declared(key)])
            else:
                db.execute(
                    "INSERT INTO state (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [_declared(key), str(value)],
                )


def raise_mutation_date(db: sqlite_utils.Database, at: str) -> None:
    """Move the highest mutation date (R16) forward to `at`, never back."""
    current = HIGHEST_MUTATION_AT.get(db)
    if current is None or at > current:
        HIGHEST_MUTATION_AT.set(db, at)
