"""What every command shares: the config, the store and the Exact client (a run's rules are in commands/_run.py)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlite_utils

from exactsync import config as config_mod
from exactsync import i18n, timeutil
from exactsync.store import open_store

if TYPE_CHECKING:
    from exactsync.exact.client import ExactClient


class App:
    """Built once per invocation by the CLI group; commands reach it with `@pass_app`."""

    def __init__(self, config_path: Path, language_chosen: bool = False):
        self.config_path = Path(config_path)
        self.language_chosen = language_chosen  # by --lang or EXACTSYNC_LANG, which win over the config

    @cached_property
    def config(self) -> config_mod.Config:
        config = config_mod.load(self.config_path)
        if not self.language_chosen:
            i18n.use(config.language)
        timeutil.use_office_zone(config.timezone)
        return config

    @cached_property
    def db(self) -> sqlite_utils.Database:
        return open_store(self.config.store_path)

    @cached_property
    def client(self) -> ExactClient:
        # Imported here: requests and oauthlib are only for the commands that call Exact.
        from exactsync.exact.client import ExactClient

        return ExactClient.from_config(self.config)


pass_app = click.make_pass_decorator(App)
