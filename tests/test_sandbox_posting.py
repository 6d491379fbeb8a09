"""Sales invoices, documents and attachments: Exact's validation, no idempotency, faults."""

import base64

import pytest
import requests

from exactsync.sandbox.posting import MAX_POST_BYTES
from tests.helpers.sandbox_http import Api, error_value

pytestmark = pytest.mark.sandbox(customers=20, items=20)


@pytest.fixture
def api(sandbox):
    return Api(sandbox)


def customer(sandbox) -> str:
    return next(g for g, a in sandbox.accounts.items() if a["Status"] == "C" and not a["Blocked"])


def sales_item(sandbox) -> dict:
    return next(i for i in sandbox.items.values() if i["IsSalesItem"] and i["EndDate"] is None)


def invoice(sandbox, **changes) -> dict:
    return {"OrderedBy": customer(sandbox), "Journal": "70", "YourRef": "WO-1", "Description": "Werkbon 1",
            "SalesInvoiceLines": [{"Item": sales_item(sandbox)["ID"], "Quantity": 2, "UnitPrice": 12.5}]} | changes


def test_post_invoice_answers_201_with_an_open_invoice_and_deferred_lines(sandbox, api):
    answer = api.post("salesinvoice/SalesInvoices", invoice(sandbox))
    assert answer.status_code == 201
    created = answer.json()["d"]
    assert created["Status"] == 20 and created["InvoiceNumber"] is None and created["Type"] == 8020
    assert created["InvoiceTo"] == created["OrderedBy"] == customer(sandbox) and created["AmountDC"] == 25.0
    assert set(created["SalesInvoiceLines"]) == {"__deferred"}
    stored = sandbox.invoices[created["InvoiceID"]]
    assert stored["YourRef"] == "WO-1" and stored["SalesInvoiceLines"][0]["Quantity"] == 2
    assert stored["SalesInvoiceLines"][0]["Description"] == sales_item(sandbox)["Description"]
    lines = api.get(created["SalesInvoiceLines"]["__deferred"]["uri"]).json()["d"]["results"]
    assert [line["Quantity"] for line in lines] == [2]


def test_identical_posts_make_duplicates(sandbox, api):
    for _ in range(2):
        assert api.post("salesinvoice/SalesInvoices", invoice(sandbox)).status_code == 201
    assert len(sandbox.invoices) == 2


def test_net_price_only_is_stored_like_exact_does(sandbox, api):
    body = invoice(sandbox, SalesInvoiceLines=[{"Item": sales_item(sandbox)["ID"], "Quantity": 1, "NetPrice": 1}])
    created = api.post("salesinvoice/SalesInvoices", body).json()["d"]
    (line,) = sandbox.invoices[created["InvoiceID"]]["SalesInvoiceLines"]
    assert (line["NetPrice"], line["UnitPrice"], line["AmountFC"]) == (1, 0, 1)


@pytest.mark.parametrize("changes, status, message", [
    ({"Journal": "60"}, 500, "Ongeldig dagboek"),
    ({"Journal": "99"}, 500, "Ongeldige referentie: Dagboek"),
    ({"OrderedBy": "6f1c2c1e-0000-4000-8000-000000000000"}, 500, "Ongeldige referentie: Besteld door"),
    ({"OrderedBy": None}, 400, "Verplicht: Besteld door"),
    ({"SalesInvoiceLines": []}, 400, "Verplicht: Factuurregels"),
    ({"SalesInvoiceLines": [{"Item": "6f1c2c1e-0000-4000-8000-000000000000"}]}, 500, "Ongeldige referentie: Artikel"),
    ({"OrderedBy": "not-a-guid"}, 400, "to type 'System.Guid'"),
    ({"Colour": "red"}, 400, "The property 'Colour' does not exist"),
])
def test_invoice_validation_stores_nothing(sandbox, api, changes, status, message):
    answer = api.post("salesinvoice/SalesInvoices", invoice(sandbox, **changes))
    assert answer.status_code == status and message in error_value(answer)
    assert len(sandbox.invoices) == 0


def test_several_problems_come_joined_by_crlf(sandbox, api):
    answer = api.post("salesinvoice/SalesInvoices", invoice(sandbox, OrderedBy=None, SalesInvoiceLines=[]))
    assert error_value(answer) == "Verplicht: Besteld door\r\nVerplicht: Factuurregels"


