"""`exactsync check-settings` and `exactsync settings` against the sandbox (R14)."""

from __future__ import annotations

import json

import pytest

from exactsync import config as config_mod
from exactsync import log
from exactsync.app import App
from exactsync.exact import ExactClient
from exactsync.exact.scopes import SCOPES
from exactsync.exact.tokens import TokenStore
from exactsync.sandbox.data import INVENTED_TYPE
from exactsync.settings_check import judge_document_type
from exactsync.settings_text import label
from exactsync.store import get_state
from tests.helpers.language import english_in
from tests.helpers.login import connect

pytestmark = pytest.mark.sandbox(seed=5, customers=20, items=40, minutely_limit=10_000)

GOOD = {"journal": "70", "work_time_item": "ART-00008", "travel_time_item": "ART-00009", "default_item": "",
        "item_groups": ["Arbeid", "KLEIN"], "memo": "both", "your_ref": "workorder_number", "pdfs": "both"}


def check(run, sandbox, config_path, **changes):
    """check-settings --json: the result, and the verdicts per setting (scope rows: see `scopes`)."""
    connect(sandbox, config_path, verified=False, **{**GOOD, **changes})
    result = run("check-settings", "--json")
    return result, {v["setting"]: v for v in json.loads(result.stdout) if v["setting"] != "scope"}


def scopes(result) -> dict:
    return {v["value"]: v for v in json.loads(result.stdout) if v["setting"] == "scope"}


ALL_BUT = {name: [s for s in SCOPES if s != name] for name in SCOPES}


def test_all_settings_valid_are_recorded(run, sandbox, config_path, db):
    result, verdicts = check(run, sandbox, config_path)
    assert result.exit_code == 0, result.output
    assert all(v["ok"] for v in verdicts.values())
    assert list(verdicts) == ["division", "journal", "travel_time_item", "work_time_item", "item_groups", "memo",
                              "default_item", "your_ref", "pdfs", "document_type"]
    assert list(scopes(result)) == list(SCOPES) and all(v["ok"] for v in scopes(result).values())
    assert get_state(db, "settings_fingerprint") is not None
    assert log.rows(db, log.LogFilter())[0]["message"] == "all settings checked and verified; they apply from now on"


@pytest.mark.parametrize("setting,value,problem,fix", [
    ("division", 999, "division 999 is not known in Exact for this login", "use one of: {division}"),
    ("journal", "99", "journal 99 does not exist in this division",
     "sales journals here: 70 (Verkoopboek), 71 (Verkoopboek projecten)"),
    ("journal", "60", "journal 60 (Inkoopboek) is a purchase journal, not a sales journal",
     "choose a journal of type sales (Verkoopboek)"),
    ("journal", "50", "journal 50 (Bank) is a bank journal, not a sales journal",
     "choose a journal of type sales (Verkoopboek)"),
    ("journal", "", "no sales journal is set", "set [settings] journal to the code of your sales journal, e.g. \"70\""),
    ("work_time_item", "NOPE", "item NOPE does not exist in Exact",
     "use the code of an existing sales item, or leave it empty to not book this line"),
    ("travel_time_item", "ART-00013", "item ART-00013 is not a sales item in Exact", "choose an active sales item in Exact"),
    ("default_item", "ART-00017", "item ART-00017 ended in Exact on {ended}", "choose an active sales item in Exact"),
    ("item_groups", ["Diensten", "Bestaat niet"], "item group 'Bestaat niet' does not exist",
     "check the spelling of 'Bestaat niet' in Exact (Artikelgroepen)"),
    ("item_groups", ["diensten"], "item group 'diensten' does not exist",
     "the field is case-sensitive: write 'Diensten'"),
])
def test_each_setting_wrong_on_its_own(run, sandbox, config_path, db, setting, value, problem, fix):
    ended = next((i["EndDate"].date().isoformat() for i in sandbox.items.values()
                  if i["Code"] == "ART-00017"), "")
    result, verdicts = check(run, sandbox, config_path, **{setting: value})
    assert result.exit_code == 1
    assert verdicts[setting]["problem"] == problem.format(ended=ended)
    assert verdicts[setting]["fix"] == fix.format(division=sandbox.division)
    wrong = [name for name, v in verdicts.items() if not v["ok"]]
    if setting == "division":
        assert wrong[0] == "division" and all(
            verdicts[n]["problem"] == "not checked: the division is not valid" for n in wrong[1:])
    else:
        assert wrong == [setting]
    assert get_state(db, "settings_fingerprint") is None
    error = next(r for r in log.rows(db, log.LogFilter(kinds=("error",))) if r["record"] == setting)
    assert (error["table"], error["record"], error["message"]) == ("settings", setting, f"{label(setting).english()}: {verdicts[setting]['problem']}")


