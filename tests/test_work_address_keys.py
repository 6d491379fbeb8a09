"""Migration 700: a store made before work addresses had keys is upgraded with its work
orders still on their work addresses (or, where a wipe had already broken the link, on
the one address of their customer that reads the same)."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from exactsync import store
from exactsync.store import open_store, set_state, utcnow
from tests.helpers.cli_results import ok
from tests.helpers.login import connect
from tests.helpers.push import assert_exactly_once, sales_item_codes

pytestmark = pytest.mark.sandbox(seed=3, customers=12, items=30, minutely_limit=10_000)

BEFORE = [m for m in store.MIGRATIONS if m[0] < "700"]


@contextlib.contextmanager
def schema_before_700(monkeypatch):
    """Stores opened in here get the schema before migration 700 (work orders point at
    work address row ids), as the release before it made them."""
    with monkeypatch.context() as patched:
        patched.setattr(store.db, "MIGRATIONS", BEFORE)
        yield


def old_store(path, monkeypatch):
    with schema_before_700(monkeypatch):
        return open_store(path)


def add(db, table: str, **row) -> int:
    return db[table].insert(row).last_pk


def customer(db, exact_id: str | None, code: str) -> int:
    return add(db, "customers", exact_id=exact_id, code=code, name=f"Klant {code}", updated_at=utcnow())


def address(db, customer_id: int, street: str, *, from_exact: str | None = None, **fields) -> int:
    return add(db, "work_addresses", customer_id=customer_id, street=street, city="Utrecht", country="NL",
               exact_address_id=from_exact, created_at=utcnow(), **fields)


def order(db, number: str, customer_id: int | None, exact_id: str | None, address_id: int | None, shown: str,
          status: str = "archived") -> None:
    add(db, "work_orders", number=number, customer_id=customer_id, customer_exact_id=exact_id,
        work_address_id=address_id, work_address=shown, status=status, created_at=utcnow())


def test_every_work_address_gets_a_key_and_every_work_order_keeps_its_address(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    db = old_store(path, monkeypatch)
    a, b, c, local = customer(db, "a1", "1"), customer(db, "b1", "2"), customer(db, "c1", "3"), customer(db, None, "L")
    a_exact = address(db, a, "Markt 1", from_exact="addr-a")
    a_extra = address(db, a, "Kerkstraat 1", name="Kantine")
    b_exact = address(db, b, "Plein 2", from_exact="addr-b")
    c_first, c_second = address(db, c, "Laan 3", from_exact="addr-c"), address(db, c, "Laan 4", from_exact="addr-c2")
    local_address = address(db, local, "Dijk 5")
    order(db, "WO00001", a, "a1", a_exact, "Markt 1\nUtrecht\nNL")
    order(db, "WO00002", a, "a1", a_extra, "Kantine\nKerkstraat 1\nUtrecht\nNL", status="open")
    # After a wipe and a pull the row id names another customer's address: found again by its text.
    order(db, "WO00003", b, "b1", a_exact, "Plein 2\nUtrecht\nNL")
    # Gone, and no address of the customer reads the same: left without one (push says what to do).
    order(db, "WO00004", b, "b1", 999, "Elders 9\nUtrecht\nNL")
    order(db, "WO00005", a, "a1", None, "Markt 1\nUtrecht\nNL", status="sent")
    order(db, "WO00006", local, None, local_address, "Dijk 5\nUtrecht\nNL")
    db.close()

    db = open_store(path)

    keys = {r["id"]: r["key"] for r in db["work_addresses"].rows}
    assert sorted(keys) == [a_exact, a_extra, b_exact, c_first, c_second, local_address]
    assert (keys[a_exact], keys[b_exact], keys[c_first]) == ("exact:a1", "exact:b1", "exact:c1")
    randoms = [keys[i] for i in (a_extra, c_second, local_address)]
    assert len(set(randoms)) == 3 and all(len(k) == 32 and not k.startswith("exact:") for k in randoms)
    assert dict(db.execute("SELECT number, work_address_key FROM work_orders").fetchall()) == {
        "WO00001": "exact:a1", "WO00002": keys[a_extra], "WO00003": "exact:b1", "WO00004": None,
        "WO00005": None, "WO00006": keys[local_address]}
    assert "work_address_id" not in db["work_orders"].columns_dict
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert {i.name for i in db["work_orders"].indexes} >= {"work_orders_work_address_key"}
    assert {i.name for i in db["work_addresses"].indexes} >= {"work_addresses_customer"}

    # What the table promises from now on: a key for every new row, never twice, and the
    # work addresses still go with their customer.
    new = address(db, a, "Nieuw 1")
    assert len(db["work_addresses"].get(new)["key"]) == 32
    with pytest.raises(sqlite3.IntegrityError):
        address(db, b, "Dubbel 1", key="exact:a1")
    db.execute("DELETE FROM customers WHERE id = ?", [c])
    assert db.execute("SELECT count(*) FROM work_addresses WHERE customer_id = ?", [c]).fetchone()[0] == 0


def test_an_upgraded_store_pulls_and_sends_what_was_queued(sandbox, config_path, run, monkeypatch):
    """A store as the old pull left it (a derived work address per customer, on the Exact
    ID of its main address), with work orders on a derived and on a local work address."""
    config = connect(sandbox, config_path, work_time_item=sales_item_codes(sandbox)[0], memo="work_address")
    db = open_store(config.store_path)
    connected = dict(db.execute("SELECT key, value FROM state").fetchall())
    db.close()
    # connect writes today's store; the old release's store gets the state it left (the login is beside it)
    config.store_path.unlink()
    db = old_store(config.store_path, monkeypatch)
    set_state(db, **connected)
    mains = {a["Account"]: a for a in sandbox.addresses.values() if a["Main"]}
    accounts = [a for a in sandbox.accounts.values() if a["ID"] in mains and not a["Blocked"]][:2]
    shown = {}
    for n, account in enumerate(accounts):
        main = mains[account["ID"]]
        customer_id = add(db, "customers", exact_id=account["ID"], code=account["Code"].strip(),
                          name=account["Name"], updated_at=utcnow())
        derived = address(db, customer_id, main["AddressLine1"], from_exact=main["ID"])
        local = address(db, customer_id, f"Kerkstraat {n}")
        for address_id, street in ((derived, main["AddressLine1"]), (local, f"Kerkstraat {n}")):
            number = f"WO0000{len(shown) + 1}"
            order_id = add(db, "work_orders", number=number, customer_id=customer_id,
                           customer_code=account["Code"].strip(), customer_exact_id=account["ID"],
                           customer_name=account["Name"], work_address_id=address_id,
                           work_address=f"{street}\nUtrecht\nNL", description="Onderhoud", status="archived",
                           created_at=utcnow(), archived_at=utcnow())
            add(db, "time_bookings", work_order_id=order_id, employee="Piet", kind="work", minutes=60,
                booked_at=utcnow())
            shown[number] = f"{street}\nUtrecht\nNL"
    db.close()

    ok(run("pull"))
    pushed = run("push")

    assert pushed.exit_code == 0, pushed.output
    db = open_store(config.store_path)
    assert_exactly_once(sandbox, db, list(shown), pdf_kinds=())
    assert {i["Description"].removeprefix("Werkbon "): i["Remarks"] for i in sandbox.invoices.values()} == shown
    # The pull found the migrated derived work addresses by their key: none made twice.
    assert db.execute("SELECT customer_id, count(*) FROM work_addresses WHERE exact_address_id IS NOT NULL "
                      "GROUP BY customer_id HAVING count(*) > 1").fetchall() == []
    db.close()
