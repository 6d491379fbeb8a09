"""Running exactsync against the embedded Exact sandbox: config, and `exactsync connect` with a
stand-in for the admin, who opens the login address and pastes the address the browser lands on."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from exactsync import config as config_mod
from exactsync.demo import address_landed_on
from tests.helpers import login


def point_config_at(config_path, sandbox, **settings) -> config_mod.Config:
    config = config_mod.load(config_path)
    values = {"base_url": sandbox.base_url, "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
              "redirect_uri": sandbox.redirect_uri}
    for name, value in values.items():
        config = config_mod.update(config, "exact", name, value)
    for name, value in settings.items():
        config = config_mod.update(config, "settings", name, value)
    return config


@dataclass
class Connected:
    returncode: int
    stdout: str
    stderr: str
    login_url: str
    landed_on: str | None   # where the sandbox sent the browser; holds the code, so outputs are checked for it


def connect(config_path, paste=lambda landed_on: landed_on) -> Connected:
    """`exactsync connect --no-browser` as a process, its standard input a pipe (no terminal): the
    stand-in opens the address it prints, without following the sandbox's redirect (nothing serves the
    registered https address), and pastes `paste(address landed on)`."""
    process = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config_path), "connect",
                                "--no-browser"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        login_url = process.stdout.readline().strip()
        landed_on = address_landed_on(login_url) if login_url else None
        out, err = process.communicate(paste(landed_on) + "\n" if landed_on else "", timeout=60)
    finally:
        process.kill()
    return Connected(process.returncode, login_url + "\n" + out if login_url else out, err, login_url, landed_on)


def connected(config_path) -> Connected:
    result = connect(config_path)
    assert result.returncode == 0, result.stderr
    return result


def log_in(sandbox, config) -> None:
    """The consent round trip without the CLI: what `connect` leaves behind, tokens on disk."""
    login.log_in(config)
