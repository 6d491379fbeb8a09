"""Click's own words in the language in force: its messages, the help, the yes/no question.

Click asks gettext for its texts (`from gettext import gettext as _` and `ngettext` in each of its
modules), so `install` points those names at the catalog of domain "click" in the language in force
(exactsync/locale/nl/LC_MESSAGES/click.po, kept by `make catalogs` from click's own source): the
usage line, "Error:", "Aborted!", the usage errors. Click fills some values in English after
translating (a range as `1<=x<=1440`, a type's name, a metavar such as NUMBER); `_ClickTemplate`
words those too.

The help of the commands and options stays English in the code (docstrings, `help=`); `HelpFormatter`
looks each text up in the exactsync catalog when the help is written (babel.cfg extracts them with
`help_texts`), so the English help is exactly what the code says.
"""

from __future__ import annotations

import ast
import gettext
import importlib
import inspect
import os
import re
import tomllib
from pathlib import Path

import click

from exactsync import i18n
from exactsync.config import DEFAULT_CONFIG_NAME
from exactsync.i18n import N_, _

CLICK_DOMAIN = "click"
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")

# The capitals in the usage line and beside the options: click's own, the names of the arguments and the
# metavars of the options, longest first ("INTEGER RANGE" before "INTEGER").
METAVARS = sorted((
    N_("OPTIONS"), N_("COMMAND"), N_("ARGS"), N_("TEXT"), N_("INTEGER RANGE"), N_("INTEGER"), N_("PATH"),
    N_("FILE"), N_("DIRECTORY"), N_("FILENAME"), N_("NUMBER"), N_("MINUTES"), N_("WHEN"), N_("NAME"),
    N_("NAMES"), N_("YYYY-MM-DD"), N_("HH:MM"), N_("QUESTION=ANSWER"), N_("ADDRESS_ID"), N_("BOOKING_ID"),
    N_("CUSTOMER_CODE"), N_("FORM_NAME"), N_("ITEM_CODE"), N_("MATERIAL_ID"), N_("QUANTITY")), key=len, reverse=True)
TYPE_NAMES = {"integer": N_("integer"), "integer range": N_("integer"), "float": N_("decimal number"),
              "boolean": N_("yes or no"), "text": N_("text")}
_METAVAR = re.compile("|".join(rf"(?<![\w-]){re.escape(word)}(?![\w-])" for word in METAVARS))
_RANGE = re.compile(r"^(?:(?P<low>-?[\d.]+)(?P<lop><=?))?x(?:(?P<hop>>=?|<=?)(?P<bound>-?[\d.]+))?$")
YES = ("y", "yes", "j", "ja")
NO = ("n", "no", "nee")


def _click_catalog() -> gettext.NullTranslations:
    if i18n.language() == "en":
        return gettext.NullTranslations()
    return gettext.translation(CLICK_DOMAIN, localedir=i18n.LOCALE_DIR, languages=[i18n.language()])


def metavars(text: str) -> str:
    """Click's capital words (OPTIONS, NUMBER, MINUTES) in the language in force."""
    return _METAVAR.sub(lambda found: _(found.group()), text)


def _range(text: str) -> tuple[str | None, str | None] | None:
    """Click's closed range `1<=x<=1440`, `x>=1` or `x<=5` as its ends (grouped), None for another form."""
    found = _RANGE.match(text.strip())
    if not found or found["lop"] == "<" or found["hop"] in ("<", ">"):
        return None
    low, high = (found["bound"], None) if found["hop"] == ">=" else (found["low"], found["bound"])
    return _range_end(low), _range_end(high)


def describe_range(text: str) -> str:
    """Click's `1<=x<=1440` or `x>=1` in words: "between 1 and 1440", "at least 1"."""
    ends = _range(text)
    if ends is None:
        return text
    low, high = ends
    if low is None:
        return i18n.msg("at most {high}", high=high).render()
    if high is None:
        return i18n.msg("at least {low}", low=low).render()
    return i18n.msg("between {low} and {high}", low=low, high=high).render()


def refuse_range(text: str) -> str:
    """What is wrong with a value outside click's range, to follow the value: "is not between 1 and 1440"."""
    ends = _range(text)
    if ends is None:
        return text
    low, high = ends
    if low is None:
        return i18n.msg("is more than {high}", high=high).render()
    if high is None:
        return i18n.msg("is less than {low}", low=low).render()
    return i18n.msg("is not between {low} and {high}", low=low, high=high).render()


def _range_end(text: str | None) -> str | None:
    if text is None:
        return None
    return i18n.number(float(text) if "." in text else int(text))


def _click_value(name: str, value):
    if not isinstance(value, str):
        return value
    if name == "range":
        return refuse_range(value)
    if name == "number_type":
        return _(TYPE_NAMES.get(value, value))
    if name in ("param_hint", "param_type"):
        return metavars(value)
    return value


class _ClickTemplate(str):
    """A translated click message that words the values click fills in English."""

    def format(self, *args, **kwargs) -> str:
        if i18n.language() == "en":
            return super().format(*args, **kwargs)
        return super().format(*args, **{name: _click_value(name, value) for name, value in kwargs.items()})


# Click's help for its own options, which it keeps on the option once made: left English there, and
# translated when the help is written (HelpFormatter), so each run shows it in its own language.
_OPTION_HELP = {"Show this message and exit.", "Show the version and exit."}


def click_gettext(message: str) -> str:
    if message in _OPTION_HELP:
        return message
    return _ClickTemplate(_click_catalog().gettext(message))


def click_ngettext(singular: str, plural: str, count: int) -> str:
    return _ClickTemplate(_click_catalog().ngettext(singular, plural, count))


