"""Dutch all the way (issue 24): click's own words, the help of every command and option, the yes/no
question, and the language they come in (option, environment, config), with the English left as it was."""

import io
import re

import click
import click.testing
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from exactsync import cli_language, i18n
from exactsync import config as config_mod
from exactsync.cli import cli
from tests.helpers.cli_results import ok
from tests.helpers.language import english_in

CLICK_CATALOG = cli_language.i18n.LOCALE_DIR / "nl" / "LC_MESSAGES" / "click.po"


def every_command(group=cli, path=()):
    """(path, command) for every command and group, the root first."""
    yield path, group
    if isinstance(group, click.Group):
        for name in group.list_commands(click.Context(group)):
            yield from every_command(group.get_command(click.Context(group), name), (*path, name))


def typed_words_left_out(text: str) -> str:
    """`text` without what is typed as it is: the config's sections and keys ([settings], [store] path), the
    choices of an option ([open|planned]) and the commands (book-time, in an example line or the list)."""
    text = re.sub(r"\b[A-Z][A-Z_]+\b|\"\w+\"|\[\w+\]( \w+)?|\[[\w|]+\]|\b\w+(-\w+)+\b", "", text)
    commands = {name for path, _ in every_command() for name in path}
    return "\n".join(" ".join(word for word in line.split() if word not in commands) for line in text.splitlines()
                     if not line.lstrip().startswith(("exactsync ", "Gebruik: ")))


def test_every_text_of_click_has_its_dutch_and_the_shipped_catalog_is_compiled():
    with CLICK_CATALOG.open("rb") as file:
        catalog = read_po(file)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    in_click = {message if isinstance(message, str) else message[0]
                for _, _, message, *_ in extract_from_dir(click.__path__[0])}
    assert sorted(m for m in in_click if not translated.get(m) or not all(translated[m])) == [], "run make catalogs"
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert CLICK_CATALOG.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run make catalogs"


@pytest.mark.parametrize("path", [path for path, _ in every_command()], ids=" ".join)
def test_the_help_of_every_command_is_dutch_in_dutch_and_english_in_english(run, path):
    dutch = ok(run("--lang", "nl", *path, "--help"))
    assert dutch.startswith("Gebruik: cli") and "Opties:" in dutch and "Toon deze hulp en stop." in dutch
    assert english_in(typed_words_left_out(dutch)) == set(), dutch
    assert "OPTIONS" not in dutch and "[required]" not in dutch
    english = ok(run("--lang", "en", *path, "--help"))
    assert english.startswith("Usage: cli") and "Show this message and exit." in english


def test_the_english_help_is_the_code_s_own(run):
    help_text = ok(run("--lang", "en", "log", "--help"))
    assert "At most this many rows.  [default: 50; x>=1]" in help_text


def test_a_usage_error_is_dutch_with_its_range_in_words(run):
    result = run("--lang", "nl", "workorder", "book-time", "WO00001", "--employee", "Jan", "--work", "2000")
    assert result.exit_code == 2
    assert result.output == ("Gebruik: cli workorder book-time [OPTIES] NUMMER\n"
                             "Probeer 'cli workorder book-time --help' voor hulp.\n\n"
                             "Fout: Ongeldige waarde voor '--work': 2000 ligt niet tussen 1 en 1.440.\n")
    english = run("--lang", "en", "workorder", "book-time", "WO00001", "--employee", "Jan", "--work", "2000")
    assert english.output.endswith("Error: Invalid value for '--work': 2000 is not in the range 1<=x<=1440.\n")


@pytest.mark.parametrize("args, dutch", [
    (["log", "--limit", "x"], "Fout: Ongeldige waarde voor '--limit': 'x' is geen geldig geheel getal."),
    (["log", "--limit", "0"], "Fout: Ongeldige waarde voor '--limit': 0 is kleiner dan 1."),
    (["workorder", "show"], "Fout: Ontbrekend argument 'NUMMER'."),
    (["workorder", "book"], "Fout: Opdracht 'book' bestaat niet. Bedoel je 'book-time'?"),
    (["status", "--nope"], "Fout: Optie '--nope' bestaat niet."),
])
def test_usage_errors_are_dutch(run, args, dutch):
    result = run("--lang", "nl", *args)
    assert result.exit_code == 2 and result.output.rstrip().endswith(dutch), result.output
    assert "Gebruik: cli" in result.output and english_in(typed_words_left_out(result.output)) == set()


