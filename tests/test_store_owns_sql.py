"""The store owns the SQL: outside exactsync/store no module writes an SQL statement or
talks to the database connection itself; commands and the domain call named store functions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import exactsync

SOURCE = Path(exactsync.__file__).parent
# The sandbox is Exact's side, not the store's.
OUTSIDE = {"store", "sandbox"}
STATEMENT = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|"
                       r"ALTER\s+TABLE|DROP\s+TABLE)\b", re.DOTALL)
CONNECTION_CALLS = {"execute", "executemany", "executescript", "query", "insert", "insert_all", "upsert",
                    "upsert_all", "rows_where"}


def sql_in(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of each SQL statement text, call on the connection, or `db[table]`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and STATEMENT.search(node.value):
            found.append((node.lineno, node.value.strip()[:60]))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in node.values)
            if STATEMENT.search(text):
                found.append((node.lineno, text.strip()[:60]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in CONNECTION_CALLS and _is_db(node.func.value):
            found.append((node.lineno, f".{node.func.attr}()"))
        elif isinstance(node, ast.Subscript) and _is_db(node.value):
            found.append((node.lineno, "db[...]"))
    return found


def _is_db(node: ast.AST) -> bool:
    """The database or its connection: `db`, `app.db`, `db.conn`, `db["table"]`."""
    if isinstance(node, ast.Subscript):
        return _is_db(node.value)
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("db", "conn")


def test_no_sql_outside_the_store():
    found, scanned = [], 0
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if relative.parts[0] in OUTSIDE:
            continue
        scanned += 1
        found += [f"{relative}:{line}: {what}" for line, what in sql_in(ast.parse(path.read_text(encoding="utf-8")))]
    assert scanned > 30, "the scan found few modules: has the code moved?"
    assert found == []


def test_the_store_holds_sql_the_scan_sees():
    store = SOURCE / "store"
    assert all(sql_in(ast.parse(path.read_text(encoding="utf-8")))
               for path in store.glob("*.py") if path.name != "__init__.py")


def test_the_scan_catches_sql_and_connection_use():
    code = '''
rows = app.db.query("SELECT code FROM customers WHERE active = 1")
db.execute(f"DELETE FROM {table} WHERE id = ?", [1])
db["work_orders"].update(1, {})
db.conn.executemany(sql, rows)
message = "select a customer from the list; update the address"
client.get("sync/CRM/Accounts", {"$select": "ID"})
'''
    assert sorted({line for line, _ in sql_in(ast.parse(code))}) == [2, 3, 4, 5]
