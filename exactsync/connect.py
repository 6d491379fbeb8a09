"""Logging in to Exact (R13): the consent round trip, by pasted address.

Exact sends the browser back only to the app's registered redirect URI: a
public https address, matched exactly, never localhost (CD step1; picqer#463).
So nothing on this machine can receive the answer. `connect` prints (and, when
it can, opens) the authorize address; the admin logs in and allows access; the
browser lands on the registered address (the page need not exist) and the admin
pastes that address. Its state is checked and its code, which works once and
for 3 minutes, is exchanged at once and never shown.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable
from typing import IO
from urllib.parse import urlsplit

import sqlite_utils

from exactsync import config as config_mod
from exactsync import log, wipe
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.exact import ExactClient
from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.i18n import Msg, _, msg
from exactsync.store import state, transaction
from exactsync.timeutil import utcnow


def register_hint() -> Msg:
    return msg("the https address registered for your app in the Exact App Center (README: Connect to your Exact "
               "administration)")


def check_ready(config: config_mod.Config, db: sqlite_utils.Database) -> None:
    """Refuse to start when the app is not configured or the store holds data that did not come from Exact."""
    missing = OAuthApp.from_config(config).missing_credentials()
    if missing:
        raise ExactsyncError(msg("{names} not set in {path}: copy them from your app in the Exact App Center",
                                 names=msg("{first} and {second}", first=missing[0], second=missing[1])
                                 if len(missing) == 2 else missing[0], path=str(config.path)))
    check_redirect_uri(config.redirect_uri)
    found = wipe.not_from_exact(db)
    if found:
        held = wipe.counted(found)
        raise ExactsyncError(msg("the store holds data that did not come from Exact ({held}); Exact leads, so wipe "
                                 "it first: run `exactsync wipe --all` (or, when reconnecting, wipe the parts named)",
                                 held=held))


def check_redirect_uri(redirect_uri: str) -> None:
    """Exact registers only a public https redirect URI (CD step1; picqer#463): anything else cannot work."""
    if not redirect_uri:
        raise ExactsyncError(msg("[exact] redirect_uri is not set: set it to {hint}", hint=register_hint()))
    parts = urlsplit(redirect_uri)
    if parts.scheme != "https" or not parts.hostname:
        raise ExactsyncError(msg("[exact] redirect_uri {uri} is not an https address, and Exact accepts no other: "
                                 "set it to {hint}", uri=repr(redirect_uri), hint=register_hint()))


def open_in_browser(url: str) -> bool:
    """Best effort, and only a graphical browser: a text browser would take over the terminal the
    address is to be pasted in."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def pasted_address(answers: IO[str]) -> str:
    """The first line with something on it; at the end of the input, a clear error."""
    for line in answers:
        if line.strip():
            return line.strip()
    raise ExactsyncError(msg("no address was pasted: run `exactsync connect` where you can paste, and paste the "
                             "address the browser ended on"))


def log_in(auth: Authenticator, answers: IO[str], open_browser: Callable[[str], bool] | None) -> None:
    """Show the login address, take the pasted answer, exchange its code and save the login."""
    login_url, oauth_state = auth.app.authorize_url()
    _output.echo(_("Open this address in a browser, log in to Exact and allow access:"), err=True)
    _output.echo(login_url)
    if open_browser is not None and open_browser(login_url):
        _output.echo(_("(opened in your browser)"), err=True)
    _output.echo(msg("Exact then sends the browser to {uri} (that page may show an error: fine). Paste here the "
                   "whole address from the browser's address bar, within 3 minutes:",
                   uri=auth.app.redirect_uri).render(), err=True)
    auth.exchange_code(pasted_address(answers), oauth_state)


def connect(config: config_mod.Config, db: sqlite_utils.Database, client: ExactClient, answers: IO[str],
            open_browser: Callable[[str], bool] | None) -> int:
    """All of `exactsync connect`: check, log in with the address pasted on `answers`, activate;
    return the division."""
    check_ready(config, db)
    log_in(client.auth, answers, open_browser)
    return finish(config, db, client)


def finish(config: config_mod.Config, db: sqlite_utils.Database, client: ExactClient) -> int:
    """Once logged in: settle the division and activate; return the division."""
    me = client.me()
    division = config.settings.division or int(me["CurrentDivision"])
    if not config.settings.division:
        config_mod.update(config, "settings", "division", division)
    client.division = division
    with transaction(db):
        state.ACTIVE.set(db, True)
        state.CONNECTED_AT.set(db, utcnow())
        log.info(db, "connection", connected(division),
                 action=msg("none: `exactsync pull` reads customers and items"))
    return division


def connected(division: int) -> Msg:
    return msg("connected to Exact Online division {division}; the integration is active", division=str(division))
