"""Exact app scopes and document types during runs, through the CLI against the sandbox: a call outside
the app's scopes stops the run with one error row and costs no work order a try; PDFs go as the
verified [settings] document_type."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from exactsync import config as config_mod
from exactsync import log
from exactsync.cli import cli
from exactsync.exact import ExactClient
from exactsync.exact.errors import ExactApiError, ScopeViolation
from exactsync.exact.scopes import SCOPES, scope_of
from exactsync.sandbox import scopes as exact_says
from exactsync.sandbox.data import INVENTED_TYPE
from exactsync.store import get_state
from tests.helpers.push import archived, connected_store, customer_codes, sales_item_codes
from tests.helpers.sandbox_http import Api, error_value

pytestmark = pytest.mark.sandbox(seed=5, customers=25, items=40, minutely_limit=10_000)


def without(sandbox, scope: str) -> None:
    sandbox.set_scopes([s for s in SCOPES if s != scope])


def errors(db) -> list[dict]:
    return log.rows(db, log.LogFilter(kinds=("error",), limit=None))


def outbox(db) -> list[tuple]:
    return db.execute("SELECT w.number, o.step, o.state, o.attempts FROM outbox o "
                      "JOIN work_orders w ON w.id = o.work_order_id ORDER BY o.id").fetchall()


def store_with_orders(sandbox, config_path, count: int = 3, **settings):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, work_time_item=codes[0], **settings)
    numbers = [archived(db, code) for code in customer_codes(db)[:count]]
    return config, db, numbers


@pytest.mark.parametrize("scope, stopped_at", [
    ("Sales invoices", "POST salesinvoice/SalesInvoices"),
    ("Organization documents", "POST documents/Documents"),
])
def test_a_scope_missing_during_push_is_one_error_and_costs_no_work_order_a_try(sandbox, config_path, run,
                                                                                  scope, stopped_at):
    config, db, numbers = store_with_orders(sandbox, config_path, pdfs="workorder")
    without(sandbox, scope)

    result = run("push")

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Exact refused {stopped_at}: this app may not use Exact's scope "
                                    f"\"{scope}\" (Exact answered 403: Forbidden - Application Scope Violated)")
    [error] = errors(db)
    assert (error["table"], error["message"], error["action"]) == (
        "connection", f"push stopped: {result.output.removeprefix('Error: ').strip()}",
        f"tick \"{scope}\" as manage (read/write) for this app in Exact's App Center, then run exactsync connect; "
        "nothing is lost, "
        "the next run continues")
    assert sandbox.calls[stopped_at] == 1  # the run stopped at the first refusal
    assert {n: s for n, s in db.execute("SELECT number, status FROM work_orders")} == dict.fromkeys(numbers, "archived")
    assert all(state == "pending" and attempts == 0 for *_, state, attempts in outbox(db) if state != "done")
    assert get_state(db, "last_push_outcome") == "failed: the Exact app lacks a scope"

    sandbox.set_scopes(SCOPES)
    assert run("push").exit_code == 0
    assert {n: s for n, s in db.execute("SELECT number, status FROM work_orders")} == dict.fromkeys(numbers, "sent")
    assert len(sandbox.invoices) == len(numbers) and len(sandbox.documents) == len(numbers)


def test_a_missing_scope_is_said_in_dutch(sandbox, config_path, run):
    config, db, numbers = store_with_orders(sandbox, config_path, count=1)
    without(sandbox, "Sales invoices")
    result = run("--lang", "nl", "push")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Fout: Exact weigerde POST salesinvoice/SalesInvoices: deze app mag de scope \"Sales invoices\" van "
        "Exact niet gebruiken (Exact antwoordde 403: Forbidden - Application Scope Violated): vink \"Sales invoices\" "
        "aan als beheren (lezen/schrijven) voor deze app in het App Center van Exact en voer dan exactsync connect uit")
    [error] = errors(db)
    assert error["action_key"] == "{tick}; nothing is lost, the next run continues"
    assert run("--lang", "en", "log").output.count("tick \"Sales invoices\" as manage (read/write) for this app") == 1


def test_a_scope_missing_during_pull_is_one_error(sandbox, config_path, run):
    config, db, _ = store_with_orders(sandbox, config_path, count=0)
    without(sandbox, "Crm accounts")

    result = run("pull")

    assert result.exit_code == 1
    assert "this app may not use Exact's scope \"Crm accounts\"" in result.output
    assert [(e["table"], e["message"].split(":")[0]) for e in errors(db)] == [("connection", "pull stopped")]


@pytest.mark.parametrize("document_type", [10, 183])
def test_push_files_the_pdfs_as_the_verified_document_type_without_asking_exact(sandbox, config_path, run,
                                                                               document_type):
    config, db, numbers = store_with_orders(sandbox, config_path, count=1, pdfs="both")
    assert run("check-settings").exit_code == 0  # the default, 10
    if document_type != 10:
        config_mod.update(config, "settings", "document_type", document_type)
        assert run("push").exit_code == 1  # a changed setting needs a new check first
        assert run("check-settings").exit_code == 0
    sandbox.reset_calls()

    assert run("push").exit_code == 0

    assert [d["Type"] for d in sandbox.documents.values()] == [document_type]  # one document per work order
    assert not any("DocumentTypes" in call for call in sandbox.calls)


def test_a_division_not_ticked_at_the_login_gets_its_own_error_and_action(sandbox, config_path, run):
    config, db, _ = store_with_orders(sandbox, config_path, count=0)
    sandbox.division_ticked = False

    result = run("pull")

    assert result.exit_code == 1
    assert result.output.startswith("Error: Exact refused GET sync/CRM/Accounts: this app may not use this "
                                    "administration (Exact answered 403: User division is not within division scope)")
    [error] = errors(db)
    assert error["action"] == ("run exactsync connect again and, when Exact asks which administrations the app may "
                               "use, tick this one; nothing is lost, the next run continues")
    division = {v["setting"]: v for v in json.loads(run("check-settings", "--json").stdout)}["division"]
    assert (division["ok"], division["checked"]) == (False, False)
    assert division["problem"] == ("not checked: this app may not use this administration (Exact answered 403: "
                                   "User division is not within division scope)")
    assert division["fix"].startswith("run exactsync connect again and, when Exact asks which administrations")


# --- the client and the sandbox --------------------------------------------------------------------------


def test_the_client_tells_a_scope_violation_from_other_403s(sandbox, config_path):
    config, db, _ = store_with_orders(sandbox, config_path, count=0)
    client = ExactClient.from_config(config)
    without(sandbox, "Financial generalledgers")
    with pytest.raises(ScopeViolation) as raised:
        client.get("financial/Journals", {"$select": "Code"})
    assert (raised.value.status, raised.value.scope, raised.value.request) == (
        403, "Financial generalledgers", "GET financial/Journals")
    client.division = sandbox.division + 1
    with pytest.raises(ExactApiError) as other:
        client.get("logistics/ItemGroups", {"$select": "ID"})
    assert not isinstance(other.value, ScopeViolation) and other.value.reason == "NoDivisionAccess"


def test_each_endpoint_exactsync_calls_has_its_scope():
    assert scope_of("crm/Accounts(guid'00000000-0000-0000-0000-000000000000')") == "Crm accounts"
    assert scope_of("salesinvoice/SalesInvoices/$count") == "Sales invoices"
    assert scope_of("sync/Logistics/Items?$select=ID") == "Logistics items"
    assert scope_of("current/Me") is None


def test_every_endpoint_the_sandbox_serves_has_a_scope_but_those_exact_lists_without():
    """An endpoint missing from the tables would never be checked by check-settings, nor refused by the
    sandbox for a missing scope (sync/SalesInvoice/SalesInvoices was, when pull began to read it)."""
    from exactsync.sandbox.schema import ENTITIES

    without = ["current/Me", "hrm/Divisions"]  # Exact's reference lists them with no scope ("-")
    assert [e.path for e in ENTITIES if exact_says.scope_of(e.path) is None] == without
    assert [e.path for e in ENTITIES if scope_of(e.path) is None] == without


def test_the_client_names_the_scope_exact_states_for_every_endpoint_it_calls():
    """Two tables on purpose: the sandbox states Exact's facts with their evidence, the client what it
    needs; a wrong fact in either shows up here instead of being mirrored."""
    assert list(SCOPES) == list(exact_says.ENDPOINTS)
    assert {path: exact_says.scope_of(path) for paths in SCOPES.values() for path in paths} == {
        path: scope for scope, paths in SCOPES.items() for path in paths}


def test_a_read_only_scope_lets_the_app_read_but_not_write(sandbox):
    api = Api(sandbox)
    sandbox.set_scopes(SCOPES, read_only=["Organization documents"])
    assert api.get("documents/DocumentTypes").status_code == 200
    write = api.post("documents/Documents", {"Subject": "x", "Type": 10})
    assert (write.status_code, error_value(write)) == (403, "Forbidden - Application Scope Violated")
    assert not sandbox.documents


def test_the_sandbox_refuses_calls_outside_its_scopes_as_exact_does(sandbox):
    api = Api(sandbox)
    without(sandbox, "Organization documents")
    read = api.get("documents/DocumentTypes")
    assert (read.status_code, error_value(read), read.headers.get("Reason")) == (
        403, "Forbidden - Application Scope Violated. Cannot read", None)
    write = api.post("documents/Documents", {"Subject": "x", "Type": 10})
    assert (write.status_code, error_value(write)) == (403, "Forbidden - Application Scope Violated")
    assert api.get("current/Me").status_code == 200  # needs no scope
    assert not sandbox.documents
    with pytest.raises(ValueError, match="unknown scope 'CRM'"):
        sandbox.set_scopes(["CRM"])


def test_the_sandbox_serves_document_types_with_exacts_fields(sandbox):
    api = Api(sandbox)
    types = {t["ID"]: t for t in api.get("documents/DocumentTypes").json()["d"]["results"]}
    assert {"ID", "Description", "TypeCategory", "DocumentIsCreatable", "DocumentIsUpdatable", "DocumentIsDeletable",
            "DocumentIsViewable"} <= set(types[10])
    assert (types[10]["Description"], types[10]["DocumentIsCreatable"]) == ("Verkoopfactuur", True)
    assert types[INVENTED_TYPE]["DocumentIsCreatable"] is False
    refused = api.post("documents/Documents", {"Subject": "Werkbon", "Type": INVENTED_TYPE})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"]["value"].startswith(f"Ongeldig: Soort ({INVENTED_TYPE})")
    assert not sandbox.documents


def test_sandbox_serve_refuses_an_unknown_scope():
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--customers", "1", "--items", "1",
                                      "--scopes", "Crm accounts,Facturen"])
    assert result.exit_code == 2
    assert "unknown scope 'Facturen'; known: Organization administration, Crm accounts" in result.output

