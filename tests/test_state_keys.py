"""The `state` table holds only declared keys: each is declared once in exactsync/store/state.py, with
its type and meaning, and the package reads and writes it through that declaration."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import exactsync
from exactsync.store import get_state, open_store, set_state, state

SOURCE = Path(exactsync.__file__).parent
DECLARING = SOURCE / "store" / "state.py"
RAW_DOOR = {"get_state", "set_state"}
# A key named in the store's SQL: `key = 'x'`, or a row `INSERT INTO state (key, value) VALUES ('x', ...)`.
SQL_KEY = re.compile(r"\bkey\s*=\s*'(\w+)'|INTO\s+state\s*\(key,\s*value\)\s*VALUES\s*\('(\w+)'")


def package_modules() -> list[Path]:
    return sorted(path for path in SOURCE.rglob("*.py") if path != DECLARING)


def test_no_module_but_the_declaring_one_uses_the_raw_door_or_declares_a_key():
    found = []
    for path in package_modules():
        where = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _name(node) in RAW_DOOR and where != "store/__init__.py":  # the store's door, for the tests
                found.append(f"{where}:{node.lineno}: {_name(node)}")
            # config.py declares the config's keys with a Key of its own.
            if isinstance(node, ast.Call) and _name(node.func) in ("Key", "Family") and where != "config.py":
                found.append(f"{where}:{node.lineno}: {_name(node.func)}(...)")
    assert found == []


def _name(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
        node.name if isinstance(node, ast.alias) else None


def test_every_key_the_store_names_in_sql_is_declared():
    named = {key for path in (SOURCE / "store").glob("*.py") for match in SQL_KEY.finditer(path.read_text())
             for key in match.groups() if key}
    assert named and named <= state.DECLARED, sorted(named - state.DECLARED)


def test_every_declared_key_is_used_by_some_module_unless_it_is_retired():
    used = "\n".join(path.read_text(encoding="utf-8") for path in package_modules())
    declared = [name for name, value in vars(state).items() if isinstance(value, state.Key | state.Family)
                and not value.meaning.startswith("retired")]
    assert [name for name in declared if not re.search(rf"\b{name}\b", used)] == []


def test_names_are_declared_once():
    names = [key.name for key in state.KEYS] + [name for family in state.FAMILIES for name in family.names]
    assert len(names) == len(set(names)) == len(state.DECLARED)


def test_an_undeclared_key_is_refused_and_nothing_is_written(tmp_path):
    db = open_store(tmp_path / "s.db")
    with pytest.raises(ValueError, match="'workorder_counter' is not declared"):
        set_state(db, wiped_at="2026-01-01T00:00:00Z", workorder_counter=1)
    assert get_state(db, "wiped_at") is None
    with pytest.raises(ValueError, match="not declared"):
        get_state(db, "last_pul_at")
    with pytest.raises(ValueError, match="no member 'puhs'"):
        state.LAST_RUN_AT("puhs")


def test_each_kind_reads_back_what_it_wrote(tmp_path):
    db = open_store(tmp_path / "s.db")
    assert (state.ACTIVE.get(db), state.SYNC_GENERATION.get(db), state.SYNC_SCOPE.get(db)) == (False, 0, None)
    state.ACTIVE.set(db, True)
    state.SYNC_GENERATION.set(db, 7)
    state.SYNC_SCOPE.set(db, {"division": 1, "item_groups": ["Diensten é"]})
    state.LAST_RUN_AT("push").set(db, "2026-01-02T03:04:05Z")
    assert (get_state(db, "active"), get_state(db, "sync_generation"), get_state(db, "last_push_at")) == \
        ("1", "7", "2026-01-02T03:04:05Z")
    assert (state.ACTIVE.get(db), state.SYNC_GENERATION.get(db), state.SYNC_SCOPE.get(db)) == \
        (True, 7, {"division": 1, "item_groups": ["Diensten é"]})
    state.ACTIVE.set(db, None)
    assert get_state(db, "active") is None
