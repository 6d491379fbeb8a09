import os
import stat
import tomllib

import pytest

from exactsync import config as config_mod
from exactsync.errors import ConfigError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_keys_are_missing(tmp_path):
    config = config_mod.load(write(tmp_path / "c.toml", ""))
    assert config.base_url == "https://start.exactonline.nl"
    assert config.redirect_uri == ""  # the https address registered for the app: no default
    assert config.store_path == tmp_path / "exactsync.db"
    assert config.retention_days == 90
    assert config.settings.memo == "none"
    assert config.settings.item_groups == ()


def test_store_path_is_relative_to_the_config_folder(tmp_path, monkeypatch):
    (tmp_path / "etc").mkdir()
    config = config_mod.load(write(tmp_path / "etc" / "c.toml", '[store]\npath = "data/x.db"\n'))
    assert config.store_path == tmp_path / "etc" / "data" / "x.db"


def test_every_problem_is_reported_at_once_with_its_key(tmp_path, run):
    path = write(tmp_path / "bad.toml", """
[exact]
client_idd = "x"
base_url = 12

[settings]
memo = "everything"
division = "123"
item_groups = "Diensten"
pdfs = "both"

[log]
retention_days = true

[extra]
x = 1
""")
    result = run("--config", str(path), "status")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: config {path} has 7 problems:\n"
        "  [extra]: unknown table (known: exact, store, settings, workorders, log, interface, monitoring)\n"
        "  [exact] base_url: must be a string, got 12 (int)\n"
        "  [settings] division: must be a whole number, got '123'\n"
        "  [settings] item_groups: must be a list of strings, got 'Diensten'\n"
        "  [settings] memo: must be one of none, work_address, work_description, both; got 'everything'\n"
        "  [log] retention_days: must be a whole number, got True (bool)\n"
        "  [exact] client_idd: unknown key\n"
    )


def test_a_config_with_errors_says_so_in_dutch(tmp_path, run):
    path = write(tmp_path / "bad.toml", '[settings]\nmemo = "everything"\ndivision = -1\n\n[log]\nretention_days = 99999\n'
                                        '[extra]\n[interface]\ntimezone = "Amsterdam"\nlanguag = "nl"\n')
    result = run("--lang", "nl", "--config", str(path), "status")
    assert result.exit_code == 1
    assert result.output == (
        f"Foutmelding: configuratie {path} heeft 6 problemen:\n"
        "  [extra]: onbekende tabel (bekend: exact, store, settings, workorders, log, interface, monitoring)\n"
        "  [settings] division: mag niet negatief zijn, maar is -1\n"
        "  [settings] memo: moet een van none, work_address, work_description, both zijn, maar is 'everything'\n"
        "  [log] retention_days: mag hoogstens 36500 zijn, maar is 99999\n"
        "  [interface] timezone: 'Amsterdam' is geen IANA-tijdzonenaam, zoals Europe/Amsterdam of Europe/Brussels\n"
        "  [interface] languag: onbekende sleutel\n")
    broken = write(tmp_path / "broken.toml", "[exact]\nclient_id = \n")
    assert run("--lang", "nl", "--config", str(broken), "status").output.startswith(
        f"Foutmelding: configuratie {broken} heeft 1 probleem:\n  geen geldige TOML: ")
    assert run("--lang", "en", "--config", str(path), "status").output.startswith(
        f"Error: config {path} has 6 problems:\n  [extra]: unknown table")


def test_invalid_toml_names_the_file_and_the_line(tmp_path, run):
    path = write(tmp_path / "broken.toml", "[exact]\nclient_id = \n")
    result = run("--config", str(path), "status")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: config {path} has 1 problem:\n  not valid TOML: ")
    assert "line 2" in result.output


def test_unreadable_file(tmp_path, run):
    path = write(tmp_path / "latin1.toml", "")
    path.write_bytes(b'[exact]\nclient_id = "\xe9"\n')
    result = run("--config", str(path), "status")
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_missing_file_says_what_to_do(tmp_path, run):
    result = run("--config", str(tmp_path / "nope.toml"), "status")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: config file {tmp_path / 'nope.toml'} does not exist: run `exactsync init` to create it, "
        "or pass --config (or set EXACTSYNC_CONFIG) to use another one\n"
    )


def test_config_from_environment_variable(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from exactsync.cli import cli

    path = tmp_path / "elsewhere.toml"
    config_mod.write_new(path, {"store": {"path": "env.db"}})
    monkeypatch.setenv("EXACTSYNC_CONFIG", str(path))
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()


def test_client_secret_from_environment_wins(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    config_mod.write_new(path, {"exact": {"client_secret": "in-file"}})
    assert config_mod.load(path).client_secret == "in-file"
    monkeypatch.setenv("EXACTSYNC_CLIENT_SECRET", "from-env")
    assert config_mod.load(path).client_secret == "from-env"


def test_example_file_is_the_generated_one_and_valid():
    from pathlib import Path

    example = Path(__file__).parent.parent / "config.example.toml"
    assert example.read_text(encoding="utf-8") == config_mod.example_text()
    problems, _ = config_mod.validate(tomllib.loads(example.read_text()))
    assert problems == []
    for key in config_mod.KEYS:
        assert f"# {key.doc}" in example.read_text()


def test_init_writes_a_private_config_and_refuses_to_overwrite(tmp_path, run):
    path = tmp_path / "new.toml"
    result = run("--config", str(path), "init", "--client-id", "abc")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config_mod.load(path).client_id == "abc"
    again = run("--config", str(path), "init")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_update_rewrites_one_key(config_path):
    config = config_mod.load(config_path)
    updated = config_mod.update(config, "settings", "division", 123456)
    assert updated.settings.division == 123456
    assert stat.S_IMODE(os.stat(config_path).st_mode) == 0o600


def test_update_refuses_an_invalid_value(config_path):
    with pytest.raises(ConfigError):
        config_mod.update(config_mod.load(config_path), "settings", "memo", "all")


def test_a_refused_update_leaves_the_file_as_it_was(config_path):
    before = config_path.read_bytes()
    with pytest.raises(ConfigError):
        config_mod.update(config_mod.load(config_path), "settings", "memo", "all")
    assert config_path.read_bytes() == before
