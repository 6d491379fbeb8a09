"""`exactsync demo` end to end, in a subprocess: the same code path a new user runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.language import english_in


def exactsync_command() -> list[str]:
    """The installed `exactsync` script, as users run it (`python -m exactsync` without an install)."""
    script = Path(sys.executable).parent / "exactsync"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exactsync"]


def run_demo(tmp_path: Path, *args: str, env: dict | None = None,
             before: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess, float]:
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run([*exactsync_command(), *before, "demo", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "TMPDIR": str(temp), **(env or {})})
    return done, time.perf_counter() - started


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    # A user's own config and secret must neither be used nor touched.
    own_config = tmp_path / "own.toml"
    done, seconds = run_demo(tmp_path, env={"EXACTSYNC_CONFIG": str(own_config), "EXACTSYNC_CLIENT_SECRET": "mine"})
    return done, seconds, tmp_path, own_config


@pytest.mark.slow
def test_demo_runs_every_step_in_under_30_seconds(demo):
    done, seconds, _, _ = demo
    assert done.returncode == 0, done.stderr
    assert seconds < 30
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_demo_prints_each_command_before_running_it(demo):
    out = demo[0].stdout
    expected = ["$ exactsync sandbox serve --customers 300 --items 120", "$ exactsync init --client-id ",
                " --redirect-uri https://exactsync.example/callback\n", "$ exactsync connect --no-browser\n",
                "/api/oauth2/auth?response_type=code&client_id=", "\nhttps://exactsync.example/callback?code=(hidden)&state=",
                "$ exactsync check-settings", "$ exactsync pull",
                "$ exactsync workaddress add 25 ", "$ exactsync workorder create --customer 25 --work-address ",
                "$ exactsync workorder book-time WO00001 --employee 'Jan de Vries' --work 120 --travel 15",
                "$ exactsync workorder add-material WO00001 ", "$ exactsync workorder form WO00001 Veiligheid ",
                "$ exactsync workorder complete WO00001", "$ exactsync workorder archive WO00001",
                "$ exactsync workorder create --customer 99999 ", "$ exactsync push --dry-run",
                "$ exactsync push\n", "$ exactsync log", "$ exactsync status",
                "$ exactsync workorder set-customer WO00002 --customer 25", "$ exactsync push\n"]
    start = 0
    for command in expected:
        found = out.find(command, start)
        assert found >= 0, f"{command!r} missing, or not after the commands before it"
        start = found + 1


@pytest.mark.slow
def test_demo_shows_the_outcomes(demo):
    done = demo[0]
    assert "connected to Exact Online division 123456" in done.stderr
    assert "all settings OK" in done.stderr
    assert "Error: customer 99999 does not exist" in done.stderr
    assert "1 sent, 1 refused" in done.stderr
    assert "1 sent, 0 refused" in done.stderr  # after the fix
    assert "WO00002" in done.stdout and "inactive in" in done.stdout  # the log's error row for the deleted customer
    invoice = done.stdout[done.stdout.index("draft sales invoice"):]
    assert "your ref     WO00001 / PO-881" in invoice
    assert "documents on the customer's card: Werkbon WO00001 (WO00001-werkbon.pdf, WO00001-formulieren.pdf)" in invoice
    assert "\n      0.25 × " in invoice  # 15 minutes of travel time


@pytest.mark.slow
def test_demo_leaves_nothing_behind_and_ignores_the_users_config(demo):
    _, _, tmp_path, own_config = demo
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not own_config.exists()


@pytest.mark.slow
def test_demo_keep_leaves_a_store_to_explore_offline(tmp_path):
    folder = tmp_path / "try"
    done, _ = run_demo(tmp_path, "--keep", str(folder), "--customers", "40")
    assert done.returncode == 0, done.stderr
    assert f"config {folder / 'exactsync.toml'}" in done.stdout
    assert "  exactsync workorder show WO00001\n" in done.stdout
    token = json.loads((folder / "exactsync.db.tokens.json").read_text())["access_token"]
    assert token not in done.stdout + done.stderr
    listed = subprocess.run([*exactsync_command(), "workorder", "list", "--json"], cwd=folder,
                            capture_output=True, text=True, timeout=30)
    assert [(o["number"], o["status"]) for o in json.loads(listed.stdout)] == [("WO00001", "sent"),
                                                                             ("WO00002", "sent")]


def test_demo_keep_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    done, _ = run_demo(tmp_path, "--keep", str(tmp_path / "busy"))
    assert done.returncode == 1
    assert "is not empty: give --keep a new or empty folder" in done.stderr
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_the_demo_narrates_in_dutch_and_runs_its_commands_in_dutch(tmp_path):
    done, _ = run_demo(tmp_path, "--keep", str(tmp_path / "try"), "--customers", "40", before=("--lang", "nl"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\n== Klanten en artikelen uit Exact ophalen (eerste pull: alles, met voortgang)\n$ exactsync pull\n" in out
    assert " --redirect-uri https://exactsync.example/callback --language nl\n" in out  # the config speaks Dutch
    assert "conceptverkoopfactuur (Status 20) in dagboek 70" in out and "  Uw referentie WO00001 / PO-881" in out
    assert "documenten op de klantenkaart: Werkbon WO00001 (WO00001-werkbon.pdf, WO00001-formulieren.pdf)" in out
    assert "\nDemo klaar in " in out and "\nBewaard in " in out
    assert "aangemeld bij Exact Online, administratie 123456; de koppeling is actief" in done.stderr
    # The narration: headings, comments (the settings' names stay as they are) and what follows the demo.
    narration = [line for line in out.splitlines() if line.startswith(("== ", "# ", "Demo ", "Bewaard ", "De ", "pull, "))
                 and not line.startswith("#   ")]
    assert len(narration) > 20
    # Addresses, paths, setting and command names stay as they are.
    assert english_in(re.sub(r"\S*/\S+|\[\w+\]|check-settings", "", "\n".join(narration))) == set()
