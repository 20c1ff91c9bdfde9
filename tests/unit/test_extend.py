"""The extension surface: adapters build on ``tg_core.extend`` only; call holds count usage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tg_core as tg
import tg_core.extend as extend
from tg_core.extend import CallHold, estimate_tokens

ADAPTERS = Path(__file__).resolve().parents[2] / "tg_adapters"
NOT_YET: set[str] = set()
ALLOWED = {"tg_core.extend", "tg_core.train"}
LAYERS = ("tg_core.program", "tg_core.train.")  # the program layer and the fit loop's names
TEST_HELPERS = ("tg_core.testing",)  # the simulated server, for the adapters' testing modules


def core_imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {m for m in modules if m == "tg_core" or m.startswith("tg_core.")}


def test_adapters_import_the_core_only_through_extend() -> None:
    files = [p for p in ADAPTERS.rglob("*.py") if str(p.relative_to(ADAPTERS)) not in NOT_YET]

    def outside(path: Path) -> set[str]:
        allowed = LAYERS + (TEST_HELPERS if path.name == "testing.py" else ())
        return {m for m in core_imports(path) - ALLOWED if not m.startswith(allowed)}

    found = {str(p.relative_to(ADAPTERS)): outside(p) for p in files}
    assert len(files) > 30
    assert {name: mods for name, mods in found.items() if mods} == {}


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in extend.__all__:
        value = getattr(extend, name)
        assert (value.__doc__ or "").strip(), name


def test_a_hold_counts_what_the_call_reported_or_estimates_it() -> None:
    with tg.track_usage("t") as scope:
        CallHold("the question", max_tokens=5).succeeded("an answer")
        CallHold("q", 5).succeeded("a", prompt_tokens=11, completion_tokens=2, cost_usd=0.5)
    assert scope.usage.calls == 2
    assert scope.usage.prompt_tokens == estimate_tokens("the question") + 11
    assert scope.usage.completion_tokens == estimate_tokens("an answer") + 2
    assert scope.usage.cost_known is False  # the first call had no price


def test_a_failed_or_cached_hold_counts_no_tokens_and_settles_once() -> None:
    with tg.track_usage("t") as scope:
        failed = CallHold("some question text", max_tokens=50)
        failed.failed()
        failed.succeeded("late answer")  # a hold settles once
        CallHold("again", 50).cached()
    usage = scope.usage
    assert (usage.calls, usage.failed_calls, usage.cached_calls) == (1, 1, 1)
    assert (usage.total_tokens, usage.cost_usd, usage.cost_known) == (0, 0.0, True)


def test_a_hold_past_a_budget_is_refused_and_holds_count_while_open() -> None:
    with tg.track_usage("t", tg.Budget(max_calls=2)) as scope:
        first = CallHold("one")
        second = CallHold("two")
        with pytest.raises(tg.BudgetExceeded):
            CallHold("three")
        first.succeeded("1")
        second.failed()
    assert (scope.usage.calls, scope.usage.failed_calls) == (2, 1)
