"""Verify every setting against Exact, like the manual's "Controleer" buttons (R14, chapters 5-6).

Each check reads what it needs from Exact and judges it with a pure function, so
the judgement is tested on plain payloads and the reading against the sandbox.
All settings are checked in one run; one failing read does not stop the others.
First, one cheap read per scope the settings need proves the app may use it: a
missing scope would otherwise only show at the first pull or push.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce

import sqlite_utils

from exactsync.config import ITEM_SETTINGS, KEYS, Settings
from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.exact.errors import (
    DailyLimitReached,
    DivisionNotInScope,
    ExactApiError,
    ReconnectNeeded,
    ScopeViolation,
    daily_limit_stops,
)
from exactsync.exact.scopes import tick_action
from exactsync.i18n import Msg, message_of, msg
from exactsync.store import state, transaction
from exactsync.sync import mapping
from exactsync.timeutil import utcnow

SALES_JOURNAL_TYPE = 20
# "General attachment", named only in a code comment of a public integration (exact-online-api.md sections
# 10-11): recommended where the division lists it as creatable, never assumed (the default stays 10, the
# one documented, recorded type: see config.KEYS).
GENERAL_ATTACHMENT = 183
JOURNAL_TYPES = {10: msg("cash"), 12: msg("bank"), 16: msg("payment service"), 20: msg("sales"),
                 21: msg("sales return"), 22: msg("purchase"), 23: msg("purchase return"), 90: msg("general")}


@dataclass(frozen=True)
class Verdict:
    setting: str  # a [settings] key, or "scope" for a scope the settings need (value: its name)
    value: str | Msg
    problem: str | Msg = ""  # empty when the setting is OK
    fix: str | Msg = ""
    checked: bool = True  # False: Exact could not be asked, so the value may well be right

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class ScopeProbe:
    """One cheap read that only succeeds when the app may use `scope` (see exactsync.exact.scopes)."""

    scope: str
    used_for: Msg
    path: str
    params: dict
    needed: Callable[[Settings], bool] = lambda settings: True


SCOPE_PROBES = (
    ScopeProbe("Organization administration", msg("the division and deletions in Exact"), "system/Divisions",
               {"$select": "Code", "$top": "1"}),
    ScopeProbe("Crm accounts", msg("customers and their addresses"), "sync/CRM/Accounts",
               {"$filter": "Timestamp gt 1L", "$select": "Timestamp", "$top": "1"}),
    ScopeProbe("Logistics items", msg("items and item groups"), "sync/Logistics/Items",
               {"$filter": "Timestamp gt 1L", "$select": "Timestamp", "$top": "1"}),
    ScopeProbe("Financial generalledgers", msg("the sales journal"), "financial/Journals",
               {"$select": "Code", "$top": "1"}),
    ScopeProbe("Sales invoices", msg("the draft sales invoices"), "salesinvoice/SalesInvoices",
               {"$select": "InvoiceID", "$top": "1"}),
    ScopeProbe("Organization documents", msg("the PDFs on the customer's documents"), "documents/DocumentTypes",
               {"$select": "ID", "$top": "1"}, needed=lambda settings: settings.pdfs != "none"),
)


class NotReached(Exception):
    """Exact cannot be asked (no login, no answer, the day's calls spent): check-settings stops and
    records nothing. Not an ExactsyncError, so that no read takes it for its own failure; the command
    reports it as one."""


def fingerprint(settings: Settings) -> str:
    canonical = json.dumps(settings.as_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- judgements: pure functions on what Exact returned ----------------------

def judge_division(division: int, divisions: list[dict]) -> Verdict:
    value = str(division)
    if division == 0:
        return Verdict("division", value, msg("no division is set"),
                       msg("run exactsync connect, or set [settings] division to the number shown top left in Exact"))
    if not any(odata.parse_int64(d.get("Code")) == division for d in divisions):
        known = ", ".join(str(odata.parse_int64(d.get("Code"))) for d in divisions[:10])
        return Verdict("division", value, msg("division {division} is not known in Exact for this login",
                                              division=division),
                       msg("use one of: {divisions}", divisions=known) if known
                       else msg("log in to Exact with a user of that administration"))
    return Verdict("division", value)


def judge_journal(code: str, journals: list[dict]) -> Verdict:
    if not code:
        return Verdict("journal", code, msg("no sales journal is set"),
                       msg("set [settings] journal to the code of your sales journal, e.g. \"70\""))
    match = next((j for j in journals if str(j.get("Code", "")).strip() == code), None)
    if match is None:
        sales = ", ".join(f"{str(j['Code']).strip()} ({j.get('Description', '')})"
                          for j in sorted(journals, key=lambda j: str(j["Code"]).strip())
                          if j.get("Type") == SALES_JOURNAL_TYPE)
        return Verdict("journal", code, msg("journal {code} does not exist in this division", code=code),
                       msg("sales journals here: {journals}", journals=sales) if sales
                       else msg("create a sales journal in Exact"))
    if match.get("Type") != SALES_JOURNAL_TYPE:
        kind = JOURNAL_TYPES.get(match.get("Type")) or msg("type {type}", type=str(match.get("Type")))
        return Verdict("journal", code,
                       msg("journal {code} ({description}) is a {kind} journal, not a sales journal",
                           code=code, description=str(match.get("Description", "")), kind=kind),
                       msg("choose a journal of type sales (Verkoopboek)"))
    return Verdict("journal", code)


def judge_item(setting: str, code: str, items: list[dict], today: date) -> Verdict:
    if not code:
        return Verdict(setting, code)  # empty: that line is simply not booked
    match = next((i for i in items if str(i.get("Code", "")).strip() == code), None)
    if match is None:
        return Verdict(setting, code, msg("item {code} does not exist in Exact", code=code),
                       msg("use the code of an existing sales item, or leave it empty to not book this line"))
    inactive = mapping.item_inactive_reason(match, today)
    if inactive:
        return Verdict(setting, code, msg("item {code} {reason}", code=code, reason=inactive),
                       msg("choose an active sales item in Exact"))
    return Verdict(setting, code)


def judge_item_groups(names: tuple[str, ...], groups: list[dict]) -> Verdict:
    value = ", ".join(names)
    if not names:
        return Verdict("item_groups", msg("(all groups)"))
    spelled = {g.get(field) for g in groups for field in ("Code", "Description") if g.get(field)}
    problems, fixes = [], []
    for name in names:
        if name in spelled:
            continue
        same_but_case = sorted(s for s in spelled if s.casefold() == name.casefold())
        problems.append(msg("item group {name} does not exist", name=repr(name)))
        if same_but_case:
            spellings = reduce(lambda either, other: msg("{either} or {other}", either=either, other=other),
                               (repr(s) for s in same_but_case))
            fixes.append(msg("the field is case-sensitive: write {spellings}", spellings=spellings))
        else:
            fixes.append(msg("check the spelling of {name} in Exact (Artikelgroepen)", name=repr(name)))
    if problems:
        return Verdict("item_groups", value, _listed(problems), _listed(fixes))
    return Verdict("item_groups", value)


def _listed(parts: list[Msg]) -> Msg:
    """Several problems (or fixes) as one message: "a; b; c"."""
    return reduce(lambda listed, part: msg("{listed}; {next}", listed=listed, next=part), parts)


def judge_choice(setting: str, value: str) -> Verdict:
    choices = next(k.choices for k in KEYS if k.table == "settings" and k.name == setting)
    if value not in choices:
        listed = ", ".join(choices)
        return Verdict(setting, value, msg("{value} is not one of {choices}", value=repr(value), choices=listed),
                       msg("set one of {choices}", choices=listed))
    return Verdict(setting, value)


def judge_document_type(code: int, types: list[dict]) -> Verdict:
    value = str(code)
    creatable = sorted((t for t in types if t.get("DocumentIsCreatable")), key=lambda t: odata.parse_int64(t["ID"]))
    listing = ", ".join(_document_type(t) for t in creatable)
    general = next((t for t in creatable if odata.parse_int64(t["ID"]) == GENERAL_ATTACHMENT), None)
    advice = msg("recommended: {type}, a general attachment type: Exact files the PDFs of the invoices it "
                 "processes as type 10 (sales invoice), and a werkbon filed as 10 sits among them",
                 type=_document_type(general)) if general and code != GENERAL_ATTACHMENT else ""
    hint = msg("set [settings] document_type to one that can be created here: {types}", types=listing) if listing \
        else msg("no document type can be created in this division: set [settings] pdfs = \"none\", "
                 "or ask Exact support")
    if advice:
        hint = msg("{hint}; {advice}", hint=hint, advice=advice)
    match = next((t for t in types if odata.parse_int64(t.get("ID")) == code), None)
    if match is None:
        return Verdict("document_type", value, msg("document type {code} does not exist in this division",
                                                   code=code), hint)
    if not match.get("DocumentIsCreatable"):
        return Verdict("document_type", value, msg("documents of type {code} ({description}) cannot be created",
                                                   code=code, description=str(match.get("Description", ""))),
                       hint)
    return Verdict("document_type", value, fix=advice)


def _document_type(row: dict) -> str:
    return f"{odata.parse_int64(row['ID'])} ({row.get('Description', '')})"


# --- reading from Exact -------------------------------------------------------

def check_all(client, settings: Settings, today: date) -> list[Verdict]:
    """Every setting's verdict, in config order, after the scopes the settings need. A failed
    read becomes that setting's problem; NotReached when Exact cannot be asked at all."""
    current = reach(client)
    division = _guarded("division", str(settings.division),
                        lambda: judge_division(settings.division, _divisions(client, current)))
    verdicts = [division]
    reads: list[tuple[str, str, Callable[[], Verdict]]] = [
        *(("scope", probe.scope, _scope_check(client, probe)) for probe in SCOPE_PROBES if probe.needed(settings)),
        ("journal", settings.journal, lambda: judge_journal(settings.journal, _journals(client))),
        *((name, getattr(settings, name), _item_check(client, name, getattr(settings, name), today))
          for name in ITEM_SETTINGS),
        ("item_groups", ", ".join(settings.item_groups),
         lambda: judge_item_groups(settings.item_groups, _item_groups(client))),
    ]
    if settings.pdfs != "none":
        reads.append(("document_type", str(settings.document_type),
                      lambda: judge_document_type(settings.document_type, _document_types(client))))
    else:
        verdicts.append(Verdict("document_type",
                                msg("{type} (not used: no PDFs are sent)", type=settings.document_type)))
    for name, value, check in reads:
        if not division.ok:
            why = msg("not checked: the division is not valid") if division.checked \
                else msg("not checked: the division could not be checked")
            verdicts.append(Verdict(name, value, why, msg("fix the division first"), checked=False))
        else:
            verdicts.append(_guarded(name, value, check))
    verdicts += [judge_choice(name, getattr(settings, name)) for name in ("memo", "your_ref", "pdfs")]
    order = ["division", "scope", *(k.name for k in KEYS if k.table == "settings" and k.name != "division")]
    return sorted(verdicts, key=lambda v: order.index(v.setting))


def reach(client) -> int:
    """The login's current division; NotReached, saying why and what to do, when Exact cannot be asked."""
    try:
        with daily_limit_stops(_limit_spent):
            return odata.parse_int64(client.me()["CurrentDivision"])
    except ReconnectNeeded as exc:
        raise NotReached(msg("could not log in to Exact: {error}; no setting was checked",
                             error=message_of(exc))) from None
    except ExactApiError as exc:
        if exc.request == "POST token":
            raise NotReached(msg("could not log in to Exact ({error}); no setting was checked: check [exact] "
                                 "client_id and client_secret, then run exactsync connect",
                                 error=message_of(exc))) from None
        raise NotReached(msg("Exact could not say who is logged in ({error}); no setting was checked: run "
                             "check-settings again later", error=message_of(exc))) from None
    except ExactsyncError as exc:
        raise NotReached(msg("could not reach Exact ({error}); no setting was checked: check the network and "
                             "[exact] base_url, then run check-settings again", error=message_of(exc))) from None


def _limit_spent(exc: DailyLimitReached) -> NotReached:
    return NotReached(msg("{error}; check-settings stopped and recorded nothing: run it again after the reset",
                          error=message_of(exc)))


def _guarded(name: str, value: str, check: Callable[[], Verdict]) -> Verdict:
    try:
        with daily_limit_stops(_limit_spent):
            return check()
    except DivisionNotInScope as exc:
        return Verdict(name, value, msg("not checked: this app may not use this administration (Exact answered "
                                        "{status}: {message})", status=exc.status, message=exc.message),
                       exc.action, checked=False)
    except ScopeViolation as exc:
        return Verdict(name, value, msg("not checked: this app may not use Exact's scope \"{scope}\"",
                                        scope=exc.scope), tick_action(exc.scope), checked=False)
    except (ExactApiError, ExactsyncError) as exc:
        return Verdict(name, value, msg("could not check: {error}", error=message_of(exc)),
                       msg("run check-settings again; if it persists, see exactsync log"), checked=False)


def _scope_check(client, probe: ScopeProbe) -> Callable[[], Verdict]:
    def check() -> Verdict:
        try:
            client.get(probe.path, probe.params)
        except ScopeViolation as exc:
            return Verdict("scope", probe.scope,
                           msg("this app may not use it, and exactsync needs it for {use} (Exact answered "
                               "{status}: {message})", use=probe.used_for, status=exc.status, message=exc.message),
                           tick_action(probe.scope))
        return Verdict("scope", probe.scope)
    return check


def _item_check(client, name: str, code: str, today: date) -> Callable[[], Verdict]:
    return lambda: judge_item(name, code, _items(client, code) if code else [], today)


def _divisions(client, current: int) -> list[dict]:
    """The divisions this login may use, asked in its `current` division: a wrong
    configured division would only get 403 NoDivisionAccess."""
    configured = client.division
    client.division = current
    try:
        return client.get("system/Divisions", {"$select": "Code,Description,Hid,Status"})
    finally:
        client.division = configured


def _journals(client) -> list[dict]:
    # All journals (a handful), so that the hint can name the sales journals there are;
    # the code is then matched exactly, where Exact's $filter would ignore case.
    return client.get("financial/Journals", {"$select": "Code,Description,Type"})


def _items(client, code: str) -> list[dict]:
    # Exact compares text case-insensitively; judge_item then insists on the exact code.
    return client.get("logistics/Items", {
        "$filter": f"Code eq {odata.quote(code)}",
        "$select": "ID,Code,Description,IsSalesItem,StartDate,EndDate",
    })


def _item_groups(client) -> list[dict]:
    return client.get("logistics/ItemGroups", {"$select": "ID,Code,Description"})


def _document_types(client) -> list[dict]:
    # All of them (a few dozen), so that the hint can list the creatable ones.
    return client.get("documents/DocumentTypes", {"$select": "ID,Description,DocumentIsCreatable"})


# --- what was verified ----------------------------------------------------------

def record_verified(db: sqlite_utils.Database, settings: Settings) -> None:
    with transaction(db):
        state.SETTINGS_FINGERPRINT.set(db, fingerprint(settings))
        state.SETTINGS_CHECKED_AT.set(db, utcnow())
        state.SETTINGS_VERIFIED.set(db, settings.as_dict())


def verified_settings(db: sqlite_utils.Database) -> Settings | None:
    """The settings check-settings last verified, which push applies; None when never verified."""
    verified = state.SETTINGS_VERIFIED.get(db)
    return Settings.from_dict(verified) if verified else None


def unverified_reason(db: sqlite_utils.Database, settings: Settings) -> Msg | None:
    """Why pull, push and cleanup may not run with these settings (None when they may)."""
    stored = state.SETTINGS_FINGERPRINT.get(db)
    if stored is None:
        return msg("settings were never checked: run exactsync check-settings")
    if stored != fingerprint(settings):
        return msg("settings changed since they were checked: run exactsync check-settings")
    return None
