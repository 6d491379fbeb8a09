"""Every Dutch text in the catalogs, checked for what a reviewer found wrong (issue 24), so that a new
message cannot bring it back: half plurals, `u` for `je`, raw setting keys, English words, and the words
the manual does not use for its things."""

import re

import pytest
from babel.messages.pofile import read_po

from exactsync import i18n
from exactsync.cli_language import METAVARS
from exactsync.config import SETTING_NAMES
from tests.helpers.language import english_in

CATALOGS = [i18n.LOCALE_DIR / "nl" / "LC_MESSAGES" / f"{domain}.po" for domain in ("exactsync", "click")]

# What to write instead, for a thing the manual names one way (one word for one thing).
WRONG_WORDS = {
    r"\((en|nen|s|es|sen|n)\)": "a plural: ngettext or nmsg with both forms",
    r"(?<![\w:])[Uu]w?(?![\w:])(?! referentie)": "je/jouw: the manual says je ('Uw referentie' is Exact's field label)",
    r"klantkaart": "klantenkaart",
    r"referentie klant": "klantreferentie",
    r"\brelaties?\b": "klant(en): one word for customers",
    r"\b[Ii]nlog(gen)?\b|\bin te loggen\b|\bverbonden\b|\bingelogd\b|\blog in\b":
        "aanmelding/aangemeld: one word for the Exact login",
    r"\brijen\b": "regels: one word for rows",
    r"\bhet daglimiet\b": "de daglimiet",
    r"\bdoor cleanup\b|\bvan cleanup\b": "de schoonmaak, as the manual calls the cleanup",
}


def entries():
    """(English, Dutch) of every catalog entry, each plural form its own pair."""
    for path in CATALOGS:
        with path.open("rb") as file:
            for message in read_po(file):
                if isinstance(message.id, tuple):
                    yield from zip(message.id, message.string, strict=True)
                elif message.id:
                    yield message.id, message.string


def as_typed_left_out(text: str) -> str:
    """The Dutch without what is typed or quoted as it is: placeholders, the config's sections and keys,
    options and commands, quoted names, example lines, environment variables and click's metavars."""
    text = re.sub(r"\{[^{}]*\}|`[^`]*`|'[^']*'|\"[^\"]*\"|\[\w+\]( \w+)?|--[\w-]+|\b\w+(-\w+)+\b|"
                  r"\b[A-Z][A-Z_]+\b", "", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("exactsync "))


@pytest.mark.parametrize("pattern, instead", WRONG_WORDS.items())
def test_no_dutch_text_uses_a_word_the_manual_does_not(pattern, instead):
    found = [dutch for _, dutch in entries() if re.search(pattern, as_typed_left_out(dutch))]
    assert found == [], f"write {instead}"


def test_no_dutch_text_names_a_setting_by_its_raw_key():
    """A setting is named by the manual's label; its key only where the config file is meant ([settings] key)."""
    keys = "|".join(SETTING_NAMES)
    found = [dutch for _, dutch in entries()
             if re.search(rf"(?<!\] )(?<![\w`-])({keys}|item_group_code|item_group_description|inactive_reason)\b",
                          re.sub(r"`[^`]*`|\{[^{}]*\}", "", dutch))]
    assert found == []


def test_no_dutch_text_holds_an_english_word():
    found = {english: words for english, dutch in entries()
             if (words := english_in(as_typed_left_out(dutch)) - {"OAuth"})}
    assert found == {}


def test_no_dutch_text_shows_a_python_list_or_repr():
    found = [dutch for _, dutch in entries() if re.search(r"\[['\"]|\bNone\b|\bTrue\b|\bFalse\b", dutch)]
    assert found == []


def test_every_metavar_has_its_dutch_in_capitals():
    dutch = dict(entries())
    assert all(dutch[word] and dutch[word] == dutch[word].upper() for word in METAVARS)
