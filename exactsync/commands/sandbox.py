"""`exactsync sandbox serve`: run the embedded Exact Online to try the tool by hand."""

from __future__ import annotations

import threading

import click

from exactsync.cli_language import HelpGroup
from exactsync.commands import _output
from exactsync.i18n import _, msg
from exactsync.sandbox import DEFAULT_REDIRECT_URI, Sandbox, check_redirect_uri
from exactsync.sandbox.scopes import ENDPOINTS


def _registered_redirect_uri(ctx, param, value: str) -> str:
    try:
        return check_redirect_uri(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("sandbox", cls=HelpGroup)
def sandbox_group():
    """The embedded Exact Online sandbox: a local stand-in for Exact's API and OAuth.

    \b
    Example:
      exactsync sandbox serve --port 8000 --customers 1000
    """


@sandbox_group.command("serve")
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0 = any free port).")
@click.option("--customers", default=300, show_default=True, help="Customer accounts to generate.")
@click.option("--items", default=120, show_default=True, help="Items to generate.")
@click.option("--latency-ms", default=0, show_default=True, help="Delay added to every call, in milliseconds.")
@click.option("--seed", default=1, show_default=True, help="Seed of the data generator (same seed, same data).")
@click.option("--scopes", metavar="NAMES", default=",".join(ENDPOINTS), show_default=True,
              help="The app's scopes, comma-separated; a call outside them gets Exact's 403.")
@click.option("--redirect-uri", default=DEFAULT_REDIRECT_URI, show_default=True, callback=_registered_redirect_uri,
              help="The app's registered redirect URI: https, not localhost, as in the Exact App Center.")
def serve_command(port: int, customers: int, items: int, latency_ms: int, seed: int, scopes: str,
                  redirect_uri: str):
    """Serve a seeded Exact Online administration on 127.0.0.1 until Ctrl-C.

    Prints what to put in exactsync.toml ([exact] base_url, client_id,
    client_secret, redirect_uri). Like Exact, it sends the login only to the
    app's registered https redirect URI (an address nothing needs to serve:
    paste the address the browser lands on into `exactsync connect`).
    Consent is given automatically.

    \b
    Examples:
      exactsync sandbox serve --customers 5000 --latency-ms 150
      exactsync sandbox serve --scopes "Organization administration,Crm accounts,Logistics items"
    """
    try:
        sandbox = Sandbox(seed=seed, customers=customers, items=items, latency_ms=latency_ms, port=port,
                          scopes=[name.strip() for name in scopes.split(",") if name.strip()],
                          redirect_uri=redirect_uri)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scopes") from None
    with sandbox:
        _output.echo(f"base_url = \"{sandbox.base_url}\"")
        _output.echo(f"client_id = \"{sandbox.client_id}\"")
        _output.echo(f"client_secret = \"{sandbox.client_secret}\"")
        _output.echo(f"redirect_uri = \"{sandbox.redirect_uri}\"")
        _output.echo(msg("division {division}: {customers} customers, {items} items. Ctrl-C stops.",
                       division=str(sandbox.division), customers=customers, items=items).render(), err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _output.echo(_("stopped"), err=True)
