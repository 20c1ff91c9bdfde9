"""The graph modules depend one way: ``variable`` at the bottom, no cycle, no late imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tg_core as tg

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tg_core"
GRAPH_MODULES = [
    "tg_core.variable",
    "tg_core.context_text",
    "tg_core.graph",
    "tg_core.reduce",
    "tg_core.visualize",
    "tg_core.autograd.function",
    "tg_core.autograd.reduce_ops",
]


def source_of(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(module: str) -> set[str]:
    """Modules of tg_core that ``module`` imports when it runs (type-only imports left out).

    Importing ``tg_core.a.b`` also runs the package ``tg_core.a``'s ``__init__``.
    """
    path = source_of(module)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and is_type_checking(node):
                visit(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                found.add(target)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, block, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])

    visit(ast.parse(path.read_text("utf-8")).body)
    out: set[str] = set()
    for target in found:
        parts = target.split(".")
        for i in range(2, len(parts) + 1):  # the packages on the way run their __init__ ...
            out.add(".".join(parts[:i]))
    ancestors = {module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)}
    # ... except the module's own packages, which finished before the module began
    return {m for m in out if m.startswith("tg_core.") and m != module and m not in ancestors}


def graph_edges() -> dict[str, set[str]]:
    """Import edges among the graph modules, through any package ``__init__`` on the way."""
    edges: dict[str, set[str]] = {}
    for module in GRAPH_MODULES:
        reached: set[str] = set()
        todo = list(runtime_imports(module))
        seen: set[str] = set()
        while todo:
            target = todo.pop()
            if target in seen:
                continue
            seen.add(target)
            if target in GRAPH_MODULES:
                reached.add(target)
            elif source_of(target).name == "__init__.py" and source_of(target).is_file():
                todo.extend(runtime_imports(target))  # a package's __init__ passes imports on
        edges[module] = reached
    return edges


def function_level_imports(module: str) -> list[str]:
    tree = ast.parse(source_of(module).read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    out.append(f"{module}:{inner.lineno}")
    return out


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``edges`` (as a path that ends where it starts), or None."""
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        if state.get(module) == "done":
            return None
        if state.get(module) == "open":
            return [*path[path.index(module) :], module]
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            cycle = visit(target, [*path, module])
            if cycle:
                return cycle
        state[module] = "done"
        return None

    for module in sorted(edges):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_of_the_graph_modules_is_acyclic() -> None:
    edges = graph_edges()
    assert sum(len(targets) for targets in edges.values()) >= 10
    assert find_cycle(edges) is None


def test_variable_is_at_the_bottom() -> None:
    edges = graph_edges()
    assert edges["tg_core.context_text"] == set()  # a text formatter below Variable
    assert edges["tg_core.variable"] == {"tg_core.context_text"}
    for module in GRAPH_MODULES[2:]:
        assert "tg_core.variable" in edges[module], module


def test_no_graph_module_imports_inside_a_function() -> None:
    assert [hit for m in GRAPH_MODULES for hit in function_level_imports(m)] == []


ISOLATED = """
import importlib, sys, types
package = types.ModuleType("tg_core")
package.__path__ = [sys.argv[1]]  # tg_core's own __init__ does not run: nothing preloaded
sys.modules["tg_core"] = package
importlib.import_module(sys.argv[2])
print("imported", sys.argv[2])
"""


@pytest.mark.parametrize("module", GRAPH_MODULES)
def test_each_graph_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED, str(PACKAGE), module],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"imported {module}"


def test_variable_methods_that_need_higher_modules_work() -> None:
    a = tg.Variable("a", role_description="first")
    b = tg.Variable("b", role_description="second")
    total = a + b
    assert total.value == "ab" and total.predecessors == [a, b]
    assert f"n{a.id} --> n{total.id}" in total.generate_graph().to_mermaid()
    assert total.backward(engine="fake").calls == 0  # a sum without a loss: nothing to ask
