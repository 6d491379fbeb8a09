"""The invoice a work order becomes (R8-R11) and the refusals (R4, R12), on plain dicts."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from exactsync.config import Settings
from exactsync.sync import invoice

CUSTOMER = "6a1f0b5e-0000-4000-8000-000000000001"
WORK_ITEM, TRAVEL_ITEM, DEFAULT_ITEM, MATERIAL = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(2, 6))
ITEM_IDS = {"UUR": WORK_ITEM, "REIS": TRAVEL_ITEM, "VOORRIJ": DEFAULT_ITEM}
ORDER = {"number": "WO00007", "customer_code": "25", "customer_name": "Bakkerij Jansen",
         "customer_exact_id": CUSTOMER, "customer_reference": "PO-981",
         "work_address": "Kerkstraat 1\n1234 AB Utrecht", "description": "CV-ketel onderhoud",
         "work_address_id": 3}
MATERIALS = [{"item_code": "M100", "item_exact_id": MATERIAL, "description": "Kraan 1/2 inch", "quantity": "2.5"}]
BASE = {"journal": "70", "work_time_item": "", "travel_time_item": "", "default_item": "", "memo": "none",
        "your_ref": "none", "pdfs": "none"}


def build(minutes=None, materials=MATERIALS, has_forms=True, order=ORDER, **settings):
    return invoice.build(order, minutes if minutes is not None else {"work": 120, "travel": 15}, materials,
                         Settings.from_dict({**BASE, **settings}), ITEM_IDS, has_forms)


@pytest.mark.parametrize("minutes, hours", [(120, "2"), (15, "0.25"), (20, "0.3333"), (40, "0.6667"), (1, "0.0167"),
                                            (59, "0.9833"), (61, "1.0167"), (90, "1.5"), (7, "0.1167")])
def test_hours_are_exact_to_the_minute_with_four_decimals_rounded_half_up(minutes, hours):
    assert invoice.hours(minutes) == Decimal(hours)


def test_quantities_go_on_the_wire_as_the_decimal_shown():
    body = build(minutes={"work": 20, "travel": 40}, work_time_item="UUR", travel_time_item="REIS").wire()
    assert json.dumps([line["Quantity"] for line in body["SalesInvoiceLines"]]) == "[0.3333, 0.6667, 2.5]"


LINE_SETTINGS = list(itertools.product(("", "UUR"), ("", "REIS"), ("", "VOORRIJ")))


@pytest.mark.parametrize("work, travel, default", LINE_SETTINGS)
def test_lines_for_every_combination_of_time_and_default_items(work, travel, default):
    body = build(work_time_item=work, travel_time_item=travel, default_item=default).wire()
    expected = []
    if work:
        expected.append({"Item": WORK_ITEM, "Quantity": 2})
    if travel:
        expected.append({"Item": TRAVEL_ITEM, "Quantity": 0.25})
    expected.append({"Item": MATERIAL, "Quantity": 2.5, "Description": "Kraan 1/2 inch"})
    if default:
        expected.append({"Item": DEFAULT_ITEM, "Quantity": 1})
    assert body["SalesInvoiceLines"] == expected


def test_no_time_booked_means_no_time_line_even_with_the_item_set():
    lines = build(minutes={}, work_time_item="UUR", travel_time_item="REIS").wire()["SalesInvoiceLines"]
    assert [line["Item"] for line in lines] == [MATERIAL]


def test_the_body_has_no_status_and_always_the_work_order_number_in_the_description():
    body = build()
    assert body.wire() == {"Journal": "70", "OrderedBy": CUSTOMER, "Description": "Werkbon WO00007",
                           "SalesInvoiceLines": [{"Item": MATERIAL, "Quantity": 2.5, "Description": "Kraan 1/2 inch"}]}


@pytest.mark.parametrize("memo, remarks", [
    ("none", None),
    ("work_address", "Kerkstraat 1\n1234 AB Utrecht"),
    ("work_description", "CV-ketel onderhoud"),
    ("both", "Kerkstraat 1\n1234 AB Utrecht\n\nCV-ketel onderhoud"),
])
def test_remarks_per_memo_setting(memo, remarks):
    assert build(memo=memo).wire().get("Remarks") == remarks


@pytest.mark.parametrize("setting, reference, your_ref", [
    ("none", "PO-981", None),
    ("workorder_number", "PO-981", "WO00007"),
    ("customer_reference", "PO-981", "PO-981"),
    ("customer_reference", "", None),
    ("both", "PO-981", "WO00007 / PO-981"),
    ("both", "", "WO00007"),
])
def test_your_ref_per_setting(setting, reference, your_ref):
    built = build(order={**ORDER, "customer_reference": reference}, your_ref=setting)
    assert built.wire().get("YourRef") == your_ref and built.warnings == []


def test_a_too_long_your_ref_is_cut_with_a_warning():
    reference = "Bestelling 2026-11 afdeling onderhoud"
    built = build(order={**ORDER, "customer_reference": reference}, your_ref="both")
    assert built.your_ref == ("WO00007 / " + reference)[:invoice.YOUR_REF_MAX_LENGTH]
    assert len(built.your_ref) == invoice.YOUR_REF_MAX_LENGTH
    assert [str(w) for w in built.warnings] == [f"your reference 'WO00007 / {reference}' is longer than Exact's 30 characters: "
                              f"sent as {built.your_ref!r}"]


@pytest.mark.parametrize("setting, has_forms, files", [
    ("none", True, []),
    ("workorder", True, [("workorder", "WO00007-werkbon.pdf")]),
    ("forms", True, [("forms", "WO00007-formulieren.pdf")]),
    ("forms", False, []),
    ("both", True, [("workorder", "WO00007-werkbon.pdf"), ("forms", "WO00007-formulieren.pdf")]),
    ("both", False, [("workorder", "WO00007-werkbon.pdf")]),
])
def test_pdfs_per_setting(setting, has_forms, files):
    built = build(pdfs=setting, has_forms=has_forms)
    assert [(p.kind, p.file_name) for p in built.pdfs] == files
    assert built.shown()["document"] == ("Werkbon WO00007" if files else None)


# --- refusals -------------------------------------------------------------------------------

CUSTOMER_ROW = {"id": 1, "exact_id": CUSTOMER, "active": 1, "inactive_reason": ""}
ADDRESS_ROW = {"id": 3, "customer_id": 1}


def refusal(order=ORDER, customer=CUSTOMER_ROW, address=ADDRESS_ROW, materials=MATERIALS, active=(MATERIAL,),
            **settings):
    built = invoice.build(order, {}, materials, Settings.from_dict({**BASE, **settings}), ITEM_IDS, False)
    return invoice.refusal(order, customer, address, materials,
                           lambda m: None if m["item_exact_id"] in active else invoice.ItemProblem("deleted in Exact"),
                           built)


def test_a_complete_work_order_is_not_refused():
    assert refusal() is None


@pytest.mark.parametrize("case, expected", [
    (dict(order={**ORDER, "customer_code": "", "customer_exact_id": None}),
     "work order WO00007 has no customer: an invoice needs a customer (debtor) from Exact"),
    (dict(order={**ORDER, "customer_exact_id": None}),
     "work order WO00007: customer 25 (Bakkerij Jansen) is not from Exact, so it cannot be invoiced"),
    (dict(customer=None),
     "work order WO00007: customer 25 (Bakkerij Jansen) is no longer in Exact (deleted there and removed by cleanup)"),
    (dict(customer={**CUSTOMER_ROW, "active": 0, "inactive_reason": "is blocked in Exact"}),
     "work order WO00007: customer 25 (Bakkerij Jansen) is inactive in Exact (is blocked in Exact)"),
    (dict(customer={**CUSTOMER_ROW, "active": 0, "inactive_reason": "is not a customer in Exact (status P)"}),
     "work order WO00007: customer 25 (Bakkerij Jansen) is not a customer in Exact (status P), so Exact refuses an "
     "invoice for it"),
    (dict(address={"id": 3, "customer_id": 2}),
     "work order WO00007: its work address is not linked to customer 25 (Bakkerij Jansen)"),
    (dict(address=None),
     "work order WO00007: its work address is not linked to customer 25 (Bakkerij Jansen)"),
    (dict(active=()),
     "work order WO00007: material item 'M100' (deleted in Exact) cannot be invoiced"),
    (dict(materials=[]),
     "work order WO00007 has nothing to invoice: no booked time with a time item set, no materials and no "
     "default item"),
])
def test_each_refusal_says_what_is_wrong_and_what_to_do(case, expected):
    refused = refusal(**case)
    assert str(refused.message) == expected
    assert refused.action


def test_a_default_item_alone_is_something_to_invoice():
    assert refusal(materials=[], default_item="VOORRIJ") is None


def test_a_material_refusal_asks_only_what_can_be_done_for_an_archived_work_order():
    fixable = {"A": invoice.ItemProblem("is not a sales item in Exact", "make item 'A' a sales item in Exact again"),
               "B": invoice.ItemProblem("ended in Exact on 2026-01-31",
                                        "remove or move the end date of item 'B' in Exact")}
    refused = invoice.material_refusal("WO00007", fixable)
    assert str(refused.message) == ("work order WO00007: material items 'A' (is not a sales item in Exact), "
                               "'B' (ended in Exact on 2026-01-31) cannot be invoiced")
    assert str(refused.action) == ("make item 'A' a sales item in Exact again; remove or move the end date of item 'B' "
                              "in Exact; the next pull and push send it")
    # One item gone for good: fixing the others would not help, and the materials cannot be changed.
    refused = invoice.material_refusal("WO00007", {**fixable, "C": invoice.ItemProblem("deleted in Exact")})
    assert str(refused.action).startswith("an item deleted in Exact cannot come back")
    assert "correct the materials" not in str(refused.action) and "WO00007" in str(refused.action)