def test_the_help_and_usage_errors_follow_the_environment_and_the_config(run, config_path):
    assert ok(run("--help", env={"EXACTSYNC_LANG": "nl"})).startswith("Gebruik: cli [OPTIES] OPDRACHT")
    config_mod.update(config_mod.load(config_path), "interface", "language", "nl")
    assert ok(run("--help")).startswith("Gebruik:")
    assert ok(run("workorder", "--help")).startswith("Gebruik:")
    assert run("log", "--limit", "0").output.rstrip().endswith("0 is kleiner dan 1.")
    assert ok(run("--lang", "en", "--help")).startswith("Usage:")
    assert ok(run("--help", env={"EXACTSYNC_LANG": "en"})).startswith("Usage:")


@pytest.mark.parametrize("answer, yes", [("j", True), ("ja", True), ("JA", True), ("n", False), ("nee", False),
                                         ("", False), ("y", True), ("no", False)])
def test_the_yes_no_question_takes_dutch_and_english_answers(answer, yes):
    i18n.use("nl")
    with click.testing.CliRunner().isolation(input=f"{answer}\n") as (out, err, _):
        assert cli_language.confirm("Doorgaan?") is yes
    assert err.getvalue().decode().startswith("Doorgaan? [j/N]: ")


def test_an_answer_that_is_neither_asks_again_in_dutch():
    i18n.use("nl")
    with click.testing.CliRunner().isolation(input="misschien\nja\n") as (out, err, _):
        assert cli_language.confirm("Doorgaan?") is True
    assert "antwoord j of n" in err.getvalue().decode()


def test_a_declined_question_aborts_in_dutch(run, db):
    result = run("--lang", "nl", "wipe", "--customers", input="nee\n")
    assert result.exit_code == 1 and "[j/N]: " in result.output and result.output.endswith("Afgebroken.\n")
    english = run("--lang", "en", "wipe", "--customers", input="no\n")
    assert "[y/N]: " in english.output and english.output.endswith("Aborted!\n")


def test_every_offline_command_in_dutch_has_no_english(run, db, config_path, tmp_path):
    """Each command that needs no Exact, run as a Dutch office would, its output and its errors read."""
    from tests.helpers.factories import add_customer, add_item

    add_customer(db, "25", "Bakkerij Jansen")
    add_item(db, "M100", "Kraan messing")
    config_mod.update(config_mod.load(config_path), "interface", "language", "nl")
    config_mod.update(config_mod.load(config_path), "settings", "item_groups", ["Arbeid", "Materialen"])
    outputs = []

    def dutch(*args, code=0, input=None):
        result = run(*args, input=input)
        assert result.exit_code == code, (args, result.output)
        outputs.append(result.output)
        return result.stdout.strip()

    number = dutch("workorder", "create", "--customer", "25", "--description", "Lekkage")
    address = dutch("workaddress", "add", "25", "--street", "Kerkstraat 1", "--postcode", "3511 AA", "--city",
                    "Utrecht")
    dutch("workaddress", "list", "25")
    dutch("workorder", "plan", number, "--employee", "Jan", "--date", "08-12-2026", "--time", "8:30")
    dutch("workorder", "book-time", number, "--employee", "Jan", "--work", "90", "--travel", "15")
    dutch("workorder", "add-material", number, "M100", "0,25")
    dutch("workorder", "add-material", number, "M100", "1.500", code=1)
    dutch("workorder", "form", number, "Veiligheid", "--answer", "Gas dicht?=Ja")
    dutch("workorder", "complete", number)
    dutch("workorder", "pdf", number, "--out", str(tmp_path / "werkbon.pdf"))
    dutch("workorder", "archive", number)
    dutch("workorder", "show", number)
    dutch("workorder", "list")
    dutch("workorder", "set-customer", number, "--customer", "99", code=1)
    dutch("workaddress", "remove", address)
    dutch("customers")
    dutch("items", "--all")
    dutch("settings")
    dutch("status")
    dutch("log")
    dutch("wipe")
    dutch("wipe", "--items", input="nee\n", code=1)
    dutch("deactivate", "--yes")
    dutch("activate", code=1)
    dutch("init", code=1)
    shown = "\n".join(outputs).replace(str(tmp_path), "")
    data = {"Bakkerij", "Jansen", "Kraan", "messing", "Lekkage", "Kerkstraat", "Utrecht", "Veiligheid", "Gas", "dicht",
            "Jan", "Arbeid", "Materialen"}
    words = {w for w in english_in(typed_words_left_out(shown))} - data
    assert words == set(), shown
    for read in ("ingepland voor Jan op 08-12-2026 om 08:30", "(1 antwoord)", "Jan 08-12-2026 08:30", "0,25",
                 "aantal 1.500 is op twee manieren te lezen", "│ Artikelgroepen   │ Arbeid, Materialen │", "1 regel",
                 "[j/N]: nee\nAfgebroken.", "aanmelding bij Exact", "1 materiaalregel, 1 antwoord, 1 formulier"):
        assert read in shown, read
    assert "2026-12-08" not in shown and "['" not in shown and "item_groups" not in shown
