"""`exactsync connect`: log in to Exact Online and activate the integration (R13)."""

from __future__ import annotations

import functools
import queue
import sys
import threading
import webbrowser

import click

from exactsync import connect
from exactsync.app import App, pass_app


@click.command("connect")
@click.option("--no-browser", is_flag=True,
              help="Print the login address instead of opening a browser; paste the address the browser ends on.")
@click.option("--timeout", type=click.IntRange(min=1), default=300, show_default=True,
              help="Seconds to wait for the login in Exact.")
@pass_app
def connect_command(app: App, no_browser: bool, timeout: int):
    """Log in to Exact Online (OAuth consent), store the login beside the
    store (mode 0600), fill in the division if the config has none, and
    activate the integration. The first connect needs an empty store
    (`exactsync wipe --all`): Exact leads.

    \b
    Examples:
      exactsync connect
      exactsync connect --no-browser      # on a server: paste the address back
    """
    connect.check_ready(app.config, app.db)
    state = connect.new_state()
    judge = functools.partial(connect.code_from_redirect, state=state)
    login_url = app.client.auth.app.authorize_url(state)
    listener = connect.listen(app.config.redirect_uri, judge, paste_possible=no_browser)
    answers = listener.answers if listener else queue.Queue()
    try:
        if no_browser or not webbrowser.open(login_url):
            click.echo("Open this address in a browser, log in to Exact and allow access:", err=True)
            click.echo(login_url)
            click.echo("Then paste here the address the browser ends on:", err=True)
            threading.Thread(target=connect.read_pasted, args=(sys.stdin, judge, answers), daemon=True).start()
        code = connect.wait_for_code(answers, timeout)
    finally:
        if listener:
            listener.close()
    division = connect.finish(app.config, app.db, app.client, code)
    click.echo(f"connected to Exact Online division {division}; the integration is active", err=True)
