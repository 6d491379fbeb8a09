"""Push's lookups after an uncertain outcome: Exact is asked by key fields only (it refuses a
filter on a document's Subject or an attachment's FileName), every page is read, and the text
is matched here, exactly."""

from __future__ import annotations

import base64

import pytest

from exactsync.exact import ExactClient
from exactsync.sync import lookups
from tests.helpers.login import connect

pytestmark = pytest.mark.sandbox(seed=3, customers=5, items=5, minutely_limit=10_000)

INVOICES = 130  # three pages of 60


@pytest.fixture
def client(sandbox, config_path) -> ExactClient:
    return ExactClient.from_config(connect(sandbox, config_path))


def customers(sandbox) -> list[str]:
    return [guid for guid, account in sandbox.accounts.items() if account["Status"] == "C"]


def invoice(client, sandbox, customer: str, description: str) -> tuple[str, int]:
    """The new invoice's ID and OrderNumber."""
    item = next(i["ID"] for i in sandbox.items.values() if i["IsSalesItem"])
    made = client.post("salesinvoice/SalesInvoices", {"OrderedBy": customer, "Journal": "70",
                                                      "Description": description,
                                                      "SalesInvoiceLines": [{"Item": item, "Quantity": 1}]})
    return made["InvoiceID"], made["OrderNumber"]


def test_an_invoice_is_found_among_all_pages_of_its_customer_by_its_exact_description(sandbox, client):
    mine, other = customers(sandbox)[:2]
    ids = {n: invoice(client, sandbox, mine, f"Werkbon WO-{n}") for n in range(1, INVOICES + 1)}
    near_miss = invoice(client, sandbox, mine, "werkbon wo-131 ")  # Exact's own comparison would take it
    invoice(client, sandbox, other, "Werkbon WO-131")
    sandbox.reset_calls()

    assert all(lookups.find_invoice(client, f"Werkbon WO-{n}", mine) == ids[n] for n in (1, 65, INVOICES))
    sandbox.reset_calls()
    assert lookups.find_invoice(client, "Werkbon WO-131", mine) is None
    assert sandbox.calls["GET salesinvoice/SalesInvoices"] == 3  # every page of that customer's invoices
    assert lookups.find_invoice(client, "werkbon wo-131 ", mine) == near_miss


def test_a_document_and_its_attachment_are_found_without_filtering_on_their_text(sandbox, client):
    customer = customers(sandbox)[0]
    for subject in ("Formulieren WO-7", "werkbon wo-7", "Werkbon WO-70"):
        client.post("documents/Documents", {"Account": customer, "Subject": subject, "Type": 10})
    document = client.post("documents/Documents", {"Account": customer, "Subject": "Werkbon WO-7", "Type": 10})["ID"]
    attachments = {name: client.post("documents/DocumentAttachments", {
        "Document": document, "FileName": name, "Attachment": base64.b64encode(b"%PDF-1.4").decode()})["ID"]
        for name in ("WO-7-formulieren.pdf", "WO-7-werkbon.pdf")}

    assert lookups.find_document(client, "Werkbon WO-7", customer) == document
    assert lookups.find_document(client, "Werkbon WO-8", customer) is None
    assert lookups.find_attachment(client, document, "WO-7-werkbon.pdf") == attachments["WO-7-werkbon.pdf"]
    assert lookups.find_attachment(client, document, "wo-7-werkbon.pdf") is None
