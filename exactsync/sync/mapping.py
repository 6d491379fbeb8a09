"""Exact payloads to store rows: small pure functions, tested with real-shaped payloads.

Dates: Exact writes Amsterdam local time as if it were UTC, so "has this ended"
is decided on the Amsterdam calendar date (`today` is an Amsterdam date).

Why a customer or item is inactive (customers.inactive_reason, items.inactive_reason) is
stored as English text, one of the N_-marked REASONS filled in, so that the store reads
as it always did and push can test a reason's kind. `reason_message` turns a stored
reason back into its `msg(...)`, to show or log it in the reader's language.
"""

from __future__ import annotations

import re
from datetime import date

from exactsync.exact import odata
from exactsync.i18n import N_, Msg, msg
from exactsync.timeutil import iso

CUSTOMER_STATUS = "C"
MAIN_VISIT_ADDRESS_TYPE = 1

# --- why a customer or item is inactive ---------------------------------------------

NOT_A_CUSTOMER_STATUS = N_("is not a customer in Exact (status {status})")
NOT_A_CUSTOMER_NO_STATUS = N_("is not a customer in Exact (no status)")
NOT_A_CUSTOMER = "is not a customer in Exact"  # both reasons' start; push refuses such a work order (picqer#172)
NOT_FOR_SALES = N_("is not allowed for sales in Exact")
BLOCKED = N_("is blocked in Exact")
ENDED_ON = N_("ended in Exact on {day}")
NOT_A_SALES_ITEM = N_("is not a sales item in Exact")
IN_OTHER_ITEM_GROUP = N_("is in item group {group}, which is not in [settings] item_groups")
IN_NO_ITEM_GROUP = N_("has no item group, so it is not in [settings] item_groups")
DELETED = N_("deleted in Exact")  # sync/Deleted named it
NO_LONGER_IN_EXACT = N_("no longer in Exact")  # a full read did not see it
NOT_FROM_EXACT = N_("is not from Exact")  # added locally (cleanup removes it)
INACTIVE = N_("is inactive")  # a row without a reason (cleanup names it so)
REASONS = (NOT_A_CUSTOMER_STATUS, NOT_A_CUSTOMER_NO_STATUS, NOT_FOR_SALES, BLOCKED, ENDED_ON, NOT_A_SALES_ITEM,
           IN_OTHER_ITEM_GROUP, IN_NO_ITEM_GROUP, DELETED, NO_LONGER_IN_EXACT, NOT_FROM_EXACT, INACTIVE)


