"""The JSON-to-row mapping of pull, on payloads shaped like Exact's sync answers."""

import json
from datetime import date
from pathlib import Path

from exactsync.sync import mapping

PAYLOADS = Path(__file__).parent / "payloads"
TODAY = date(2026, 11, 28)


def accounts():
    return json.loads((PAYLOADS / "sync_accounts_page.json").read_text(encoding="utf-8"))["d"]["results"]


def test_customer_row_trims_padding_and_reads_int64_strings():
    row = mapping.customer_row(accounts()[0], TODAY)
    assert row == {
        "exact_id": "6bd6e3ea-4a56-4c1c-9b3a-0f7a4c2b1e01", "code": "25", "name": "Bakkerij Één & Zonen",
        "address_line1": "Kerkstraat 1", "address_line2": "", "postcode": "1234 AB", "city": "Zaandam",
        "country": "NL", "email": "info@bakkerij.nl", "phone": "", "active": 1, "inactive_reason": "",
        "end_date": None, "exact_timestamp": 4300012345,
    }


def test_guids_are_lower_case_and_timestamps_may_be_numbers():
    row = mapping.customer_row(accounts()[1], TODAY)
    assert row["exact_id"] == "0f6d1c33-1111-4a3b-8c3d-000000000002"
    assert row["exact_timestamp"] == 4300012346


def test_account_inactive_reasons():
    supplier, blocked = accounts()[1], accounts()[2]
    assert mapping.account_inactive_reason(supplier, TODAY) == "is not a customer in Exact (status A)"
    assert mapping.account_inactive_reason(blocked, TODAY) == "is blocked in Exact"
    assert mapping.account_inactive_reason({**accounts()[0], "IsSales": False}, TODAY) == "is not allowed for sales in Exact"
    assert mapping.account_inactive_reason({**accounts()[0], "Status": "P"}, TODAY) == "is not a customer in Exact (status P)"


def test_end_date_is_compared_on_the_amsterdam_calendar():
    # /Date()/ is Amsterdam wall time: 2026-11-27 00:00 local means the account ended on the 27th.
    ended = {**accounts()[0], "EndDate": "/Date(1795737600000)/"}
    assert mapping.account_inactive_reason(ended, date(2026, 11, 27)) == ""
    assert mapping.account_inactive_reason(ended, date(2026, 11, 28)) == "ended in Exact on 2026-11-27"
    assert mapping.customer_row(ended, TODAY)["end_date"] == "2026-11-27"


def item(**fields):
    return {"ID": "a1b2c3d4-0000-4000-8000-000000000001", "Code": "M10 ", "Description": "Moer M10",
            "ItemGroup": "b1b2c3d4-0000-4000-8000-000000000001", "ItemGroupCode": "MAT",
            "ItemGroupDescription": "Materialen", "IsSalesItem": True, "Unit": "pc      ",
            "StartDate": None, "EndDate": None, "Timestamp": "99", **fields}


def test_item_row():
    assert mapping.item_row(item(), TODAY, ()) == {
        "exact_id": "a1b2c3d4-0000-4000-8000-000000000001", "code": "M10", "description": "Moer M10",
        "item_group_exact_id": "b1b2c3d4-0000-4000-8000-000000000001", "item_group_code": "MAT",
        "item_group_description": "Materialen", "unit": "pc", "active": 1, "inactive_reason": "",
        "end_date": None, "exact_timestamp": 99,
    }


def test_item_group_filter_is_case_sensitive_on_code_or_description():
    assert mapping.item_inactive_reason(item(), TODAY, ("Materialen",)) == ""
    assert mapping.item_inactive_reason(item(), TODAY, ("MAT",)) == ""
    assert mapping.item_inactive_reason(item(), TODAY, ("materialen",)) == (
        "is in item group MAT, which is not in [settings] item_groups")


