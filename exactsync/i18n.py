"""The language people read: English or Dutch, with gettext catalogs built by Babel.

Every text a person reads is an English msgid; exactsync/locale/nl/LC_MESSAGES/exactsync.po
holds its Dutch, and `make catalogs` extracts, updates and compiles the catalog.

Two ways to mark a text, both found by `pybabel extract` (keywords in babel.cfg):

- `_("last pull")`: a text rendered now, in the language in force (labels, headers,
  a line echoed to the terminal). `N_("...")` only marks a text for extraction, for a
  constant that is translated later with `_(...)`, such as a table of labels.
- `msg("work order {number} sent to Exact as draft invoice {invoice}", number=..., invoice=...)`:
  a text kept and rendered later, such as a log row or an error. Its key is the English
  template with named placeholders; `str(m)` renders `gettext(template).format(**params)`
  in the language in force at that moment, `m.english()` in English.

Parameters are plain values (str, int), or themselves a `msg(...)`: a value that needs
translating too, like the reason a run was skipped, is passed as a nested message
(`msg("{run} skipped: {reason}", run="push", reason=msg("the integration is not active yet"))`)
and rendered in the same language as the message around it. `as_json`/`from_json` store
a message as {"key": template, "params": {...}}, a nested one as the same dict.

A fixed set of stored English words (a run's outcome "ok", "failed") may instead be
marked with `N_` where it is written and translated with `_` where it is read.

A count that picks its words is `ngettext("{count} customer", "{count} customers", n)` now, or
`nmsg(singular, plural, n, ...)` kept for later (the count is its `count` parameter).

Numbers, amounts and dates are written as the language in force writes them (Babel's locale data):
`number`, `decimal`, `money`, `seconds`, `day`, `moment`. A message keeps its parameters
language-neutral (ISO dates, plain ints) and formats them when it renders, by the field's spec in
the template of the language it renders in: `{count:n}` groups thousands (4,383 / 4.383), `{day:date}`
writes an ISO date and `{at:time}` an ISO date and time (2026-12-07 23:07 / 07-12-2026 23:07). A
Dutch msgstr may carry a spec its English key does not: the key stays, the Dutch reads Dutch.

The language comes from `--lang`, else EXACTSYNC_LANG, else `[interface] language`
(the CLI calls `use` before the config is read when the first two give one).
"""

from __future__ import annotations

import gettext
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.numbers import format_currency, format_decimal

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
LANG_ENV = "EXACTSYNC_LANG"
DOMAIN = "exactsync"
LOCALE_DIR = Path(__file__).parent / "locale"

_ENGLISH = gettext.NullTranslations()
_current: gettext.NullTranslations = _ENGLISH
_language = DEFAULT_LANGUAGE
# Babel's locale of each language: its decimal comma, thousands separator and currency layout.
_LOCALES = {"en": "en", "nl": "nl_NL"}
# Dates as each language's reader writes them: English keeps ISO, Dutch writes them as the werkbon does.
_DATE_FORMATS = {"en": "%Y-%m-%d", "nl": "%d-%m-%Y"}
_TIME_FORMATS = {"en": "%Y-%m-%d %H:%M", "nl": "%d-%m-%Y %H:%M"}


def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English: the msgids themselves)."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {LANGUAGES}")
    if language == "en":
        return _ENGLISH
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def use(language: str) -> None:
    """From now on, render in `language`."""
    global _current, _language
    _current, _language = translations(language), language


def language() -> str:
    """The language in force."""
    return _language


def _language_of(catalog: gettext.NullTranslations) -> str:
    return catalog.info().get("language", DEFAULT_LANGUAGE) if catalog is not _ENGLISH else "en"


def number(value: int | float | Decimal, language: str | None = None) -> str:
    """A number with its thousands grouped and its decimals as the language writes them: 4,383 / 4.383."""
    return format_decimal(value, locale=_LOCALES[language or _language])


def decimal(value: float | Decimal, places: int, language: str | None = None) -> str:
    """A number to at most `places` decimals (trailing zeros left off): 0.25 / 0,25."""
    return format_decimal(value, format="#,##0." + "#" * places, locale=_LOCALES[language or _language])


def money(amount: float | Decimal, currency: str = "EUR") -> str:
    """An amount with its currency as the language writes it: €2,402.36 / € 2.402,36."""
    return format_currency(amount, currency, locale=_LOCALES[_language])


def quantity(text: str) -> str:
    """A stored quantity (its plain digits, "0.25") as the language writes it, to Exact's 4 decimals: 0,25."""
    return decimal(Decimal(text), 4)


