"""Headroom on the local model: held-out accuracy of each task's seed instruction against
hand-written ones, on the same BBH test questions (``python -m benchmarks.headroom``)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tg_core as tg
from tg_core.engine.usage import track_usage
from tg_core.graph import no_grad
from tg_core.tasks import bbh_scorer, load_task

from .headroom_prompts import KINDS, TASKS, instructions
from .headroom_report import model_seconds, render, splice

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
PROMPT_ROLE = "system prompt to the language model"
QUESTION_ROLE = "question to the language model"
THROUGHPUT_ANSWERS = 5


def question_order(size: int, seed: int) -> list[int]:
    """Positions in a test split in a fixed shuffled order; the first ``n`` are a sample, and a
    bigger ``n`` only adds questions.

    Example:
        >>> question_order(5, 0)[:3] == question_order(5, 0)[:3], sorted(question_order(5, 0))
        (True, [0, 1, 2, 3, 4])
    """
    order = list(range(size))
    random.Random(seed).shuffle(order)
    return order


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _load(path: Path) -> dict[str, Any]:
    if path.exists():
        stored: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return stored
    return {"answers": {}, "prompts": {}}


def _save(path: Path, study: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(study, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def _machine() -> dict[str, Any]:
    from .machine import describe

    info = describe(Path(sys.executable), Path(sys.executable))
    keep = ("date", "cores", "cpu", "memory_gb", "load_at_start", "python")
    return {k: info[k] for k in keep}


async def _answer(model: tg.BlackboxLLM, question: str, max_tokens: int) -> dict[str, Any]:
    started = time.perf_counter()
    with track_usage("headroom") as scope, no_grad():
        x = tg.Variable(question, role_description=QUESTION_ROLE, requires_grad=False)
        reply = await model.aforward(x, max_tokens=max_tokens)
    return {
        "reply": str(reply.value),
        "seconds": round(time.perf_counter() - started, 2),
        "prompt_tokens": scope.usage.prompt_tokens,
        "completion_tokens": scope.usage.completion_tokens,
    }


async def run_cell(
    engine: Any,
    study: dict[str, Any],
    task: str,
    kind: str,
    rows: list[tuple[str, str]],
    positions: list[int],
    settings: dict[str, Any],
    save: Any,
) -> list[dict[str, Any]]:
    """Answer ``rows[i]`` for every position with one instruction; resumes from ``study``."""
    prompt = instructions(task)[kind]
    cell_key = f"{task}/{kind}"
    if study["prompts"].get(cell_key) != _digest(prompt):
        study["answers"].setdefault(task, {})[kind] = []
        study["prompts"][cell_key] = _digest(prompt)
    answers: list[dict[str, Any]] = study["answers"].setdefault(task, {}).setdefault(kind, [])
    done = {a["i"] for a in answers}
    system = tg.Variable(prompt, role_description=PROMPT_ROLE, requires_grad=False)
    model = tg.BlackboxLLM(engine, system_prompt=system)
    score = bbh_scorer(task)
    for i in positions:
        if i in done:
            continue
        question, target = rows[i]
        record = {
            "i": i,
            "target": target,
            **await _answer(model, question, settings["max_tokens"]),
        }
        record["read"] = score.read(record["reply"], question)
        record["correct"] = score(record["reply"], target, question)
        answers.append(record)
        save()
    return [a for a in answers if a["i"] in set(positions)]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.headroom", description=__doc__)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=HERE, help="folder with RESULTS.md and results/")
    p.add_argument("--tasks", default=",".join(TASKS), help="comma-separated BBH tasks")
    p.add_argument("--kinds", default=",".join(KINDS), help="comma-separated instructions")
    p.add_argument("--n", type=int, default=20, help="test questions per task and instruction")
    p.add_argument("--max-tokens", type=int, default=200, help="max_tokens per answer")
    p.add_argument("--seed", type=int, default=0, help="seed of the test-question sample")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--throughput", action="store_true", help="time 5 answers and stop")
    mode.add_argument("--report-only", action="store_true", help="rewrite the section only")
    return p


async def _study(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    study = _load(path)
    settings = {"n": args.n, "max_tokens": args.max_tokens, "seed": args.seed}
    study["settings"] = study.get("settings", {}) | settings
    study.setdefault("machine", _machine())
    engine = tg.get_engine("local", cache=False)
    tasks = [t for t in args.tasks.split(",") if t]
    kinds = [k for k in args.kinds.split(",") if k]
    for task in tasks:
        _, _, test, _ = load_task(f"BBH_{task}", None, data_dir=args.data_dir)
        rows = list(test)
        n = THROUGHPUT_ANSWERS if args.throughput else args.n
        positions = question_order(len(rows), args.seed)[:n]
        for kind in kinds:
            started = time.perf_counter()
            got = await run_cell(
                engine, study, task, kind, rows, positions, settings, lambda: _save(path, study)
            )
            right = sum(a["correct"] for a in got)
            per = sum(a["seconds"] for a in got) / max(1, len(got))
            print(
                f"{task}/{kind}: {right}/{len(got)} right, {per:.1f} s per answer "
                f"({time.perf_counter() - started:.0f} s this run)",
                flush=True,
            )
            if args.throughput:
                study["throughput"] = {
                    "task": task,
                    "kind": kind,
                    "answers": len(got),
                    "seconds_per_answer": round(per, 2),
                    "completion_tokens_per_answer": round(
                        sum(a["completion_tokens"] for a in got) / max(1, len(got)), 1
                    ),
                    "date": _machine()["date"],
                }
                _save(path, study)
                return study
    return study


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or resume) the study, store every answer, rewrite the RESULTS.md section."""
    args = _parser().parse_args(argv)
    path = args.out / "results" / "headroom.json"
    if not args.report_only:
        study = asyncio.run(_study(args, path))
        if not args.throughput:
            study["command"] = "python -m benchmarks.headroom " + " ".join(argv or sys.argv[1:])
            _save(path, study)
        print(f"model time so far: {model_seconds(study) / 60:.1f} min", flush=True)
    study = _load(path)
    if "settings" in study:
        report = args.out / "RESULTS.md"
        text = report.read_text("utf-8") if report.exists() else ""
        report.write_text(splice(text, render(study)), encoding="utf-8")
        print(f"wrote the headroom section of {report}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
