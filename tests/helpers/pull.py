"""What a pull must leave in the store, read from the sandbox, and what the store holds."""

from __future__ import annotations

from datetime import datetime

from exactsync.sandbox.data import AMSTERDAM


def today():
    return datetime.now(AMSTERDAM).date()


def expected_customers(sandbox) -> dict[str, tuple]:
    """What the store must hold as active customers: Exact's sales customers, not blocked, not ended."""
    expected = {}
    for account in sandbox.accounts.values():
        end = account.get("EndDate")
        if (account["Status"] == "C" and account["IsSales"] and not account["Blocked"]
                and (end is None or end.date() >= today())):
            expected[account["ID"]] = (account["Code"].strip(), account["Name"], account["AddressLine1"] or "",
                                       account["Postcode"] or "", account["City"] or "", account["Country"].strip())
    return expected


def stored_customers(db) -> dict[str, tuple]:
    return {r[0]: tuple(r[1:]) for r in db.execute(
        "SELECT exact_id, code, name, address_line1, postcode, city, country FROM customers WHERE active = 1")}


def expected_items(sandbox, groups=()) -> dict[str, str]:
    expected = {}
    for item in sandbox.items.values():
        end = item.get("EndDate")
        group = sandbox.item_groups[item["ItemGroup"]]
        in_groups = not groups or {group["Code"], group["Description"]} & set(groups)
        if item["IsSalesItem"] and in_groups and (end is None or end.date() >= today()):
            expected[item["ID"]] = item["Code"].strip()
    return expected


def stored_items(db) -> dict[str, str]:
    return dict(db.execute("SELECT exact_id, code FROM items WHERE active = 1").fetchall())
