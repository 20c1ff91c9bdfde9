"""The run report's content: refused text, formatted scores, diffs, chart, graph, escaping."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.report import build_view, render_markdown, write_report
from tg_core.report.diff import word_diff_html
from tg_core.report.graph_svg import graph_svg
from tg_core.train import fit, load_checkpoint

ROLE = "system <script>prompt</script>"


class Numbered:
    """TextGrad's loop on a prompt whose proposals are numbered; ``scores`` by value."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.counter = 0
        self.scores = scores
        self.engine = FakeEngine(self.respond)
        self.prompt = tg.Variable("Say v0.", role_description=ROLE)
        self.model = tg.BlackboxLLM(self.engine, system_prompt=self.prompt)

    def respond(self, call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text:
            self.counter += 1
            return f"<IMPROVED_VARIABLE>Say v{self.counter}.</IMPROVED_VARIABLE>"
        return "Be more specific."

    async def loss(self, q: str) -> tg.Variable:
        out = await self.model.aforward(
            tg.Variable(q, role_description="question", requires_grad=False)
        )
        return await tg.TextLoss("judge", engine=self.engine).aforward(out)

    async def score(self, q: str) -> float:
        return self.scores.get(str(self.prompt.value), 0.0)

    def fit(self, run_dir: Path, **kw: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit(
                [self.prompt],
                self.loss,
                self.score,
                ["a", "b", "c", "d"],
                ["x", "y", "z"],
                engine=self.engine,
                progress=False,
                run_dir=run_dir,
                search=False,
                **kw,
            )


def no_v2(value: str) -> str | None:
    return "v2 is <not allowed>" if "v2" in value or "v3" in value else None


def test_a_refused_proposal_shows_its_text_and_reason(tmp_path: Path) -> None:
    world = Numbered({"Say v0.": 1 / 3, "Say v1.": 2 / 3, "Say v4.": 0.0})
    result = world.fit(tmp_path, steps=3, batch_size=2, constraints=[no_v2])
    assert [r.accepted for r in result.history] == [True, False, False]
    refused = result.history[1].proposals[0]
    assert refused.status == "rejected" and refused.refused == "Say v3."  # the last attempt
    page = (tmp_path / "report.html").read_text("utf-8")
    md = (tmp_path / "report.md").read_text("utf-8")
    assert "refused text" in page and "Say v3." in page and "v2 is &lt;not allowed&gt;" in page
    assert "(no textual change)" not in page and "Say v3." in md
    assert "33.3% → 66.7%" in page and "66.7% (n=3)" in page and "0.0% (n=3)" in page
    assert "None" not in page and "None" not in md and "0.3333" not in page
    assert "<script" not in page and "system &lt;script&gt;prompt&lt;/script&gt;" in page
    assert "<del>v0</del><ins>v1</ins>" in page  # the kept change, word by word
    best = re.search(r'<polyline class="best" points="([^"]+)"', page)
    assert best is not None and len(best.group(1).split()) == 4
    ticks = re.findall(r'<text class="xtick"[^>]*>([^<]+)</text>', page)
    assert ticks == ["start", "1", "2", "3"]
    assert "<title>step 1: validation 66.7% (n=3), kept, best so far 66.7%</title>" in page
    assert "<title>start: validation 33.3% (n=3), best so far 33.3%</title>" in page
    assert (tmp_path / "score_curve.svg").read_text("utf-8").startswith("<svg")


def test_scores_outside_zero_to_one_are_shown_raw_and_the_page_says_so(tmp_path: Path) -> None:
    world = Numbered({"Say v0.": 3.0, "Say v1.": 7.5})
    world.fit(tmp_path, steps=1, batch_size=2)
    data = load_checkpoint(tmp_path)
    assert data is not None
    view = build_view(data)
    assert not view.fmt.percent and view.fmt.score(7.5) == "7.5"
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "shown as raw values" in page and "3 → 7.5" in page and "%" not in view.fmt.note
    assert "+4.5" in render_markdown(data)


def test_a_run_without_validation_shows_dashes_not_none(tmp_path: Path) -> None:
    world = Numbered({})
    fit(
        [world.prompt],
        world.loss,
        world.score,
        ["a", "b"],
        None,
        engine=world.engine,
        progress=False,
        steps=1,
        batch_size=2,
        run_dir=tmp_path,
        search=False,
    )
    page = write_report(tmp_path).read_text("utf-8")
    assert "None" not in page and "— → —" in page and "No validation scores" in page
    assert "This run recorded no scores." in page


def test_word_diff_marks_insertions_and_deletions_and_escapes() -> None:
    diff = word_diff_html("Count the <items>.", "Count every <item> twice.")
    assert diff.startswith("Count ") and "<del>" in diff and "<ins>" in diff
    assert "&lt;item&gt;" in diff and "<item>" not in diff
    assert word_diff_html("same", "same") == "same"
    appended = word_diff_html("Answer the question.", "Answer the question.\nList items.")
    assert appended == "Answer the question.<ins>\nList items.</ins>"
    rewrite = word_diff_html("Answer the question.", "Guess the usual answer.")
    assert rewrite == "<del>Answer the question.</del><ins>Guess the usual answer.</ins>"


def test_the_graph_is_layered_with_arrowheads_and_whole_words() -> None:
    long_role = "evaluation of the response from the language model"
    graph = {
        "nodes": [
            [0, "question", "How many apples are in the basket?", False, ""],
            [1, "system prompt", "Count carefully before answering.", True, ""],
            [2, "response from the language model", "There are three apples.", True, ""],
            [3, long_role, "The count is right but the reasoning is missing.", True, ""],
        ],
        "edges": [[0, 2], [1, 2], [2, 3], [1, 3]],
    }
    svg = graph_svg(graph)
    assert svg.count('marker-end="url(#arrow)"') == 4 and '<marker id="arrow"' in svg
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    words = set(" ".join(n[1] + " " + n[2] for n in graph["nodes"]).split())  # type: ignore[operator]
    assert all(w in words or w == "…" for s in spans for w in s.split())  # no word cut
    assert f"<title>{long_role}\n\nThe count is right" in svg  # the whole text on hover
    xs = {int(m) for m in re.findall(r'<rect x="(\d+)"', svg)}
    assert len(xs) == 3  # inputs, response, evaluation: three columns
