"""Runs the benchmarks and regenerates the report: ``python -m benchmarks.run [--quick|--quality|--headroom]``."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tg_core.local import model_path

from . import fig_cache, fig_import, fig_overhead, fig_step, headroom, search_study
from .context import Context
from .hand_prompts import HAND_WRITTEN
from .lanes import run_lanes
from .machine import describe
from .report import write_report
from .study_plan import Plan, study_args
from .study_plan import describe as describe_runs
from .study_rows import load_rows
from .textgrad_env import TextGradEnv, ensure_textgrad_env

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
MIN_SPEEDUP_AT_8 = 3.0

FULL: dict[str, Callable[[Context], dict[str, Any]]] = {
    "step": fig_step.measure,
    "overhead": fig_overhead.measure,
    "imports": fig_import.measure,
    "cache": fig_cache.measure,
}
QUICK = {"step": fig_step.measure}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="CI smoke: batch 1 and 8 only")
    mode.add_argument(
        "--quality",
        action="store_true",
        help="the search study's comparison on the local model (benchmarks.study_plan; long)",
    )
    mode.add_argument(
        "--headroom",
        action="store_true",
        help="seed against hand-written instructions on the local model (benchmarks.headroom)",
    )
    mode.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from the stored results"
    )
    p.add_argument("--only", default="", help="comma-separated sections: " + ",".join(FULL))
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=None, help="default: benchmarks/ (quick: out/quick)")
    p.add_argument(
        "--textgrad-full-install",
        action="store_true",
        help="install TextGrad with all its dependencies instead of the lean list",
    )
    p.add_argument(
        "--seeds", nargs="+", type=int, default=None, help="quality: seeds (default 0 1 2)"
    )
    p.add_argument(
        "--lanes",
        type=int,
        default=1,
        help="quality: runs at once, each on its own single-thread model server and CPU",
    )
    return p


def _store(
    results: Path,
    name: str,
    data: dict[str, Any],
    machine: dict[str, Any],
    mode: str,
    env: TextGradEnv,
) -> None:
    results.mkdir(parents=True, exist_ok=True)
    record = {
        "mode": mode,
        "machine": machine,
        "textgrad_env": asdict(env) | {"python": str(env.python)},
        "data": data,
    }
    (results / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the chosen sections, store them, rewrite the report; 1 if the gate fails."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    out = args.out or (HERE / "out" / "quick" if args.quick else HERE)
    results = out / "results"
    if args.report_only:
        write_report(out / "RESULTS.md", results, "python -m benchmarks.run")
        return 0
    if args.headroom:
        return headroom.main(["--data-dir", str(args.data_dir), "--out", str(out)])
    if args.quality:
        return _quality(args, out)
    mode = "quick" if args.quick else "full"
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        return _run(args, out, results, mode, work, started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(
    args: argparse.Namespace, out: Path, results: Path, mode: str, work: Path, started: float
) -> int:
    """The body of :func:`main`, with ``work`` as scratch space."""
    env = ensure_textgrad_env(work, full=args.textgrad_full_install)
    print(
        f"TextGrad venv: {env.mode}" + (f", built in {env.install_s:.0f} s" if env.created else ""),
        flush=True,
    )
    ctx = Context(args.quick, args.data_dir, work, out, env.python)
    machine = describe(ctx.tg_core_python, env.python)
    sections = dict(QUICK if args.quick else FULL)
    if args.only:
        wanted = set(args.only.split(","))
        sections = {k: v for k, v in sections.items() if k in wanted}
    measured: dict[str, dict[str, Any]] = {}
    for name, measure in sections.items():
        print(f"[{name}]", flush=True)
        measured[name] = measure(ctx)
        _store(results, name, measured[name], machine, mode, env)
    command = "python -m benchmarks.run" + (" --quick" if args.quick else "")
    report = out / ("RESULTS.md" if not args.quick else "RESULTS-quick.md")
    write_report(report, results, command)
    print(f"wrote {report} in {time.perf_counter() - started:.0f} s", flush=True)
    return _gate(measured)


def _quality(args: argparse.Namespace, out: Path) -> int:
    """Measure what the study plan still lacks (hand-written prompts first), then the report."""
    plan = Plan() if args.seeds is None else Plan(seeds=tuple(args.seeds))
    results = out / "results"
    rows = load_rows(results / "search_study.jsonl")
    common = ["--results", str(results / "search_study.jsonl")]
    argvs = [
        study_args(plan, task, str(args.data_dir)) + common + ["--hand", *names]
        for task, names in plan.hand_pending(rows, HAND_WRITTEN).items()
    ]
    runs = plan.pending(rows)
    print(f"[quality] {len(argvs)} headroom checks; {describe_runs(runs)}", flush=True)
    argvs += [
        study_args(plan, r.task, str(args.data_dir))
        + common
        + ["--system", r.system, "--seeds", str(r.seed)]
        for r in runs
    ]
    failed = 0
    if args.lanes == 1:
        for argv in argvs:
            failed += search_study.main(argv) != 0
    else:
        model_path()  # assembled once here, not by every lane at once
        work = Path(tempfile.mkdtemp(prefix="tg-lanes-"))
        failed = sum(c != 0 for c in run_lanes(argvs, lanes=args.lanes, work=work))
    write_report(out / "RESULTS.md", results, "python -m benchmarks.run")
    return 1 if failed else 0


def _gate(measured: dict[str, dict[str, Any]]) -> int:
    """Fail when tg_core's step at batch 8 is not at least 3× faster than TextGrad's."""
    if "step" not in measured:
        return 0
    speedup = fig_step.speedup_at(measured["step"], 8)
    if speedup is None:
        return 0
    print(f"step at batch 8: TextGrad / tg_core = {speedup:.2f}× (need ≥ {MIN_SPEEDUP_AT_8}×)")
    return 0 if speedup >= MIN_SPEEDUP_AT_8 else 1


if __name__ == "__main__":
    sys.exit(main())
