"""The Exact login on disk: `<store>.tokens.json`, mode 0600, replaced atomically, guarded by an flock.

Exact burns the old refresh token on every refresh, so the new pair must be on
disk before anyone uses it, and only one process may refresh at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from exactsync.errors import ExactsyncError
from exactsync.exact.errors import ReconnectNeeded
from exactsync.store import Busy, run_lock

LOCK_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float  # epoch seconds, this machine's clock

    @classmethod
    def from_token_response(cls, payload: dict, now: float) -> "Tokens":
        # Exact sends expires_in as a string ("600").
        return cls(payload["access_token"], payload["refresh_token"], now + int(payload["expires_in"]))

    def seconds_left(self, now: float) -> float:
        return self.expires_at - now


class TokenStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = Path(str(self.path) + ".lock")

    @classmethod
    def beside(cls, store_path: Path) -> "TokenStore":
        return cls(Path(str(store_path) + ".tokens.json"))

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> Tokens | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Tokens(raw["access_token"], raw["refresh_token"], float(raw["expires_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise ReconnectNeeded(f"the Exact login in {self.path} is unreadable") from None

    def save(self, tokens: Tokens) -> None:
        """Write to a private temporary file, fsync, then rename over the old one."""
        text = json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                           "expires_at": tokens.expires_at})
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_folder(self.path.parent)

    @contextlib.contextmanager
    def locked(self, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        """Hold the token lock, `<tokens>.lock` (an flock the kernel releases if the process dies)."""
        try:
            with run_lock(self.path, wait_seconds):
                yield
        except Busy:
            raise ExactsyncError(f"another exactsync process has held {self.lock_path} for {wait_seconds:.0f} s "
                                 "while refreshing the Exact login: try again in a minute") from None


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable, so a power cut cannot bring the burnt pair back.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
