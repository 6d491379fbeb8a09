"""Logging in to Exact (R13): the OAuth consent round trip and what follows it.

`connect` opens Exact's authorize page with a random state and waits for the
browser to come back to the redirect URI, on a listener bound to 127.0.0.1
only, or for the user to paste the address the browser ended on. The answer's
state must match; the code it carries is exchanged at once and never shown.
"""

from __future__ import annotations

import errno
import html
import http.server
import queue
import secrets
import threading
from typing import IO, Callable
from urllib.parse import parse_qs, urlsplit

import click
import sqlite_utils

from exactsync import config as config_mod
from exactsync import log, wipe
from exactsync.errors import ExactsyncError
from exactsync.exact import ExactClient
from exactsync.store import set_state, transaction, utcnow

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_PAGE = "<!doctype html><meta charset=utf-8><title>exactsync</title><p style='font:16px sans-serif'>{}</p>"


class ConsentDenied(ExactsyncError):
    pass


def new_state() -> str:
    return secrets.token_urlsafe(32)


def check_ready(config: config_mod.Config, db: sqlite_utils.Database) -> None:
    """Refuse to start when the app is not configured or the store holds data that did not come from Exact."""
    missing = [key for key, value in (("[exact] client_id", config.client_id),
                                      ("[exact] client_secret (or EXACTSYNC_CLIENT_SECRET)", config.client_secret))
               if not value]
    if missing:
        raise ExactsyncError(f"{' and '.join(missing)} not set in {config.path}: copy them from your app in the "
                             "Exact App Center")
    found = wipe.not_from_exact(db)
    if found:
        held = ", ".join(f"{n} {what}" for what, n in found.items())
        raise ExactsyncError(f"the store holds data that did not come from Exact ({held}); Exact leads, so wipe "
                             "it first: run `exactsync wipe --all` (or, when reconnecting, wipe the parts named)")


def code_from_redirect(url: str, state: str) -> str:
    """The authorization code in the address Exact sent the browser to, once its state is checked."""
    query = parse_qs(urlsplit(url.strip()).query)
    answered_state = query.get("state", [None])[0]
    mismatch = ExactsyncError("the login answer does not belong to this connect (state mismatch), so it was "
                              "ignored: run `exactsync connect` again and use the address it gives")
    if answered_state is not None and answered_state != state:
        raise mismatch
    # An error answer carries no code, so it is reported even when Exact leaves the state out.
    if "error" in query:
        error = query["error"][0]
        if error == "access_denied":
            raise ConsentDenied("access was not allowed in Exact (consent denied): run `exactsync connect` "
                                "again and click allow")
        raise ExactsyncError(f"Exact's login answered {error!r}: run `exactsync connect` again")
    if answered_state is None:
        raise mismatch
    code = query.get("code", [""])[0]
    if not code:
        raise ExactsyncError("the login answer holds no authorization code: run `exactsync connect` again")
    return code


class CallbackListener:
    """Waits for the browser's one request to the redirect URI, on 127.0.0.1 only."""

    def __init__(self, redirect_uri: str, judge: Callable[[str], object]):
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or not parts.port:
            raise ExactsyncError(f"[exact] redirect_uri {redirect_uri!r} is not on this machine: use "
                                 "http://127.0.0.1:PORT/callback (also in the Exact App Center), or pass --no-browser")
        self.path = parts.path or "/"
        self.port = parts.port
        self.answers: queue.Queue = queue.Queue()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if urlsplit(self.path).path != listener.path:
                    self.send_error(404)
                    return
                outcome = _judged(judge, self.path)
                text = str(outcome) if isinstance(outcome, Exception) else \
                    "exactsync is connected to Exact Online. You can close this window."
                self.send_response(400 if isinstance(outcome, Exception) else 200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_PAGE.format(html.escape(text)).encode())
                listener.answers.put(outcome)

            def log_message(self, *args):
                pass  # the request line holds the code: never print it

        try:
            self.server = http.server.HTTPServer(("127.0.0.1", self.port), Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ExactsyncError(f"port {self.port} of [exact] redirect_uri is busy: stop the program that "
                                     "uses it, or pick another port in redirect_uri (also in the Exact App "
                                     "Center), or pass --no-browser and paste the address") from None
            raise
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def listen(redirect_uri: str, judge: Callable[[str], object], *, paste_possible: bool) -> CallbackListener | None:
    """The callback listener; without it (busy port, redirect elsewhere) only a pasted address can answer."""
    try:
        return CallbackListener(redirect_uri, judge)
    except ExactsyncError as exc:
        if not paste_possible:
            raise
        click.echo(f"note: {exc}; waiting for a pasted address only", err=True)
        return None


def read_pasted(stream: IO[str], judge: Callable[[str], object], answers: queue.Queue) -> None:
    """Pasted addresses from `stream` (run in a daemon thread); blank lines are skipped."""
    for line in stream:
        if line.strip():
            answers.put(_judged(judge, line))
            return


def _judged(judge: Callable[[str], object], url: str) -> object:
    try:
        return judge(url)
    except ExactsyncError as exc:
        return exc


def wait_for_code(answers: queue.Queue, timeout: float) -> str:
    try:
        outcome = answers.get(timeout=timeout)
    except queue.Empty:
        raise ExactsyncError(f"no answer from Exact's login within {timeout:.0f} s: run `exactsync connect` "
                             "again (--timeout gives more time)") from None
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def finish(config: config_mod.Config, db: sqlite_utils.Database, client: ExactClient, code: str) -> int:
    """Exchange the code, store the tokens, settle the division and activate; return the division."""
    client.auth.exchange_code(code)
    me = client.me()
    division = config.settings.division or int(me["CurrentDivision"])
    if not config.settings.division:
        config_mod.update(config, "settings", "division", division)
    client.division = division
    with transaction(db):
        set_state(db, active=1, division=division, connected_at=utcnow())
        log.info(db, "connection", f"connected to Exact Online division {division}; the integration is active",
                 action="none: `exactsync pull` reads customers and items")
    return division
