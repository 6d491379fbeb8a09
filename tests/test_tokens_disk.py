"""A full, read-only or foreign folder never costs the Exact login: the space for the renewed pair is
reserved before Exact burns the old one, and whatever fails is a clear error, not a traceback."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from dataclasses import replace

import pytest

from exactsync import config as config_mod
from exactsync.exact import TokenStore
from exactsync.exact.errors import TokenFileUnwritable
from exactsync.exact.tokens import Tokens
from tests.helpers.login import log_in
from tests.helpers.push import connected_store

pytestmark = pytest.mark.sandbox(customers=10, items=10, minutely_limit=10_000)

INTACT = "the login on disk is intact (nothing was renewed)"
PENDING = "the new login is saved in exactsync.db.tokens.json.tmp, which the next run puts in place"
SPENT = "Exact renewed the login, the new one could not be written and the old one is spent"


class DiskFault:
    """Makes one kind of write to the token files fail as a full (or read-only, or foreign) folder
    does, while `active`. Points: the token lock, the reservation (open, write, fsync), the fill of
    the reserved file after Exact renewed the login, and its rename over the old file."""

    def __init__(self, monkeypatch, point: str, code: int = errno.ENOSPC):
        self.point, self.code, self.active, self.hits = point, code, True, 0
        real_open, real_write, real_fsync, real_replace = os.open, os.write, os.fsync, os.replace

        def fault(point: str, path) -> None:
            if self.active and point == self.point:
                self.hits += 1
                raise OSError(self.code, os.strerror(self.code), str(path))

        def open_(path, flags, mode=0o777, *, dir_fd=None):
            if str(path).endswith(".tokens.json.tmp"):
                fault("reserve open", path)
            return real_open(path, flags, mode, dir_fd=dir_fd)

        def write(fd, data):
            path = os.readlink(f"/proc/self/fd/{fd}")
            if path.endswith(".tokens.json.lock"):
                fault("lock", path)
            if path.endswith(".tokens.json.tmp"):
                fault("reserve write" if bytes(data[:1]) == b" " else "fill", path)
            return real_write(fd, data)

        def fsync(fd):
            path = os.readlink(f"/proc/self/fd/{fd}")
            if path.endswith(".tokens.json.tmp"):
                fault("reserve fsync", path)
            return real_fsync(fd)

        def replace_(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
            if str(src).endswith(".tokens.json.tmp"):
                fault("rename", src)
            return real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

        for name, function in (("open", open_), ("write", write), ("fsync", fsync), ("replace", replace_)):
            monkeypatch.setattr(os, name, function)


# --- the token file on its own ------------------------------------------------------------------------------

@pytest.fixture
def tokens(tmp_path):
    store = TokenStore.beside(tmp_path / "exactsync.db")
    store.save(Tokens("access-1", "refresh-1", 1.0))
    return store


def leftovers(tokens) -> list[str]:
    return sorted(p.name for p in tokens.path.parent.iterdir() if p != tokens.path)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_the_token_file_is_0600_whatever_the_umask_or_a_stale_temporary_file(tokens, umask):
    tokens.next_path.write_text("   ")
    tokens.next_path.chmod(0o644)
    old = os.umask(umask)
    try:
        tokens.save(Tokens("access-2", "refresh-2", 2.0))
    finally:
        os.umask(old)
    assert stat.S_IMODE(tokens.path.stat().st_mode) == 0o600
    assert tokens.load() == Tokens("access-2", "refresh-2", 2.0)
    assert leftovers(tokens) == []


@pytest.mark.parametrize("point", ["reserve open", "reserve write", "reserve fsync"])
@pytest.mark.parametrize("code, problem, action", [
    (errno.ENOSPC, "the disk is full", "free some space there"),
    (errno.EDQUOT, "the disk is full", "free some space there"),
    (errno.EROFS, "the folder is on a read-only file system", "make it writable again"),
    (errno.EACCES, "permission denied", "give the user that runs exactsync write access to the folder"),
])
def test_a_reservation_that_fails_says_why_and_changes_nothing(tokens, monkeypatch, point, code, problem, action):
    DiskFault(monkeypatch, point, code)
    with pytest.raises(TokenFileUnwritable) as caught:
        with tokens.reserve():
            pytest.fail("reserved on a folder that cannot take the file")
    assert str(caught.value) == (f"cannot write the Exact login in {tokens.path.parent}: {problem}; {INTACT}: "
                                 f"{action}, then run exactsync again")
    assert tokens.load() == Tokens("access-1", "refresh-1", 1.0)
    assert leftovers(tokens) == []


def test_a_renewed_pair_whose_rename_failed_is_the_login_and_is_put_in_place_later(tokens, monkeypatch):
    fault = DiskFault(monkeypatch, "rename")
    with pytest.raises(TokenFileUnwritable, match=PENDING):
        tokens.save(Tokens("access-2", "refresh-2", 2.0))
    assert tokens.load() == Tokens("access-2", "refresh-2", 2.0)
    fault.active = False
    tokens.save(Tokens("access-3", "refresh-3", 3.0))
    assert tokens.load() == Tokens("access-3", "refresh-3", 3.0)
    assert leftovers(tokens) == []


def test_a_reservation_never_filled_is_not_a_login(tokens):
    with tokens.reserve():
        assert tokens.load() == Tokens("access-1", "refresh-1", 1.0)  # spaces only: not a pair
    assert leftovers(tokens) == []


# --- pull through the CLI, with the refresh due --------------------------------------------------------------


def refresh_due(sandbox, config) -> TokenStore:
    """Exact and exactsync both take the access token for spent: the next call refreshes first."""
    tokens = TokenStore.beside(config.store_path)
    tokens.save(replace(tokens.load(), expires_at=0.0))
    sandbox.expire_tokens()
    return tokens


def live(sandbox, tokens) -> bool:
    stored = tokens.load()
    return not stored.refused_at and stored.refresh_token in sandbox.oauth.refresh


@pytest.mark.parametrize("point", ["lock", "reserve open", "reserve write", "reserve fsync"])
def test_a_full_disk_before_the_refresh_keeps_the_login_and_the_next_pull_works(sandbox, config_path, run,
                                                                                monkeypatch, point):
    config, db = connected_store(sandbox, config_path)
    tokens = refresh_due(sandbox, config)
    before, token_calls = tokens.load(), sandbox.calls["POST token"]
    fault = DiskFault(monkeypatch, point)

    result = run("pull")

    assert result.exit_code == 1 and fault.hits == 1
    assert result.stderr == (f"Error: cannot write the Exact login in {config.store_path.parent}: the disk is full; "
                             f"{INTACT}: free some space there, then run exactsync again\n")
    assert sandbox.calls["POST token"] == token_calls  # the refresh token was not spent
    assert tokens.load() == before and live(sandbox, tokens)
    fault.active = False
    assert run("pull").exit_code == 0
    assert live(sandbox, tokens) and tokens.load() != before


def test_a_failed_rename_after_the_refresh_keeps_the_renewed_login(sandbox, config_path, run, monkeypatch):
    config, db = connected_store(sandbox, config_path)
    tokens = refresh_due(sandbox, config)
    fault = DiskFault(monkeypatch, "rename")

    result = run("pull")

    assert result.exit_code == 1 and fault.hits == 1
    assert result.stderr == (f"Error: cannot write the Exact login in {config.store_path.parent}: the disk is full; "
                             f"{PENDING}: free some space there, then run exactsync again\n")
    assert live(sandbox, tokens)
    fault.active = False
    assert run("pull").exit_code == 0
    refresh_due(sandbox, config)
    assert run("pull").exit_code == 0 and live(sandbox, tokens)
    assert not tokens.next_path.exists()


def test_a_failed_fill_after_the_refresh_is_a_clear_error_that_asks_for_connect(sandbox, config_path, run,
                                                                               monkeypatch):
    config, db = connected_store(sandbox, config_path)
    refresh_due(sandbox, config)
    fault = DiskFault(monkeypatch, "fill")

    result = run("pull")

    assert result.exit_code == 1 and fault.hits == 1
    assert result.stderr == (f"Error: cannot write the Exact login in {config.store_path.parent}: the disk is full; "
                             f"{SPENT}: free some space there, then run exactsync connect\n")
    fault.active = False
    result = run("pull")
    assert result.exit_code == 1 and "Old refresh token used." in result.stderr
    log_in(config_mod.load(config_path))
    assert run("pull").exit_code == 0


# --- a real small disk ---------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs, where this machine lets the tests mount one (as root, outside most containers)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def fill_up(folder, leave: int):
    """A file that takes all free space of `folder` but `leave` bytes."""
    filler = folder / "filler"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with filler.open("wb") as f:
        if free > leave:
            os.posix_fallocate(f.fileno(), 0, free - leave)
    return filler


@pytest.mark.parametrize("free", [0, 4096, 16 * 1024, 32 * 1024, 256 * 1024])
def test_a_pull_on_a_small_full_disk_never_loses_the_login(sandbox, small_disk, run, free):
    config_path = small_disk / "exactsync.toml"
    config, db = connected_store(sandbox, config_path)
    assert run("--config", str(config_path), "pull").exit_code == 0
    tokens = refresh_due(sandbox, config)
    token_calls = sandbox.calls["POST token"]
    for _ in range(3):
        sandbox.add_customer(Name="Klant op een volle schijf")  # so that the pull has something to write
    filler = fill_up(small_disk, free)

    result = run("--config", str(config_path), "pull")

    assert result.exit_code in (0, 1), result.output
    if result.exit_code:
        assert "full" in result.stderr, result.stderr
    if "cannot write the Exact login" in result.stderr:  # no room for the reservation (0 and 4 KB here)
        assert sandbox.calls["POST token"] == token_calls
    assert live(sandbox, tokens)
    filler.unlink()
    assert run("--config", str(config_path), "pull").exit_code == 0
    assert live(sandbox, tokens)
    db.close()
