"""Re-activation with a wipe (manual 4.3), through the CLI against the sandbox: archived
work orders made before `deactivate` all reach Exact after `wipe`, `activate`, `pull`, `push`."""

from __future__ import annotations

import json

import pytest

from exactsync.store import open_store
from tests.helpers.cli_results import ok
from tests.helpers.login import connect
from tests.helpers.push import assert_exactly_once, sales_item_codes

pytestmark = pytest.mark.sandbox(seed=7, customers=25, items=40, minutely_limit=10_000)


@pytest.fixture
def pulled(sandbox, config_path, run):
    """Connected with every line of the invoice on and the work address in the remarks, and pulled once."""
    config = connect(sandbox, config_path, work_time_item=sales_item_codes(sandbox)[0], memo="work_address",
                     pdfs="both")
    ok(run("pull"))
    db = open_store(config.store_path)
    yield db
    db.close()


def customer_codes(run) -> list[str]:
    return [c["code"] for c in json.loads(ok(run("customers", "--json")))]


def archived(run, customer: str, work_address: int | None = None, material: str | None = None) -> str:
    """A work order made, booked, completed and archived the way a user does it."""
    where = ["--work-address", str(work_address)] if work_address else []
    number = ok(run("workorder", "create", "--customer", customer, "--description", "Onderhoud", *where))
    ok(run("workorder", "book-time", number, "--employee", "Piet", "--work", "60"))
    if material:
        ok(run("workorder", "add-material", number, material, "2"))
    ok(run("workorder", "form", number, "Veiligheid", "--answer", "Gas afgesloten?=Ja"))
    ok(run("workorder", "complete", number))
    ok(run("workorder", "archive", number))
    return number


def three_archived(run, material: str) -> tuple[list[str], dict[str, list[str]]]:
    """Three archived work orders, one on a work address added locally, one with a material;
    returns their numbers and the work address lines each one shows."""
    first, second = customer_codes(run)[3:5]
    extra = int(ok(run("workaddress", "add", second, "--street", "Kerkstraat 1", "--postcode", "3511 AA",
                       "--city", "Utrecht", "--name", "Kantine")))
    numbers = [archived(run, first, material=material), archived(run, second), archived(run, second, extra)]
    return numbers, {n: _shown_address(run, n) for n in numbers}


def _shown_address(run, number: str) -> list[str]:
    return json.loads(ok(run("workorder", "show", number, "--json")))["work_address"]["lines"]


def remarks_of(sandbox) -> dict[str, str]:
    return {i["Description"].removeprefix("Werkbon "): i["Remarks"] for i in sandbox.invoices.values()}


@pytest.mark.parametrize("new_customers", [3, pytest.param(0, marks=pytest.mark.slow)])
@pytest.mark.parametrize("parts", [["--customers"], pytest.param(["--work-addresses"], marks=pytest.mark.slow),
                                   pytest.param(["--customers", "--items"], marks=pytest.mark.slow)])
def test_reactivation_with_a_wipe_sends_every_archived_work_order(sandbox, pulled, run, new_customers, parts):
    numbers, addresses = three_archived(run, material=sales_item_codes(sandbox)[1])
    ok(run("deactivate", "--yes"))
    for n in range(new_customers):
        sandbox.add_customer(Code=f"A{n}", Name=f"Nieuwe klant {n}", AddressLine1=f"Laan {n}", City="Delft")

    wiped = run("wipe", *parts, "--yes")
    assert wiped.exit_code == 0, wiped.output
    ok(run("activate"))
    ok(run("pull"))
    pushed = run("push")

    assert pushed.exit_code == 0, pushed.output
    assert_exactly_once(sandbox, pulled, numbers)
    assert remarks_of(sandbox) == {n: "\n".join(lines) for n, lines in addresses.items()}
    assert {n: _shown_address(run, n) for n in numbers} == addresses


def test_a_work_order_still_open_through_the_wipe_is_sent_on_its_local_work_address(sandbox, pulled, run):
    customer = customer_codes(run)[4]
    extra = int(ok(run("workaddress", "add", customer, "--street", "Kerkstraat 1", "--postcode", "3511 AA",
                       "--city", "Utrecht", "--name", "Kantine")))
    number = ok(run("workorder", "create", "--customer", customer, "--description", "Onderhoud",
                    "--work-address", str(extra)))
    ok(run("workorder", "book-time", number, "--employee", "Piet", "--work", "60"))
    ok(run("deactivate", "--yes"))
    for n in range(3):
        sandbox.add_customer(Code=f"A{n}", Name=f"Nieuwe klant {n}")
    wiped = run("wipe", "--customers", "--yes")
    assert f"work orders not yet sent to Exact use them ({number})" in wiped.stderr
    ok(run("activate"))
    ok(run("pull"))

    listed = json.loads(ok(run("workaddress", "list", customer, "--json")))
    assert [(a["id"], a["name"], a["from_exact"]) for a in listed][1:] == [(extra, "Kantine", False)]
    ok(run("workorder", "complete", number))
    ok(run("workorder", "archive", number))
    ok(run("push"))
    assert remarks_of(sandbox) == {number: "Kantine\nKerkstraat 1\n3511 AA Utrecht\nNL"}
