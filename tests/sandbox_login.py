"""A test's store connected to a running sandbox the way `exactsync connect` leaves it,
without the browser: the authorize redirect is read directly."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from exactsync import config as config_mod
from exactsync.exact.auth import Authenticator, OAuthApp
from exactsync.exact.tokens import TokenStore
from exactsync.settings_check import record_verified
from exactsync.store import open_store, set_state


def sandbox_config(sandbox, config_path: Path, **settings) -> config_mod.Config:
    config_mod.write_new(config_path, {
        "exact": {"base_url": sandbox.base_url, "client_id": sandbox.client_id,
                  "client_secret": sandbox.client_secret},
        "settings": {"division": sandbox.division, "journal": "70", **settings},
    })
    return config_mod.load(config_path)


def log_in(config: config_mod.Config) -> None:
    app = OAuthApp.from_config(config)
    answer = requests.get(app.authorize_url("test-state"), allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    Authenticator(app, TokenStore.beside(config.store_path), requests.Session()).exchange_code(code)


def connect(sandbox, config_path: Path, *, verified: bool = True, **settings) -> config_mod.Config:
    """Config, tokens, active integration and (unless `verified=False`) checked settings."""
    config = sandbox_config(sandbox, config_path, **settings)
    log_in(config)
    db = open_store(config.store_path)
    set_state(db, active=1, division=sandbox.division, connected_at="2026-01-01T00:00:00Z")
    if verified:
        record_verified(db, config.settings)
    db.close()
    return config
