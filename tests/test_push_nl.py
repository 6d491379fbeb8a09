"""`exactsync push` in Dutch (issue 17): the dry run's table, a refused work order's log row, the summary
line and --retry read without English with --lang nl, and as before with --lang en."""

from __future__ import annotations

import json

import pytest

from exactsync import i18n, log
from exactsync.sync import invoice, mapping
from tests.helpers.language import english_in
from tests.helpers.push import (
    archived,
    connected_store,
    customer_codes,
    dry_run_queue,
    run_push,
    sales_item_codes,
    unknown_in_exact,
)

pytestmark = pytest.mark.sandbox(seed=5, customers=25, items=40, minutely_limit=10_000)


def test_the_dry_run_table_in_dutch_has_no_english(sandbox, config_path, run):
    _, _, good, bad = dry_run_queue(sandbox, config_path)

    dutch = run("--lang", "nl", "push", "--dry-run", env={"COLUMNS": "400"})

    assert dutch.exit_code == 0, dutch.output
    for text in ("werkbon", "uitkomst", "regels", "Uw referentie", "opmerkingen", "zou worden verstuurd",
                 f"geweigerd: werkbon {bad} heeft niets te factureren", f"in document Werkbon {good}, op de factuur:",
                 "2 werkbonnen in de wachtrij; er is niets verstuurd"):
        assert text in dutch.output
    assert english_in(dutch.output) == set()
    english = run("--lang", "en", "push", "--dry-run", env={"COLUMNS": "400"})
    for text in ("work order", "outcome", "your ref", "would be sent", f"refused: work order {bad} has nothing to "
                 "invoice", f"in document Werkbon {good}, on the invoice:", f"{good}-werkbon.pdf", "2 work orders queued; nothing was sent"):
        assert text in english.output
    shown = {s["number"]: s for s in json.loads(run("--lang", "nl", "push", "--dry-run", "--json").output)}
    assert shown[bad]["refusal"]["message"].startswith(f"werkbon {bad} heeft niets te factureren")


def test_a_refused_work_orders_row_reads_in_dutch_and_in_english_and_the_summary_is_dutch(sandbox, config_path, run):
    _, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    good, blocked = (archived(db, code) for code in customer_codes(db)[:2])
    customer = db.execute("SELECT customer_code, customer_name, customer_exact_id FROM work_orders WHERE number = ?",
                          [blocked]).fetchone()
    sandbox.block_account(customer[2])
    assert run("pull").exit_code == 0

    result = run("--lang", "nl", "push")

    assert result.exit_code == 0, result.output
    assert result.stderr == ("1 verstuurd, 1 geweigerd, 0 opnieuw te proberen, 0 mislukt, 0 gepauzeerd, 0 wachtend, "
                             "0 met een storing, 0 overgenomen, 0 voor de volgende keer\n")
    rows = {language: [json.loads(line) for line in run("--lang", language, "log", "--json", "--table", "workorder")
                       .output.splitlines()] for language in ("nl", "en")}
    [dutch] = [r for r in rows["nl"] if r["record"] == blocked and r["kind"] == "error"]
    [english] = [r for r in rows["en"] if r["record"] == blocked and r["kind"] == "error"]
    label = f"{customer[0]} ({customer[1]})"
    assert dutch["message"] == f"werkbon {blocked}: klant {label} is niet actief in Exact (is geblokkeerd in Exact)"
    assert dutch["action"] == (f"deblokkeer klant {label} in Exact; de volgende pull en push versturen de werkbon. "
                               f"Of geef de werkbon een andere klant: exactsync workorder set-customer {blocked} "
                               "--customer CODE")
    assert english["message"] == f"work order {blocked}: customer {label} is inactive in Exact (is blocked in Exact)"
    assert english["action"] == (f"unblock customer {label} in Exact; the next pull and push send it. Or give the "
                                 f"work order another customer: exactsync workorder set-customer {blocked} "
                                 "--customer CODE")
    assert (dutch["message_key"], dutch["message_params"]) == (english["message_key"], english["message_params"])
    [sent] = [r for r in rows["nl"] if r["record"] == good and r["kind"] == "info" and "verstuurd" in r["message"]]
    assert english_in(sent["message"] + " " + sent["action"]) == set()
    assert run("--lang", "en", "push").stderr.startswith("0 sent, 1 refused, 0 retrying")


def test_retry_says_in_dutch_what_it_did_and_why_it_refuses(sandbox, config_path, run):
    _, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])

    refused = run("--lang", "nl", "push", "--retry", number)

    assert refused.exit_code == 1
    assert f"werkbon {number} is gearchiveerd, niet mislukt: alleen een mislukte werkbon" in refused.output
    assert english_in(refused.output) == set()
    db.execute("UPDATE work_orders SET status = 'failed' WHERE number = ?", [number])
    assert run("--lang", "nl", "push", "--retry", number).output == f"{number} staat weer in de wachtrij\n"
    db.execute("UPDATE work_orders SET status = 'failed' WHERE number = ?", [number])
    assert run("--lang", "en", "push", "--retry", number).output == f"{number} queued again\n"


def test_the_reasons_pull_and_cleanup_stored_read_in_dutch_in_a_refusal():
    problems = {"A": invoice.item_problem("A", "ended in Exact on 2026-01-31"),
                "B": invoice.item_problem("B", "is not a sales item in Exact"),
                "C": invoice.item_problem("C", "deleted in Exact")}
    refused = invoice.material_refusal("WO00007", problems)
    i18n.use("nl")
    assert str(refused.message) == ("werkbon WO00007: materiaalartikelen 'A' (is in Exact beëindigd op 31-01-2026), "
                                    "'B' (is geen verkoopartikel in Exact), 'C' (verwijderd in Exact) kunnen niet "
                                    "gefactureerd worden")
    fixable = invoice.material_refusal("WO00007", {"A": problems["A"], "B": problems["B"]})
    assert str(fixable.action) == ("verwijder of verschuif de einddatum van artikel 'A' in Exact; maak artikel 'B' in "
                                   "Exact weer een verkoopartikel; de volgende pull en push versturen de werkbon")
    assert fixable.message.english() == ("work order WO00007: material items 'A' (ended in Exact on 2026-01-31), "
                                         "'B' (is not a sales item in Exact) cannot be invoiced")
    # The item-group reason reads in Dutch too; one written by an older version is shown as stored.
    assert str(mapping.reason_message("is in item group 9, which is not in [settings] item_groups")) == (
        "zit in artikelgroep 9, die niet in [settings] item_groups staat")
    assert mapping.reason_message("was closed by hand") == "was closed by hand"


def test_a_work_order_exact_refused_reads_in_dutch(sandbox, config_path):
    _, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])
    unknown_in_exact(db, number)
    # A 500, then nothing found in Exact: a refusal, tried again from the next run (Amsterdam time).
    for hours in (0, 0.1):
        run_push(config_path, db, clock=lambda hours=hours: 1_900_000_000.0 + hours * 3600)
    i18n.use("nl")
    [row] = [r for r in log.rows(db, log.LogFilter(kinds=("error",), table="workorder")) if r["record"] == number]
    assert row["message"] == (f"werkbon {number}: Exact weigerde de factuur: Ongeldige referentie: Besteld door "
                              "(00000000-0000-4000-8000-0000000000ff)")
    assert row["action"] == "kijk wat Exact meldt; push probeert het opnieuw vanaf 17-03-2030 18:52 (poging 2 van 5)"