def _pattern(template: str) -> re.Pattern:
    """A regular expression matching `template` filled in, one named group per placeholder."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+)" for i, part in enumerate(parts)))


_REASON_PATTERNS = tuple((template, _pattern(template)) for template in REASONS)

# Per reason, what makes the customer's or item's record usable again ({record}: its code as shown), or
# None where nothing can (a record deleted in Exact never comes back; one Exact no longer returns is
# not to be found there). Whoever shows the reason adds its own way out: another customer for the
# work order, an invoice made by hand for materials that cannot change.
FIXES: dict[str, dict[str, str | None]] = {
    NOT_A_CUSTOMER_STATUS: {"customer": N_("make account {record} a customer in Exact (status Customer)")},
    NOT_A_CUSTOMER_NO_STATUS: {"customer": N_("make account {record} a customer in Exact (status Customer)")},
    NOT_FOR_SALES: {"customer": N_("allow customer {record} for sales in Exact")},
    BLOCKED: {"customer": N_("unblock customer {record} in Exact")},
    ENDED_ON: {"customer": N_("remove or move the end date of customer {record} in Exact"),
               "item": N_("remove or move the end date of item {record} in Exact")},
    NOT_A_SALES_ITEM: {"item": N_("make item {record} a sales item in Exact again")},
    IN_OTHER_ITEM_GROUP: {"item": N_("add the item group of item {record} to [settings] item_groups and run "
                                     "exactsync check-settings")},
    IN_NO_ITEM_GROUP: {"item": N_("give item {record} an item group in Exact that [settings] item_groups names")},
    DELETED: {"customer": None, "item": None},
    NO_LONGER_IN_EXACT: {"customer": None, "item": None},
    NOT_FROM_EXACT: {"customer": N_("add customer {record} in Exact: the next pull brings it"),
                     "item": N_("add item {record} in Exact: the next pull brings it")},
    INACTIVE: {"customer": N_("make customer {record} active in Exact again"),
               "item": N_("make item {record} active in Exact again")},
}


def fix_for(kind: str, stored: str, record: str) -> Msg | None:
    """What makes customer or item (`kind`) `record`, inactive for the `stored` reason, usable again;
    None when nothing can. A reason of the other kind, or none known, reads as merely inactive."""
    found = reason_message(stored or INACTIVE)
    fixes = FIXES.get(found.template, {}) if isinstance(found, Msg) else {}
    fix = fixes[kind] if kind in fixes else FIXES[INACTIVE][kind]
    return fix and msg(fix, record=record)


def inactive_customer_action(stored: str, record: str, number: str) -> Msg:
    """The action for work order `number`, refused because customer `record` is inactive for `stored`."""
    fix = fix_for("customer", stored, record)
    if fix is None:
        return msg("give the work order another customer: exactsync workorder set-customer {number} --customer "
                   "CODE; the next push sends it", number=number)
    return msg("{fix}; the next pull and push send it. Or give the work order another customer: exactsync workorder "
               "set-customer {number} --customer CODE", fix=fix, number=number)


def reason_message(stored: str) -> Msg | str:
    """The message of a stored inactive reason, to render in the reader's language; a text
    that is none of REASONS (written by an older version) is returned as it is."""
    for template, pattern in _REASON_PATTERNS:
        if found := pattern.fullmatch(stored):
            return msg(template, **found.groupdict())
    return stored


def _text(payload: dict, field: str) -> str:
    """Exact pads codes and countries with spaces and sends null for empty text."""
    value = payload.get(field)
    return "" if value is None else str(value).strip()


def _texts(payload: dict, columns: dict[str, str]) -> dict[str, str]:
    """`_text` for many {column: field} at once: pull maps a million of these."""
    return {column: "" if (value := payload.get(field)) is None else str(value).strip()
            for column, field in columns.items()}


CUSTOMER_TEXTS = {"code": "Code", "name": "Name", "address_line1": "AddressLine1", "address_line2": "AddressLine2",
                  "postcode": "Postcode", "city": "City", "country": "Country", "email": "Email", "phone": "Phone"}
ADDRESS_TEXTS = {"address_line1": "AddressLine1", "address_line2": "AddressLine2", "postcode": "Postcode",
                 "city": "City", "country": "Country"}


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _guid(value) -> str:
    """Exact's GUIDs, lower case; checked with a pattern because uuid.UUID is slow per row."""
    text = str(value).lower()
    if not _GUID.fullmatch(text):
        raise ValueError(f"{value!r} is not a GUID")
    return text


def _date(payload: dict, field: str) -> date | None:
    parsed = odata.parse_date(payload.get(field))
    return parsed.date() if parsed else None


def _ended_reason(end: date | None, today: date) -> str:
    if end is not None and today > end:
        return ENDED_ON.format(day=end.isoformat())
    return ""


def account_inactive_reason(account: dict, today: date) -> str:
    """Why this account may not be picked for new work orders ('' when it may)."""
    if account.get("Status") != CUSTOMER_STATUS:
        status = account.get("Status")
        return NOT_A_CUSTOMER_STATUS.format(status=status) if status else NOT_A_CUSTOMER_NO_STATUS
    if account.get("IsSales") is False:
        return NOT_FOR_SALES
    if account.get("Blocked"):
        return BLOCKED
    return _ended_reason(_date(account, "EndDate"), today)


def customer_row(account: dict, today: date) -> dict:
    reason = account_inactive_reason(account, today)
    return {
        "exact_id": _guid(account["ID"]),
        **_texts(account, CUSTOMER_TEXTS),
        "active": 0 if reason else 1,
        "inactive_reason": reason,
        "end_date": _iso(_date(account, "EndDate")),
        "exact_timestamp": odata.parse_int64(account["Timestamp"]),
    }


