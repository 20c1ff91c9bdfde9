"""Rows of the search study (one per system, task and seed) and their side-by-side summary.

Example:
    >>> rows = [
    ...     make_row(task="t", system="tgd", seed=s, budget=50, test_before=0.5,
    ...              test_after=a, val_before=0.5, val_after=0.6, calls=48, tokens=None,
    ...              wall_s=10.0, final_prompt="p")
    ...     for s, a in ((0, 0.6), (1, 0.7))
    ... ]
    >>> [round(x, 4) for x in mean_sd([r["test_after"] for r in rows])]
    [0.65, 0.0707]
    >>> "| tg_core TGD (TextGrad's loop) | 2 | 50.0% | 65.0% ± 7.1% |" in summary(rows)
    True
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FIELDS = (
    "task",
    "system",
    "seed",
    "budget",
    "test_before",
    "test_after",
    "val_before",
    "val_after",
    "calls",
    "tokens",
    "wall_s",
    "final_prompt",
)
"""Every row has these; a row may add details (sizes, the history, a system's own scores)."""

LABELS = {
    "tgd": "tg_core TGD (TextGrad's loop)",
    "search": "tg_core search",
    "tgd-relay": "tg_core TGD, relayed feedback",
    "search-relay": "tg_core search, one deletion a step (the earlier default)",
    "search-sweep": "tg_core search (fit's defaults: up to 3 deletions a step)",
    "textgrad": "TextGrad 0.1.8",
    "gepa": "DSPy GEPA",
}
ORDER = tuple(LABELS)

_OLD_NAMES = {"variant": "system", "fit_calls": "calls", "fit_tokens": "tokens"}


def make_row(**values: Any) -> dict[str, Any]:
    """A row with every field of :data:`FIELDS` (details after them), or ValueError."""
    missing = [f for f in FIELDS if f not in values]
    if missing:
        raise ValueError(f"a study row needs {', '.join(missing)}")
    if values["system"] not in LABELS and not str(values["system"]).startswith("hand:"):
        raise ValueError(f"unknown system {values['system']!r}; known: {', '.join(LABELS)}")
    return {f: values[f] for f in FIELDS} | {k: v for k, v in values.items() if k not in FIELDS}


def normalize(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row in the current format (rows written before budgets existed included)."""
    out = {_OLD_NAMES.get(k, k): v for k, v in row.items()}
    if "setting" in row and "answer_max_tokens" not in row:
        out["answer_max_tokens"] = row.get("max_tokens")
    out.setdefault("budget", None)
    out.setdefault("tokens", None)
    return out


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a JSON-lines file (none if it does not exist)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [normalize(json.loads(line)) for line in lines if line.strip()]


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Add one row to a JSON-lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def mean_sd(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for fewer than two values)."""
    if not values:
        return math.nan, None
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def _known(rows: Iterable[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) is not None]


def _pct(values: Sequence[float], spread: bool = True) -> str:
    if not values:
        return "—"
    mean, sd = mean_sd(values)
    shown = f"{mean:.1%}"
    return shown + (f" ± {sd:.1%}" if spread and sd is not None else "")


def points(values: Sequence[float]) -> str:
    """Gains in points as ``+mean ± sd`` (no sd for one value, a dash for none)."""
    if not values:
        return "—"
    mean, sd = mean_sd(values)
    return f"{mean:+.1f}" + (f" ± {sd:.1f}" if sd is not None else "")


def _count(values: Sequence[float]) -> str:
    return f"{statistics.mean(values):,.0f}" if values else "—"


HEADER = (
    "| system | seeds | test before | test after (mean ± sd) | gain (points) "
    "| val before → after | calls | tokens | wall s | test after, own program |"
)


def _line(system: str, rs: list[dict[str, Any]]) -> str:
    gains = [100 * (r["test_after"] - r["test_before"]) for r in rs]
    val = f"{_pct(_known(rs, 'val_before'), False)} → {_pct(_known(rs, 'val_after'), False)}"
    own = _known(rs, "test_after_native")
    own_text = _pct(own) if own else "—"
    return (
        f"| {LABELS.get(system, system)} | {len(rs)} | {_pct(_known(rs, 'test_before'), False)} "
        f"| {_pct(_known(rs, 'test_after'))} | {points(gains)} | {val} "
        f"| {_count(_known(rs, 'calls'))} | {_count(_known(rs, 'tokens'))} "
        f"| {_count(_known(rs, 'wall_s'))} | {own_text} |"
    )


def summary(rows: Sequence[dict[str, Any]]) -> str:
    """A table per task, answer cap, test slice and budget, a line per system: mean ± sd
    over seeds; the hand-written prompts (the headroom check) join every table of their
    task, cap and test slice.

    ``calls`` and ``tokens`` are the means of what each fit sent to the model;
    ``test after, own program`` is GEPA's program tested through DSPy itself (the other
    systems' programs are the system prompt itself: "—").
    """
    groups: dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = {}
    hand: dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = {}
    for r in rows:
        where = (r["task"], r.get("answer_max_tokens"), r.get("test_n"))
        if str(r["system"]).startswith("hand:"):
            hand.setdefault(where, {}).setdefault(r["system"], []).append(r)
        else:
            key = (*where, r.get("budget"), r.get("val_n"))
            groups.setdefault(key, {}).setdefault(r["system"], []).append(r)
    for where in set(hand) - {key[:3] for key in groups}:
        groups[(*where, None, None)] = {}
    out: list[str] = []
    for (task, cap, test_n, budget, val_n), fits in sorted(groups.items(), key=str):
        systems = fits | hand.get((task, cap, test_n), {})
        shown = "none" if budget is None else f"{budget} calls"
        capped = f"answers capped at {cap} tokens, " if cap else ""
        out += [
            f"**{task}**, {capped}budget {shown}, val {val_n or '?'}, test {test_n or '?'}",
            "",
            HEADER,
            "|" + "---|" * HEADER.count(" | ") + "---|",
        ]
        known = [s for s in ORDER if s in systems] + sorted(set(systems) - set(ORDER))
        out += [_line(s, systems[s]) for s in known]
        out.append("")
    return "\n".join(out).rstrip() or "no rows"


SHAPES_TEXT = (
    "Program shapes: tg_core's two loops and TextGrad send the prompt as the system message "
    "and the question as the user message (tg_core's `BlackboxLLM`, TextGrad's "
    "`BlackboxLLM` over `ChatExternalClient`); GEPA optimizes the instruction of a "
    "`dspy.ChainOfThought('question -> answer')`, which DSPy's chat adapter renders with its "
    "field markers (reasoning, then answer)."
)

METHOD = """\
Every system starts from the task's seed prompt (`train.get_task_description()`), trains on
TextGrad's 50 train examples, validates on the first examples of the val split and stops
when its fit has sent `budget` calls to the model (baseline validation included), counted by
a proxy in front of the model server; every fit starts from an empty cache, and every call
uses the same local model at temperature 0 (GEPA's reflection model too). tg_core's
`Budget(max_calls=...)` and the TextGrad driver refuse the call past the budget and drop
the step in progress. GEPA can only be stopped between its iterations: a stopper on the
proxy's count ends it once fewer calls are left than its cheapest iteration needs (two
minibatch evaluations and one reflection), so a run may end up to one iteration past the
budget (the calls column shows what each spent); GEPA's own `max_metric_calls` is set
to four times the budget, a cap that does not bind, since its metric calls count cache
hits and leave out reflections. All answers are read by the same scorer
(`tg_core.tasks.bbh_scorer`: in process for tg_core and GEPA's metric, through a loopback
service for TextGrad's venv). Answers are capped at the same `max_tokens`, other calls at
another. Test accuracy is measured for every system the same way: its final prompt as the
system prompt of tg_core's `SystemPromptProgram` on the test slice (answers cached, so the
seed prompt is scored once); for GEPA, its own DSPy program is also tested (last column).
The validation scores are each system's own, in its own call shape, so they differ even for
the same seed prompt; and the server's greedy answers are not exactly repeatable from one
run to the next (seen while checking the drivers; llama.cpp's prompt-prefix cache is the
likely cause), so even tg_core's two loops can score the seed prompt differently on
validation."""


def report_section(rows: Sequence[dict[str, Any]], command: str, notes: str = "") -> str:
    """The study's section of RESULTS.md: how it is measured, the tables, then the notes
    written about the measured runs (``results/search_study_notes.md``)."""
    table = summary(rows) if rows else f"Not measured yet: `{command}`."
    return "\n\n".join(part for part in [METHOD, SHAPES_TEXT, table, notes.strip()] if part)
