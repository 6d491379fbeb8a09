"""`exactsync pull` and `exactsync cleanup`: what cron runs to follow Exact."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands._budget import exact_run
from exactsync.commands._progress import row_counter
from exactsync.sync import cleanup as cleanup_mod
from exactsync.sync import pull as pull_mod


@click.command("pull")
@pass_app
def pull_command(app: App):
    """Bring customers, their addresses, item groups and items from Exact.

    Only what changed since the last pull is read; the first pull reads
    everything and shows its progress on a terminal. A pull that is stopped at
    any moment resumes where it stopped. Meant for cron, every 5 minutes.

    \b
    Example:
      exactsync pull
    """
    with exact_run(app, "pull") as db, row_counter("reading") as progress:
        result = pull_mod.pull(app.client, db, app.config.settings, progress=progress)
        summary = ", ".join(f"{name} +{c.added} ~{c.changed} -{c.deactivated}" for name, c in result.counts.items())
        click.echo(f"pulled in {result.calls} calls: {summary}", err=True)


@click.command("cleanup")
@pass_app
def cleanup_command(app: App):
    """Remove customers and items that did not come from Exact, or that were
    deleted, blocked or ended there. Work orders are never removed.

    Meant for cron, a few times a week, after a pull.

    \b
    Example:
      exactsync cleanup
    """
    with app.sync_run("cleanup") as db:
        removed = cleanup_mod.cleanup(db)
        click.echo("removed " + ", ".join(f"{n} {t.replace('_', ' ')}(s)" for t, n in removed.items()), err=True)