def test_item_not_for_sale_or_ended():
    assert mapping.item_inactive_reason(item(IsSalesItem=False), TODAY) == "is not a sales item in Exact"
    assert mapping.item_inactive_reason(item(EndDate="/Date(1577836800000)/"), TODAY) == "ended in Exact on 2020-01-01"


def test_main_visit_address():
    address = {"ID": "C0000000-0000-4000-8000-000000000009", "Account": "6BD6E3EA-4A56-4C1C-9B3A-0F7A4C2B1E01",
               "Type": 1, "Main": True, "AddressLine1": "Nieuwe Gracht 5", "AddressLine2": None,
               "Postcode": "3512 LT", "City": "Utrecht", "Country": "NL ", "Timestamp": "5"}
    assert mapping.is_main_visit_address(address)
    assert not mapping.is_main_visit_address({**address, "Type": 3})
    assert not mapping.is_main_visit_address({**address, "Main": False})
    assert mapping.customer_address(address) == {
        "account": "6bd6e3ea-4a56-4c1c-9b3a-0f7a4c2b1e01", "exact_address_id": "c0000000-0000-4000-8000-000000000009",
        "address_line1": "Nieuwe Gracht 5", "address_line2": "", "postcode": "3512 LT", "city": "Utrecht",
        "country": "NL",
    }


def test_the_same_row_twice_in_one_read_keeps_the_newest():
    a = accounts()[0]
    rows = mapping.newest_per_id([{**a, "Name": "new", "Timestamp": "9"}, {**a, "Name": "old", "Timestamp": "8"}])
    assert [r["Name"] for r in rows] == ["new"]


def test_deleted_key_and_modified():
    assert mapping.deleted_key({"EntityType": 2, "EntityKey": "6BD6E3EA-4A56-4C1C-9B3A-0F7A4C2B1E01"}) == (
        2, "6bd6e3ea-4a56-4c1c-9b3a-0f7a4c2b1e01")
    # 1782404464260 ms is 16:21:04 Amsterdam summer time, so 14:21:04 UTC.
    assert mapping.modified_utc(accounts()[0]) == "2026-06-25T14:21:04Z"


def test_a_stored_reason_is_read_back_as_its_message_in_either_language():
    from exactsync import i18n

    ended = mapping.account_inactive_reason({**accounts()[0], "EndDate": "/Date(1795737600000)/"}, TODAY)
    stored = [mapping.account_inactive_reason(accounts()[1], TODAY), ended,
              mapping.account_inactive_reason({**accounts()[0], "Status": None}, TODAY),
              mapping.item_inactive_reason(item(), TODAY, ("materialen",)),
              mapping.item_inactive_reason(item(ItemGroupCode="", ItemGroupDescription=""), TODAY, ("MAT",))]
    assert [str(mapping.reason_message(reason)) for reason in stored] == stored  # English reads as stored
    assert mapping.reason_message(ended) == i18n.msg(mapping.ENDED_ON, day="2026-11-27")
    assert stored[2].startswith(mapping.NOT_A_CUSTOMER)
    i18n.use("nl")
    assert [str(mapping.reason_message(reason)) for reason in stored] == [
        "is geen klant in Exact (status A)", "is in Exact beëindigd op 27-11-2026",
        "is geen klant in Exact (geen status)",
        "zit in artikelgroep MAT, die niet in [settings] item_groups staat",
        "heeft geen artikelgroep en valt dus buiten [settings] item_groups"]
    # A reason that is none of the templates (an older version's) is shown as stored.
    assert mapping.reason_message("was weird in Exact") == "was weird in Exact"


def test_only_the_item_groups_setting_made_these_inactive():
    assert mapping.only_outside_item_groups("is in item group MAT, which is not in [settings] item_groups")
    assert mapping.only_outside_item_groups("has no item group, so it is not in [settings] item_groups")
    assert not mapping.only_outside_item_groups("is not a sales item in Exact")
    assert not mapping.only_outside_item_groups("ended in Exact on 2026-11-27")
