"""A store restored from a backup taken before some sends must not send them again (issue 22.5): push
counts its calls in a file beside the store too, and a store that counts fewer looks its queue up in
Exact before sending."""

from __future__ import annotations

import shutil
import stat

import pytest

from exactsync import config as config_mod
from exactsync.store import open_store
from tests.helpers.push import (
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    in_exact,
    run_push,
    sales_item_codes,
)

pytestmark = pytest.mark.sandbox(seed=23, customers=10, items=10, minutely_limit=10_000)

WRITES = ("POST salesinvoice/SalesInvoices", "POST documents/Documents", "POST documents/DocumentAttachments")


def writes(sandbox) -> int:
    return sum(sandbox.calls[call] for call in WRITES)


def test_a_store_restored_from_before_a_send_sends_nothing_again(sandbox, config_path, tmp_path):
    config, db = connected_store(sandbox, config_path, pdfs="both", default_item=sales_item_codes(sandbox)[0])
    first, second = (archived(db, code) for code in customer_codes(db)[:2])
    db.close()
    store = config_mod.load(config_path).store_path
    backup = tmp_path / "backup.db"
    shutil.copy(store, backup)  # taken before the send

    db = open_store(store)
    assert run_push(config_path, db).sent == [first, second]
    assert sandbox.calls["GET salesinvoice/SalesInvoices"] == 0, "a store that is not older looks nothing up"
    mark = store.with_name(store.name + ".sent")
    assert stat.S_IMODE(mark.stat().st_mode) == 0o600 and mark.read_text() == f"{writes(sandbox)} 2"
    db.close()
    for leftover in store.parent.glob(store.name + "-*"):
        leftover.unlink()
    shutil.copy(backup, store)  # the admin restores the backup
    sandbox.reset_calls()

    db = open_store(store)
    assert {s for (s,) in db.execute("SELECT status FROM work_orders")} == {"archived"}
    again = run_push(config_path, db)

    assert again.sent == [first, second] and again.adopted == 8 and writes(sandbox) == 0
    assert_exactly_once(sandbox, db, [first, second])
    found = in_exact(sandbox)
    assert max([*found["invoices"].values(), *found["documents"].values(), *found["attachments"].values()]) == 1
    assert db.execute("SELECT count(*) FROM work_orders WHERE exact_order_number IS NULL").fetchone()[0] == 0

    sandbox.reset_calls()
    third = archived(db, customer_codes(db)[2])
    assert run_push(config_path, db).sent == [third]
    assert sandbox.calls["GET salesinvoice/SalesInvoices"] == 0, "caught up: no lookups any more"
    assert_exactly_once(sandbox, db, [first, second, third])


def test_a_restored_store_never_hands_out_a_number_push_sent(sandbox, config_path, tmp_path):
    """The backup's counter is older: a new work order under WO00001 would be taken for the first one's
    invoice (its lookup finds "Werkbon WO00001" on that customer) and never be invoiced itself."""
    config, db = connected_store(sandbox, config_path, pdfs="none", default_item=sales_item_codes(sandbox)[0])
    code = customer_codes(db)[0]
    db.close()
    store = config_mod.load(config_path).store_path
    backup = tmp_path / "backup.db"
    shutil.copy(store, backup)  # taken before the first work order

    db = open_store(store)
    first = archived(db, code)
    assert run_push(config_path, db).sent == [first] == ["WO00001"]
    db.close()
    for leftover in store.parent.glob(store.name + "-*"):
        leftover.unlink()
    shutil.copy(backup, store)  # the admin restores the backup, then enters the work again

    db = open_store(store)
    again = archived(db, code, work=240)
    assert again == "WO00002"
    assert run_push(config_path, db).sent == [again]
    assert_exactly_once(sandbox, db, [again], pdf_kinds=())
    assert sorted(in_exact(sandbox)["invoices"]) == ["Werkbon WO00001", "Werkbon WO00002"]