def is_main_visit_address(address: dict) -> bool:
    return address.get("Type") == MAIN_VISIT_ADDRESS_TYPE and address.get("Main") is True


def customer_address(address: dict) -> dict:
    """The customer address (and its Exact-derived work address) from crm/Addresses."""
    return {
        "account": _guid(address["Account"]),
        "exact_address_id": _guid(address["ID"]),
        **_texts(address, ADDRESS_TEXTS),
    }


def item_group_names(item: dict) -> set[str]:
    """The names a user may write in [settings] item_groups for this item's group."""
    return {name for name in (_text(item, "ItemGroupCode"), _text(item, "ItemGroupDescription")) if name}


def item_inactive_reason(item: dict, today: date, item_groups: tuple[str, ...] = ()) -> str:
    """Why this item may not be booked on new work orders ('' when it may).
    The group filter is case-sensitive, as the manual says (5.6)."""
    if item.get("IsSalesItem") is False:
        return NOT_A_SALES_ITEM
    if item_groups and not item_group_names(item) & set(item_groups):
        group = _text(item, "ItemGroupCode")
        return IN_OTHER_ITEM_GROUP.format(group=group) if group else IN_NO_ITEM_GROUP
    return _ended_reason(_date(item, "EndDate"), today)


def only_outside_item_groups(reason: str) -> bool:
    """Whether `item_inactive_reason` gave `reason` for the item groups setting: the item was a
    sales item then (that is checked first), only its end date was not looked at."""
    found = reason_message(reason)
    return isinstance(found, Msg) and found.template in (IN_OTHER_ITEM_GROUP, IN_NO_ITEM_GROUP)


def ended_reason(end: str | None, today: date) -> str:
    """`item_inactive_reason`'s reason for a stored ISO end date ('' when it has not passed)."""
    return _ended_reason(date.fromisoformat(end) if end else None, today)


def item_row(item: dict, today: date, item_groups: tuple[str, ...]) -> dict:
    reason = item_inactive_reason(item, today, item_groups)
    group = item.get("ItemGroup")
    return {
        "exact_id": _guid(item["ID"]),
        "code": _text(item, "Code"),
        "description": _text(item, "Description"),
        "item_group_exact_id": _guid(group) if group else None,
        "item_group_code": _text(item, "ItemGroupCode"),
        "item_group_description": _text(item, "ItemGroupDescription"),
        "unit": _text(item, "Unit"),
        "active": 0 if reason else 1,
        "inactive_reason": reason,
        "end_date": _iso(_date(item, "EndDate")),
        "exact_timestamp": odata.parse_int64(item["Timestamp"]),
    }


def item_group_row(group: dict) -> dict:
    return {
        "exact_id": _guid(group["ID"]),
        "code": _text(group, "Code"),
        "description": _text(group, "Description"),
    }


def deleted_key(row: dict) -> tuple[int, str]:
    """(EntityType, GUID of the deleted record) from sync/Deleted."""
    return int(row["EntityType"]), _guid(row["EntityKey"])


def newest_per_id(rows: list[dict]) -> list[dict]:
    """A sync read can return the same ID twice; the highest Timestamp wins."""
    newest: dict[str, dict] = {}
    for row in rows:
        key = str(row.get("ID") or row.get("EntityKey")).lower()
        kept = newest.get(key)
        if kept is None or odata.parse_int64(row["Timestamp"]) >= odata.parse_int64(kept["Timestamp"]):
            newest[key] = row
    return list(newest.values())


def modified_utc(payload: dict) -> str | None:
    """Exact's Modified as ISO UTC, for the highest mutation date."""
    modified = odata.parse_date(payload.get("Modified"))
    return iso(modified) if modified else None


def newest_modified_utc(rows: list[dict]) -> str | None:
    """The latest Modified of a page; /Date(ms)/ values of one time zone order by their number."""
    dated = [r for r in rows if r.get("Modified")]
    return modified_utc(max(dated, key=lambda r: odata.date_millis(r["Modified"]))) if dated else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