def test_a_case_only_difference_names_the_right_spellings(run, sandbox, config_path):
    result, verdicts = check(run, sandbox, config_path, item_groups=["klein materiaal"])
    assert verdicts["item_groups"]["fix"] == "the field is case-sensitive: write 'Klein materiaal' or 'klein Materiaal'"


def test_several_wrong_at_once_are_all_listed(run, sandbox, config_path):
    result, verdicts = check(run, sandbox, config_path, journal="60", work_time_item="NOPE", item_groups=["x"])
    assert result.exit_code == 1
    assert sorted(n for n, v in verdicts.items() if not v["ok"]) == ["item_groups", "journal", "work_time_item"]
    check(run, sandbox, config_path, journal="60", work_time_item="NOPE")  # the config the plain run reads
    plain = run("check-settings")
    assert "Error: 2 settings are not valid; nothing was recorded. Fix them and check again" in plain.output
    assert "journal 60 (Inkoopboek) is a purchase journal" in plain.output


def test_an_edit_after_the_check_blocks_pull_and_push_until_checked_again(run, sandbox, config_path, db):
    assert check(run, sandbox, config_path)[0].exit_code == 0
    config_mod.update(config_mod.load(config_path), "settings", "memo", "none")
    sandbox.reset_calls()
    for command in ("pull", "push", "cleanup"):
        result = run(command)
        assert result.exit_code == 1
        assert result.output.endswith("Error: settings changed since they were checked: run exactsync check-settings\n")
    assert sum(sandbox.calls.values()) == 0
    shown = json.loads(run("settings", "--json").stdout)
    assert shown["changed_since_verified"] is True and shown["settings"]["memo"] == "none"
    assert "changed (verified: both)" in run("settings").output

    assert run("check-settings").exit_code == 0
    assert run("pull").exit_code == 0
    assert json.loads(run("settings", "--json").stdout)["changed_since_verified"] is False


@pytest.fixture
def no_waiting(monkeypatch):
    """The client waits before it retries (a 429's reset, a lost connection); the tests need not."""
    monkeypatch.setattr(App, "client", property(lambda app: ExactClient.from_config(app.config, sleep=lambda s: None)))


def test_a_429_in_the_middle_still_reports_every_setting(run, sandbox, config_path, no_waiting):
    connect(sandbox, config_path, verified=False, **GOOD)
    sandbox.fault(method="GET", path="financial/Journals", kind="429", times=None)
    result = run("check-settings", "--json")
    rows = json.loads(result.stdout)
    assert result.exit_code == 1
    unchecked = [(v["setting"], v["value"]) for v in rows if not v["ok"]]
    assert unchecked == [("scope", "Financial generalledgers"), ("journal", "70")]
    assert all(v["problem"].startswith("could not check: ") and not v["checked"] for v in rows if not v["ok"])
    assert "Error: 2 could not be checked; nothing was recorded" in run("check-settings").output


