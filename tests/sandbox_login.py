"""Connect a test's store to a running in-process sandbox (see exactsync.sandbox.login)."""

from __future__ import annotations

from pathlib import Path

from exactsync import config as config_mod
from exactsync.sandbox import login


def _exact(sandbox) -> dict:
    return {"base_url": sandbox.base_url, "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret, "division": sandbox.division}


def connect(sandbox, config_path: Path, *, verified: bool = True, **settings) -> config_mod.Config:
    """`settings` may override the division, to test a wrong one."""
    return login.connect_store(config_path, verified=verified, **{**_exact(sandbox), **settings})
