"""The one writer of private files (config, and the pieces the token file uses): whole or not at all,
0600 whatever was there before, never through a symlink."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from exactsync.privatefile import write_private


def test_a_file_is_replaced_whole_with_mode_0600(tmp_path):
    path = tmp_path / "exactsync.toml"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new ë")
    assert path.read_text(encoding="utf-8") == "new ë"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exactsync.toml"]


def test_a_failed_write_leaves_the_old_file_and_no_leftover(tmp_path, monkeypatch):
    path = tmp_path / "exactsync.toml"
    path.write_text("old")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_private(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exactsync.toml"]


def test_a_symlink_in_the_way_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not yours")
    (tmp_path / "exactsync.toml.tmp").symlink_to(elsewhere)
    with pytest.raises(OSError):
        write_private(tmp_path / "exactsync.toml", "secret")
    assert elsewhere.read_text() == "not yours"
