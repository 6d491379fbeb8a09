"""The REST API's wire format, paging, query options, errors and rate limits."""

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from exactsync.sandbox import Sandbox, server
from tests.helpers.sandbox_http import Api, error_value

pytestmark = pytest.mark.sandbox(customers=150, items=40)

DAILY = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
MINUTELY = ("X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset")
ACCOUNT_SELECT = "ID,Code,Name,Country,Blocked,Status,EndDate,IsSales,Modified,Timestamp"


@pytest.fixture
def api(sandbox):
    return Api(sandbox)


def test_start_and_stop_on_a_free_port():
    sandbox = Sandbox(customers=1, items=1)
    sandbox.start()
    assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.port > 0
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(sandbox.base_url, timeout=2)


def test_current_me_has_no_division_and_is_a_list_of_one(sandbox, api):
    answer = requests.get(f"{sandbox.base_url}/api/v1/current/Me?$select=CurrentDivision", headers=api.headers)
    assert answer.status_code == 200
    (me,) = answer.json()["d"]["results"]
    assert me["CurrentDivision"] == sandbox.division and set(me) == {"__metadata", "CurrentDivision"}
    assert sandbox.calls["GET current/Me"] == 1


def test_current_me_does_not_count_toward_the_rate_limits(sandbox, api):
    sandbox.set_rate_limits(minutely=2)
    for _ in range(3):
        me = requests.get(f"{sandbox.base_url}/api/v1/current/Me", headers=api.headers)
        assert me.status_code == 200 and not any(name in me.headers for name in DAILY + MINUTELY)
    journals = api.get("financial/Journals")
    assert journals.status_code == 200 and journals.headers["X-RateLimit-Minutely-Remaining"] == "1"
    assert journals.headers["X-RateLimit-Remaining"] == "4999"


def test_divisions_carry_int64_hid_as_string_and_the_move_date(sandbox, api):
    (division,) = api.get("system/Divisions").json()["d"]["results"]
    assert division["Code"] == sandbox.division and division["Hid"] == "1" and division["Current"] is True
    assert division["DivisionMoveDate"] is None
    sandbox.move_division()
    (division,) = api.get("system/Divisions").json()["d"]["results"]
    assert division["DivisionMoveDate"].startswith("/Date(")


def test_another_division_is_403_no_division_access(sandbox, api):
    answer = requests.get(f"{sandbox.base_url}/api/v1/999/crm/Accounts?$filter=Name eq 'x'", headers=api.headers)
    assert answer.status_code == 403 and answer.headers["Reason"] == "NoDivisionAccess"
    assert error_value(answer)


def test_every_api_answer_carries_all_six_rate_limit_headers(api):
    answer = api.get("financial/Journals")
    assert all(name in answer.headers for name in DAILY + MINUTELY)
    assert answer.headers["X-RateLimit-Minutely-Remaining"] == "59"
    second = api.get("financial/Journals")
    assert second.headers["X-RateLimit-Minutely-Remaining"] == "58"
    assert second.headers["X-RateLimit-Remaining"] == "4998"
    reset = int(answer.headers["X-RateLimit-Minutely-Reset"])
    assert reset % 60_000 == 0 and 0 < reset / 1000 - time.time() <= 60
    assert int(answer.headers["X-RateLimit-Reset"]) % 86_400_000 == 0


def test_the_minutely_limit_answers_429_with_only_the_minutely_headers(sandbox, api):
    sandbox.set_rate_limits(minutely=3)
    assert [api.get("financial/Journals").status_code for _ in range(3)] == [200] * 3
    answer = api.get("financial/Journals")
    assert answer.status_code == 429
    assert all(name in answer.headers for name in MINUTELY)
    assert not any(name in answer.headers for name in DAILY)
    assert answer.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert answer.content == b"" and "Content-Type" not in answer.headers


def test_the_daily_limit_answers_429_with_daily_headers(sandbox, api):
    sandbox.exhaust_daily_limit()
    answer = api.get("financial/Journals")
    assert answer.status_code == 429 and answer.headers["X-RateLimit-Remaining"] == "0"


