"""What became of each draft (issue 21.3-21.4): pull learns that the office processed a draft (its
invoice number) or deleted it (a warning with the action), `workorder resend` sends a deleted one
again exactly once, reusing its documents, and list and show give Exact's numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from exactsync import config as config_mod
from exactsync import log
from exactsync.exact import ExactClient
from exactsync.sandbox.data import FIRST_INVOICE_NUMBER
from exactsync.sync import drafts, pull
from tests.helpers.push import archived, connected_store, customer_codes, in_exact, sales_item_codes

pytestmark = pytest.mark.sandbox(seed=21, customers=20, items=30, minutely_limit=10_000)

SYNC_INVOICES = "GET sync/SalesInvoice/SalesInvoices"


@pytest.fixture
def sent(sandbox, config_path, run):
    """Two work orders sent with both PDFs: (db, numbers)."""
    _, db = connected_store(sandbox, config_path, pdfs="both", work_time_item=sales_item_codes(sandbox)[0])
    numbers = [archived(db, code) for code in customer_codes(db)[:2]]
    assert run("push").exit_code == 0
    yield db, numbers
    db.close()


def invoice_of(db, number: str) -> str | None:
    return db.execute("SELECT exact_invoice_id FROM work_orders WHERE number = ?", [number]).fetchone()[0]


def work_order(db, number: str) -> dict:
    return next(db.query("SELECT * FROM work_orders WHERE number = ?", [number]))


def rows_about(db, number: str) -> list[dict]:
    return [r for r in log.rows(db, log.LogFilter(limit=None)) if r["record"] == number]


def document_of(sandbox, subject: str) -> str:
    [found] = [d["ID"] for d in sandbox.documents.values() if d["Subject"] == subject]
    return found


def test_a_draft_the_office_deletes_is_a_warning_and_resent_once_with_its_documents_reused(sandbox, run, sent):
    db, (number, other) = sent
    documents_before = dict(sandbox.documents)
    sandbox.delete_invoice(invoice_of(db, number))

    assert run("pull").exit_code == 0

    [warning] = [r for r in rows_about(db, number) if r["kind"] == "warning"]
    assert warning["message"] == f"the draft invoice for {number} was deleted in Exact"
    assert warning["action"] == f"if it must be invoiced after all: exactsync workorder resend {number}"
    assert work_order(db, number)["exact_deleted_at"] and not work_order(db, other)["exact_deleted_at"]
    assert "deleted in Exact on" in run("workorder", "show", number).stdout
    assert run("pull").exit_code == 0  # the deletion is said once
    assert len([r for r in rows_about(db, number) if r["kind"] == "warning"]) == 1

    assert run("workorder", "resend", number).exit_code == 0
    assert work_order(db, number)["status"] == "archived"
    refused = run("workorder", "resend", number)
    assert refused.exit_code == 1 and f"work order {number} is archived, not sent" in refused.output
    assert run("push").exit_code == 0

    found = in_exact(sandbox)
    assert found["invoices"][f"Werkbon {number}"] == 1 and found["invoices"][f"Werkbon {other}"] == 1
    assert sandbox.documents.keys() == documents_before.keys()  # reused, none added
    assert set(found["attachments"].values()) == {1}
    assert sandbox.invoices[invoice_of(db, number)]["Document"] == document_of(sandbox, f"Werkbon {number}")
    assert work_order(db, number)["status"] == "sent" and work_order(db, number)["exact_deleted_at"] is None
    again = run("workorder", "resend", number)
    assert again.exit_code == 1
    assert f"the draft invoice for {number} was not deleted in Exact" in again.output


def test_a_deleted_draft_is_told_to_cron_and_to_the_field_app(sandbox, run, sent, monkeypatch):
    """Nothing failed, yet someone must decide: resend it, or leave it deleted."""
    db, (number, other) = sent
    sandbox.delete_invoice(invoice_of(db, number))
    monkeypatch.setattr("exactsync.commands._output.watched", lambda: False)  # as under cron

    told = run("pull")
    assert told.exit_code == 0
    assert told.stderr.splitlines()[-1] == (f"the draft invoice for {number} was deleted in Exact; what to do: if it "
                                            f"must be invoiced after all: exactsync workorder resend {number}")
    assert run("pull").stderr == ""  # said once
    shown = json.loads(run("workorder", "show", number, "--json").stdout)["exact"]
    assert shown["state"] == "deleted" and shown["action"].endswith(f"exactsync workorder resend {number}")
    assert json.loads(run("workorder", "show", other, "--json").stdout)["exact"]["state"] == "sent"


def test_a_deleted_document_is_sent_again_with_the_new_draft(sandbox, run, sent):
    """One document per work order holds its PDFs (issue 21.1): deleted with the draft, it is made
    again with both PDFs, and the new draft carries it."""
    db, (number, _) = sent
    werkbon = document_of(sandbox, f"Werkbon {number}")
    sandbox.delete_invoice(invoice_of(db, number))
    sandbox.delete_document(werkbon)
    assert run("pull").exit_code == 0

    assert run("workorder", "resend", number).exit_code == 0
    assert run("push").exit_code == 0

    found = in_exact(sandbox)
    assert (found["invoices"][f"Werkbon {number}"], found["documents"][f"Werkbon {number}"]) == (1, 1)
    assert found["attachments"][f"Werkbon {number}/{number}-werkbon.pdf"] == 1
    assert found["attachments"][f"Werkbon {number}/{number}-formulieren.pdf"] == 1
    assert document_of(sandbox, f"Werkbon {number}") != werkbon
    assert sandbox.invoices[invoice_of(db, number)]["Document"] == document_of(sandbox, f"Werkbon {number}")


def test_a_processed_draft_shows_its_invoice_number_and_is_found_by_it(sandbox, run, sent):
    db, (number, other) = sent
    order_number = sandbox.invoices[invoice_of(db, number)]["OrderNumber"]
    assert sandbox.process_invoice(invoice_of(db, number)) == FIRST_INVOICE_NUMBER

    assert run("pull").exit_code == 0

    [info] = [r for r in rows_about(db, number) if "processed" in r["message"]]
    assert info["message"] == f"the draft invoice for {number} was processed in Exact as invoice {FIRST_INVOICE_NUMBER}"
    assert (work_order(db, number)["exact_invoice_number"], work_order(db, number)["exact_order_number"]) == (
        FIRST_INVOICE_NUMBER, order_number)
    assert f"invoice {FIRST_INVOICE_NUMBER} (draft {order_number}), processed on" in run("workorder", "show",
                                                                                       number).stdout
    for exact_number in (FIRST_INVOICE_NUMBER, order_number):
        listed = json.loads(run("workorder", "list", "--invoice", str(exact_number), "--json").stdout)
        assert [r["number"] for r in listed] == [number]
        assert listed[0]["exact_invoice_number"] == FIRST_INVOICE_NUMBER
    assert json.loads(run("workorder", "list", "--invoice", "999", "--json").stdout) == []
    shown = json.loads(run("workorder", "show", number, "--json").stdout)["exact"]
    assert (shown["invoice_number"], shown["order_number"]) == (FIRST_INVOICE_NUMBER, order_number)
    refused = run("workorder", "resend", number)
    assert refused.exit_code == 1 and "delete the draft in Exact first" in refused.output
    assert work_order(db, other)["exact_invoice_number"] is None


def test_processed_drafts_are_read_at_most_hourly_and_only_while_one_is_open(sandbox, config_path, sent):
    db, numbers = sent
    config = config_mod.load(config_path)
    client, start = ExactClient.from_config(config), datetime.now(UTC)

    def calls_at(minutes: int) -> int:
        sandbox.reset_calls()
        pull.pull(client, db, config.settings, now=start + timedelta(minutes=minutes))
        return sandbox.calls[SYNC_INVOICES]

    assert [calls_at(m) for m in (0, 5, 59)] == [1, 0, 0]
    assert calls_at(61) == 1
    for number in numbers:
        sandbox.process_invoice(invoice_of(db, number))
    assert calls_at(125) == 1  # learns both are processed
    assert calls_at(190) == 0  # no draft left open: nothing to learn


def test_the_checkpoint_follows_exact_and_starts_over_when_exact_moves_the_division(sandbox, config_path, sent):
    db, (number, _) = sent
    config = config_mod.load(config_path)
    client, start = ExactClient.from_config(config), datetime.now(UTC)

    def checkpoint() -> int:
        return db.execute("SELECT timestamp FROM sync_checkpoints WHERE entity = ?", [drafts.CHECKPOINT]).fetchone()[0]

    pull.pull(client, db, config.settings, now=start)
    assert checkpoint() == max(i["Timestamp"] for i in sandbox.invoices.values())
    sandbox.move_division()  # every Timestamp renumbered far lower
    sandbox.process_invoice(invoice_of(db, number))

    pull.pull(client, db, config.settings, now=start + timedelta(days=1))  # reads the move date: everything again

    assert work_order(db, number)["exact_invoice_number"] == FIRST_INVOICE_NUMBER
    assert checkpoint() == max(i["Timestamp"] for i in sandbox.invoices.values())
