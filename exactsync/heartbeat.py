"""The heartbeat: pull and push report each run to `[monitoring] ping_url` as healthchecks.io
expects (https://healthchecks.io/docs/http_api/: `<url>/start` when a run starts, `<url>` when it
ended well, `<url>/fail` with a text body when it did not), so a monitor notices both a failing
run and a run that never came.

The address is a secret-ish token (anyone holding it can report to the check): it is never
written whole, only as `redacted` shows it. A ping that fails never fails the run: a short
timeout, and at most one warning row a day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit

import sqlite_utils

from exactsync import log
from exactsync.i18n import msg
from exactsync.store import state, transaction
from exactsync.timeutil import amsterdam_today

TIMEOUT_SECONDS = 10
BODY_LIMIT = 10_000  # bytes: healthchecks.io keeps the first 10 kB of a ping's body

Send = Callable[[str, bytes | None, float], None]


def redacted(url: str) -> str:
    """The address as logs may show it: its site, not its path (which holds the token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/..."


def http_send(url: str, body: bytes | None, timeout: float) -> None:
    """POST `body` (GET without one) to `url`; OSError when it failed, its text free of the address
    (requests' own errors quote the path, which holds the check's token)."""
    # Imported here, as the Exact client does: the commands that never ping need no HTTP stack.
    import requests

    headers = {"User-Agent": "exactsync", "Content-Type": "text/plain; charset=utf-8"}
    try:
        answer = requests.request("POST" if body is not None else "GET", url, data=body, headers=headers,
                                  timeout=timeout)
    except requests.Timeout:
        raise OSError(f"no answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        raise OSError(f"no connection ({type(exc).__name__})") from None
    if answer.status_code >= 400:
        raise OSError(f"HTTP {answer.status_code} {answer.reason}")


def clipped(text: str) -> bytes:
    """`text` as UTF-8, cut to BODY_LIMIT bytes without splitting a character."""
    return text.encode("utf-8")[:BODY_LIMIT].decode("utf-8", errors="ignore").encode("utf-8")


class Heartbeat:
    """The pings of one run. Without an address it does nothing."""

    def __init__(self, db: sqlite_utils.Database, url: str, send: Send = http_send,
                 today: Callable[[], date] = amsterdam_today):
        self.db, self.url, self.send, self.today = db, url.rstrip("/"), send, today

    def start(self) -> None:
        self._ping("/start")

    def finish(self, failure: str | None) -> None:
        """Ended well (`failure` None), or failed with `failure` as the body."""
        if failure is None:
            self._ping("")
        else:
            self._ping("/fail", clipped(failure))

    def _ping(self, suffix: str, body: bytes | None = None) -> None:
        if not self.url:
            return
        try:
            self.send(self.url + suffix, body, TIMEOUT_SECONDS)
        except OSError as exc:
            self._warn_once_a_day(exc)

    def _warn_once_a_day(self, exc: Exception) -> None:
        # The error's text may quote the address; only the redacted one may be written.
        error = str(exc).replace(self.url, redacted(self.url))
        today = self.today().isoformat()
        with transaction(self.db):
            if state.PING_FAILED_WARNED_ON.get(self.db) == today:
                return
            log.warning(self.db, "connection", msg("the heartbeat to {site} failed: {error}",
                                                   site=redacted(self.url), error=error),
                        action=msg("check [monitoring] ping_url and the network; the runs themselves go on"))
            state.PING_FAILED_WARNED_ON.set(self.db, today)