def test_a_body_that_is_not_an_object_is_400(sandbox, api):
    answer = requests.post(api.url("salesinvoice/SalesInvoices"), data="[1]",
                           headers=api.headers | {"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert error_value(answer) == ("Error processing request stream. "
                                   "The request should be a valid top-level resource object.")


def test_invoices_are_found_by_your_ref_and_expand_their_lines(sandbox, api):
    api.post("salesinvoice/SalesInvoices", invoice(sandbox, YourRef="WO-7 O'Brien"))
    api.post("salesinvoice/SalesInvoices", invoice(sandbox, YourRef="WO-8"))
    found = api.get("salesinvoice/SalesInvoices", **{"$filter": "YourRef eq 'wo-7 o''brien  '",
                                                     "$expand": "SalesInvoiceLines"}).json()["d"]["results"]
    assert [f["YourRef"] for f in found] == ["WO-7 O'Brien"]
    assert len(found[0]["SalesInvoiceLines"]["results"]) == 1
    assert api.get("salesinvoice/SalesInvoices/$count", **{"$filter": "Journal eq '70'"}).text == "2"


def test_put_links_a_document_to_an_invoice(sandbox, api):
    created = api.post("salesinvoice/SalesInvoices", invoice(sandbox)).json()["d"]
    document = api.post("documents/Documents", {"Subject": "Werkbon", "Type": 10}).json()["d"]
    answer = api.put(f"salesinvoice/SalesInvoices(guid'{created['InvoiceID']}')", {"Document": document["ID"]})
    assert answer.status_code == 204 and answer.text == ""
    assert sandbox.invoices[created["InvoiceID"]]["Document"] == document["ID"]


def test_linking_a_document_that_does_not_exist_is_a_500_and_changes_nothing(sandbox, api):
    created = api.post("salesinvoice/SalesInvoices", invoice(sandbox)).json()["d"]
    missing = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    answer = api.put(f"salesinvoice/SalesInvoices(guid'{created['InvoiceID']}')", {"Document": missing})
    assert answer.status_code == 500 and error_value(answer) == "Ongeldige referentie: Document"
    assert sandbox.invoices[created["InvoiceID"]]["Document"] is None
    refused = api.post("salesinvoice/SalesInvoices", invoice(sandbox, Description="Werkbon 2", Document=missing))
    assert refused.status_code == 500 and error_value(refused) == "Ongeldige referentie: Document"
    assert len(sandbox.invoices) == 1


def test_an_invoice_for_an_account_that_is_not_a_customer_is_refused_with_500(sandbox, api):
    prospect = customer(sandbox)
    sandbox.update_account(prospect, Status="P")
    answer = api.post("salesinvoice/SalesInvoices", invoice(sandbox, OrderedBy=prospect))
    assert answer.status_code == 500 and error_value(answer) == "Ongeldig: Factuur voor (Type)"
    assert not sandbox.invoices


# -- documents ----------------------------------------------------------------------------------------------


def test_document_types_are_the_documented_ones_and_the_invented_one_says_so(api):
    types = {t["ID"]: t["Description"] for t in api.get("documents/DocumentTypes").json()["d"]["results"]}
    assert types[10] == "Verkoopfactuur" and types[20] == "Inkoopfactuur" and types[183] == "General attachment"
    assert [description for code, description in types.items() if code not in (10, 20, 183)] == [
        "Sandbox: verzonnen soort, niet aan te maken"]


def test_documents_need_subject_and_type(sandbox, api):
    answer = api.post("documents/Documents", {"Account": customer(sandbox)})
    assert answer.status_code == 400 and error_value(answer) == "Verplicht: Onderwerp\r\nVerplicht: Soort"
    created = api.post("documents/Documents", {"Subject": "Werkbon 12", "Type": 183, "Account": customer(sandbox)})
    assert created.status_code == 201 and created.json()["d"]["TypeDescription"] == "General attachment"
    found = api.get("documents/Documents", **{"$filter": f"Account eq guid'{customer(sandbox)}'"})
    assert [d["ID"] for d in found.json()["d"]["results"]] == [created.json()["d"]["ID"]]


def test_documents_and_attachments_refuse_a_filter_on_their_text(sandbox, api):
    document = api.post("documents/Documents", {"Subject": "Werkbon 12", "Type": 183, "Account": customer(sandbox)}).json()
    for path, text_filter in (("documents/Documents", f"Account eq guid'{customer(sandbox)}' and Subject eq 'Werkbon 12'"),
                              ("documents/Documents", "trim(Subject) eq 'Werkbon 12'"),
                              ("documents/DocumentAttachments",
                               f"Document eq guid'{document['d']['ID']}' and FileName eq 'werkbon.pdf'")):
        answer = api.get(path, **{"$filter": text_filter})
        assert answer.status_code == 400, text_filter
        assert error_value(answer).startswith("Filtering on these fields is not supported: ")
    assert api.get("salesinvoice/SalesInvoices", **{"$filter": "Description eq 'Werkbon 12'"}).status_code == 200


def test_attachments_take_base64_and_refuse_raw_bytes(sandbox, api):
    document = api.post("documents/Documents", {"Subject": "Werkbon", "Type": 183}).json()["d"]
    pdf = b"%PDF-1.4 werkbon"
    answer = api.post("documents/DocumentAttachments", {
        "Document": document["ID"], "FileName": "werkbon.pdf", "Attachment": base64.b64encode(pdf).decode()})
    created = answer.json()["d"]
    assert answer.status_code == 201 and created["Attachment"] is None and created["FileSize"] == len(pdf)
    assert created["Url"].startswith(sandbox.base_url)
    assert sandbox.attachments[created["ID"]]["Attachment"] == pdf
    raw = api.post("documents/DocumentAttachments", {
        "Document": document["ID"], "FileName": "werkbon.pdf", "Attachment": pdf.decode()})
    assert raw.status_code == 400 and "'Attachment' to type 'Byte[]'" in error_value(raw)
    listed = api.get("documents/DocumentAttachments", **{"$filter": f"Document eq guid'{document['ID']}'"})
    assert [a["FileName"] for a in listed.json()["d"]["results"]] == ["werkbon.pdf"]


def test_a_post_may_carry_10_mb_counting_binaries_by_their_bytes_not_their_base64(sandbox, api):
    document = api.post("documents/Documents", {"Subject": "Groot", "Type": 10}).json()["d"]
    for size, status in ((MAX_POST_BYTES - 1000, 201), (MAX_POST_BYTES + 1, 413)):
        answer = api.post("documents/DocumentAttachments", {
            "Document": document["ID"], "FileName": f"{size}.pdf", "Attachment": base64.b64encode(bytes(size)).decode()})
        assert answer.status_code == status, size
    assert [a["FileName"] for a in sandbox.attachments.values()] == [f"{MAX_POST_BYTES - 1000}.pdf"]


def test_documents_and_attachments_can_be_deleted(sandbox, api):
    document = api.post("documents/Documents", {"Subject": "Weg", "Type": 183}).json()["d"]
    attachment = api.post("documents/DocumentAttachments", {
        "Document": document["ID"], "FileName": "a.pdf", "Attachment": base64.b64encode(b"x").decode()}).json()["d"]
    assert api.session.delete(api.url(f"documents/DocumentAttachments(guid'{attachment['ID']}')"),
                              headers=api.headers).status_code == 204
    assert api.session.delete(api.url(f"documents/Documents(guid'{document['ID']}')"),
                              headers=api.headers).status_code == 204
    assert not sandbox.attachments and not sandbox.documents


# -- faults -------------------------------------------------------------------------------------------------


def test_error500_fault_stores_nothing(sandbox, api):
    sandbox.fault(method="POST", path="salesinvoice/SalesInvoices", kind="error500")
    assert api.post("salesinvoice/SalesInvoices", invoice(sandbox)).status_code == 500
    assert len(sandbox.invoices) == 0
    assert api.post("salesinvoice/SalesInvoices", invoice(sandbox)).status_code == 201


def test_drop_before_closes_the_connection_and_stores_nothing(sandbox, api):
    sandbox.fault(method="POST", path="salesinvoice/SalesInvoices", kind="drop_before")
    with pytest.raises(requests.ConnectionError):
        api.post("salesinvoice/SalesInvoices", invoice(sandbox))
    assert len(sandbox.invoices) == 0


def test_drop_after_commit_stores_then_closes_without_answer(sandbox, api):
    sandbox.fault(method="POST", path="salesinvoice/SalesInvoices", kind="drop_after_commit", times=1)
    with pytest.raises(requests.ConnectionError):
        api.post("salesinvoice/SalesInvoices", invoice(sandbox, YourRef="WO-99"))
    assert [i["YourRef"] for i in sandbox.invoices.values()] == ["WO-99"]
    assert sandbox.calls["POST salesinvoice/SalesInvoices"] == 1 and sandbox.faults == []


def test_latency_and_429_faults(sandbox, api):
    sandbox.fault(path="financial/Journals", kind="latency", ms=150)
    answer = api.get("financial/Journals")
    assert answer.status_code == 200 and answer.elapsed.total_seconds() >= 0.15
    sandbox.fault(path="financial/Journals", kind="429")
    limited = api.get("financial/Journals")
    assert limited.status_code == 429 and "X-RateLimit-Reset" not in limited.headers
    assert "X-RateLimit-Minutely-Reset" in limited.headers and limited.content == b""


def test_token_endpoint_faults(sandbox):
    sandbox.fault(method="POST", path="token", kind="error500")
    with pytest.raises(AssertionError):
        Api(sandbox)
    assert Api(sandbox).get("current/Me").status_code == 200


def test_put_cannot_replace_invoice_lines(sandbox, api):
    created = api.post("salesinvoice/SalesInvoices", invoice(sandbox)).json()["d"]
    answer = api.put(f"salesinvoice/SalesInvoices(guid'{created['InvoiceID']}')", {"SalesInvoiceLines": []})
    assert answer.status_code == 400 and len(sandbox.invoices[created["InvoiceID"]]["SalesInvoiceLines"]) == 1


def test_a_body_without_the_json_content_type_is_415(sandbox, api):
    answer = requests.post(api.url("documents/Documents"), data='{"Subject": "x", "Type": 183}',
                           headers=api.headers | {"Content-Type": "text/plain"})
    assert answer.status_code == 415 and not sandbox.documents
