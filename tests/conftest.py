"""Shared fixtures. Every test gets its own folder with a fresh config, so nothing
reads the developer's own exactsync.toml or store; a test that talks to Exact gets its own
sandbox, sized by the test (the `sandbox` marker)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from exactsync import config as config_mod
from exactsync import i18n, timeutil
from exactsync.cli import cli
from exactsync.sandbox import Sandbox
from exactsync.store import open_store

# A file system in memory, where the system has one.
MEMORY_FOLDER = "/dev/shm"


def pytest_configure(config):
    """The tests' folders (tmp_path) in memory: the store, the config and the token file are each made
    durable with fsync, which on a shared disk waits tens of milliseconds a time and proves nothing in a
    test. A --basetemp given keeps its folder."""
    if config.option.basetemp is None and os.path.isdir(MEMORY_FOLDER) and os.access(MEMORY_FOLDER, os.W_OK):
        tempfile.tempdir = MEMORY_FOLDER


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for name in ("EXACTSYNC_CONFIG", "EXACTSYNC_CLIENT_SECRET", "EXACTSYNC_LOCK_WAIT", i18n.LANG_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # A command run in-process with --lang nl (or a Dutch config) sets the language for the
    # process; every test starts in English, in the default office zone.
    i18n.use(i18n.DEFAULT_LANGUAGE)
    timeutil.use_office_zone(timeutil.DEFAULT_OFFICE_ZONE)
    # The tests read what a person at a terminal reads; tests/test_quiet_runs.py what cron gets.
    monkeypatch.setattr("exactsync.commands._output.watched", lambda: True)


@pytest.fixture
def config_path(tmp_path) -> Path:
    path = tmp_path / "exactsync.toml"
    config_mod.write_new(path, {})
    return path


@pytest.fixture
def db(config_path):
    store = open_store(config_mod.load(config_path).store_path)
    yield store
    store.close()


class Invoker:
    """Runs the real CLI in-process against the test's config."""

    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        return self.runner.invoke(
            cli, ["--config", str(self.config_path), *args], input=input, env=env, catch_exceptions=False
        )


@pytest.fixture
def run(config_path) -> Invoker:
    return Invoker(config_path)


@pytest.fixture
def sandboxes():
    """Starts sandboxes: `sandboxes(seed=5, customers=25, items=40, ...)` takes Sandbox's arguments;
    each is stopped after the test."""
    started: list[Sandbox] = []

    def start(**arguments) -> Sandbox:
        started.append(Sandbox(**arguments).start())
        return started[-1]

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(request, sandboxes) -> Sandbox:
    """The test's Exact sandbox, sized by its `sandbox` marker, on the test or the module's pytestmark:
    `pytest.mark.sandbox(seed=5, customers=25, items=40)`. Without one, Sandbox's own defaults."""
    marker = request.node.get_closest_marker("sandbox")
    return sandboxes(**(marker.kwargs if marker else {}))
