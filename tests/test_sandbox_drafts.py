"""The office in the sandbox (issue 21.4): a draft processed (Status 50, InvoiceNumber) or deleted
shows in sync/SalesInvoice/SalesInvoices and sync/Deleted as Exact shows it."""

import pytest

from exactsync.sandbox.data import FIRST_INVOICE_NUMBER
from tests.helpers.sandbox_http import Api, error_value

pytestmark = pytest.mark.sandbox(customers=10, items=10)

SYNC_INVOICES = "sync/SalesInvoice/SalesInvoices"


@pytest.fixture
def api(sandbox):
    return Api(sandbox)


def draft(sandbox, api, description: str = "Werkbon WO00001") -> dict:
    customer = next(g for g, a in sandbox.accounts.items() if a["Status"] == "C" and not a["Blocked"])
    item = next(i for i in sandbox.items.values() if i["IsSalesItem"] and i["EndDate"] is None)
    answer = api.post("salesinvoice/SalesInvoices", {"OrderedBy": customer, "Journal": "70", "Description": description,
                                                     "SalesInvoiceLines": [{"Item": item["ID"], "Quantity": 1}]})
    assert answer.status_code == 201, answer.text
    return answer.json()["d"]


def synced(api, path: str, after: int = 1, select: str = "InvoiceID,OrderNumber,InvoiceNumber,Status,Timestamp"):
    rows, _ = api.read_all(path, **{"$filter": f"Timestamp gt {after}L", "$select": select})
    return rows


def test_a_posted_draft_is_in_the_sync_endpoint_open_with_its_order_number(sandbox, api):
    created = draft(sandbox, api)
    [row] = synced(api, SYNC_INVOICES)
    assert (row["InvoiceID"], row["Status"], row["InvoiceNumber"]) == (created["InvoiceID"], 20, None)
    assert row["OrderNumber"] == created["OrderNumber"] and isinstance(row["Timestamp"], str)  # Int64 as text


def test_processing_a_draft_gives_status_50_and_an_invoice_number_seen_after_the_checkpoint(sandbox, api):
    created = draft(sandbox, api)
    checkpoint = int(synced(api, SYNC_INVOICES)[0]["Timestamp"])

    number = sandbox.process_invoice(created["InvoiceID"])

    [row] = synced(api, SYNC_INVOICES, after=checkpoint)
    assert (row["Status"], row["InvoiceNumber"], number) == (50, FIRST_INVOICE_NUMBER, FIRST_INVOICE_NUMBER)
    [filed] = [d for d in sandbox.documents.values() if d["FinancialTransactionEntryID"] == created["InvoiceID"]]
    assert (filed["Type"], filed["Subject"]) == (10, f"Invoice: {FIRST_INVOICE_NUMBER}")
    with pytest.raises(ValueError):
        sandbox.delete_invoice(created["InvoiceID"])  # a processed invoice is no draft any more


def test_a_deleted_draft_and_document_are_in_sync_deleted_as_13_and_6(sandbox, api):
    created = draft(sandbox, api)
    document = api.post("documents/Documents", {"Subject": "Werkbon WO00001", "Type": 10}).json()["d"]
    checkpoint = max(int(r["Timestamp"]) for r in synced(api, "sync/Deleted", select="EntityKey,Timestamp") or
                     [{"Timestamp": "1"}])

    sandbox.delete_invoice(created["InvoiceID"])
    sandbox.delete_document(document["ID"])

    rows = synced(api, "sync/Deleted", after=checkpoint, select="EntityKey,EntityType,Timestamp")
    assert [(r["EntityKey"], r["EntityType"]) for r in rows] == [(created["InvoiceID"], 13), (document["ID"], 6)]
    assert created["InvoiceID"] not in sandbox.invoices and document["ID"] not in sandbox.documents
    assert synced(api, SYNC_INVOICES) == []


def test_a_division_not_ticked_at_the_login_is_403_for_every_call_in_it(sandbox, api):
    sandbox.division_ticked = False
    answer = api.get("crm/Accounts", **{"$filter": "Code eq '1'", "$select": "ID"})
    assert answer.status_code == 403 and error_value(answer) == "User division is not within division scope"
    assert api.get(f"{sandbox.base_url}/api/v1/current/Me").status_code == 200  # no division in its URL