def test_without_accept_json_the_answer_is_an_atom_feed(sandbox, api):
    headers = {"Authorization": api.headers["Authorization"]}
    answer = requests.get(api.url("financial/Journals"), headers=headers)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/atom+xml")
    assert answer.text.startswith("<?xml") and "<d:Code>70</d:Code>" in answer.text


def test_journals_include_two_sales_journals_and_other_types(api):
    journals = {j["Code"]: (j["Description"], j["Type"]) for j in api.get("financial/Journals").json()["d"]["results"]}
    assert journals["70"] == ("Verkoopboek", 20) and journals["71"][1] == 20
    assert journals["60"][1] == 22 and journals["50"][1] == 12 and journals["30"][1] == 10 and journals["90"][1] == 90


def test_item_groups_include_two_that_differ_only_in_case(api):
    groups = api.get("logistics/ItemGroups").json()["d"]["results"]
    codes = [g["Code"] for g in groups]
    assert len({c.lower() for c in codes}) == len(codes) - 1


# -- sync ---------------------------------------------------------------------------------------------------


def test_sync_accounts_pages_of_1000_with_absolute_next_links():
    with Sandbox(customers=2300, items=1) as sandbox:
        api = Api(sandbox)
        first = api.get("sync/CRM/Accounts", **{"$filter": "Timestamp gt 1L", "$select": ACCOUNT_SELECT})
        data = first.json()["d"]
        assert len(data["results"]) == 1000 and data["__next"].startswith(f"{sandbox.base_url}/api/v1/{sandbox.division}/")
        rows, pages = api.read_all("sync/CRM/Accounts", **{"$filter": "Timestamp gt 1L", "$select": ACCOUNT_SELECT})
        assert pages == 3 and len(rows) == 2300 == len({r["ID"] for r in rows})
        row = rows[0]
        assert set(row) == {"__metadata"} | set(ACCOUNT_SELECT.split(","))
        assert isinstance(row["Timestamp"], str) and int(row["Timestamp"]) > 4_000_000_000
        assert row["ID"] == row["ID"].lower() and len(row["Code"]) == 18 and len(row["Country"]) == 3
        assert row["Modified"].startswith("/Date(") and row["__metadata"]["type"].endswith("Account")


def test_sync_returns_only_rows_changed_after_the_timestamp(sandbox, api):
    rows, _ = api.read_all("sync/CRM/Accounts", **{"$filter": "Timestamp gt 1L", "$select": ACCOUNT_SELECT})
    highest = max(int(r["Timestamp"]) for r in rows)
    guid = rows[5]["ID"]
    sandbox.update_account(guid, Name="Bakkerij Één")
    new = sandbox.add_customer(Name="Nieuw B.V.", Code="9000")
    changed, _ = api.read_all("sync/CRM/Accounts",
                              **{"$filter": f"Timestamp gt {highest}L", "$select": "ID,Name,Code,Timestamp"})
    assert [(r["ID"], r["Name"]) for r in changed] == [(guid, "Bakkerij Één"), (new, "Nieuw B.V.")]
    assert changed[1]["Code"] == "9000".rjust(18)


def test_a_row_changed_mid_read_comes_again_on_a_later_page():
    with Sandbox(customers=1500, items=1) as sandbox:
        api = Api(sandbox)
        params = {"$filter": "Timestamp gt 1L", "$select": "ID,Name,Timestamp"}
        first = api.get("sync/CRM/Accounts", **params).json()["d"]
        sandbox.update_account(first["results"][0]["ID"], Name="Gewijzigd")
        rest, _ = api.read_all(first["__next"])
        assert rest[-1]["ID"] == first["results"][0]["ID"] and rest[-1]["Name"] == "Gewijzigd"


