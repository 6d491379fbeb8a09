"""The package's shape, kept by its imports: no cycle (imports inside functions count too), and the
Exact client knows nothing of the store."""

from __future__ import annotations

import ast
from pathlib import Path

import exactsync

PACKAGE = Path(exactsync.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Module -> the exactsync modules it imports, anywhere in its body (TYPE_CHECKING blocks aside)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                node.body = []
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                submodules = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
        # A package runs before its modules whatever they import: that is no cycle.
        graph[name] = {m for m in found if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return None
        for target in sorted(graph[name]):
            found = visit(target, path + [name])
            if found:
                return found
        done.add(name)
        return None

    for name in sorted(graph):
        found = visit(name, [])
        if found:
            return found
    return None


def test_no_module_imports_itself_through_others():
    assert cycle(imports()) is None


def test_the_finder_sees_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_exact_client_knows_nothing_of_the_store():
    graph = imports()
    for name, targets in graph.items():
        if name.startswith("exactsync.exact"):
            assert not {t for t in targets if t.startswith("exactsync.store")}, name


def reached_from(graph: dict[str, set[str]], name: str) -> set[str]:
    """Every module `name` imports, directly or through others."""
    reached, todo = set(), [name]
    while todo:
        for target in graph[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    return reached


# What the sandbox may share with the rest of the package: message translation and the Amsterdam zone
# name, which state nothing about Exact's API.
SANDBOX_MAY_USE = {"exactsync.i18n", "exactsync.timeutil"}


def test_the_sandbox_knows_nothing_of_the_client_config_or_store():
    """The sandbox stands in for Exact: it states Exact's facts itself, so that a wrong fact in the client
    cannot be mirrored by it and pass every test."""
    graph = imports()
    for name in graph:
        if name == "exactsync.sandbox" or name.startswith("exactsync.sandbox."):
            outside = {t for t in reached_from(graph, name) if not t.startswith("exactsync.sandbox")}
            assert outside <= SANDBOX_MAY_USE, name
