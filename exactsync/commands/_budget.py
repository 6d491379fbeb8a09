"""The runs that talk to Exact (pull, push), within Exact's daily call budget."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
import sqlite_utils

from exactsync.app import App
from exactsync.commands import _output
from exactsync.exact.errors import DailyLimitReached
from exactsync.sync import budget
from exactsync.sync.runs import daily_limit_message


@contextlib.contextmanager
def exact_run(app: App, name: str) -> Iterator[sqlite_utils.Database]:
    """`app.sync_run(name)` with the daily budget carried from the last run. A spent
    budget is no user error and nothing to fix: the run says so and exits 0, so cron
    does not alarm until the reset; the first run after it resumes."""
    try:
        with app.sync_run(name) as db, budget.carried(db, app.client):
            yield db
    except DailyLimitReached as exc:
        _output.echo(str(daily_limit_message(name, exc)), err=True)
        raise click.exceptions.Exit(0) from None
