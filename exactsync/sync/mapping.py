"""Exact payloads to store rows: small pure functions, tested with real-shaped payloads.

Dates: Exact writes Amsterdam local time as if it were UTC, so "has this ended"
is decided on the Amsterdam calendar date (`today` is an Amsterdam date).
"""

from __future__ import annotations

import re
from datetime import date

from exactsync.exact import odata
from exactsync.timeutil import iso

CUSTOMER_STATUS = "C"
NOT_A_CUSTOMER = "is not a customer in Exact"  # the reason's start; push refuses such a work order (picqer#172)
MAIN_VISIT_ADDRESS_TYPE = 1


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


ENDED = "ended in Exact on "
NOT_A_SALES_ITEM = "is not a sales item in Exact"
OUTSIDE_ITEM_GROUPS = "which is not in [settings] item_groups"


def _ended_reason(end: date | None, today: date) -> str:
    if end is not None and today > end:
        return f"{ENDED}{end.isoformat()}"
    return ""


def account_inactive_reason(account: dict, today: date) -> str:
    """Why this account may not be picked for new work orders ('' when it may)."""
    if account.get("Status") != CUSTOMER_STATUS:
        return f"{NOT_A_CUSTOMER} (status {account.get('Status') or 'none'})"
    if account.get("IsSales") is False:
        return "is not allowed for sales in Exact"
    if account.get("Blocked"):
        return "is blocked in Exact"
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
        group = _text(item, "ItemGroupCode") or "none"
        return f"is in item group {group}, {OUTSIDE_ITEM_GROUPS}"
    return _ended_reason(_date(item, "EndDate"), today)


def only_outside_item_groups(reason: str) -> bool:
    """Whether `item_inactive_reason` gave `reason` for the item groups setting: the item was a
    sales item then (that is checked first), only its end date was not looked at."""
    return reason.endswith(OUTSIDE_ITEM_GROUPS)


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
