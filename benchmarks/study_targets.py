"""The quality targets of the report, checked against the search study's rows in the plan's setting.

Two targets: tg_core's search gains at least 10 points of held-out test accuracy over the seed
prompt on the demo's task (mean over the plan's seeds), and on each task of the plan its
mean gain is larger than TextGrad 0.1.8's and GEPA's at the same call budget. A target whose
runs are not all measured says so instead of yes or no.

Example:
    >>> def r(system, seed, after):
    ...     return {"task": "web_of_lies", "system": system, "seed": seed, "budget": 100,
    ...             "val_n": 10, "test_n": 100, "answer_max_tokens": 64,
    ...             "test_before": 0.01, "test_after": after}
    >>> plan = Plan(tasks=("web_of_lies",), seeds=(0,))
    >>> rows = [r("search-sweep", 0, 0.58), r("textgrad", 0, 0.01), r("gepa", 0, 0.01)]
    >>> [line[2] for line in target_rows(rows, plan)]
    ['yes', 'yes']
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from .study_plan import SYSTEMS, Plan
from .study_rows import points

SEARCH = SYSTEMS[0]
"""The plan's search: ``fit``'s defaults."""
RIVALS = {"textgrad": "TextGrad 0.1.8", "gepa": "GEPA"}
DEMO_TASK = "web_of_lies"
MIN_GAIN = 10.0


def gains(rows: Sequence[Mapping[str, Any]], plan: Plan, task: str, system: str) -> list[float]:
    """Test-accuracy gains in points of ``system`` on ``task``, one per measured seed."""
    return [
        100 * (float(r["test_after"]) - float(r["test_before"]))
        for r in rows
        if r["task"] == task and r["system"] == system and plan.same_setting(r)
        and r["seed"] in plan.seeds
    ]  # fmt: skip


def noise(test_n: int) -> float:
    """One standard error, in points, of an accuracy near 50% on ``test_n`` questions.

    Example:
        >>> noise(100)
        5.0
    """
    return 100 * math.sqrt(0.25 / test_n)


def _shown(values: Sequence[float], plan: Plan) -> str:
    if not values:
        return "not measured"
    return f"{points(values)} ({len(values)} of {len(plan.seeds)} seeds)"


def _verdict(ok: bool, complete: bool) -> str:
    if not complete:
        return "not all seeds measured" + ("; ahead so far" if ok else "; **behind so far**")
    return "yes" if ok else "**no**"


def target_rows(rows: Sequence[Mapping[str, Any]], plan: Plan | None = None) -> list[list[str]]:
    """The targets table's quality rows: target, what was measured, met."""
    plan = plan or Plan()
    out = []
    if DEMO_TASK in plan.tasks:
        demo = gains(rows, plan, DEMO_TASK, SEARCH)
        ok = bool(demo) and statistics.mean(demo) >= MIN_GAIN
        out.append(
            [
                f"search gains ≥ {MIN_GAIN:.0f} points of test accuracy over the seed prompt "
                f"on {DEMO_TASK} (mean over seeds)",
                _shown(demo, plan),
                _verdict(ok, len(demo) == len(plan.seeds)) if demo else "not measured",
            ]
        )
    for task in plan.tasks:
        ours = gains(rows, plan, task, SEARCH)
        theirs = {name: gains(rows, plan, task, system) for system, name in RIVALS.items()}
        if not ours and not any(theirs.values()):
            continue
        missing = [name for name, v in {"search": ours, **theirs}.items() if not v]
        measured = f"search {_shown(ours, plan)}; " + "; ".join(
            f"{name} {_shown(v, plan)}" for name, v in theirs.items()
        )
        if missing:
            verdict = f"not measured: {', '.join(missing)}"
        else:
            mean = statistics.mean(ours)
            ok = all(mean > statistics.mean(v) for v in theirs.values())
            complete = all(len(v) == len(plan.seeds) for v in [ours, *theirs.values()])
            verdict = _verdict(ok, complete)
            margin = mean - max(statistics.mean(v) for v in theirs.values())
            error = noise(plan.test_n)
            if ok and complete and margin < error:
                verdict += (
                    f", by {margin:.1f} points: inside one standard error of "
                    f"{plan.test_n} test questions ({error:.0f} points), a tie"
                )
        out.append(
            [
                f"search's gain larger than TextGrad's and GEPA's on {task} at the same budget "
                "(points, mean ± sd)",
                measured,
                verdict,
            ]
        )
    return out
