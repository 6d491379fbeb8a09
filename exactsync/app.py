"""What every command shares: the config, the store, and the rules for runs that change state."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlite_utils

from exactsync import activation, i18n, log, timeutil
from exactsync import config as config_mod
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.i18n import _, msg
from exactsync.locks import Busy
from exactsync.store import open_store, run_lock
from exactsync.sync.runs import recorded_run

if TYPE_CHECKING:
    from exactsync.exact.client import ExactClient

LOCK_WAIT_ENV = "EXACTSYNC_LOCK_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 20.0


def lock_wait_seconds() -> float:
    """How long a run waits for the run lock before it gives up."""
    return float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS))


class App:
    """Built once per invocation by the CLI group; commands reach it with `@pass_app`."""

    def __init__(self, config_path: Path, language_chosen: bool = False):
        self.config_path = Path(config_path)
        self.language_chosen = language_chosen  # by --lang or EXACTSYNC_LANG, which win over the config

    @cached_property
    def config(self) -> config_mod.Config:
        config = config_mod.load(self.config_path)
        if not self.language_chosen:
            i18n.use(config.language)
        timeutil.use_office_zone(config.timezone)
        return config

    @cached_property
    def db(self) -> sqlite_utils.Database:
        return open_store(self.config.store_path)

    @cached_property
    def client(self) -> ExactClient:
        # Imported here: requests and oauthlib are only for the commands that call Exact.
        from exactsync.exact.client import ExactClient

        return ExactClient.from_config(self.config)

    @contextlib.contextmanager
    def exclusive_run(self) -> Iterator[sqlite_utils.Database]:
        """One state-changing run at a time. A run that finds another busy waits a
        bounded time, then logs it and exits 0: cron must not pile up or alarm."""
        db = self.db
        try:
            with run_lock(self.config.store_path, lock_wait_seconds()):
                log.prune(db, self.config.retention_days)
                yield db
        except Busy:
            log.info(db, "connection", msg("another run is busy; this one stopped without doing anything"),
                     action=msg("none: the next run picks up the work"))
            _output.echo(_("another exactsync run is busy; nothing done"), err=True)
            raise click.exceptions.Exit(0) from None

    @contextlib.contextmanager
    def sync_run(self, name: str) -> Iterator[sqlite_utils.Database]:
        """A run that talks to Exact (pull, push, cleanup): exclusive, skipped (exit 0, with
        a warning once a day) while the integration is not active, refused while the settings
        are not verified, and its outcome recorded (a spent daily limit stops it cleanly:
        see recorded_run)."""
        with self.exclusive_run() as db:
            reason = self.why_not_run(db)
            if reason:
                # Exit 0 keeps cron quiet; the daily warning keeps the stop visible in the log.
                activation.warn_once_a_day(db, reason)
                _output.echo(msg("{run} skipped: {reason}", run=name, reason=reason).render(), err=True)
                raise click.exceptions.Exit(0)
            # Imported here: only the runs that talk to Exact need it.
            from exactsync.settings_check import unverified_reason

            unverified = unverified_reason(db, self.config.settings)
            if unverified:
                log.error(db, "settings", unverified, record=name, action=msg("run exactsync check-settings"))
                raise ExactsyncError(unverified)
            with recorded_run(db, name):
                yield db

    def why_not_run(self, db: sqlite_utils.Database) -> i18n.Msg | None:
        """Why a sync run must not start now, or None when it may."""
        return activation.why_inactive(db)


pass_app = click.make_pass_decorator(App)
