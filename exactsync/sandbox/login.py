"""Connecting a store to a sandbox without a browser: the sandbox consents
automatically, so its authorize redirect can be read directly. For tests, the
benchmarks and the demo; a real Exact login goes through `exactsync connect`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from exactsync import config as config_mod
from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.exact.tokens import TokenStore
from exactsync.settings_check import record_verified
from exactsync.store import open_store, set_state, utcnow


def write_config(config_path: Path, *, base_url: str, client_id: str, client_secret: str, division: int,
                 **settings) -> config_mod.Config:
    config_mod.write_new(config_path, {
        "exact": {"base_url": base_url, "client_id": client_id, "client_secret": client_secret},
        "settings": {"division": division, "journal": "70", **settings},
    })
    return config_mod.load(config_path)


def log_in(config: config_mod.Config) -> None:
    app = OAuthApp.from_config(config)
    answer = requests.get(app.authorize_url("sandbox-login"), allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    Authenticator(app, TokenStore.beside(config.store_path), requests.Session()).exchange_code(code)


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
