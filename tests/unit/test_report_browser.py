"""The run report of a searching fit, rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.report import write_report
from tg_core.train import Sample, fit, load_checkpoint

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium; `make install` does it as "
    "root): the report cannot be rendered in a browser",
)

TRAIN = [("How many pears are in a bowl of two pears and a plum?", "2")] * 2 + [
    ("Count the cups: a cup, one more cup and a plate.", "2"),
    ("How many cats are on a mat with one cat and another cat?", "2"),
]
VAL = [(f"validation question {i}", "2") for i in range(6)]
RULE = "List every item <script>alert(1)</script> before counting."
SECOND = "Name each thing once, then count the names."
THIRD = "Answer in one word."
FORBIDDEN = "FORBIDDEN shortcut: guess the usual answer."


class Shop:
    """A prompt whose validation score is the share of questions its rules solve.

    A rule to list items solves questions 0-2, a worked example question 3, naming things
    once questions 4-5; answering in one word loses questions 3-5 again. The edit operator
    proposes those rules in turn; the rewrite operator always proposes text a constraint
    refuses.
    """

    def __init__(self) -> None:
        self.engine = FakeEngine(self.respond)
        self.prompt = tg.Variable("Answer the question.", role_description="system prompt")
        self.model = tg.BlackboxLLM(self.engine, system_prompt=self.prompt)

    def respond(self, call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" not in call.text:
            return "The count is off; list the items first."
        if int(call.kwargs.get("seed", 0)) == 2:
            return f"<IMPROVED_VARIABLE>{FORBIDDEN}</IMPROVED_VARIABLE>"
        rule = THIRD if SECOND in call.text else SECOND if "List every" in call.text else RULE
        return f"<IMPROVED_VARIABLE>{rule}</IMPROVED_VARIABLE>"

    def solved(self, value: str) -> list[float]:
        rules = ("List every item", "Worked example", "Name each thing")
        found = [rule in value for rule in rules]
        late = 0.0 if THIRD in value else 1.0
        return [float(found[0])] * 3 + [late * found[1]] + [late * found[2]] * 2

    async def loss(self, ex: tuple[str, str]) -> Sample:
        q = tg.Variable(ex[0], role_description="question", requires_grad=False)
        out = await self.model.aforward(q)
        loss = await tg.TextLoss("Judge the count.", engine=self.engine).aforward(out)
        right = float("List every item" in str(self.prompt.value))
        return Sample(loss, right, ex[0], "Answer: 2" if right else "Answer: 3", ex[1])

    async def score(self, ex: tuple[str, str]) -> float:
        value = str(self.prompt.value)
        if ex in VAL:
            return self.solved(value)[VAL.index(ex)]
        return float("List every item" in value)


def forbidden(value: str) -> str | None:
    return "it uses a FORBIDDEN word" if "FORBIDDEN" in value else None


def searching_run(run_dir: Path) -> Any:
    """A three-step searching fit with a pool and every operator, writing its report."""
    shop = Shop()
    return fit(
        [shop.prompt],
        shop.loss,
        shop.score,
        TRAIN,
        VAL,
        engine=shop.engine,
        steps=3,
        batch_size=2,
        num_candidates=3,
        pool=True,
        operators=("edit", "example", "rewrite"),
        constraints=[forbidden],
        progress=False,
        run_dir=run_dir,
    )


def chromium(page: Path, *args: str) -> str:
    """Run headless Chromium on ``page`` with ``args``; its standard output."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1280,2400",
                *args,
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_report_of_a_searching_run_shows_candidates_chart_and_pool(tmp_path: Path) -> None:
    result = searching_run(tmp_path)
    page = write_report(tmp_path)
    source = page.read_text("utf-8")
    assert "<script" not in source  # user text is escaped, the page has no scripts

    shot = tmp_path / "report.png"
    chromium(page, f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = chromium(page, "--dump-dom")
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))

    history = load_checkpoint(tmp_path)["history"]  # type: ignore[index]
    statuses = {c["status"] for r in history for c in r["candidates"]}
    assert statuses == {"kept", "refused", "screened out", "undone"}
    for status in statuses:
        assert f">{status}</span>" in dom
    shown = [v for r in history for c in r["candidates"] for v in c["values"] + c["refused"]]
    for value in {v for v in shown if v}:
        assert f"<pre>{html.escape(value, quote=False)}</pre>" in dom  # each full text
    assert FORBIDDEN in text and "refused text" in text  # a refused proposal stays readable
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom

    best = re.search(r'<polyline class="best" points="([^"]+)"', dom)
    assert best is not None and len(best.group(1).split()) == len(history) + 1
    xticks = re.findall(r'<text class="xtick"[^>]*>([^<]+)</text>', dom)
    assert xticks == ["start"] + [str(i) for i in range(1, len(history) + 1)]
    yticks = re.findall(r'<text class="ytick"[^>]*>([^<]+)</text>', dom)
    assert yticks == ["0%", "25%", "50%", "75%", "100%"]
    assert "step 1: validation" in text and "step 0" not in text

    assert result.best_score is not None and f"{100 * result.best_score:.1f}%" in text
    assert f"{100 * result.initial_score:.1f}% → {100 * result.best_score:.1f}%" in text
    assert re.search(r"\d+\.\d% \(n=6\)", text) and re.search(r"\d+\.\d% \(n=2\)", text)
    assert "None" not in text and "0.16666" not in text
    assert "feedback that produced it" in text and "Candidate pool" in text
    pool = load_checkpoint(tmp_path)["pool"]  # type: ignore[index]
    rows = re.findall(r"<tr[^>]*><td class=\"num\">#(\d+)", dom)
    assert [int(r) for r in rows] == [c["id"] for c in pool]
    assert dom.count('marker-end="url(#arrow)"') == len(
        load_checkpoint(tmp_path)["graph"]["edges"]  # type: ignore[index]
    )
