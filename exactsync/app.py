"""What every command shares: the config, the store, and the rules for runs that change state."""

from __future__ import annotations

import contextlib
import os
from functools import cached_property
from pathlib import Path
from typing import Iterator

import click
import sqlite_utils

from exactsync import config as config_mod
from exactsync import log
from exactsync.store import Busy, open_store, run_lock

LOCK_WAIT_ENV = "EXACTSYNC_LOCK_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 20.0


class App:
    """Built once per invocation by the CLI group; commands reach it with `@pass_app`."""

    def __init__(self, config_path: Path):
        self.config_path = Path(config_path)

    @cached_property
    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_path)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        return open_store(self.config.store_path)

    @contextlib.contextmanager
    def exclusive_run(self) -> Iterator[sqlite_utils.Database]:
        """One state-changing run at a time. A run that finds another busy waits a
        bounded time, then logs it and exits 0: cron must not pile up or alarm."""
        wait = float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS))
        db = self.db
        try:
            with run_lock(self.config.store_path, wait):
                log.prune(db, self.config.retention_days)
                yield db
        except Busy:
            log.info(db, "connection", "another run is busy; this one stopped without doing anything",
                     action="none: the next run picks up the work")
            click.echo("another exactsync run is busy; nothing done", err=True)
            raise click.exceptions.Exit(0) from None


pass_app = click.make_pass_decorator(App)