def amount(value: float | Decimal) -> str:
    """An amount to two decimals, without its currency (a column of them): 2,402.36 / 2.402,36."""
    return format_decimal(value, format="#,##0.00", locale=_LOCALES[_language])


def tenths(value: float) -> str:
    """A measurement to one decimal, such as seconds taken: 6.2 / 6,2."""
    return format_decimal(value, format="#,##0.0", locale=_LOCALES[_language])


def ambiguous_grouping(text: str) -> tuple[str, str] | None:
    """A typed number with one separator that the language in force groups thousands with, followed by three
    digits ("1.500" in Dutch, "1,500" in English): its two readings, grouped and with decimals, each as it is
    typed without doubt ("1500", "1,5"); None when the text reads one way only."""
    thousands = {"en": ",", "nl": "."}[_language]
    whole, separator, fraction = text.strip().partition(thousands)
    if not (separator and whole.isdigit() and len(fraction) == 3 and fraction.isdigit()):
        return None
    return whole + fraction, decimal(Decimal(f"{whole}.{fraction}"), 3)


def day(value: date | str, language: str | None = None) -> str:
    """A calendar date (or its ISO text): 2026-12-07 / 07-12-2026."""
    value = date.fromisoformat(value) if isinstance(value, str) else value
    return value.strftime(_DATE_FORMATS[language or _language])


def moment(value: datetime | str, language: str | None = None) -> str:
    """A wall-clock date and time (or its ISO text), to the minute: 2026-12-07 23:07 / 07-12-2026 23:07."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value.strftime(_TIME_FORMATS[language or _language])


def _(text: str) -> str:
    return _current.gettext(text)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of `count` in the language in force (Dutch and English: one, or the plural)."""
    return _current.ngettext(singular, plural, count)


def N_(text: str) -> str:
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message's singular and plural for extraction, for `nmsg(*pair, count)` later."""
    return singular, plural


class _Fields(string.Formatter):
    """Formats a message's fields by their spec, in one language (see the module's docstring)."""

    def __init__(self, language: str):
        self.language = language

    def format_field(self, value, spec: str) -> str:
        if spec == "n" and isinstance(value, int | float):
            return number(value, self.language)
        try:
            if spec == "date":
                return day(value, self.language)
            if spec == "time":
                return moment(value, self.language)
        except ValueError:  # not an ISO text (a row written before): shown as it was stored
            return str(value)
        return super().format_field(value, spec)


@dataclass(frozen=True)
class Msg:
    template: str
    params: dict = field(default_factory=dict)
    plural: str | None = None  # the plural of `template`, chosen by the `count` parameter

    def render(self, catalog: gettext.NullTranslations | None = None) -> str:
        catalog = catalog or _current
        values = {name: value.render(catalog) if isinstance(value, Msg) else value
                  for name, value in self.params.items()}
        template = (catalog.ngettext(self.template, self.plural, self.params["count"]) if self.plural
                    else catalog.gettext(self.template))
        return _Fields(_language_of(catalog)).format(template, **values)

    def english(self) -> str:
        return self.render(_ENGLISH)

    def __str__(self) -> str:
        return self.render()

    @property
    def key(self) -> str:
        """The template; a plural message's is its singular and plural joined by NUL, as gettext keys it."""
        return f"{self.template}\x00{self.plural}" if self.plural else self.template

    def as_json(self) -> dict:
        return {"key": self.key,
                "params": {name: value.as_json() if isinstance(value, Msg) else value
                           for name, value in self.params.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Msg:
        template, _, plural = data["key"].partition("\x00")
        return cls(template, {name: cls.from_json(value) if isinstance(value, dict) else value
                              for name, value in data["params"].items()}, plural or None)


def msg(template: str, **params: str | int | Msg) -> Msg:
    for name, value in params.items():
        if not isinstance(value, (str, int, Msg)):
            raise TypeError(f"message parameter {name}={value!r}: pass a str, an int or a msg(...)")
    return Msg(template, params)


def nmsg(singular: str, plural: str, count: int, **params: str | int | Msg) -> Msg:
    """A message whose words follow `count` (its `count` parameter): "1 customer", "3 customers"."""
    return Msg(singular, msg(singular, count=count, **params).params, plural)


def message_of(exc: BaseException) -> str | Msg:
    """An exception's message as a parameter: its msg(...) when raised with one, else its text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Msg) and type(exc).__str__ is BaseException.__str__:
        return exc.args[0]
    return str(exc)
