"""Files for the owner's eyes only (the config may hold the client secret, the token file holds the
Exact login): mode 0600 whatever the umask, replaced whole by a rename, and on disk once written.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


def open_private(path: Path) -> int:
    """Open `path` for reading and writing, emptied, mode 0600; never through a symlink."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask, and whoever left the file there
    except OSError:
        os.close(fd)
        raise
    return fd


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable, so a power cut cannot bring the old file back."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically: a crash leaves the old file or the new one, never half."""
    path = Path(path)
    next_path = path.with_name(path.name + ".tmp")
    fd = open_private(next_path)
    try:
        write_all(fd, text.encode("utf-8"))
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            next_path.unlink()
        raise
    finally:
        os.close(fd)
    os.replace(next_path, path)
    fsync_folder(path.parent)


def link_new(building: Path, path: Path) -> None:
    """Put the finished file `building` in place as `path`, which must not exist yet (FileExistsError):
    a hard link cannot replace a file, so two writers never overwrite each other. A file system
    without hard links (FAT on a backup disk, some network shares) gets a rename after a check."""
    try:
        os.link(building, path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.rename(building, path)
