"""The targets table at the top of the report: each target, what was measured, met or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .stats import ratio, table, times
from .study_targets import target_rows


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _step(data: dict[str, Any]) -> list[list[str]]:
    rows = data["rows"]
    worst = max(r["tg_core_over_bound"] for r in rows)
    per_batch = ", ".join(f"B={r['batch']}: {times(r['tg_core_over_bound'])}" for r in rows)
    out = [
        [
            f"step within 1.3× of the critical path (tg_core time / {data['bound_s']:.1f} s)",
            per_batch,
            _met(worst <= 1.3),
        ]
    ]
    at8 = [r for r in rows if r["batch"] == 8]
    if at8:
        out.append(
            [
                "step ≥ 3× faster than TextGrad at batch 8 (TextGrad time / tg_core time)",
                times(at8[0]["speedup"]),
                _met(at8[0]["speedup"] >= 3.0),
            ]
        )
    return out


def _overhead(data: dict[str, Any]) -> list[list[str]]:
    out = []
    for r in data["rows"]:
        ours, theirs = r["tg_core"], r["TextGrad 0.1.8"]
        t = ratio(ours["wall_s"], theirs["wall_s"])
        m = ratio(ours["traced_peak_mb"], theirs["traced_peak_mb"])
        size = f"{r['nodes_target'] // 1000}k nodes"
        out.append(
            [
                f"overhead no worse than TextGrad, {size}: time (tg_core / TextGrad)",
                times(t),
                _met(t <= 1.0),
            ]
        )
        out.append(
            [
                f"overhead no worse than TextGrad, {size}: traced memory (tg_core / TextGrad)",
                times(m),
                _met(m <= 1.0),
            ]
        )
    return out


def _imports(data: dict[str, Any]) -> list[list[str]]:
    imports = data["imports"]
    r = ratio(imports["TextGrad 0.1.8"]["import_s"], imports["tg_core"]["import_s"])
    return [["import 10× faster than TextGrad (TextGrad / tg_core)", times(r), _met(r >= 10.0)]]


def _cache(data: dict[str, Any]) -> list[list[str]]:
    ours = data["rows"][0]
    n = ours["warm"]["requests"]
    return [["warm rerun in a new process makes 0 requests (tg_core)", str(n), _met(n == 0)]]


def summary_table(
    sections: dict[str, dict[str, Any]], study: Sequence[Mapping[str, Any]] = ()
) -> str:
    """Rows for every measured section that has a target, then the quality targets checked
    on the search study's rows (``study``)."""
    builders = {"step": _step, "overhead": _overhead, "imports": _imports, "cache": _cache}
    rows: list[list[str]] = []
    for name, build in builders.items():
        if name in sections:
            rows += build(sections[name]["data"])
    rows += target_rows(study)
    return table(["target", "measured", "met"], rows)
