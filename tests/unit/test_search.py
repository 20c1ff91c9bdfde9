"""The searching fit: candidates, screening, staged validation, the pool, the overfit guard."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.errors import UserError
from tg_core.train import (
    CandidatePool,
    FitCallback,
    FitConfig,
    FitEvent,
    OverfitGuard,
    PhaseStarted,
    Sample,
    fit,
)
from tg_core.train.search.examples import with_worked_example, worked_examples_in

TRAIN = [("How many apples are in a basket with three apples and one pear?", "3")] * 2 + [
    ("Count the chairs: a chair, two chairs and a table.", "3"),
    ("How many birds are on a wire holding two birds and one bird?", "3"),
]
VAL = [(f"val question {i}", str(i)) for i in range(6)]


class World:
    """A prompt whose quality is a table: each value's score per validation question."""

    def __init__(self, proposals: list[str], table: dict[str, list[float]]) -> None:
        self.proposals = proposals
        self.table = table
        self.engine = FakeEngine(self.respond)
        self.prompt = tg.Variable("seed", role_description="system prompt")
        self.model = tg.BlackboxLLM(self.engine, system_prompt=self.prompt)
        self.scored: list[tuple[str, Any]] = []

    def respond(self, call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text:
            variant = int(call.kwargs.get("seed", 0))
            return f"<IMPROVED_VARIABLE>{self.proposals[variant]}</IMPROVED_VARIABLE>"
        return "The count is off; list the items first."

    async def loss(self, ex: tuple[str, str]) -> Sample:
        q = tg.Variable(ex[0], role_description="question", requires_grad=False)
        out = await self.model.aforward(q)
        loss = await tg.TextLoss("judge", engine=self.engine).aforward(out)
        right = self.train_score(str(self.prompt.value))
        return Sample(loss, right, ex[0], "Answer: 3" if right else "Answer: 2", ex[1])

    def train_score(self, value: str) -> float:
        row = self.table.get(value.split("\n")[0], [0.0])
        return float(max(row) >= 1.0)

    async def score(self, ex: tuple[str, str]) -> float:
        value = str(self.prompt.value)
        self.scored.append((value, ex))
        if ex in VAL:
            row = self.table.get(value.split("\n")[0], [0.0] * len(VAL))
            return row[VAL.index(ex)]
        return self.train_score(value)

    def fit(self, **kw: Any) -> Any:
        kw.setdefault("engine", self.engine)
        kw.setdefault("progress", False)
        return fit([self.prompt], self.loss, self.score, TRAIN, VAL, **kw)


def test_the_best_of_several_candidates_is_kept_and_the_others_are_screened_out() -> None:
    w = World(
        ["weak", "strong", "middle"],
        {
            "seed": [0, 0, 0, 0, 0, 0],
            "weak": [0, 0, 0, 0, 0, 0],
            "strong": [1, 1, 1, 1, 0, 0],
            "middle": [1, 0, 0, 0, 0, 0],
        },
    )
    result = w.fit(
        steps=1,
        batch_size=2,
        num_candidates=3,
        operators=("rewrite",),
        pool=False,
        guard_overfit=False,
    )
    step = result.history[0]
    assert step.accepted and w.prompt.value == "strong"
    statuses = {c.values[0]: c.status for c in step.candidates}
    assert statuses == {"weak": "screened out", "strong": "kept", "middle": "screened out"}
    assert result.best_score == pytest.approx(4 / 6) and step.val_n == 6
    seeds = sorted(int(c.kwargs.get("seed", 0)) for c in w.engine.calls if "IMPROVED" in c.text)
    assert seeds == [0, 1, 2]  # three concurrent proposals, each its own variant


def test_a_candidate_worse_on_the_validation_sample_never_sees_the_rest() -> None:
    w = World(["worse"], {"seed": [1, 1, 1, 1, 1, 1], "worse": [1, 0, 0, 1, 0, 0]})
    result = w.fit(
        steps=1,
        batch_size=2,
        num_candidates=2,
        operators=("rewrite",),
        pool=False,
        val_sample=2,
        guard_overfit=False,
    )
    cand = next(c for c in result.history[0].candidates if c.values[0] == "worse")
    assert cand.status in ("undone", "screened out")
    val_calls = [v for v, ex in w.scored if v == "worse" and ex in VAL]
    assert len(val_calls) <= 2  # the sample only, never the whole set
    assert w.prompt.value == "seed"


def test_candidates_tied_on_the_minibatch_race_on_the_validation_sample() -> None:
    w = World(
        ["flat", "better", "best"],
        {"seed": [0] * 6, "flat": [0] * 6, "better": [0.2] * 6, "best": [0.5] * 6},
    )
    result = w.fit(
        steps=1,
        batch_size=2,
        num_candidates=3,
        operators=("rewrite",),
        pool=False,
        val_sample=2,
        guard_overfit=False,
    )
    step = result.history[0]
    by_value = {c.values[0]: c for c in step.candidates}
    assert [c.screen_score for c in step.candidates] == [0.0, 0.0, 0.0]
    assert step.accepted and w.prompt.value == "best" and by_value["best"].status == "kept"
    for loser, score in (("flat", "0.000"), ("better", "0.200")):
        assert by_value[loser].status == "screened out"
        assert by_value[loser].reason.startswith(
            f"tied on the minibatch; validation sample {score}"
        )
    assert len([v for v, ex in w.scored if v == "flat" and ex in VAL]) == 2  # the sample only
    assert len([v for v, ex in w.scored if v == "best" and ex in VAL]) == 6


def test_the_guard_refuses_every_proposal_that_copies_a_training_answer_or_input() -> None:
    leaks = [
        "Count carefully. The answer is 3.",
        "Remember: How many apples are in a basket with three apples and one pear?",
        "Count carefully.\nAnswer: 3",
    ]
    w = World(leaks, {"seed": [0] * 6})
    result = w.fit(steps=1, batch_size=2, num_candidates=3, operators=("rewrite",), pool=False)
    cands = result.history[0].candidates
    assert [c.status for c in cands] == ["refused"] * 3
    assert all("refused" in c.reason and "training" in c.reason for c in cands)
    assert w.prompt.value == "seed" and not result.history[0].accepted


def test_the_guard_refuses_a_label_answer_stated_as_the_answer() -> None:
    guard = OverfitGuard()
    guard.learn("Does Ka tell the truth?", "Yes")
    guard.learn("Which is right?", "(B)")
    seed = "Decide. The last line must be 'Answer: Yes' or 'Answer: No'."
    copied = seed + "\nThis response was cut off. The correct final answer is Yes."
    assert guard.check(seed, copied) == "it states the training answer 'Yes' as the answer"
    assert guard.check("Pick.", "Pick. The answer is (B).") == (
        "it states the training answer '(B)' as the answer"
    )
    assert guard.check(seed, seed + "\nCheck each statement in order.") is None
    assert guard.check("Pick.", "Pick. End with 'Answer: (A)' or 'Answer: (B)'.") is None


def test_the_guard_in_textgrads_own_loop_keeps_the_old_value() -> None:
    w = World(["The answer is 3."] * 3, {"seed": [0] * 6})
    with pytest.warns(tg.ProposalRejectedWarning, match="training answer '3'"):
        result = w.fit(steps=1, batch_size=2, search=False)
    assert w.prompt.value == "seed" and "no usable proposal" in result.history[0].reason


def test_textgrads_loop_says_when_the_optimizer_echoed_the_current_value() -> None:
    w = World(["seed"] * 3, {"seed": [0] * 6})
    result = w.fit(steps=1, batch_size=2, search=False)
    assert w.prompt.value == "seed" and not result.history[0].accepted
    assert "repeated the current value word for word" in result.history[0].reason


def test_a_label_answer_named_in_an_instruction_is_not_a_leak() -> None:
    guard = OverfitGuard()
    guard.learn("Is the argument valid?", "valid")
    guard.learn("Is it true?", "True")
    assert guard.check("Answer.", "End with 'Answer: valid' or 'Answer: invalid'.") is None
    assert guard.check("Answer.", "End with True or False.") is None


def test_the_edit_operator_appends_one_rule() -> None:
    w = World(["List the items first."], {"seed": [0] * 6, "List the items first.": [1] * 6})
    result = w.fit(steps=1, batch_size=2, num_candidates=1, operators=("edit",), pool=False)
    assert w.prompt.value == "seed\nList the items first."
    assert result.history[0].candidates[0].operator == "edit"
    edit_prompts = [c.text for c in w.engine.calls if "Write ONE new rule" in c.text]
    assert len(edit_prompts) == 1


def test_the_delete_operator_takes_out_the_sentence_that_hurts_without_a_model_call() -> None:
    w = World([], {"seed": [0] * 6, "Decide. End with X.": [1] * 6})
    w.prompt.value = "Decide. Ramble on. End with X."
    w.table["Decide. Ramble on. End with X."] = [0] * 6
    result = w.fit(steps=1, batch_size=2, num_candidates=3, operators=("delete",), deletions=1)
    step = result.history[0]
    assert [c.values[0] for c in step.candidates] == [
        "Ramble on. End with X.",
        "Decide. End with X.",
        "Decide. Ramble on.",
    ]
    assert [c.status for c in step.candidates] == ["screened out", "kept", "screened out"]
    assert w.prompt.value == "Decide. End with X."
    assert not [c for c in w.engine.calls if "IMPROVED_VARIABLE" in c.text]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_deletion_sweep_tries_every_sentence_in_one_step_whatever_the_seed(seed: int) -> None:
    hurts = "Decide. Ramble on. End with X."
    w = World(["weak rule"] * 8, {"seed": [0] * 6, hurts: [0] * 6, "Decide. End with X.": [1] * 6})
    w.prompt.value = hurts
    result = w.fit(steps=1, batch_size=2, seed=seed, deletions=3)
    step = result.history[0]
    deletions = [c for c in step.candidates if c.operator == "delete"]
    assert sorted(c.values[0] for c in deletions) == sorted(
        ["Ramble on. End with X.", "Decide. End with X.", "Decide. Ramble on."]
    )
    assert [c.index for c in step.candidates] == list(range(len(step.candidates)))
    assert [c.index for c in deletions][1:] == [4, 5]  # after the four turns of the step
    assert w.prompt.value == "Decide. End with X."


def test_one_deletion_a_step_depends_on_the_seed_for_which_sentence_goes() -> None:
    hurts = "Decide. Ramble on. End with X."
    w = World(["weak rule"] * 8, {"seed": [0] * 6, hurts: [0] * 6, "Decide. End with X.": [1] * 6})
    w.prompt.value = hurts
    result = w.fit(steps=1, batch_size=2, seed=2, deletions=1)
    assert [c.values[0] for c in result.history[0].candidates if c.operator == "delete"] == [
        "Decide. Ramble on."
    ]
    assert w.prompt.value == hurts


def test_a_deletion_sweep_never_proposes_the_same_value_twice() -> None:
    w = World(["weak rule"] * 8, {"seed": [0] * 6})
    w.prompt.value = "Decide. End with X."
    result = w.fit(steps=1, batch_size=2, deletions=5, operators=("delete",), num_candidates=1)
    assert sorted(c.values[0] for c in result.history[0].candidates) == ["Decide.", "End with X."]


def test_the_example_operator_adds_a_run_the_program_got_right() -> None:
    w = World(["good"], {"seed": [0] * 6, "good": [1, 1, 1, 0, 0, 0]})
    w.prompt.set_value("good")
    w.table["good"] = [1, 1, 1, 0, 0, 0]
    result = w.fit(steps=1, batch_size=2, num_candidates=1, operators=("example",))
    cand = result.history[0].candidates[0]
    assert cand.operator == "example" and "Worked example:" in cand.values[0]
    assert "Answer: 3" in cand.values[0]  # the program's own right output, not the label


def test_worked_examples_are_capped() -> None:
    value = "Count."
    for i in range(3):
        s = Sample(tg.Variable("l", role_description="loss"), 1.0, f"q{i}", f"a{i}")
        value = with_worked_example(value, s, 2) or value
    assert worked_examples_in(value) == 2 and "q0" not in value and "q2" in value


def test_the_pool_keeps_complementary_candidates_and_starts_from_its_front() -> None:
    w = World(
        ["left", "right"],
        {
            "seed": [1, 0, 0, 0, 0, 0],
            "left": [1, 1, 1, 0, 0, 0],
            "right": [0, 0, 0, 1, 1, 1],
        },
    )
    result = w.fit(
        steps=2,
        batch_size=2,
        num_candidates=1,
        operators=("rewrite",),
        pool=True,
        guard_overfit=False,
    )
    kept = [c for r in result.history for c in r.candidates if c.status == "kept"]
    assert [c.values[0] for c in kept][:1] == ["left"]
    assert result.best_score == pytest.approx(0.5)


def test_pareto_front_and_parent_choice() -> None:
    pool = CandidatePool()
    pool.add(["a"], scores={0: 1.0, 1: 0.0, 2: 0.0})
    pool.add(["b"], scores={0: 0.0, 1: 1.0, 2: 1.0})
    pool.add(["c"], scores={0: 0.0, 1: 1.0, 2: 0.0})  # dominated by b
    assert [c.values[0] for c in pool.front()] == ["a", "b"]
    assert pool.best().values == ["b"]
    picks = [pool.pick_parent(random.Random(i)).values[0] for i in range(60)]
    assert set(picks) == {"a", "b"} and picks.count("b") > picks.count("a")
    assert pool.dominated({0: 0.0, 1: 1.0, 2: 0.0}) and not pool.dominated({0: 1.0, 1: 1.0})
    assert pool.dominated({0: 1.0, 1: 0.0, 2: 0.0})  # the same as "a": adds nothing


def test_a_searching_run_resumes_with_its_pool(tmp_path: Path) -> None:
    table = {"seed": [0] * 6, "p1": [1, 0, 0, 0, 0, 0], "p2": [1, 1, 0, 0, 0, 0]}

    class Killed(Exception):
        pass

    class KillAfterFirstStep(FitCallback):
        def on_step_end(self, record: Any) -> None:
            raise Killed

    opts: dict[str, Any] = dict(
        steps=2,
        batch_size=2,
        num_candidates=2,
        operators=("rewrite",),
        pool=True,
        run_dir=tmp_path,
        report=False,
    )
    w = World(["p1", "p2"], table)
    with pytest.raises(Killed):
        w.fit(callbacks=[KillAfterFirstStep()], **opts)
    saved = json.loads((tmp_path / "checkpoint.json").read_text())
    assert len(saved["pool"]) == 2 and saved["next_step"] == 1
    again = World(["p1", "p2"], table)
    result = again.fit(**opts)
    assert [r.step for r in result.history] == [0, 1]
    assert not [v for v, ex in again.scored if v == "seed" and ex in VAL]  # no new baseline
    assert json.loads((tmp_path / "checkpoint.json").read_text())["pool"][:2] == saved["pool"]


def test_the_search_reports_its_phases_as_typed_events() -> None:
    seen: list[FitEvent] = []

    class Watch(FitCallback):
        def on_event(self, event: FitEvent) -> None:
            seen.append(event)

    w = World(["strong"], {"seed": [0] * 6, "strong": [1] * 6})
    w.fit(
        steps=1,
        batch_size=2,
        num_candidates=2,
        operators=("rewrite",),
        pool=False,
        callbacks=[Watch()],
        guard_overfit=False,
    )
    phases = [e.phase for e in seen if isinstance(e, PhaseStarted)]
    assert phases[:1] == ["baseline"]
    assert {"forward", "backward", "propose", "screen", "validate"} <= set(phases)


def test_bad_search_options_are_named() -> None:
    with pytest.raises(UserError, match="num_candidates"):
        FitConfig(num_candidates=0)
    with pytest.raises(UserError, match="operators"):
        FitConfig(operators=("shuffle",))
    with pytest.raises(UserError, match="no_such_option"):
        FitConfig().updated(no_such_option=1)


def test_structured_proposals_are_read_from_json_and_fall_back_to_tags() -> None:
    from tg_core.engine.local_engine import LocalEngine
    from tg_core.structured import parse_structured, response_format_for

    assert response_format_for(LocalEngine(cache=False))["schema"]["required"] == ["new_value"]
    assert parse_structured('{"new_value": "Count twice."}', "<A>", "</A>") == "Count twice."
    with pytest.raises(tg.errors.ProposalError):
        parse_structured("not json", "<A>", "</A>")
    p = tg.Variable("Be nice.", role_description="system prompt")
    p.add_gradient(tg.Variable("Be concise too.", role_description="feedback"))
    answers = ['{"new_value": "Be brief."}', "<IMPROVED_VARIABLE>Be short.</IMPROVED_VARIABLE>"]
    for answer, expected in zip(answers, ["Be brief.", "Be short."]):
        engine = FakeEngine([answer])
        engine.structured_output = "llama"  # type: ignore[attr-defined]
        update = asyncio.run(tg.TGD([p], engine=engine, structured=True).apropose(0))
        assert update.new == expected
        assert engine.calls[0].kwargs["response_format"]["type"] == "json_object"
    plain = FakeEngine(["<IMPROVED_VARIABLE>Be short.</IMPROVED_VARIABLE>"])
    asyncio.run(tg.TGD([p], engine=plain, structured=True).apropose(0))
    assert "response_format" not in plain.calls[0].kwargs
