"""The draft invoice links the werkbon's document (issue 15.5): exactly once under every fault on that
last step, shown by the dry run, and a work order half-sent before the step existed completes."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from test_push_safety import push_cli, short_timeout_store

from exactsync import config as config_mod
from exactsync.sync import push

from fakes import FakeClock
from push_helpers import archived, assert_exactly_once, customer_codes, fast_sandbox, run_push
from sandbox_helpers import Api
from test_push_faults import kill, start_push, wait_for

LINK = ("PUT", "salesinvoice/SalesInvoices")
PUTS = " ".join(LINK)
SLOW_MS = 3000  # longer than the 2 s answer timeout of short_timeout_store


@pytest.fixture
def sandbox(monkeypatch):
    with fast_sandbox(monkeypatch, seed=15, customers=20, items=30) as sb:
        yield sb


@pytest.fixture
def queue(sandbox, config_path):
    """Two archived work orders, both PDFs on."""
    db = short_timeout_store(sandbox, config_path, pdfs="both")
    numbers = [archived(db, code) for code in customer_codes(db)[:2]]
    yield db, numbers
    db.close()


def summary(run) -> dict:
    result = run("push", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def linked_document(sandbox, db, number: str) -> str | None:
    invoice = db.execute("SELECT exact_invoice_id FROM work_orders WHERE number = ?", [number]).fetchone()[0]
    return sandbox.invoices[invoice]["Document"]


def document_id(sandbox, subject: str) -> str:
    [found] = [d["ID"] for d in sandbox.documents.values() if d["Subject"] == subject]
    return found


# --- faults on the link --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, puts, adopted", [("drop_after_commit", 1, 1),
                                                 pytest.param("error500", 2, 0, marks=pytest.mark.slow),
                                                 pytest.param("drop_before", 2, 0, marks=pytest.mark.slow)])
def test_a_fault_on_the_link_ends_with_exactly_one_of_everything_and_the_link_set(sandbox, run, queue,
                                                                                  kind, puts, adopted):
    db, numbers = queue
    sandbox.fault(*LINK, kind)

    first = summary(run)

    assert first["retrying"] == [numbers[0]] and first["sent"] == [numbers[1]]
    step = db.execute("SELECT state, last_status FROM outbox WHERE work_order_id = 1 AND step = ?",
                      [push.LINK_STEP]).fetchone()
    assert step == ("in_flight", 500 if kind == "error500" else None)
    # A PUT sets the same value however often it arrives: the next run need not wait out Exact.
    second = summary(run)
    assert second["sent"] == [numbers[0]] and second["adopted"] == adopted and second["waiting"] == []
    assert sandbox.calls[PUTS] == puts + 1  # the second work order's link went at once
    assert_exactly_once(sandbox, db, numbers)
    assert linked_document(sandbox, db, numbers[0]) == document_id(sandbox, f"Werkbon {numbers[0]}")


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["while Exact answers", "before the answer is recorded"])
def test_kill_9_on_the_link_ends_with_exactly_one_of_everything_after_the_next_run(sandbox, config_path, queue,
                                                                                  moment):
    db, numbers = queue
    sandbox.fault(*LINK, "latency", ms=1000)  # time enough to act, even on a loaded machine
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls[PUTS] >= 1)

    def first_invoice():
        return next(i for i in sandbox.invoices.values() if i["Description"] == f"Werkbon {numbers[0]}")

    if moment == "while Exact answers":
        kill(process)
        wait_for(lambda: first_invoice()["Document"] is not None)  # Exact finishes what it started
    else:
        # Hold the store's write lock, so the push gets Exact's answer but cannot record it.
        blocker = sqlite3.connect(config_mod.load(config_path).store_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        wait_for(lambda: first_invoice()["Document"] is not None)
        time.sleep(0.1)
        kill(process)
        blocker.execute("ROLLBACK")
        blocker.close()
    assert db.execute("SELECT state FROM outbox WHERE work_order_id = 1 AND step = ?",
                      [push.LINK_STEP]).fetchone() == ("in_flight",)

    after = push_cli(config_path)

    assert after["adopted"] == 1 and after["sent"] == numbers
    assert sandbox.calls[PUTS] == 2  # the adopted link was not sent again
    assert_exactly_once(sandbox, db, numbers)


@pytest.mark.slow
def test_a_rerun_right_after_kill_9_while_exact_still_stores_the_link_sends_it_again_harmlessly(sandbox, config_path):
    db = short_timeout_store(sandbox, config_path, pdfs="both")
    number = archived(db, customer_codes(db)[0])
    sandbox.fault(*LINK, "latency", ms=SLOW_MS)
    process = start_push(config_path)
    wait_for(lambda: sandbox.calls[PUTS] == 1)
    kill(process)
    assert sandbox.invoices and next(iter(sandbox.invoices.values()))["Document"] is None  # still being stored

    at_once = push_cli(config_path)

    assert at_once["sent"] == [number] and at_once["waiting"] == []
    assert sandbox.calls[PUTS] == 2
    werkbon = document_id(sandbox, f"Werkbon {number}")
    assert linked_document(sandbox, db, number) == werkbon
    time.sleep(SLOW_MS / 1000)  # the first PUT lands late, with the same value
    assert linked_document(sandbox, db, number) == werkbon
    assert_exactly_once(sandbox, db, [number])


@pytest.mark.slow
def test_a_link_exact_keeps_refusing_backs_off_then_leaves_the_work_order_sent_with_a_warning(sandbox, config_path,
                                                                                              queue):
    db, numbers = queue
    clock = FakeClock(1_900_000_000.0)
    sandbox.fault(*LINK, "drop_before")  # the first work order stops before its link ...
    run_push(config_path, db, clock=clock.time)
    api = Api(sandbox)  # ... and the office deletes its werkbon in Exact
    gone = api.session.delete(api.url(f"documents/Documents(guid'{document_id(sandbox, f'Werkbon {numbers[0]}')}')"),
                              headers=api.headers)
    assert gone.status_code == 204
    for _ in range(10):
        clock.sleep(5 * 3600)  # past every back-off
        run_push(config_path, db, clock=clock.time)

    assert sandbox.calls[PUTS] == 1 + 1 + push.MAX_ATTEMPTS  # the second's link, the dropped one, five refused
    order = db.execute("SELECT status, exact_invoice_id FROM work_orders WHERE number = ?", [numbers[0]]).fetchone()
    assert order[0] == "sent" and sandbox.invoices[order[1]]["Document"] is None
    [(kind, message, action)] = db.execute("SELECT kind, message, action FROM log WHERE record = ? "
                                           "ORDER BY id DESC LIMIT 1", [numbers[0]]).fetchall()
    assert (kind, message) == ("warning", f"work order {numbers[0]} sent to Exact as draft invoice {order[1]} with its "
                               f"PDFs, but Exact refused {push.MAX_ATTEMPTS} times to link its PDF to the invoice: "
                               "Ongeldige referentie: Document")
    assert action.startswith("none: its PDFs are on the customer's card in Exact")
    assert len(sandbox.invoices) == 2 and len(sandbox.documents) == 3


# --- each pdfs setting, and the dry run ---------------------------------------------------------------------

@pytest.mark.parametrize("pdfs, linked", [("both", "Werkbon"), ("workorder", "Werkbon"), ("forms", "Formulieren"),
                                          ("none", None)])
def test_the_dry_run_shows_the_link_push_then_sets(sandbox, config_path, run, pdfs, linked):
    db = short_timeout_store(sandbox, config_path, pdfs=pdfs)
    number = archived(db, customer_codes(db)[0])
    file_name = {"Werkbon": f"{number}-werkbon.pdf", "Formulieren": f"{number}-formulieren.pdf", None: None}[linked]

    [shown] = json.loads(run("push", "--dry-run", "--json").stdout)
    table = run("push", "--dry-run").output

    assert shown["invoice"]["linked_pdf"] == file_name
    assert ("linked to the invoice" in table) is (linked is not None)
    assert summary(run)["sent"] == [number]
    assert linked_document(sandbox, db, number) == (document_id(sandbox, f"{linked} {number}") if linked else None)
    assert sandbox.calls[PUTS] == (1 if linked else 0)


def test_a_work_order_without_forms_links_nothing_when_only_forms_are_sent(sandbox, config_path, run):
    db = short_timeout_store(sandbox, config_path, pdfs="forms")
    number = archived(db, customer_codes(db)[0], form=False)
    assert summary(run)["sent"] == [number]
    assert linked_document(sandbox, db, number) is None and sandbox.calls[PUTS] == 0


def test_the_dry_run_of_a_work_order_whose_invoice_is_in_exact_says_the_link_is_still_to_set(sandbox, run, queue):
    db, numbers = queue
    sandbox.fault(*LINK, "error500")
    summary(run)
    table = run("push", "--dry-run").output
    assert "is in Exact; its PDFs would be sent," in table and "linked to it" in table


# --- a work order half-sent before the link step existed ----------------------------------------------------

def without_the_link(monkeypatch):
    """Push as it was before the link step: the same steps in the same order, no link."""
    monkeypatch.setattr(push, "linked_pdf", lambda built: None)


@pytest.mark.parametrize("stopped", ["at its werkbon's attachment",
                                     pytest.param("after its last step, before it was marked sent",
                                                  marks=pytest.mark.slow)])
def test_a_work_order_half_sent_by_the_old_steps_completes_with_the_link(sandbox, config_path, run, queue,
                                                                         monkeypatch, stopped):
    db, numbers = queue
    with monkeypatch.context() as old_push:
        without_the_link(old_push)
        if stopped == "at its werkbon's attachment":
            sandbox.fault("POST", "documents/DocumentAttachments", "error500")
        run_push(config_path, db)
    steps = dict(db.execute("SELECT step, state FROM outbox WHERE work_order_id = 1").fetchall())
    if stopped == "at its werkbon's attachment":
        assert steps == {"invoice": "done", "document:workorder": "done", "attachment:workorder": "in_flight"}
    else:  # as a kill -9 between the last step's commit and the one that marks the work order sent
        db.execute("UPDATE work_orders SET status = 'archived' WHERE id = 1")
        assert set(steps.values()) == {"done"} and push.LINK_STEP not in steps
    sent_before = db.execute("SELECT number FROM work_orders WHERE id = 2").fetchone()[0]
    assert sent_before == numbers[1] and linked_document(sandbox, db, numbers[1]) is None

    after = summary(run)

    assert after["sent"] == [numbers[0]]
    assert_exactly_once(sandbox, db, [numbers[0]])
    # A work order sent before the change is left as it is: its invoice may be confirmed by now.
    assert linked_document(sandbox, db, numbers[1]) is None and sandbox.calls[PUTS] == 1
