"""The Exact login on disk: `<store>.tokens.json`, mode 0600, replaced atomically, guarded by an flock.

Exact burns the old refresh token on every refresh, so the new pair must be on
disk before anyone uses it, and only one process may refresh at a time. The
space for the new pair is reserved before the old one is spent (see `reserve`):
on a full disk the login is left alone instead of being lost.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from exactsync.errors import ExactsyncError
from exactsync.exact.errors import LoginExpired, ReconnectNeeded, TokenFileUnwritable
from exactsync.i18n import msg
from exactsync.locks import Busy, flock
from exactsync.privatefile import fsync_folder, open_private, write_all

LOCK_WAIT_SECONDS = 120.0
# Exact's tokens vary in length (about a kilobyte each), so the next file may be longer than this one.
RESERVE_MARGIN_BYTES = 8192


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float  # epoch seconds, this machine's clock
    # Set once Exact refused the refresh token: when (ISO UTC) and what Exact said. Such a login is dead.
    refused_at: str | None = None
    refusal: str = ""

    @classmethod
    def from_token_response(cls, payload: dict, now: float) -> Tokens:
        # Exact sends expires_in as a string ("600").
        return cls(payload["access_token"], payload["refresh_token"], now + int(payload["expires_in"]))

    def seconds_left(self, now: float) -> float:
        return self.expires_at - now

    def refused(self, at: str, refusal: str) -> Tokens:
        return replace(self, refused_at=at, refusal=refusal)

    def to_json(self) -> str:
        fields = {"access_token": self.access_token, "refresh_token": self.refresh_token,
                  "expires_at": self.expires_at}
        if self.refused_at:
            fields.update(refused_at=self.refused_at, refusal=self.refusal)
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> Tokens:
        raw = json.loads(text)
        return cls(raw["access_token"], raw["refresh_token"], float(raw["expires_at"]),
                   raw.get("refused_at"), str(raw.get("refusal", "")))


class TokenStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = Path(str(self.path) + ".lock")
        # The next version of the file. Complete (it parses) only between its fsync and its rename:
        # then it holds a pair Exact has issued and the file has not, so it wins (see `load`).
        self.next_path = Path(str(self.path) + ".tmp")

    @classmethod
    def beside(cls, store_path: Path) -> TokenStore:
        return cls(Path(str(store_path) + ".tokens.json"))

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> Tokens | None:
        pending = self._pending()
        if pending is not None:
            return pending
        try:
            return Tokens.from_json(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise ReconnectNeeded(msg("the Exact login in {path} is unreadable", path=str(self.path))) from None

    def login(self) -> Tokens:
        """The stored login, or ReconnectNeeded when there is none or Exact refused it before."""
        tokens = self.load()
        if tokens is None:
            raise ReconnectNeeded(msg("exactsync is not logged in to Exact"))
        if tokens.refused_at:
            raise LoginExpired(tokens.refusal, found_at=tokens.refused_at)
        return tokens

    def save(self, tokens: Tokens) -> None:
        with self.reserve() as reservation:
            reservation.fill(tokens)

    @contextlib.contextmanager
    def reserve(self) -> Iterator[Reservation]:
        """Room on disk for the next version of the file, written and fsynced before it is needed:
        call this before spending the refresh token, under the lock. Raises TokenFileUnwritable when
        the folder has no room (or is read-only, or not ours), with nothing changed. Leaving the block
        without `fill` removes the reservation."""
        self._settle_pending()
        size = RESERVE_MARGIN_BYTES + (self.path.stat().st_size if self.path.exists() else 0)
        try:
            fd = open_private(self.next_path)
        except OSError as exc:
            raise self._unwritable(exc) from None
        reservation = Reservation(self, fd)
        try:
            try:
                write_all(fd, b" " * size)  # JSON allows trailing spaces; tmpfs and ext4 allocate on write
                os.fsync(fd)
            except OSError as exc:
                raise self._unwritable(exc) from None
            yield reservation
        finally:
            os.close(fd)
            if not reservation.complete:
                with contextlib.suppress(OSError):
                    self.next_path.unlink()

    @contextlib.contextmanager
    def locked(self, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        """Hold the token lock, `<tokens>.lock` (an flock the kernel releases if the process dies)."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(flock(self.lock_path, wait_seconds))
            except Busy:
                raise ExactsyncError(msg("another exactsync process has held {lock} for {seconds} s while refreshing "
                                         "the Exact login: try again in a minute",
                                         lock=str(self.lock_path), seconds=round(wait_seconds))) from None
            except OSError as exc:
                raise self._unwritable(exc) from None
            yield

    def _pending(self) -> Tokens | None:
        try:
            return Tokens.from_json(self.next_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, only reserved, or half written: not a login

    def _settle_pending(self) -> None:
        """Put a complete next version in place before a new reservation overwrites it."""
        if self._pending() is None:
            return
        try:
            os.replace(self.next_path, self.path)
            fsync_folder(self.path.parent)
        except OSError as exc:
            raise self._unwritable(exc) from None

    def _unwritable(self, exc: OSError) -> TokenFileUnwritable:
        # Before the refresh call: nothing was spent.
        return TokenFileUnwritable(self.path.parent, exc,
                                   outcome=msg("the login on disk is intact (nothing was renewed)"))


class Reservation:
    """The reserved next version of the token file (see TokenStore.reserve)."""

    def __init__(self, store: TokenStore, fd: int):
        self.store = store
        self.fd = fd
        self.complete = False  # the pair is on disk in full: keep the file whatever happens next

    def fill(self, tokens: Tokens) -> None:
        """Write `tokens` into the reserved space, fsync, and rename it over the old file.
        The reserved space makes a failure here unlikely; if one happens all the same, it is a
        clear error, and a pair that reached the disk is taken up by the next `load`."""
        store = self.store
        data = tokens.to_json().encode("utf-8")
        try:
            os.lseek(self.fd, 0, os.SEEK_SET)
            write_all(self.fd, data)
            os.ftruncate(self.fd, len(data))
            os.fsync(self.fd)
        except OSError as exc:
            raise TokenFileUnwritable(store.path.parent, exc, outcome=msg("Exact renewed the login, the new one "
                                                              "could not be written and the old one is spent"),
                                      then=msg("run exactsync connect")) from None
        self.complete = True
        try:
            os.replace(store.next_path, store.path)
        except OSError as exc:
            raise TokenFileUnwritable(store.path.parent, exc, outcome=msg(
                "the new login is saved in {file}, which the next run puts in place",
                file=store.next_path.name)) from None
        try:
            fsync_folder(store.path.parent)
        except OSError as exc:
            raise TokenFileUnwritable(store.path.parent, exc, outcome=msg("the new login is in place, but a power cut "
                                                              "could still undo that")) from None