@pytest.mark.parametrize("params, message", [
    ({"$filter": "Timestamp gt 1L"}, "Please add a $select or a $top=1 statement to the query string."),
    ({"$filter": "Name eq 'x'", "$select": "ID"}, "This $filter parameter is not supported for this resource"),
    ({"$filter": "Timestamp gt 1L or Timestamp lt 5L", "$select": "ID"},
     "This $filter parameter is not supported for this resource"),
    ({"$filter": "Timestamp gt 1L", "$select": "ID,StandardSalesPrice"}, "No property 'StandardSalesPrice'"),
])
def test_sync_refuses_what_exact_refuses(api, params, message):
    path = "sync/Logistics/Items"
    answer = api.get(path, **params)
    assert answer.status_code == 400 and message in error_value(answer)


def test_sync_addresses_and_items(sandbox, api):
    addresses, _ = api.read_all("sync/CRM/Addresses", **{"$filter": "Timestamp gt 1L",
                                                          "$select": "ID,Account,Type,Main,City,Timestamp"})
    main_visit = [a for a in addresses if a["Type"] == 1 and a["Main"]]
    assert len(main_visit) == 150 == len({a["Account"] for a in main_visit}) and len(addresses) > 150
    items, _ = api.read_all("sync/Logistics/Items", **{"$filter": "Timestamp gt 1L",
                                                        "$select": "ID,Code,ItemGroup,IsSalesItem,EndDate,Timestamp"})
    assert len(items) == 40


# -- normal endpoints --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["crm/Accounts", "crm/Addresses", "logistics/Items"])
def test_mandatory_filtering(api, path):
    answer = api.get(path)
    assert answer.status_code == 400
    assert error_value(answer).startswith("This endpoint has mandatory filtering applied.")


def test_normal_pages_hold_60_and_top_over_60_carries_the_rest(sandbox, api):
    answer = api.get("crm/Accounts", **{"$filter": "Blocked eq false", "$select": "ID,Name", "$top": "100"})
    data = answer.json()["d"]
    assert len(data["results"]) == 60 and "$top=40" in data["__next"] and "$skiptoken=guid'" in data["__next"]
    rest = api.get(data["__next"]).json()["d"]
    assert len(rest["results"]) == 40 and "__next" not in rest
    everything, pages = api.read_all("crm/Accounts", **{"$filter": "Blocked eq false", "$select": "ID"})
    assert pages == 3 and len(everything) == len({r["ID"] for r in everything})
    assert len(everything) == sum(1 for a in sandbox.accounts.values() if not a["Blocked"])


def test_code_is_padded_so_it_needs_trim(sandbox, api):
    assert api.get("crm/Accounts", **{"$filter": "Code eq '12'"}).json()["d"]["results"] == []
    (row,) = api.get("crm/Accounts", **{"$filter": "trim(Code) eq '12'", "$select": "Code"}).json()["d"]["results"]
    assert row["Code"] == "12".rjust(18)


def test_single_account_by_key(sandbox, api):
    guid = next(iter(sandbox.accounts))
    answer = api.get(f"crm/Accounts(guid'{guid}')")
    assert answer.status_code == 200 and answer.json()["d"]["ID"] == guid
    assert api.get("crm/Accounts(guid'00000000-0000-0000-0000-000000000000')").status_code == 404


def test_dates_are_amsterdam_wall_clock_written_as_utc(sandbox, api):
    guid = sandbox.add_customer(Name="Tijd B.V.")
    (row,) = api.get("crm/Accounts", **{"$filter": f"ID eq guid'{guid}'", "$select": "Created"}).json()["d"]["results"]
    millis = int(row["Created"][6:-2])
    amsterdam_offset = datetime.now(ZoneInfo("Europe/Amsterdam")).utcoffset().total_seconds()
    assert abs(millis / 1000 - time.time() - amsterdam_offset) < 5


