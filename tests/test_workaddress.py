"""Work addresses through the CLI: add, list and remove, and every refusal."""

import json

import pytest

from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer


@pytest.fixture
def customer(db):
    return add_customer(db, "25", "Bakkerij Jansen")


def add(run, code="25", *extra) -> int:
    return int(ok(run("workaddress", "add", code, "--street", "Kerkstraat 1", "--postcode", "3511 AA",
                      "--city", "Den Haag", *extra)))


def test_add_and_list(run, customer):
    address_id = add(run, " 25", "--name", "Filiaal Café", "--country", "be")
    rows = json.loads(ok(run("workaddress", "list", "25", "--json")))
    assert [(r["id"], r["name"], r["street"], r["postcode"], r["city"], r["country"], r["from_exact"]) for r in rows] == [
        (customer["work_address_id"], "", "Dorpsstraat 1", "1234 AB", "Utrecht", "NL", True),
        (address_id, "Filiaal Café", "Kerkstraat 1", "3511 AA", "Den Haag", "BE", False),
    ]
    table = ok(run("workaddress", "list", "25"))
    assert "Filiaal Café" in table and "Bakkerij Jansen" in table
    log_rows = [json.loads(line) for line in ok(run("log", "--table", "work_address", "--json")).splitlines()]
    assert log_rows[0]["message"] == ("work address added to customer 25 (Bakkerij Jansen): "
                                      "Filiaal Café, Kerkstraat 1, 3511 AA Den Haag, BE")


def test_remove(run, db, customer):
    address_id = add(run)
    ok(run("workaddress", "remove", str(address_id)))
    assert [r["id"] for r in json.loads(ok(run("workaddress", "list", "25", "--json")))] == [
        customer["work_address_id"]]


def test_remove_refused_while_an_unsent_work_order_uses_it(run, db, customer):
    address_id = add(run)
    number = ok(run("workorder", "create", "--customer", "25", "--work-address", str(address_id),
                    "--description", "x"))
    refused(run("workaddress", "remove", str(address_id)),
            f"work address {address_id} is used by work order {number}, not yet sent to Exact: "
            "remove it once those are sent")
    db.execute("UPDATE work_orders SET status = 'sent'")
    ok(run("workaddress", "remove", str(address_id)))
    order = json.loads(ok(run("workorder", "show", number, "--json")))
    assert order["work_address"] == {"id": None, "lines": ["Kerkstraat 1", "3511 AA Den Haag", "NL"]}


def test_remove_refused_for_the_address_from_exact(run, customer):
    refused(run("workaddress", "remove", str(customer["work_address_id"])),
            f"work address {customer['work_address_id']} is the customer's address from Exact: "
            "change or remove it in Exact")


def test_refusals(run, db, customer):
    add_customer(db, "31", from_exact=False)
    refused(run("workaddress", "remove", "99"),
            "work address 99 does not exist: see exactsync workaddress list CUSTOMER_CODE")
    refused(run("workaddress", "list", "99"),
            "customer 99 does not exist: check the code in Exact; a customer added there arrives with the next "
            "exactsync pull")
    refused(run("workaddress", "add", "31", "--street", "a", "--city", "b"),
            "customer 31 (Klant 31) was created locally, not in Exact: only customers from Exact can be invoiced; "
            "add the customer in Exact and run exactsync pull")
    refused(run("workaddress", "add", "25", "--street", " ", "--city", "b"), "the street must not be empty")
    assert db.execute("SELECT count(*) FROM work_addresses").fetchone()[0] == 2