def test_an_unreachable_exact_is_said_as_such_not_as_invalid_settings(run, sandbox, config_path, db, no_waiting):
    connect(sandbox, config_path, verified=False, **GOOD)
    sandbox.stop()
    result = run("check-settings", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.output.startswith("Error: could not reach Exact (GET current/Me: no answer from Exact")
    assert result.output.endswith("; no setting was checked: check the network and [exact] base_url, then run "
                                  "check-settings again\n")
    assert "not valid" not in result.output
    [error] = log.rows(db, log.LogFilter(kinds=("error",)))
    assert error["message"] == result.output.removeprefix("Error: ").strip()
    assert get_state(db, "settings_fingerprint") is None


def test_no_login_is_said_as_such(run, sandbox, config_path, db):
    config = connect(sandbox, config_path, verified=False, **GOOD)
    TokenStore.beside(config.store_path).path.unlink()
    sandbox.reset_calls()
    result = run("check-settings")
    assert result.exit_code == 1
    assert result.output == ("Error: could not log in to Exact: exactsync is not logged in to Exact: run `exactsync "
                             "connect` to log in to Exact again; no setting was checked\n")
    assert sum(sandbox.calls.values()) == 0


# --- scopes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", list(SCOPES))
def test_a_missing_scope_is_named_with_what_to_do(run, sandbox, config_path, db, missing):
    sandbox.set_scopes(ALL_BUT[missing])
    result, verdicts = check(run, sandbox, config_path)
    assert result.exit_code == 1
    access = "manage (read/write)" if missing in ("Sales invoices", "Organization documents") else "read-only (or manage)"
    fix = f"tick \"{missing}\" as {access} for this app in Exact's App Center, then run exactsync connect"
    if missing == "Organization administration":
        # the division itself is read there, so nothing else can be checked
        assert verdicts["division"]["problem"] == f"not checked: this app may not use Exact's scope \"{missing}\""
        assert verdicts["division"]["fix"] == fix
        assert verdicts["journal"]["problem"] == "not checked: the division could not be checked"
        return
    named = scopes(result)[missing]
    assert (named["ok"], named["fix"]) == (False, fix)
    assert named["problem"].startswith("this app may not use it, and exactsync needs it for ")
    assert named["problem"].endswith(" (Exact answered 403: Forbidden - Application Scope Violated. Cannot read)")
    assert [name for name, v in scopes(result).items() if not v["ok"]] == [missing]
    assert get_state(db, "settings_fingerprint") is None
    assert any(r["message"] == f"Scope: {named['problem']}" and r["action"] == fix
               for r in log.rows(db, log.LogFilter(kinds=("error",))))


def test_a_setting_read_through_a_missing_scope_is_not_called_invalid(run, sandbox, config_path):
    sandbox.set_scopes(ALL_BUT["Financial generalledgers"])
    result, verdicts = check(run, sandbox, config_path)
    assert verdicts["journal"]["problem"] == "not checked: this app may not use Exact's scope \"Financial generalledgers\""
    assert not verdicts["journal"]["ok"]
    assert all(v["ok"] for name, v in verdicts.items() if name != "journal")
    plain = run("check-settings")
    assert "Error: 1 scope is missing, 1 could not be checked; nothing was recorded. Fix them and check again" \
        in plain.output


def test_all_scopes_ticked_pass_and_each_costs_one_cheap_read(run, sandbox, config_path):
    sandbox.reset_calls()
    result, _ = check(run, sandbox, config_path)
    assert result.exit_code == 0, result.output
    for call in ("GET sync/CRM/Accounts", "GET sync/Logistics/Items", "GET salesinvoice/SalesInvoices"):
        assert sandbox.calls[call] == 1, call


def test_pdfs_none_needs_no_documents_scope_and_reads_no_document_types(run, sandbox, config_path):
    sandbox.set_scopes(ALL_BUT["Organization documents"])
    sandbox.reset_calls()
    result, verdicts = check(run, sandbox, config_path, pdfs="none", document_type=INVENTED_TYPE)
    assert result.exit_code == 0, result.output
    assert "Organization documents" not in scopes(result)
    assert verdicts["document_type"] == {"setting": "document_type", "value": f"{INVENTED_TYPE} (not used: no PDFs are sent)",
                                         "ok": True, "checked": True, "problem": "", "fix": ""}
    assert not any(call.startswith("GET documents/") for call in sandbox.calls)


# --- document type ------------------------------------------------------------------------------------------

CREATABLE = "10 (Verkoopfactuur), 20 (Inkoopfactuur), 183 (General attachment)"
GENERAL = ("recommended: 183 (General attachment), a general attachment type: Exact files the PDFs of the invoices "
           "it processes as type 10 (sales invoice), and a werkbon filed as 10 sits among them")


@pytest.mark.parametrize("value,problem", [
    (INVENTED_TYPE, f"documents of type {INVENTED_TYPE} (Sandbox: verzonnen soort, niet aan te maken) cannot be created"),
    (999, "document type 999 does not exist in this division"),
])
def test_a_document_type_that_cannot_be_used_lists_the_creatable_ones(run, sandbox, config_path, db, value, problem):
    result, verdicts = check(run, sandbox, config_path, document_type=value)
    assert result.exit_code == 1
    assert verdicts["document_type"]["problem"] == problem
    assert verdicts["document_type"]["fix"] == (f"set [settings] document_type to one that can be created here: "
                                                f"{CREATABLE}; {GENERAL}")
    assert [name for name, v in verdicts.items() if not v["ok"]] == ["document_type"]
    assert get_state(db, "settings_fingerprint") is None


def test_a_creatable_document_type_passes(run, sandbox, config_path, db):
    result, verdicts = check(run, sandbox, config_path, document_type=183)
    assert result.exit_code == 0, result.output
    assert verdicts["document_type"] == {"setting": "document_type", "value": "183", "ok": True, "checked": True,
                                         "problem": "", "fix": ""}
    assert json.loads(run("settings", "--json").stdout)["settings"]["document_type"] == 183


def test_the_default_sales_invoice_type_passes_with_the_general_attachment_type_recommended(run, sandbox, config_path):
    result, verdicts = check(run, sandbox, config_path)
    assert result.exit_code == 0, result.output
    assert (verdicts["document_type"]["ok"], verdicts["document_type"]["fix"]) == (True, GENERAL)


def test_document_type_judgement_reads_ids_as_exact_writes_them_and_names_no_creatable_type():
    types = [{"ID": "183", "Description": "General Attachment", "DocumentIsCreatable": True}]
    assert judge_document_type(183, types).ok
    refused = judge_document_type(10, [{"ID": 10, "Description": "Sales invoice", "DocumentIsCreatable": False}])
    assert str(refused.problem) == "documents of type 10 (Sales invoice) cannot be created"
    assert str(refused.fix) == ("no document type can be created in this division: set [settings] pdfs = \"none\", "
                           "or ask Exact support")


# --- Dutch (issue 17) ----------------------------------------------------------------------------------------

def dutch_words_only(text: str, *names: str) -> set[str]:
    """The English words left in `text` once the setting names, which stay as they are, are taken out."""
    for name in sorted({*config_mod.SETTING_NAMES, "settings", *names}, key=len, reverse=True):
        text = text.replace(name, "")
    return english_in(text)


def test_check_settings_in_dutch_has_no_english(run, sandbox, config_path, db):
    sandbox.set_scopes(ALL_BUT["Sales invoices"])
    connect(sandbox, config_path, verified=False, **{**GOOD, "journal": "60"})
    result = run("--lang", "nl", "check-settings")
    assert result.exit_code == 1
    for dutch_text in ("instelling", "waarde", "controle", "te nemen actie", "in orde",
                       "Fout: 1 instelling is niet geldig, 1 scope ontbreekt; er is niets vastgelegd"):
        assert dutch_text in result.output
    rows = {v["value"]: v for v in json.loads(run("--lang", "nl", "check-settings", "--json").stdout)}
    assert rows["60"]["problem"] == "dagboek 60 (Inkoopboek) is een dagboek van het soort inkoop, geen verkoopdagboek"
    assert rows["Sales invoices"]["problem"].startswith(
        "deze app mag die niet gebruiken, en exactsync heeft die nodig voor de conceptfacturen")
    assert rows["Sales invoices"]["fix"] == ("vink \"Sales invoices\" aan als beheren (lezen/schrijven) voor deze app "
                                             "in het App Center van Exact en voer dan exactsync connect uit")
    assert dutch_words_only(result.output) == set()
    rows = [json.loads(line) for line in run("--lang", "nl", "log", "--errors", "--json").stdout.splitlines()]
    assert {r["message_key"] for r in rows} == {"{setting}: {problem}"}
    assert all(r["action_key"] for r in rows) and dutch_words_only(" ".join(r["message"] + r["action"] for r in rows)) \
        == set()
    english = run("--lang", "en", "check-settings").output
    assert "Error: 1 setting is not valid, 1 scope is missing; nothing was recorded" in english
    assert "journal 60 (Inkoopboek) is a purchase journal, not a sales journal" in english


def test_settings_and_a_refused_pull_in_dutch_have_no_english(run, sandbox, config_path):
    assert check(run, sandbox, config_path)[0].exit_code == 0
    config_mod.update(config_mod.load(config_path), "settings", "memo", "none")
    refused = run("--lang", "nl", "pull")
    assert refused.output.endswith("Fout: instellingen gewijzigd sinds de controle: voer exactsync "
                                   "check-settings uit\n")
    shown = run("--lang", "nl", "settings").output
    assert "gewijzigd (gecontroleerd: beide)" in shown and "sindsdien gewijzigd" in shown
    assert dutch_words_only(shown, *GOOD["item_groups"], "none", "both", "workorder_number") == set()
    assert "changed (verified: both)" in run("--lang", "en", "settings").output


def test_settings_that_could_not_be_checked_say_so_in_dutch(run, sandbox, config_path):
    sandbox.set_scopes(ALL_BUT["Organization administration"])
    connect(sandbox, config_path, verified=False, **GOOD)
    result = run("--lang", "nl", "check-settings")
    assert "Fout: 13 niet te controleren; er is niets vastgelegd" in result.output
    assert dutch_words_only(result.output) == set()
    rows = {v["setting"]: v for v in json.loads(run("--lang", "nl", "check-settings", "--json").stdout)}
    assert rows["journal"]["problem"] == "niet gecontroleerd: de administratie kon niet gecontroleerd worden"
    assert rows["journal"]["fix"] == "herstel eerst de administratie"
    assert rows["division"]["problem"] == ("niet gecontroleerd: deze app mag de scope \"Organization administration\" "
                                           "van Exact niet gebruiken")


def test_a_case_only_difference_is_named_in_dutch(run, sandbox, config_path):
    connect(sandbox, config_path, verified=False, **{**GOOD, "item_groups": ["klein materiaal", "X"]})
    rows = {v["setting"]: v for v in json.loads(run("--lang", "nl", "check-settings", "--json").stdout)}
    assert rows["item_groups"]["problem"] == ("artikelgroep 'klein materiaal' bestaat niet; "
                                              "artikelgroep 'X' bestaat niet")
    assert rows["item_groups"]["fix"] == ("het veld let op hoofdletters: schrijf 'Klein materiaal' of 'klein Materiaal'; "
                                          "controleer de schrijfwijze van 'X' in Exact (Artikelgroepen)")


@pytest.mark.parametrize("calls_left", [0, 3])
def test_a_spent_daily_limit_stops_check_settings_whole_and_records_nothing(run, sandbox, config_path, db, calls_left):
    connect(sandbox, config_path, verified=False, **GOOD)
    sandbox.exhaust_daily_limit() if calls_left == 0 else sandbox.set_rate_limits(daily=calls_left)
    result = run("check-settings", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.output.startswith("Error: Exact's daily API limit for this division is spent; it resets at ")
    assert result.output.endswith("; check-settings stopped and recorded nothing: run it again after the reset\n")
    [error] = log.rows(db, log.LogFilter(kinds=("error",)))
    assert error["message"] == result.output.removeprefix("Error: ").strip()
    assert get_state(db, "settings_fingerprint") is None
