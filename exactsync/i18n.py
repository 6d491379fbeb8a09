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

The language comes from `--lang`, else EXACTSYNC_LANG, else `[interface] language`
(the CLI calls `use` before the config is read when the first two give one).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
LANG_ENV = "EXACTSYNC_LANG"
DOMAIN = "exactsync"
LOCALE_DIR = Path(__file__).parent / "locale"

_ENGLISH = gettext.NullTranslations()
_current: gettext.NullTranslations = _ENGLISH
_language = DEFAULT_LANGUAGE
# Digit grouping as each language writes it: 1,000 in English is 1.000 in Dutch.
_THOUSANDS = {"en": ",", "nl": "."}


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


def number(value: int) -> str:
    """A whole number with its thousands grouped, as the language in force writes it."""
    return f"{value:,}".replace(",", _THOUSANDS[_language])


def _(text: str) -> str:
    return _current.gettext(text)


def N_(text: str) -> str:
    return text


@dataclass(frozen=True)
class Msg:
    template: str
    params: dict = field(default_factory=dict)

    def render(self, catalog: gettext.NullTranslations | None = None) -> str:
        catalog = catalog or _current
        values = {name: value.render(catalog) if isinstance(value, Msg) else value
                  for name, value in self.params.items()}
        return catalog.gettext(self.template).format(**values)

    def english(self) -> str:
        return self.render(_ENGLISH)

    def __str__(self) -> str:
        return self.render()

    def as_json(self) -> dict:
        return {"key": self.template,
                "params": {name: value.as_json() if isinstance(value, Msg) else value
                           for name, value in self.params.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Msg:
        return cls(data["key"], {name: cls.from_json(value) if isinstance(value, dict) else value
                                 for name, value in data["params"].items()})


def msg(template: str, **params: str | int | Msg) -> Msg:
    for name, value in params.items():
        if not isinstance(value, (str, int, Msg)):
            raise TypeError(f"message parameter {name}={value!r}: pass a str, an int or a msg(...)")
    return Msg(template, params)


def message_of(exc: BaseException) -> str | Msg:
    """An exception's message as a parameter: its msg(...) when raised with one, else its text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Msg) and type(exc).__str__ is BaseException.__str__:
        return exc.args[0]
    return str(exc)
