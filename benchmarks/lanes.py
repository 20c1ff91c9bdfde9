"""Runs study commands on several single-thread model servers at once, one per CPU.

The local model's server answers one request at a time; on a machine with few cores, two
single-thread servers side by side answer nearly twice as many requests as one server with
two threads. A lane is a worker process pinned to one CPU with its own ``TG_CORE_HOME`` (so
its own server, started with one thread because the process sees one CPU) sharing the
assembled model file; lanes take the next command from a shared queue until it is empty.

Example:
    >>> import sys, tempfile
    >>> from pathlib import Path
    >>> show = [sys.executable, "-c", "import os; print(len(os.sched_getaffinity(0)))"]
    >>> work = Path(tempfile.mkdtemp())
    >>> run_lanes([[], []], lanes=1, work=work, command=show, say=lambda line: None)
    [0, 0]
    >>> (work / "lane-0.log").read_text().split()
    ['1', '1']
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tg_core.fs import tg_core_home

STUDY = [sys.executable, "-m", "benchmarks.search_study"]
ROOT = Path(__file__).resolve().parents[1]


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def lane_home(work: Path, lane: int) -> Path:
    """Lane ``lane``'s ``TG_CORE_HOME``: its own server state, the shared model folder."""
    home = work / f"lane-{lane}"
    home.mkdir(parents=True, exist_ok=True)
    models = home / "models"
    if not models.exists():
        shared = tg_core_home() / "models"
        shared.mkdir(parents=True, exist_ok=True)
        models.symlink_to(shared, target_is_directory=True)
    return home


def run_lanes(
    argvs: Sequence[Sequence[str]],
    *,
    lanes: int,
    work: Path,
    command: Sequence[str] = STUDY,
    say: Callable[[str], None] = print,
) -> list[int]:
    """Run ``command + argv`` for every argv, ``lanes`` at a time, one CPU per lane.

    Args:
        argvs: the arguments of each run, taken in order.
        lanes: how many run at once (at most the usable CPUs).
        work: where the lanes' homes and logs go (``lane-N.log``).
        command: the program each argv is given to (the study by default).
        say: where the start and end of each run is told.

    Returns:
        Each run's exit code, in the order of ``argvs``.

    Raises:
        ValueError: ``lanes`` is below 1 or above the usable CPUs.
    """
    cpus = usable_cpus()
    if not 1 <= lanes <= len(cpus):
        raise ValueError(f"lanes must be between 1 and the {len(cpus)} usable CPUs, not {lanes}")
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(argvs)):
        todo.put(i)
    codes = [-1] * len(argvs)

    def lane(n: int) -> None:
        env = os.environ | {"TG_CORE_HOME": str(lane_home(work, n))}
        log = work / f"lane-{n}.log"
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            started = time.monotonic()
            say(f"[lane {n}] start: {' '.join(argvs[i])} (log {log})")
            with log.open("a", encoding="utf-8") as out:
                codes[i] = subprocess.run(
                    [*command, *argvs[i]],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    preexec_fn=lambda: os.sched_setaffinity(0, {cpus[n]}),
                    check=False,
                ).returncode
            took = time.monotonic() - started
            say(f"[lane {n}] exit {codes[i]} after {took:.0f} s: {' '.join(argvs[i])}")

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes
