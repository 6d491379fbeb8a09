"""`exactsync activate` and `exactsync deactivate`: switch the integration on or off, at once (R15)."""

from __future__ import annotations

import click

from exactsync import activation
from exactsync.app import App, pass_app
from exactsync.exact import TokenStore


@click.command("deactivate")
@pass_app
def deactivate_command(app: App):
    """Stop the integration now: from here on pull, push and cleanup do
    nothing (each run writes one info row). The Exact login and the sync
    checkpoints stay, so `exactsync activate` resumes without reconnecting.

    \b
    Example:
      exactsync deactivate
    """
    changed = activation.deactivate(app.db)
    click.echo("integration deactivated" if changed else "integration was already not active", err=True)


@click.command("activate")
@pass_app
def activate_command(app: App):
    """Start the integration again after `exactsync deactivate`: the next pull
    and push resume from where they stopped. Needs an earlier `exactsync connect`.

    \b
    Example:
      exactsync activate
    """
    changed = activation.activate(app.db, TokenStore.beside(app.config.store_path))
    click.echo("integration activated" if changed else "integration was already active", err=True)
