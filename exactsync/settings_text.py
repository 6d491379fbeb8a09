"""The settings as the office reads them: each by the manual's label, each value in words, a list as a list.

The config keeps its keys (`travel_time_item`) and values (`work_address`); `settings`, `check-settings`
and the log show the manual's words for them ("Artikel reistijd", "werkadres") in the reader's language.
"""

from __future__ import annotations

from exactsync.i18n import N_, Msg, _, msg

# The labels of the manual's settings screen (chapter 5), in English beside them.
LABELS = {"division": N_("Division"), "journal": N_("Journal"), "travel_time_item": N_("Travel time item"),
          "work_time_item": N_("Work time item"), "item_groups": N_("Item groups"), "memo": N_("Remarks"),
          "default_item": N_("Default item"), "your_ref": N_("Your reference"), "pdfs": N_("PDFs"),
          "document_type": N_("Document type"), "scope": N_("Scope")}
# The choices of the settings that are a choice, in words.
CHOICES = {"none": N_("none"), "work_address": N_("work address"), "work_description": N_("work description"),
           "both": N_("both"), "workorder_number": N_("work order number"),
           "customer_reference": N_("customer reference"), "workorder": N_("work order"),
           "forms": N_("custom forms")}
CHOICE_SETTINGS = ("memo", "your_ref", "pdfs")


def label(name: str) -> Msg:
    """A setting's label as a message, to render (or store) in the reader's language."""
    return msg(LABELS[name]) if name in LABELS else msg("{name}", name=name)


def shown(name: str, value) -> str:
    """A setting's value in words: a list as "a, b", a choice by its label, nothing as "(none)"."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or _("(all groups)")
    if name in CHOICE_SETTINGS and value in CHOICES:
        return _(CHOICES[value])
    if value in ("", None) or (name == "division" and value == 0):
        return _("(not set)")
    return str(value)
