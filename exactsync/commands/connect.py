"""`exactsync connect`: log in to Exact Online and activate the integration (R13)."""

from __future__ import annotations

import sys

import click

from exactsync import connect
from exactsync.app import App, pass_app
from exactsync.commands import _output


@click.command("connect")
@click.option("--no-browser", is_flag=True, help="Do not try to open a browser; only print the login address.")
@pass_app
def connect_command(app: App, no_browser: bool):
    """Log in to Exact Online (OAuth consent), store the login beside the
    store (mode 0600), fill in the division if the config has none, and
    activate the integration. The first connect needs an empty store
    (`exactsync wipe --all`): Exact leads.

    Prints the login address (and opens it where a browser is at hand). After
    you allow access, Exact sends the browser to [exact] redirect_uri, the
    https address registered for the app; paste the address the browser ends
    on (also when that page shows an error). It works from standard input too.

    \b
    Examples:
      exactsync connect
      exactsync connect --no-browser      # on a server: open the address elsewhere
    """
    division = connect.connect(app.config, app.db, app.client, sys.stdin,
                                None if no_browser else connect.open_in_browser)
    _output.echo(connect.connected(division).render(), err=True)
