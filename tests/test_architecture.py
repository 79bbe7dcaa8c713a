"""The package's shape (issue 13): imports run one way (no cycle among the modules of ``repro``, no import of
the package's own modules inside a function to dodge one), nothing in ``repro`` imports the developer tools,
and no function is longer than 60 lines. Each rule is checked on a small synthetic package first, so that the
check can fail."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_FUNCTION_LINES = 60


def _module_names(package: Path) -> dict[str, Path]:
    out = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that one import statement loads."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    source = f"{base}.{node.module}" if node.level and node.module else base if node.level else node.module
    return {f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names} & set(modules)


def import_graph(package: Path) -> tuple[dict[str, set[str]], list[str]]:
    """(module -> modules of the package it imports at module level, imports of the package's own modules
    inside functions as "module:function")."""
    modules, graph, inner = _module_names(package), {}, []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        graph[name] = set().union(
            *(_targets(name, path, n, modules) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
        ) - {name}
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for n in ast.walk(fn):
                if isinstance(n, (ast.Import, ast.ImportFrom)) and _targets(name, path, n, modules):
                    inner.append(f"{name}:{fn.name}")
    return graph, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def long_functions(package: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        for n in ast.walk(ast.parse(path.read_text())):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit:
                out.append(f"{path.relative_to(package.parent)}:{n.name} ({n.end_lineno - n.lineno + 1} lines)")
    return out


@pytest.fixture
def tangled(tmp_path) -> Path:
    """A package with a cycle (a -> b -> a), an import inside a function and a 70-line function."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .b import g\n")
    (pkg / "a.py").write_text("from .sub import b\n\ndef f():\n    from . import c\n" + "    x = 1\n" * 70)
    (pkg / "sub" / "b.py").write_text("from .. import a\n\ndef g():\n    return 1\n")
    (pkg / "c.py").write_text("import os\n")
    return pkg


def test_the_checks_find_a_cycle_an_inner_import_and_a_long_function(tangled):
    graph, inner = import_graph(tangled)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b"]]
    assert inner == ["pkg.a:f"]
    assert long_functions(tangled) == ["pkg/a.py:f (72 lines)"]


def test_repro_imports_run_one_way():
    graph, inner = import_graph(ROOT / "repro")
    assert len(graph) > 50
    assert cycles(graph) == []
    assert inner == [], "imports of the package's own modules inside functions (move them to the top)"


def test_repro_does_not_import_the_developer_tools():
    for path in (ROOT / "repro").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
        assert not [m for m in names if m.split(".")[0] in ("tools", "tests", "benchmarks")], path


def test_no_function_in_repro_is_longer_than_60_lines():
    assert long_functions(ROOT / "repro") == []
