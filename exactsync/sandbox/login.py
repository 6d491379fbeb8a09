"""Connecting a store to a sandbox without a person at the keyboard, through the
same pasted-address login as `exactsync connect`: the sandbox consents by itself,
so the browser's part is one GET of the login address that does not follow Exact's
redirect (nothing serves the registered https address), and the address it points
to is what the admin would paste. For tests, the benchmarks and the demo."""

from __future__ import annotations

from pathlib import Path

import requests

from exactsync import config as config_mod
from exactsync.errors import ExactsyncError
from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.exact.tokens import TokenStore
from exactsync.sandbox import DEFAULT_REDIRECT_URI
from exactsync.settings_check import record_verified
from exactsync.store import open_store, set_state
from exactsync.timeutil import utcnow


def write_config(config_path: Path, *, base_url: str, client_id: str, client_secret: str, division: int,
                 redirect_uri: str = DEFAULT_REDIRECT_URI, **settings) -> config_mod.Config:
    config_mod.write_new(config_path, {
        "exact": {"base_url": base_url, "client_id": client_id, "client_secret": client_secret,
                  "redirect_uri": redirect_uri},
        "settings": {"division": division, "journal": "70", **settings},
    })
    return config_mod.load(config_path)


def address_landed_on(login_url: str) -> str:
    """Where the sandbox sends the browser after its automatic consent: the address to paste."""
    answer = requests.get(login_url, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise ExactsyncError(f"the sandbox's login page answered {answer.status_code} instead of sending the "
                             "browser on: check [exact] client_id and redirect_uri against `sandbox serve`")
    return answer.headers["Location"]


def log_in(config: config_mod.Config) -> None:
    auth = Authenticator(OAuthApp.from_config(config), TokenStore.beside(config.store_path), requests.Session())
    login_url, state = auth.app.authorize_url()
    auth.exchange_code(address_landed_on(login_url), state)


def connect_store(config_path: Path, *, verified: bool = True, **exact_and_settings) -> config_mod.Config:
    """Config, tokens, active integration and (unless `verified=False`) verified settings."""
    config = write_config(config_path, **exact_and_settings)
    log_in(config)
    db = open_store(config.store_path)
    try:
        set_state(db, active=1, division=config.settings.division, connected_at=utcnow())
        if verified:
            record_verified(db, config.settings)
    finally:
        db.close()
    return config
