import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import click

import exactsync.commands as commands_package
from exactsync import __version__
from exactsync.cli import COMMANDS, cli
from exactsync.sandbox import Sandbox
from tests.helpers.login import connect


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
    ctx = click.Context(group)  # the root group loads its commands on demand: ask it, as click does
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_the_help_lists_every_command_with_its_own_short_help():
    ctx = click.Context(cli)
    for name, (_, _, short_help) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command.name == name
        assert command.get_short_help_str(10_000) == short_help, name


def test_every_command_module_is_in_the_list():
    """A command added to exactsync/commands and not to COMMANDS would be missing from the CLI."""
    listed = {(module, attribute) for module, attribute, _ in COMMANDS.values()}
    for path in Path(commands_package.__file__).parent.glob("*.py"):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"exactsync.commands.{path.stem}")
        found = {name: value for name, value in vars(module).items() if isinstance(value, click.Command)}
        nested = {id(sub) for value in found.values() if isinstance(value, click.Group)
                  for sub in value.commands.values()}
        top = {(path.stem, name) for name, value in found.items() if id(value) not in nested}
        assert top <= listed, path.name


def test_help_and_status_load_no_other_command():
    """Start-up: --help imports no command module, status only its own (and no sandbox or PDF library)."""
    code = ("import sys; from exactsync.cli import cli; sys.argv[1:] = {args!r}\n"
            "try:\n    cli(prog_name='exactsync')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('exactsync.commands.', 'exactsync.sandbox', "
            "'fpdf', 'exactsync.demo'))), file=sys.stderr)")
    for args, expected in ((["--help"], []), (["--config", "missing.toml", "status"], ["exactsync.commands._output",
                                                                                     "exactsync.commands.status"])):
        result = subprocess.run([sys.executable, "-c", code.format(args=args)], capture_output=True, text=True)
        assert result.stderr.strip().splitlines()[-1] == repr(expected), result.stderr


def test_a_cron_pull_loads_neither_rich_nor_oauthlib(config_path):
    """Start-up: cron's pull, off a terminal and with its access token still good, does without rich's
    progress display and without oauthlib (only a token call needs it)."""
    code = ("import sys; from exactsync.cli import cli; sys.argv[1:] = {args!r}\n"
            "try:\n    cli(prog_name='exactsync')\nexcept SystemExit:\n    pass\n"
            "print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'rich', 'oauthlib', 'requests_oauthlib'}}), "
            "file=sys.stderr)")
    with Sandbox(customers=3, items=2) as sandbox:
        connect(sandbox, config_path)
        sandbox.reset_calls()
        result = subprocess.run([sys.executable, "-c", code.format(args=["--config", str(config_path), "pull"])],
                                capture_output=True, text=True)
        assert sandbox.calls["GET sync/CRM/Accounts"] == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr


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


def test_status_shows_the_division_in_the_config_after_a_change(run, config_path, db):
    from exactsync import config as config_mod
    from exactsync.store import set_state, utcnow

    config_mod.update(config_mod.load(config_path), "settings", "division", 123456)
    set_state(db, active=1, connected_at=utcnow(), division="123456")  # as connect left a store before
    config_mod.update(config_mod.load(config_path), "settings", "division", 654321)  # changed, then checked
    assert json.loads(run("status", "--json").output)["division"] == 654321
    assert re.search(r"administration \(division\) +654321\n", run("status").output)


def test_console_script_runs_as_a_module(config_path):
    result = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), "status", "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["active"] is False
