"""Reading `exactsync export` and writing import files, for the tests of the field app's door."""

from __future__ import annotations

import json

from tests.helpers.cli_results import ok


def export(run, *args: str) -> list[dict]:
    """The lines of `exactsync export ARGS`."""
    return [json.loads(line) for line in ok(run("export", *args)).splitlines()]


def cursor_of(lines: list[dict]) -> str:
    assert lines[-1]["type"] == "cursor"
    return lines[-1]["cursor"]


def records(lines: list[dict]) -> dict[tuple[str, int], dict]:
    """{(type, id): line} of the record lines."""
    return {(line["type"], line["id"]): line for line in lines if line["type"] not in ("cursor", "reset")}


def write_entries(tmp_path, entries, name: str = "orders.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


DATA = ("work_orders", "work_addresses", "time_bookings", "materials", "forms", "form_answers", "state", "changes")


def everything(db, *tables: str) -> list:
    """Every row of the tables an import can change (DATA), and of `tables`."""
    return [list(db.query(f"SELECT * FROM {t}")) for t in (*DATA, *tables)]
