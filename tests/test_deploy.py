"""The units in deploy/ as systemd reads them, and their commands as the shell runs them; and an
install without the test tools runs: no module of the package imports a test-only package."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import exactsync

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ("exactsync-sync@", "exactsync-cleanup@")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def shell_command(service: str) -> str:
    """The script a service's ExecStart gives /bin/sh, with the unit file's $$ read as systemd reads it."""
    exec_start = unit(service)["Service"]["ExecStart"]
    prefix = "/bin/sh -c '"
    assert exec_start.startswith(prefix) and exec_start.endswith("'"), exec_start
    return exec_start[len(prefix):-1].replace("$$", "$")


def test_systemd_accepts_the_units(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here (a machine without systemd)")
    names = []
    for template in UNITS:
        for suffix in (".service", ".timer"):
            shutil.copy(DEPLOY / f"{template}{suffix}", tmp_path)
            instance = tmp_path / f"{template}acme{suffix}"
            instance.symlink_to(f"{template}{suffix}")
            names.append(str(instance))
    checked = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, cwd=tmp_path)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


@pytest.mark.parametrize("template", UNITS)
def test_each_timer_catches_up_missed_runs_and_its_service_runs_once_at_a_time_into_the_journal(template):
    timer, service = unit(f"{template}.timer"), unit(f"{template}.service")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    # A oneshot is "activating" while it runs, and a timer does not start a unit that is not inactive.
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["StandardOutput"] == service["Service"]["StandardError"] == "journal"
    assert service["Service"]["WorkingDirectory"] == service["Service"]["ReadWritePaths"] == "/srv/exactsync/%i"
    assert service["Service"]["UMask"] == "0077"


def test_the_schedules_are_every_5_minutes_and_three_nights_a_week():
    assert unit("exactsync-sync@.timer")["Timer"]["OnCalendar"] == "*:0/5"
    assert unit("exactsync-cleanup@.timer")["Timer"]["OnCalendar"] == "Mon,Wed,Fri *-*-* 03:17:00"


@pytest.fixture
def fake_exactsync(tmp_path):
    """An `exactsync` on PATH that records its command and fails the ones named in FAIL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "exactsync"
    script.write_text('#!/bin/sh\necho "$1" >> calls\ncase " $FAIL " in *" $1 "*) exit 1;; esac\n')
    script.chmod(0o755)

    def run(service: str, fail: str = "") -> tuple[int, list[str]]:
        env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "FAIL": fail}
        (tmp_path / "calls").unlink(missing_ok=True)
        done = subprocess.run(["/bin/sh", "-c", shell_command(service)], cwd=tmp_path, env=env)
        calls = (tmp_path / "calls").read_text().split() if (tmp_path / "calls").exists() else []
        return done.returncode, calls

    return run


def test_sync_pushes_also_after_a_failed_pull_and_the_unit_fails_when_either_did(fake_exactsync):
    assert fake_exactsync("exactsync-sync@.service") == (0, ["pull", "push"])
    assert fake_exactsync("exactsync-sync@.service", fail="pull") == (1, ["pull", "push"])
    assert fake_exactsync("exactsync-sync@.service", fail="push") == (1, ["pull", "push"])


def test_cleanup_runs_only_after_a_good_pull(fake_exactsync):
    assert fake_exactsync("exactsync-cleanup@.service") == (0, ["pull", "cleanup"])
    assert fake_exactsync("exactsync-cleanup@.service", fail="pull") == (1, ["pull"])


def test_the_readme_cron_lines_leave_the_output_to_cron():
    """Cron mails what a run prints, and a run prints only what needs a person: no redirect into a file."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```cron\n(.*?)```", readme, re.DOTALL)
    lines = [line for block in blocks for line in block.splitlines() if line and not line.startswith("#")]
    assert any(" pull" in line for line in lines) and any(" cleanup" in line for line in lines)
    assert not [line for line in lines if ">" in line], lines
    assert "MAILTO=" in "\n".join(lines)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _test_only_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirement_name = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
    runtime = {_normal(requirement_name.match(r)[0]) for r in project["dependencies"]}
    test = {_normal(requirement_name.match(r)[0]) for r in project["optional-dependencies"]["test"]}
    return test - runtime


def _top_level_imports() -> dict[str, str]:
    """Top-level module -> a file of the package that imports it (inside functions too)."""
    found = {}
    for path in Path(exactsync.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_no_module_of_the_package_needs_a_test_only_package():
    """`make demo` and a server install have only the runtime dependencies."""
    test_only = _test_only_distributions()
    assert {"pytest", "babel", "ruff"} <= test_only
    distributions = importlib.metadata.packages_distributions()
    needing = {module: importer for module, importer in _top_level_imports().items()
               if module not in sys.stdlib_module_names
               and {_normal(d) for d in distributions.get(module, [])} & test_only}
    assert needing == {}
