import json
import subprocess
import sys

from exactsync import __version__
from exactsync.cli import cli


def test_version(run):
    result = run("--version")
    assert result.output == f"exactsync, version {__version__}\n"


def test_short_help_flag(run):
    assert run("-h").output == run("--help").output


def test_unknown_command_is_a_usage_error(run):
    result = run("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_text(run):
    for path, command in _commands(cli):
        assert command.help and len(command.help) > 20, path
        result = run(*path, "--help")
        assert result.exit_code == 0, path


def test_status_on_an_empty_store(run):
    result = run("status", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "active": False, "inactive_reason": "the integration is not active yet: no invoices go to Exact; "
                                            "exactsync connect starts it", "division": None,
        "last_pull": {"at": None, "outcome": None}, "last_push": {"at": None, "outcome": None},
        "highest_mutation_at": None, "workorders_queued": 0, "workorders_failed": 0, "errors_last_24h": 0,
        "login": {"state": "missing", "since": None, "exact_said": None},
        "exact_daily_calls": {"division": None, "limit": None, "remaining": None, "resets_at": None, "seen_at": None},
    }
    table = run("status")
    assert "not active" in table.output and "never" in table.output


def test_console_script_runs_as_a_module(config_path):
    result = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), "status", "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["active"] is False