def install() -> None:
    """Give click's texts the catalog of the language in force, and its help the translating formatter."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext
    click.Context.formatter_class = HelpFormatter


# Click's words beside an option's help that it leaves untranslated.
_EXTRAS = (N_("required"),)


def help_text(text: str) -> str:
    """A command's or an option's help as the language in force has it: from the exactsync catalog, else
    from click's (its own options, --help and --version, whose help click wrote before --lang was read)."""
    translated = _(text)
    return translated if translated != text else _click_catalog().gettext(text)


def _help_with_extras(text: str) -> str:
    """An option's help, `help  [env var: X; default: Y; x>=1]`: the help from the catalog, the range in words."""
    if i18n.language() == "en":
        return text
    head, separator, extras = text.rpartition("  [")
    if not separator:
        head, extras = ("", text[1:]) if text.startswith("[") and text.endswith("]") else (text, "")
        if not extras:
            return help_text(text)
    parts = [help_text(describe_range(part)) for part in extras.removesuffix("]").split("; ")]
    return (f"{help_text(head)}  " if head else "") + "[" + "; ".join(parts) + "]"


def name_missing(error: click.MissingParameter) -> None:
    """Click writes the name of a missing argument (`'NUMBER'`) after its translated words: word it too."""
    if error.param_hint is None and error.param is not None and error.ctx is not None:
        error.param_hint = metavars(error.param.get_error_hint(error.ctx))


class TranslatedChoice(click.Choice):
    """A choice typed as its value or as its label in the language in force (`--kind waarschuwing` is
    `--kind warning`), and listed by its labels in that language."""

    def __init__(self, labels: dict[str, str]):
        super().__init__(tuple(labels), case_sensitive=False)
        self.labels = labels

    def normalize_choice(self, choice, ctx: click.Context | None) -> str:
        if choice in self.labels:
            return _(self.labels[choice]).casefold()
        return super().normalize_choice(choice, ctx)


class HelpFormatter(click.HelpFormatter):
    """Click's help layout, with each English help text replaced by its translation as it is written."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, metavars(args), prefix)

    def write_text(self, text: str) -> None:
        super().write_text(help_text(text))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(metavars(term), _help_with_extras(text)) for term, text in rows], col_max, col_spacing)


class HelpGroup(click.Group):
    """A group whose list of commands shows each command's short help translated before it is shortened."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        rows = [(name, short_help(command.short_help or command.help or "", limit)) for name, command in commands]
        with formatter.section(click_gettext("Commands")):
            formatter.write_dl(rows)


def short_help(text: str, limit: int) -> str:
    """The first sentence of a help text, translated, shortened to `limit` as click does."""
    return click.Command("", help=help_text(inspect.cleandoc(text).partition("\f")[0])).get_short_help_str(limit)


def configured_language(config_path: str | os.PathLike) -> str | None:
    """`[interface] language` of the config at `config_path`, or None when there is none to read: enough to
    write the help and the usage errors in it before the config is loaded (and checked) by a command."""
    try:
        with Path(config_path).open("rb") as file:
            language = tomllib.load(file).get("interface", {}).get("language")
    except (OSError, ValueError, AttributeError):
        return None
    return language if language in i18n.LANGUAGES else None


def choose_language_early(ctx: click.Context, config_path: str | None = None) -> None:
    """The language for what click writes before a command runs (help, usage errors): the environment's,
    else the config's, else English; `--lang` then overrides it (see choose_language)."""
    if ctx.meta.get("language_chosen"):
        return
    language = os.environ.get(i18n.LANG_ENV)
    if language not in i18n.LANGUAGES:
        language = configured_language(config_path or os.environ.get("EXACTSYNC_CONFIG") or DEFAULT_CONFIG_NAME)
    i18n.use(language or i18n.DEFAULT_LANGUAGE)


def choose_language(ctx: click.Context, _param: click.Parameter, language: str | None) -> str | None:
    """`--lang`'s callback: from here on, click writes in `language` too."""
    if language:
        ctx.meta["language_chosen"] = True
        i18n.use(language)
    return language


def choose_config(ctx: click.Context, _param: click.Parameter, config_path: str) -> str:
    """`--config`'s callback: its `[interface] language`, unless --lang or the environment chose one."""
    choose_language_early(ctx, config_path)
    return config_path


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal, default no: `[y/N]` accepting y/yes/n/no in English,
    `[j/N]` accepting j/ja/n/nee in Dutch (either language's answers are taken)."""
    while True:
        choices = _("y/N")
        answer = click.prompt(question, default="", show_default=False, err=True,
                              prompt_suffix=f" [{choices}]: ").strip().lower()
        if answer in YES:
            return True
        if answer in NO or answer == "":
            return False
        click.echo(_("answer y or n"), err=True)


def extract(fileobj, keywords, comment_tags, options):
    """Babel extractor (babel.cfg): the marked messages as Babel's Python extractor finds them, then the help
    of every command and option as click shows it (a docstring cleaned, its first sentence as the short
    help in a list of commands, each `help=`), which `make catalogs` would otherwise not see."""
    # Imported here: only `make catalogs` and the catalog's tests extract.
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    for node in ast.walk(ast.parse(fileobj.read().decode("utf-8"))):
        if isinstance(node, ast.FunctionDef) and _is_click_command(node) and ast.get_docstring(node):
            text = inspect.cleandoc(ast.get_docstring(node)).partition("\f")[0]
            yield node.lineno, None, text, []
            yield node.lineno, None, click.Command("", help=text).get_short_help_str(10**6), []
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in ("help", "short_help") and isinstance(keyword.value, ast.Constant):
                    yield node.lineno, None, inspect.cleandoc(keyword.value.value), []


def _is_click_command(function: ast.FunctionDef) -> bool:
    def name(decorator):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")

    return any(name(decorator) in ("command", "group") for decorator in function.decorator_list)
