"""Connecting a store to a sandbox the way `exactsync connect` does it, through the same functions,
with a stand-in for the admin: the browser opens the login address (the sandbox consents by itself)
and the address it lands on is pasted. For tests and the benches.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from exactsync import config as config_mod
from exactsync import connect as connect_mod
from exactsync.demo import address_landed_on
from exactsync.exact import ExactClient
from exactsync.sandbox import DEFAULT_REDIRECT_URI
from exactsync.settings_check import record_verified
from exactsync.store import open_store


class ConsentingAdmin:
    """The browser connect may open, and the hands that paste at its prompt where that browser landed."""

    def __init__(self):
        self.landed_on: list[str] = []

    def open(self, login_url: str) -> bool:
        self.landed_on.append(address_landed_on(login_url))
        return True

    def __iter__(self):
        yield from (address + "\n" for address in self.landed_on)


@contextlib.contextmanager
def unseen():
    """Keep what connect shows the admin (the login address, the prompt) out of a bench's table."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def write_config(config_path: Path, *, base_url: str, client_id: str, client_secret: str, division: int,
                 redirect_uri: str = DEFAULT_REDIRECT_URI, **settings) -> config_mod.Config:
    config_mod.write_new(config_path, {
        "exact": {"base_url": base_url, "client_id": client_id, "client_secret": client_secret,
                  "redirect_uri": redirect_uri},
        "settings": {"division": division, "journal": "70", **settings},
    })
    return config_mod.load(config_path)


def log_in(config: config_mod.Config) -> None:
    """Only the consent round trip of connect: what it leaves on disk is the login."""
    admin = ConsentingAdmin()
    with unseen():
        connect_mod.log_in(ExactClient.from_config(config).auth, admin, admin.open)


def connect_store(config_path: Path, *, verified: bool = True, **exact_and_settings) -> config_mod.Config:
    """Config, then `exactsync connect` (login, activation, its log row), and unless `verified=False`
    the settings recorded as verified, as a passed `check-settings` leaves them."""
    config = write_config(config_path, **exact_and_settings)
    admin = ConsentingAdmin()
    db = open_store(config.store_path)
    try:
        with unseen():
            connect_mod.connect(config, db, ExactClient.from_config(config), admin, admin.open)
        if verified:
            record_verified(db, config.settings)
    finally:
        db.close()
    return config


def connect(sandbox, config_path: Path, *, verified: bool = True, **settings) -> config_mod.Config:
    """`connect_store` with an in-process sandbox's app; `settings` may override the division, to test a
    wrong one."""
    exact = {"base_url": sandbox.base_url, "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
             "redirect_uri": sandbox.redirect_uri, "division": sandbox.division}
    return connect_store(config_path, verified=verified, **{**exact, **settings})
