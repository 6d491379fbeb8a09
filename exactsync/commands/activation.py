"""`exactsync activate` and `exactsync deactivate`: switch the integration on or off, at once (R15)."""

from __future__ import annotations

import sys

import click

from exactsync import activation
from exactsync.app import App, pass_app
from exactsync.cli import UsageRefused, confirm
from exactsync.commands import _output
from exactsync.exact import TokenStore
from exactsync.i18n import _


@click.command("deactivate")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal, e.g. in scripts).")
@pass_app
def deactivate_command(app: App, yes: bool):
    """Stop the integration now: from here on pull, push and cleanup send and
    fetch nothing (no invoices go to Exact) and leave a warning in the log once a
    day. The Exact login and the sync checkpoints stay, so `exactsync activate`
    resumes without reconnecting. Asks first; `--yes` for scripts.

    \b
    Example:
      exactsync deactivate
    """
    if not activation.is_active(app.db):
        _output.echo(_("integration was already not active"), err=True)
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageRefused(_("deactivate asks for confirmation, and there is no terminal to ask on: "
                                 "pass --yes to deactivate without asking"))
        confirm(_("Deactivate the integration? From now on no invoices go to Exact, and nothing comes from it, "
                  "until `exactsync activate`"))
    changed = activation.deactivate(app.db)
    _output.echo(_("integration deactivated") if changed else _("integration was already not active"), err=True)


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
    _output.echo(_("integration activated") if changed else _("integration was already active"), err=True)
