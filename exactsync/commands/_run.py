"""One home for a run of pull, push or cleanup: a command calls `cron_run` once, and it takes the run
lock, skips while the integration is not active, refuses unverified settings, carries Exact's daily
call budget, records the outcome in the log and for `status`, pings the heartbeat and decides the
exit code and what is printed.

Printed: on a terminal, all of it, as each command says it. Without one (cron), only what needs a
person, so cron's MAILTO mails exactly then: the error rows the run wrote, the warnings that ask for
a decision (DECISIONS), a failure (`Error: ...`, exit 1), and the first skipped run of the day while the
integration is not active. A run that
finds another busy, or Exact's daily limit spent, needs nobody: it exits 0 and says nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

import click
import sqlite_utils

from exactsync import activation, log
from exactsync.app import App
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, daily_limit_stops
from exactsync.heartbeat import Heartbeat
from exactsync.i18n import _, msg
from exactsync.locks import Busy, lock_wait_seconds
from exactsync.store import run_lock
from exactsync.sync import budget, runs
from exactsync.sync.drafts import DELETED_DRAFT

# Warnings that ask a person to decide, though nothing failed: printed without a terminal as errors are
# (cron mails them), not pinged as a failure.
DECISIONS = (DELETED_DRAFT,)
# The runs that call Exact: they carry its daily call budget and ping the heartbeat.
EXACT_RUNS = ("pull", "push")


@dataclass
class Run:
    """What a command's body gets: the store, and `say` for what it has to tell."""

    db: sqlite_utils.Database
    watched: bool
    held_back: list[str] = field(default_factory=list)

    def say(self, text: str, *, needs_person: bool = False) -> None:
        """Print `text` (to stderr) on a terminal or when it needs a person; else keep it for `finish`."""
        if self.watched or needs_person:
            _output.echo(text, err=True)
        else:
            self.held_back.append(text)

    def finish(self, for_a_person: list[str]) -> None:
        """Without a terminal, a run that wrote rows for a person prints what it held back, then the rows."""
        if self.watched or not for_a_person:
            return
        for text in self.held_back + for_a_person:
            _output.echo(text, err=True)


@contextlib.contextmanager
def exclusive(app: App, watched: bool = True) -> Iterator[sqlite_utils.Database]:
    """One state-changing run at a time. A run that finds another busy waits a bounded time,
    then logs it and exits 0: cron must not pile up or alarm."""
    db = app.db
    try:
        with run_lock(app.config.store_path, lock_wait_seconds()):
            log.prune(db, app.config.retention_days)
            yield db
    except Busy:
        log.info(db, "connection", msg("another run is busy; this one stopped without doing anything"),
                 action=msg("none: the next run picks up the work"))
        if watched:
            _output.echo(_("another exactsync run is busy; nothing done"), err=True)
        raise click.exceptions.Exit(0) from None


@contextlib.contextmanager
def cron_run(app: App, name: str) -> Iterator[Run]:
    """Run `name` (pull, push or cleanup) around the command's body; see the module's docstring."""
    watched = _output.watched()
    with exclusive(app, watched) as db:
        run = Run(db, watched)
        heartbeat = Heartbeat(db, app.config.ping_url if name in EXACT_RUNS else "")
        heartbeat.start()
        since = log.newest_id(db)
        failure: BaseException | None = None
        try:
            _refuse_to_start(app, run, name)
            yield from _recorded(app, run, name)
        except click.exceptions.Exit:
            raise  # skipped, or stopped by the daily limit: it said why, when that needs saying
        except BaseException as exc:
            failure = exc
            raise
        finally:
            _finish(db, run, heartbeat, since, failure)


def _recorded(app: App, run: Run, name: str) -> Iterator[Run]:
    """The body of the run, with Exact's daily budget carried over, and its outcome recorded."""
    try:
        with daily_limit_stops(lambda exc: _limit_spent(run, name, exc)), _budget_carried(app, run.db, name):
            yield run
    except (ExactsyncError, sqlite3.DatabaseError) as exc:
        raise runs.failed(run.db, name, exc) from None
    else:
        runs.succeeded(run.db, name)


def _limit_spent(run: Run, name: str, exc: DailyLimitReached) -> click.exceptions.Exit:
    """A spent budget is no failure (exit 0): what was committed stays, the first run after the reset resumes."""
    runs.daily_limit_reached(run.db, name, exc)
    run.say(str(runs.daily_limit_message(name, exc)))
    return click.exceptions.Exit(0)


def _refuse_to_start(app: App, run: Run, name: str) -> None:
    """Skip (exit 0) while not active, with a warning once a day; refuse unverified settings (exit 1)."""
    reason = activation.why_inactive(run.db)
    if reason:
        # Exit 0 keeps cron quiet; the daily warning keeps the stop visible in the log, and in cron's mail.
        warned = activation.warn_once_a_day(run.db, reason)
        run.say(msg("{run} skipped: {reason}", run=name, reason=reason).render(), needs_person=warned)
        raise click.exceptions.Exit(0)
    # Imported here: only the runs that go on need it.
    from exactsync.settings_check import unverified_reason

    unverified = unverified_reason(run.db, app.config.settings)
    if unverified:
        log.error(run.db, "settings", unverified, record=name, action=msg("run exactsync check-settings"))
        raise ExactsyncError(unverified)


def _budget_carried(app: App, db: sqlite_utils.Database, name: str) -> contextlib.AbstractContextManager:
    return budget.carried(db, app.client) if name in EXACT_RUNS else contextlib.nullcontext()


def _finish(db: sqlite_utils.Database, run: Run, heartbeat: Heartbeat, since: int,
            failure: BaseException | None) -> None:
    """Print what needs a person, and ping how the run ended: failed, or wrote error rows, or well."""
    try:
        rows = log.rows(db, log.LogFilter(kinds=("warning", "error"), after=since, limit=None))
    except sqlite3.DatabaseError:  # the store failed: the error on its way up says so
        rows = []
    # The failure itself comes last as `Error: ...`; its own row would only say it twice.
    for_a_person = [r for r in reversed(rows) if (r["kind"] == "error" or r["message_key"] in DECISIONS)
                    and not (failure and r["message"] == str(failure))]
    lines = [(r["kind"], _with_action(r)) for r in for_a_person]
    run.finish([line for _kind, line in lines])
    said = [line for kind, line in lines if kind == "error"]
    said += [msg("Error: {message}", message=str(failure)).render()] if failure else []
    with contextlib.suppress(sqlite3.DatabaseError):
        heartbeat.finish("\n".join(said) if said else None)


def _with_action(row: dict) -> str:
    """A log row as one line for a person; a message that already ends with its action says it once."""
    if not row["action"] or row["message"].endswith(row["action"]):
        return row["message"]
    return msg("{message}; what to do: {action}", message=row["message"], action=row["action"]).render()
