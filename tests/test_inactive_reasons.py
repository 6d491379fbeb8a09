"""The action fits the reason: every inactive reason of a customer or an item, walked through each place
that shows one (push refusing a work order's customer or material, pull deactivating a record)."""

from __future__ import annotations

import re

import pytest

from exactsync.sync import entities, invoice, mapping

SAMPLE = {"status": "S", "day": "2026-01-31", "group": "701"}
# Per reason: what the action for a customer and for an item must say ("" : nothing in Exact can bring it back).
FITTING = {
    mapping.NOT_A_CUSTOMER_STATUS: ("a customer in Exact (status Customer)", "make item 'M1' active in Exact again"),
    mapping.NOT_A_CUSTOMER_NO_STATUS: ("a customer in Exact (status Customer)", "make item 'M1' active in Exact again"),
    mapping.NOT_FOR_SALES: ("allow customer 25 (Bakkerij) for sales in Exact", "make item 'M1' active in Exact again"),
    mapping.BLOCKED: ("unblock customer 25 (Bakkerij) in Exact", "make item 'M1' active in Exact again"),
    mapping.ENDED_ON: ("remove or move the end date of customer 25 (Bakkerij) in Exact",
                       "remove or move the end date of item 'M1' in Exact"),
    mapping.NOT_A_SALES_ITEM: ("make customer 25 (Bakkerij) active in Exact again",
                               "make item 'M1' a sales item in Exact again"),
    mapping.IN_OTHER_ITEM_GROUP: ("make customer 25 (Bakkerij) active in Exact again",
                                  "add the item group of item 'M1' to [settings] item_groups"),
    mapping.IN_NO_ITEM_GROUP: ("make customer 25 (Bakkerij) active in Exact again",
                               "give item 'M1' an item group in Exact"),
    mapping.DELETED: ("", ""),
    mapping.NO_LONGER_IN_EXACT: ("", ""),
    mapping.NOT_FROM_EXACT: ("add customer 25 (Bakkerij) in Exact", "add item 'M1' in Exact"),
    mapping.INACTIVE: ("make customer 25 (Bakkerij) active in Exact again", "make item 'M1' active in Exact again"),
}
ORDER = {"number": "WO00007", "customer_code": "25", "customer_name": "Bakkerij", "customer_exact_id": "c1"}
SET_CUSTOMER = "exactsync workorder set-customer WO00007 --customer CODE"


def test_every_reason_has_its_fitting_actions():
    assert set(FITTING) == set(mapping.REASONS) == set(mapping.FIXES)


@pytest.mark.parametrize("reason", mapping.REASONS)
def test_a_work_order_refused_for_its_customer_gets_the_action_that_fits_the_reason(reason):
    stored = reason.format(**SAMPLE)
    customer = {"id": 1, "active": 0, "inactive_reason": stored}
    refused = invoice.refusal(ORDER, customer, {"customer_id": 1}, [], lambda m: None, None)
    action = str(refused.action)
    fitting = FITTING[reason][0]
    assert SET_CUSTOMER in action  # another customer is always a way out
    if fitting:
        assert fitting in action
    else:
        assert action.startswith("give the work order another customer") and "in Exact" not in action
    if reason != mapping.INACTIVE:
        assert "active in Exact again" not in action or fitting.endswith("active in Exact again")


@pytest.mark.parametrize("reason", mapping.REASONS)
def test_a_material_refused_for_its_item_gets_the_action_that_fits_the_reason(reason):
    problem = invoice.item_problem("M1", reason.format(**SAMPLE))
    refused = invoice.material_refusal("WO00007", {"M1": problem})
    fitting = FITTING[reason][1]
    if fitting:
        assert str(problem.fix).startswith(fitting) and str(refused.action).startswith(fitting)
    else:
        assert problem.fix == "" and "make this invoice by hand in Exact" in str(refused.action)


@pytest.mark.parametrize("reason", mapping.REASONS)
@pytest.mark.parametrize(("kind", "record", "column"), [("customer", "25 (Bakkerij)", 0), ("item", "'M1'", 1)])
def test_a_record_pull_deactivates_gets_the_action_that_fits_the_reason(reason, kind, record, column):
    action = str(entities.no_longer_picked(mapping.fix_for(kind, reason.format(**SAMPLE), record)))
    assert action.startswith("none: it can no longer be picked for new work orders (Exact leads)")
    fitting = FITTING[reason][column]
    assert (fitting in action) if fitting else not re.search(r"wrong", action)


@pytest.mark.parametrize("reason", mapping.REASONS)
def test_a_new_work_order_refused_for_its_customer_or_item_gets_the_action_that_fits_the_reason(db, reason):
    from exactsync.workorders.lookup import WorkOrderError, usable_customer, usable_item
    from tests.helpers.factories import add_customer, add_item

    stored = reason.format(**SAMPLE)
    add_customer(db, "25", "Bakkerij", active=False)
    add_item(db, "M1", active=False)
    db.execute("UPDATE customers SET inactive_reason = ?", [stored])
    db.execute("UPDATE items SET inactive_reason = ?", [stored])
    for kind, use, code, fitting in (("customer", usable_customer, "25", FITTING[reason][0]),
                                     ("item", usable_item, "M1", FITTING[reason][1])):
        with pytest.raises(WorkOrderError) as refused:
            use(db, code)
        said = str(refused.value)
        assert said.endswith(f"choose another {kind}"), said  # another one is always a way out
        fix = fitting.replace(" (Bakkerij)", "").replace("'M1'", "M1")
        if fix:
            assert fix in said, said
        else:  # nothing in Exact brings it back: only another one
            assert said.rsplit(": ", 1)[1] == f"choose another {kind}", said
