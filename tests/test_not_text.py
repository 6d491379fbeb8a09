"""Bytes that are not text, and escape sequences: a value that is not UTF-8 text is refused naming its
field, exit 2 (1 in an import file), with nothing changed; text shown to people has its control
characters made visible, and --json keeps them, escaped."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import click
import pytest

from exactsync.cli import COMMANDS, UsageRefused, UserError, cli, refuse_not_text
from tests.helpers.factories import add_customer, add_item

NOT_TEXT = "caf\udce9 \udcff"  # how Python reads the bytes b"caf\xe9 \xff" from the command line


def table_counts(db) -> dict[str, int]:
    return {t: db[t].count for t in ("customers", "work_orders", "materials", "time_bookings", "forms", "log")}


def every_command(group=cli, ctx=None):
    ctx = ctx or click.Context(cli)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield command
        if isinstance(command, click.Group):
            yield from every_command(command, ctx)


def text_params():
    """(command, parameter) for every parameter that takes text, in every command."""
    for command in [cli, *every_command()]:
        for param in command.params:
            if not param.is_flag if isinstance(param, click.Option) else True:
                if param.type in (click.STRING,) or isinstance(param.type, (click.Path, click.Choice)):
                    yield command, param


def test_every_command_checks_its_values_before_it_runs():
    assert len(list(every_command())) > len(COMMANDS)
    for command in every_command():
        assert getattr(command.callback, "checks_text", False), command.name


@pytest.mark.parametrize(("command", "param"), list(text_params()), ids=lambda x: getattr(x, "name", "?"))
def test_every_text_option_and_argument_that_is_not_text_is_refused_naming_it(command, param):
    ctx = click.Context(command)
    ctx.params = {param.name: (NOT_TEXT,) if param.multiple or param.nargs != 1 else NOT_TEXT}
    with pytest.raises(UsageRefused) as refused:
        refuse_not_text(ctx)
    name = param.opts[-1] if isinstance(param, click.Option) else param.human_readable_name
    assert refused.value.exit_code == 2
    assert refused.value.format_message() == (f"{name} is not text: character 4 comes from bytes that are not UTF-8; "
                                              "give it again as UTF-8 text (nothing was changed)")


@pytest.mark.parametrize(("args", "field"), [
    (["workorder", "create", "--customer", "25", "--description", NOT_TEXT], "--description"),
    (["customers", "--search", NOT_TEXT], "--search"),
    (["workorder", "show", NOT_TEXT], "NUMBER"),
    (["workorder", "add-material", "WO00001", NOT_TEXT, "1"], "ITEM_CODE"),
    (["--config", NOT_TEXT, "status"], "--config"),
])
def test_a_value_that_is_not_text_is_a_usage_error_and_changes_nothing(db, run, args, field):
    add_customer(db, "25")
    add_item(db, "M100")
    assert run("workorder", "create", "--customer", "25", "--description", "lekkage").exit_code == 0
    before = table_counts(db)
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {field} is not text: character 4 comes from bytes that are not UTF-8; give it "
                             "again as UTF-8 text (nothing was changed)\n")
    assert table_counts(db) == before


def test_bytes_that_are_not_utf8_on_a_real_command_line_are_refused(config_path):
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    for args, field in ([b"workorder", b"create", b"--customer", b"25", b"--description", b"caf\xe9 \xff"],
                        "--description"), ([b"customers", b"--search", b"\xff"], "--search"):
        result = subprocess.run([sys.executable.encode(), b"-m", b"exactsync", b"--config", bytes(config_path), *args],
                                capture_output=True, env=env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.decode().startswith(f"Error: {field} is not text")
        assert b"Traceback" not in result.stderr


def test_an_import_file_with_a_string_that_is_not_text_is_refused_naming_each_field(db, run, tmp_path):
    add_customer(db, "25")
    path = tmp_path / "orders.json"
    path.write_text('[{"customer": "25", "description": "caf\\ud800", "forms": [{"name": "K", "answers": '
                    '{"\\udfff?": "ja"}}], "materials": [{"item": "M", "quantity": 1, "description": "\\ud800"}]}]',
                    encoding="utf-8")
    before = table_counts(db)
    result = run("workorder", "import", str(path))
    assert result.exit_code == 1
    problem = "is not text: character {} is half of a UTF-16 pair (\\ud800 to \\udfff); write the text itself"
    assert result.stderr == (f"Error: {path} has 3 problems; nothing was imported:\n"
                             f"  entry 0, description: {problem.format(4)}\n"
                             f"  entry 0, forms[0].answers: {problem.format(1)}\n"
                             f"  entry 0, materials[0].description: {problem.format(1)}\n"
                             "fix them in the file and import it again\n")
    assert table_counts(db) == {**before, "log": before["log"] + 1}




# --- escape sequences from Exact -------------------------------------------------------------------------

CLEAR = "Bakkerij \x1b[2J\x1b]0;pwned\x07 \x9b31m\r\x7fDe Zon"  # clear screen, window title, C1 CSI, CR, DEL
CONTROLS = {chr(c) for c in [*range(0x00, 0x0a), *range(0x0b, 0x20), *range(0x7f, 0xa0)]}  # all but \n
SHOWN = "Bakkerij \\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m\\x0d\\x7fDe Zon"


@pytest.fixture
def hostile_store(db, run):
    from exactsync import log

    add_customer(db, "25", CLEAR, street=CLEAR, city="Utrecht")
    add_item(db, "M100", CLEAR)
    number = run("workorder", "create", "--customer", "25", "--description", "lekkage").stdout.strip()
    assert run("workorder", "add-material", number, "M100", "1").exit_code == 0
    log.warning(db, "customer", f"customer 25 ({CLEAR}) is odd", record="25", action=CLEAR)
    return number


def printed_commands(number: str) -> list[list[str]]:
    return [["customers"], ["items"], ["workaddress", "list", "25"], ["workorder", "list"],
            ["workorder", "show", number], ["log"], ["status"]]


def test_everything_printed_for_people_shows_control_characters_instead_of_sending_them(run, hostile_store):
    for args in printed_commands(hostile_store):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        printed = result.stdout + result.stderr
        assert not set(printed) & CONTROLS, args
        if args[0] != "status":
            assert "\\x1b[2J" in printed, args


def test_an_error_naming_a_record_from_exact_shows_its_control_characters():
    shown = io.StringIO()
    UserError(f"customer 25 ({CLEAR}) is blocked").show(shown)
    assert shown.getvalue() == f"Error: customer 25 ({SHOWN}) is blocked\n"


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("args", [["customers", "--json"], ["items", "--json"], ["workaddress", "list", "25", "--json"],
                                  ["log", "--json"]])
def test_json_keeps_every_value_with_its_control_characters_escaped(run, hostile_store, args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert not set(result.stdout) & CONTROLS
    read = [json.loads(line) for line in result.stdout.splitlines()] if args[0] == "log" else json.loads(result.stdout)
    assert any(CLEAR in text for text in strings_in(read))


def test_commands_print_for_people_only_through_the_output_layer():
    from pathlib import Path

    import exactsync

    package = Path(exactsync.__file__).parent
    printing = [*package.glob("commands/*.py"), package / "app.py", package / "connect.py"]
    for path in printing:
        if path.name != "_output.py":
            source = path.read_text()
            assert "click.echo(" not in source and not re.search(r"(?<![\w.])print\(", source), path
