"""The seeded administration and how it changes over time, as sync readers see it."""

import random
import uuid

import pytest

from exactsync.sandbox.data import Administration, guid4
from tests.helpers.sandbox_http import Api

pytestmark = pytest.mark.sandbox(customers=30, items=10)

DELETED_SELECT = {"$select": "EntityKey,EntityType,DeletedDate,Timestamp"}


def test_generation_is_deterministic_per_seed():
    first, again, other = (Administration(1, seed=s, customers=50, items=10) for s in (3, 3, 4))
    assert first.accounts == again.accounts and first.items == again.items
    assert first.accounts != other.accounts


def test_generated_customers_look_like_a_real_administration():
    admin = Administration(1, seed=1, customers=400, items=10)
    accounts = list(admin.accounts.values())
    assert all(len(a["Code"]) == 18 and a["Code"].strip().isdigit() for a in accounts)
    assert {a["Country"] for a in accounts} == {"NL ", "BE "}
    assert any(a["Blocked"] for a in accounts) and any(a["EndDate"] for a in accounts)
    assert any(a["Status"] == "P" for a in accounts) and any(not a["IsSales"] for a in accounts)
    assert any(not a["Name"].isascii() for a in accounts) and any("'" in a["Name"] for a in accounts)
    assert any(a["VATNumber"] for a in accounts)
    for account in accounts[:50]:
        (address,) = [x for x in admin.addresses.values() if x["Account"] == account["ID"] and x["Type"] == 1
                      and x["Main"]]
        assert [address[k] for k in ("AddressLine1", "Postcode", "City", "Country")] == \
               [account[k] for k in ("AddressLine1", "Postcode", "City", "Country")]
    kinds = {(x["Type"], x["Main"]) for x in admin.addresses.values()}
    assert kinds == {(1, True), (1, False), (2, True), (4, True)}


def test_generated_items_have_groups_ended_and_non_sales_items():
    admin = Administration(1, seed=1, customers=1, items=120)
    items = list(admin.items.values())
    assert any(i["EndDate"] for i in items) and any(not i["IsSalesItem"] for i in items)
    assert {"M", "O'Brien-1", "  SPATIE"} <= {i["Code"] for i in items}
    assert len({i["ItemGroup"] for i in items}) == len(admin.item_groups)
    assert all(i["ItemGroupCode"] == admin.item_groups[i["ItemGroup"]]["Code"] for i in items)
    assert {i["Unit"] for i in items} == {"stuk    ", "uur     ", "m       ", "kg      "}  # padded, as Exact's


@pytest.fixture
def api(sandbox):
    return Api(sandbox)


def highest(api, path, **params) -> int:
    rows, _ = api.read_all(path, **{"$filter": "Timestamp gt 1L", "$select": "ID,Timestamp"} | params)
    return max(int(r["Timestamp"]) for r in rows)


def changed(api, path, since, select="ID,Timestamp") -> list[dict]:
    rows, _ = api.read_all(path, **{"$filter": f"Timestamp gt {since}L", "$select": select})
    return rows


def test_deleting_an_account_logs_it_and_its_addresses_in_sync_deleted(sandbox, api):
    since = highest(api, "sync/CRM/Accounts")
    guid = next(iter(sandbox.accounts))
    address = sandbox.admin.main_address(guid)["ID"]
    sandbox.delete_account(guid)
    assert guid not in sandbox.accounts and address not in sandbox.addresses
    deleted = changed(api, "sync/Deleted", since, DELETED_SELECT["$select"])
    assert {(d["EntityKey"], d["EntityType"]) for d in deleted} == {(guid, 2), (address, 3)}
    assert all(d["DeletedDate"].startswith("/Date(") for d in deleted)
    only_accounts, _ = api.read_all("sync/Deleted", **{"$filter": f"Timestamp gt {since}L and EntityType eq 2",
                                                        "$select": "EntityKey"})
    assert [d["EntityKey"] for d in only_accounts] == [guid]
    assert guid not in {r["ID"] for r in changed(api, "sync/CRM/Accounts", 1)}


def test_item_changes_and_deletes(sandbox, api):
    since = highest(api, "sync/Logistics/Items")
    guid = next(iter(sandbox.items))
    new = sandbox.add_item(Code="NIEUW", Description="Nieuw artikel")
    sandbox.update_item(guid, EndDate=sandbox.admin.today, Unit="pc")
    assert sandbox.items[guid]["Unit"] == "pc      "
    assert [r["ID"] for r in changed(api, "sync/Logistics/Items", since)] == [new, guid]
    sandbox.delete_item(new)
    deleted = changed(api, "sync/Deleted", since, "EntityKey,EntityType")
    assert [(d["EntityKey"], d["EntityType"]) for d in deleted] == [(new, 9)]


def test_blocking_bumps_the_timestamp(sandbox, api):
    since = highest(api, "sync/CRM/Accounts")
    guid = next(g for g, a in sandbox.accounts.items() if not a["Blocked"])
    sandbox.block_account(guid)
    assert [(r["ID"], r["Blocked"]) for r in changed(api, "sync/CRM/Accounts", since, "ID,Blocked")] == [(guid, True)]


def test_account_and_main_address_mirror_each_other(sandbox, api):
    guid = next(iter(sandbox.accounts))
    address = sandbox.admin.main_address(guid)["ID"]
    since = highest(api, "sync/CRM/Addresses")
    sandbox.update_address(address, City="Liège", Country="BE")
    assert sandbox.accounts[guid]["City"] == "Liège" and sandbox.accounts[guid]["Country"] == "BE "
    sandbox.update_account(guid, AddressLine1="Grote Markt 1")
    assert sandbox.addresses[address]["AddressLine1"] == "Grote Markt 1"
    assert {r["ID"] for r in changed(api, "sync/CRM/Addresses", since)} == {address}


def test_moving_the_division_renumbers_every_timestamp_lower(sandbox, api):
    before = highest(api, "sync/CRM/Accounts")
    sandbox.move_division()
    assert changed(api, "sync/CRM/Accounts", before) == []
    rows = changed(api, "sync/CRM/Accounts", 1)
    assert len(rows) == len(sandbox.accounts) and max(int(r["Timestamp"]) for r in rows) < before


def test_unknown_fields_and_records_are_refused(sandbox):
    with pytest.raises(TypeError, match="Colour"):
        sandbox.add_customer(Colour="red")
    with pytest.raises(KeyError):
        sandbox.update_account("00000000-0000-4000-8000-000000000000", Name="x")


def test_fast_guids_are_uuid4_strings():
    rng = random.Random(9)
    for bits in (rng.getrandbits(128) for _ in range(1000)):
        assert guid4(bits) == str(uuid.UUID(int=bits, version=4))
