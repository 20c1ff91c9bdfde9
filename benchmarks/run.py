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

from . import fig_cache, fig_import, fig_overhead, fig_quality, fig_step, headroom
from .context import Context
from .machine import describe
from .quality_runs import DEFAULT_RUNS, QUALITY_RUNS
from .report import load_sections, write_report
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
    mode.add_argument("--quality", action="store_true", help="the local-model quality run")
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
    p.add_argument("--steps", type=int, default=2, help="quality: optimization steps")
    p.add_argument("--batch-size", type=int, default=3, help="quality: examples per step")
    p.add_argument("--val-size", type=int, default=10, help="quality: validation examples")
    p.add_argument("--test-size", type=int, default=100, help="quality: test examples")
    p.add_argument("--max-tokens", type=int, default=200, help="quality: max_tokens per call")
    p.add_argument(
        "--quality-runs",
        default=",".join(DEFAULT_RUNS),
        help="quality: comma-separated runs among " + ",".join(QUALITY_RUNS),
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
    mode = "quick" if args.quick else "quality" if args.quality else "full"
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
    if args.quality:
        n_val, n_test = args.val_size, args.test_size
        settings = fig_quality.QualitySettings(
            test_range=(150, 150 + n_test),
            val_range=(50, 50 + n_val),
            steps=args.steps,
            batch_size=args.batch_size,
            max_tokens=args.max_tokens,
        )
        keys = tuple(k for k in args.quality_runs.split(",") if k)
        unknown = [k for k in keys if k not in QUALITY_RUNS]
        if unknown:
            raise SystemExit(f"unknown quality runs: {unknown}; known: {list(QUALITY_RUNS)}")
        stored = load_sections(results).get("quality", {}).get("data")

        def save(data: dict[str, Any]) -> None:
            _store(results, "quality", data, machine, mode, env)

        sections: dict[str, Callable[[Context], dict[str, Any]]] = {
            "quality": lambda c: fig_quality.measure(c, settings, keys, stored, save)
        }
    else:
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