def test_serve_command_prints_what_goes_in_the_config():
    process = subprocess.Popen([sys.executable, "-m", "exactsync", "sandbox", "serve", "--port", "0",
                                "--customers", "5", "--items", "2"], stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith('base_url = "http://127.0.0.1:') and lines[1].startswith("client_id = ")
        base_url = lines[0].split('"')[1]
        assert requests.get(f"{base_url}/api/v1/current/Me").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_system_divisions_does_not_check_the_division_in_its_url(sandbox, api):
    answer = requests.get(f"{sandbox.base_url}/api/v1/999/system/Divisions", headers=api.headers)
    assert answer.status_code == 200
    assert [d["Code"] for d in answer.json()["d"]["results"]] == [sandbox.division]


def test_sync_takes_top_1_instead_of_select(api):
    answer = api.get("sync/CRM/Accounts", **{"$filter": "Timestamp gt 1L", "$top": "1"})
    (row,) = answer.json()["d"]["results"]
    assert "__next" not in answer.json()["d"] and {"ID", "Name", "Timestamp"} <= set(row)


def test_a_sandbox_bug_answers_500_like_exact_and_shows_the_traceback(sandbox, api, monkeypatch, capsys):
    def broken(self, method, path):
        raise RuntimeError("sandbox bug")
    monkeypatch.setattr(server.Handler, "route", broken)
    answer = api.get("financial/Journals")
    assert answer.status_code == 500 and error_value(answer) == "An unexpected error occurred."
    assert "sandbox bug" in capsys.readouterr().err


def test_unknown_resources_and_methods(api):
    assert api.get("crm/Frobnicators").status_code == 404
    assert api.post("crm/Accounts", {"Name": "x"}).status_code == 405
    assert api.get("crm/Accounts(guid'not-a-guid')").status_code == 400


def test_errors_without_accept_json_come_as_xml(api):
    answer = requests.get(api.url("crm/Accounts"), headers={"Authorization": api.headers["Authorization"]})
    assert answer.status_code == 400 and answer.text.startswith("<?xml") and "mandatory filtering" in answer.text


def test_orderby_skip_and_count(sandbox, api):
    params = {"$filter": "Status eq 'C'", "$select": "Name", "$orderby": "Name desc", "$top": "5", "$skip": "2"}
    names = [r["Name"] for r in api.get("crm/Accounts", **params).json()["d"]["results"]]
    everything = sorted((a["Name"] for a in sandbox.accounts.values() if a["Status"] == "C"), key=str.casefold,
                        reverse=True)
    assert [n.casefold() for n in names] == [n.casefold() for n in everything[2:7]]
    count = api.get("crm/Accounts/$count", **{"$filter": "Status eq 'C'"})
    assert count.status_code == 200 and count.text == str(len(everything))


def test_unknown_filter_field_is_400(api):
    answer = api.get("crm/Accounts", **{"$filter": "Colour eq 'red'"})
    assert answer.status_code == 400 and "No property 'Colour'" in error_value(answer)


def test_the_error_limit_blocks_an_endpoint_for_an_hour():
    with Sandbox(customers=3, items=1, error_limit=3) as sandbox:
        api = Api(sandbox)
        statuses = [api.get("crm/Accounts").status_code for _ in range(5)]
        assert statuses == [400, 400, 400, 400, 429]
        assert api.get("crm/Accounts", **{"$filter": "Blocked eq false"}).status_code == 429
        assert api.get("financial/Journals").status_code == 200
        sandbox.errors.clock = lambda: time.time() + 3601
        assert api.get("crm/Accounts", **{"$filter": "Blocked eq false"}).status_code == 200


def test_a_percent_encoded_key_is_the_same_key(sandbox, api):
    guid = next(iter(sandbox.accounts))
    answer = api.get(f"crm/Accounts(guid%27{guid}%27)")
    assert answer.status_code == 200 and answer.json()["d"]["ID"] == guid


def test_concurrent_clients_each_get_whole_answers(sandbox, api):
    sandbox.set_rate_limits(minutely=1000)
    params = {"$filter": "Timestamp gt 1L", "$select": "ID,Name,Timestamp"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: Api(sandbox, api.tokens).get("sync/CRM/Accounts", **params), range(40)))
    assert {a.status_code for a in answers} == {200}
    assert {len(a.json()["d"]["results"]) for a in answers} == {150}
    assert sandbox.calls["GET sync/CRM/Accounts"] == 40
