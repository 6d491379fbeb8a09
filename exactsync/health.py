"""`exactsync status --check`: the integration's health as a monitoring plugin reports it (the
Nagios/Icinga plugin convention, which most monitors run: exit 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN, one summary line first and the details after it).

CRITICAL is what stops invoicing until a person acts; WARNING what a person should look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from exactsync import activation
from exactsync import log as logmod
from exactsync.commands._output import local_time
from exactsync.config import Config
from exactsync.i18n import Msg, _, msg, nmsg, number
from exactsync.settings_check import unverified_reason
from exactsync.store import state
from exactsync.store.workorders import count_refused_by_checks, oldest_queued, work_order_counts
from exactsync.sync import budget, runs
from exactsync.timeutil import iso, parse

OK, WARNING, CRITICAL, UNKNOWN = range(4)
LEVELS = ("OK", "WARNING", "CRITICAL", "UNKNOWN")  # as monitors read them: not translated
CALLS_LEFT_WARNING = 0.10  # of the daily limit


@dataclass(frozen=True)
class Finding:
    level: int
    message: Msg


@dataclass(frozen=True)
class Health:
    findings: list[Finding]

    @property
    def code(self) -> int:
        return max((f.level for f in self.findings), default=OK)

    @property
    def summary(self) -> str:
        """The plugin's first line: `EXACTSYNC CRITICAL - <what is worst>`."""
        worst = "; ".join(str(f.message) for f in self.findings if f.level == self.code)
        return f"EXACTSYNC {LEVELS[self.code]} - " + (worst or _("active; no problems found"))

    @property
    def details(self) -> list[str]:
        return [f"{LEVELS[f.level]}: {f.message}" for f in sorted(self.findings, key=lambda f: -f.level)]

    def as_json(self) -> dict:
        return {"status": LEVELS[self.code], "code": self.code, "summary": self.summary,
                "findings": [{"level": LEVELS[f.level], "message": str(f.message)} for f in self.findings]}


def unknown(why: Msg | str) -> Health:
    return Health([Finding(UNKNOWN, msg("could not check: {error}", error=why))])


def store_unreadable(why: Msg | str) -> Health:
    return Health([Finding(CRITICAL, msg("the store cannot be read: {error}", error=why))])


def check(db: sqlite_utils.Database, config: Config, login: dict, now: datetime) -> Health:
    """The health of the store at `now`, with the Exact login as `status` reads it from its file."""
    found = [_login(login), _settings(db, config), *_scopes(db),
             _stale(db, config.get("monitoring", "stale_after_minutes"), now), _inactive(db), _waiting(db),
             _queued(db, config.get("monitoring", "queued_hours"), now), _errors(db, now), _calls(db, now)]
    return Health([f for f in found if f])


def _login(login: dict) -> Finding | None:
    if login["state"] == "expired":
        return Finding(CRITICAL, msg("the Exact login expired or was revoked (found {time}): run exactsync connect",
                                     time=local_time(login["since"])))
    if login["state"] == "unreadable":
        return Finding(CRITICAL, msg("the Exact login's token file is unreadable: run exactsync connect"))
    return None


def _settings(db: sqlite_utils.Database, config: Config) -> Finding | None:
    reason = unverified_reason(db, config.settings)
    return Finding(CRITICAL, reason) if reason else None


def _scopes(db: sqlite_utils.Database) -> list[Finding]:
    return [Finding(CRITICAL, msg("the last {run} stopped: Exact refused a scope the app lacks; exactsync log "
                                  "--errors names it", run=run))
            for run in ("pull", "push") if state.LAST_RUN_OUTCOME(run).get(db) == runs.NO_SCOPE]


def _stale(db: sqlite_utils.Database, minutes: int, now: datetime) -> Finding | None:
    """No good pull for `minutes` while active: counted from the last good pull, or from when the
    integration was switched on, whichever is later."""
    if not activation.is_active(db):
        return None
    since = max(filter(None, (key.get(db) for key in (state.LAST_RUN_OK_AT("pull"), state.ACTIVATED_AT,
                                                      state.CONNECTED_AT))),
                default=None)
    if since and now - parse(since) <= timedelta(minutes=minutes):
        return None
    outcome = state.LAST_RUN_OUTCOME("pull").get(db)
    last = _(outcome) if outcome else _("never")
    if not since:
        return Finding(CRITICAL, msg("no pull has succeeded yet (last pull: {outcome}): check cron and exactsync "
                                     "log --errors", outcome=last))
    return Finding(CRITICAL, msg("no successful pull for {minutes} minutes, since {time} (last pull: {outcome}): "
                                 "check cron and exactsync log --errors",
                                 minutes=number(int((now - parse(since)).total_seconds() // 60)),
                                 time=local_time(since), outcome=last))


def _inactive(db: sqlite_utils.Database) -> Finding | None:
    reason = activation.why_inactive(db)
    return Finding(WARNING, reason) if reason else None


def _waiting(db: sqlite_utils.Database) -> Finding | None:
    count = work_order_counts(db).get("failed", 0) + count_refused_by_checks(db)
    if not count:
        return None
    return Finding(WARNING, nmsg("{count} work order refused or failed waits for a person: exactsync log --errors "
                                 "says what to fix", "{count} work orders refused or failed wait for a person: "
                                 "exactsync log --errors says what to fix", count))


def _queued(db: sqlite_utils.Database, hours: int, now: datetime) -> Finding | None:
    oldest = oldest_queued(db)
    if not oldest or now - parse(oldest["archived_at"]) <= timedelta(hours=hours):
        return None
    return Finding(WARNING, msg("work order {number} waits for Exact since {time}, longer than {hours} hours: "
                                "exactsync push --dry-run says why", number=oldest["number"],
                                time=local_time(oldest["archived_at"]), hours=number(hours)))


def _errors(db: sqlite_utils.Database, now: datetime) -> Finding | None:
    count = logmod.count_since(db, "error", iso(now - timedelta(hours=24)))
    if not count:
        return None
    return Finding(WARNING, nmsg("{count} error in the last 24 hours: exactsync log --errors",
                                 "{count} errors in the last 24 hours: exactsync log --errors", count))


def _calls(db: sqlite_utils.Database, now: datetime) -> Finding | None:
    calls = budget.last_seen(db, now.timestamp())
    if calls["remaining"] is None or not calls["limit"] or calls["remaining"] >= calls["limit"] * CALLS_LEFT_WARNING:
        return None
    return Finding(WARNING, msg("{remaining} of Exact's {limit} daily calls left, until {time}",
                                remaining=number(calls["remaining"]), limit=number(calls["limit"]),
                                time=local_time(calls["resets_at"])))
