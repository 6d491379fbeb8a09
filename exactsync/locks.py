"""One process at a time: an flock on a file, which the kernel releases when the process dies,
so a killed run never leaves a stale lock behind. The store's run lock and the token lock use it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_WAIT_ENV = "EXACTSYNC_LOCK_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 20.0


def lock_wait_seconds() -> float:
    """How long a run waits for the run lock before it gives up."""
    return float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS))


class Busy(Exception):
    """Another process held the lock for longer than we would wait."""


def open_lock_file(lock_path: Path) -> int:
    return os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)


@contextlib.contextmanager
def held(fd: int, wait_seconds: float) -> Iterator[None]:
    """Hold the flock on the open lock file `fd` (closed afterwards); wait at most `wait_seconds`,
    then raise Busy. The holder's pid is written into the file for whoever looks."""
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy() from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def flock(lock_path: Path, wait_seconds: float) -> Iterator[None]:
    with held(open_lock_file(lock_path), wait_seconds):
        yield
