"""TGD: whole-value prompts, tags, repairs, constraints, memory, momentum, state, hooks."""

from __future__ import annotations

import json

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.errors import BindingRejected


def _param_with_feedback(value: str = "old value", feedback: str = "make it better") -> tg.Variable:
    p = tg.Variable(value, role_description="system prompt")
    p.add_gradient(tg.Variable(feedback, role_description="feedback"))
    return p


def test_update_prompt_shows_the_whole_value_feedback_and_tags() -> None:
    long_value = " ".join(f"word{i}" for i in range(300))
    p = _param_with_feedback(long_value, "mention units")
    engine = FakeEngine(["<IMPROVED_VARIABLE>new</IMPROVED_VARIABLE>"])
    tg.TGD([p], engine=engine).step()
    prompt = engine.prompts[0]
    assert long_value in prompt
    assert "mention units" in prompt
    assert "<IMPROVED_VARIABLE>" in prompt and p.value == "new"


def test_custom_new_variable_tags_are_honoured() -> None:
    p = _param_with_feedback()
    engine = FakeEngine()
    tg.TGD([p], engine=engine, new_variable_tags=["<NEW>", "</NEW>"]).step()
    assert "between the tags <NEW> and </NEW>" in engine.prompts[0]
    assert "<NEW>" in engine.calls[0].system_prompt  # type: ignore[operator]
    assert p.value == "improved variable"


def test_missing_tags_get_one_repair_then_succeed() -> None:
    p = _param_with_feedback()
    engine = FakeEngine(["here you go: better", "<IMPROVED_VARIABLE>better</IMPROVED_VARIABLE>"])
    report = tg.TGD([p], engine=engine).step()
    assert p.value == "better"
    assert report.updates[0].attempts == 2
    assert "could not be used" in engine.prompts[1]
    assert report.updates[0].prompt_ids == ["optimizer_update@2", "optimizer_repair@1"]


@pytest.mark.parametrize(
    "answers",
    [
        ["no tags", "still none"],
        ["<IMPROVED_VARIABLE>  </IMPROVED_VARIABLE>", "<IMPROVED_VARIABLE></IMPROVED_VARIABLE>"],
        [
            "<IMPROVED_VARIABLE>open only",
            "<IMPROVED_VARIABLE><IMPROVED_VARIABLE>x</IMPROVED_VARIABLE></IMPROVED_VARIABLE>",
        ],
    ],
)
def test_unusable_proposals_keep_the_old_value_and_warn(answers: list[str]) -> None:
    p = _param_with_feedback()
    with pytest.warns(tg.ProposalRejectedWarning):
        report = tg.TGD([p], engine=FakeEngine(answers)).step()
    assert p.value == "old value"
    assert report.updates[0].status == "rejected" and report.problems


def test_constraint_functions_refuse_proposals_and_text_constraints_are_shown() -> None:
    p = _param_with_feedback()
    engine = FakeEngine(
        [
            "<IMPROVED_VARIABLE>way too long text here</IMPROVED_VARIABLE>",
            "<IMPROVED_VARIABLE>short</IMPROVED_VARIABLE>",
        ]
    )

    def at_most_two_words(value: str) -> str | None:
        return "use at most two words" if len(value.split()) > 2 else None

    tg.TGD([p], engine=engine, constraints=["Keep it polite.", at_most_two_words]).step()
    assert "Keep it polite." in engine.prompts[0]
    assert "use at most two words" in engine.prompts[1]
    assert p.value == "short"


def test_binding_refusal_is_repaired_then_left_alone() -> None:
    class Binding:
        stored = "Hello {name}"

        def read(self) -> str:
            return self.stored

        def validate(self, value: str) -> None:
            if "{name}" not in value:
                raise BindingRejected("the template must keep {name}")

        def write(self, value: str) -> None:
            self.stored = value

    binding = Binding()
    p = tg.Variable(role_description="greeting template", binding=binding)
    p.add_gradient(tg.Variable("be warmer", role_description="feedback"))
    with pytest.warns(tg.ProposalRejectedWarning, match="keep"):
        tg.TGD([p], engine=FakeEngine()).step()
    assert binding.stored == "Hello {name}" and p.value == "Hello {name}"


def test_gradient_memory_is_used_in_the_next_update_prompt() -> None:
    p = _param_with_feedback(feedback="first feedback")
    engine = FakeEngine()
    opt = tg.TGD([p], engine=engine, gradient_memory=2)
    opt.step()
    opt.zero_grad()
    p.add_gradient(tg.Variable("second feedback", role_description="feedback"))
    opt.step()
    second = engine.prompts[1]
    assert "PAST_FEEDBACK" in second and "first feedback" in second


def test_momentum_optimizer_works_and_shows_past_values() -> None:
    p = _param_with_feedback("v0")
    answers = [f"<IMPROVED_VARIABLE>v{i}</IMPROVED_VARIABLE>" for i in (1, 2)]
    engine = FakeEngine(answers)
    opt = tg.TextualGradientDescentwithMomentum(engine, [p], momentum_window=3)
    opt.step()
    p.add_gradient(tg.Variable("more", role_description="feedback"))
    opt.step()
    assert p.value == "v2"
    assert "<PAST_VALUES>" in engine.prompts[1] and "v0" in engine.prompts[1]


def test_in_context_examples_are_shown() -> None:
    p = _param_with_feedback()
    engine = FakeEngine()
    tg.TGD([p], engine=engine, in_context_examples=["Answer as 'Answer: N'."]).step()
    assert "Answer as 'Answer: N'." in engine.prompts[0]


def test_parameters_update_concurrently() -> None:
    params = [_param_with_feedback(f"p{i}") for i in range(5)]
    engine = FakeEngine(latency=0.05)
    report = tg.TGD(params, engine=engine).step()
    assert engine.peak_in_flight == 5
    assert [u.status for u in report.updates] == ["updated"] * 5


def test_parameters_without_feedback_are_skipped() -> None:
    p = tg.Variable("x", role_description="prompt")
    report = tg.TGD([p], engine=FakeEngine([])).step()
    assert report.updates[0].status == "skipped" and p.value == "x"


def test_state_dict_is_json_and_round_trips() -> None:
    p = _param_with_feedback()
    opt = tg.TGD([p], engine=FakeEngine(), gradient_memory=3)
    opt.step()
    opt.record_failed_proposal(p, "bad idea", "validation fell")
    saved = json.loads(json.dumps(opt.state_dict()))
    fresh = tg.TGD([p], engine=FakeEngine(), gradient_memory=3)
    fresh.load_state_dict(saved)
    assert fresh.state == opt.state
    assert fresh.state[0]["failed"][0]["value"] == "bad idea"
    engine = FakeEngine()
    fresh.engine = engine
    p.add_gradient(tg.Variable("again", role_description="feedback"))
    fresh.step()
    assert "REJECTED_PROPOSALS" in engine.prompts[0] and "bad idea" in engine.prompts[0]


def test_hooks_run_before_and_after_each_step() -> None:
    p = _param_with_feedback()
    opt = tg.TGD([p], engine=FakeEngine())
    seen: list[str] = []
    opt.register_step_pre_hook(lambda o: seen.append("pre"))
    handle = opt.register_step_post_hook(lambda o, r: seen.append(r.updates[0].status))
    opt.step()
    handle.remove()
    opt.step()
    assert seen == ["pre", "updated", "pre"]


def test_bad_arguments_get_clear_errors() -> None:
    with pytest.raises(tg.UserError, match="no parameters"):
        tg.TGD([], engine=FakeEngine())
    with pytest.raises(tg.UserError, match="new_variable_tags"):
        tg.TGD([_param_with_feedback()], engine=FakeEngine(), new_variable_tags=["<A>"])
    with pytest.raises(tg.UserError, match="bytes"):
        tg.TGD([tg.Variable(b"\x89PNG", role_description="image")], engine=FakeEngine())


def test_without_any_engine_the_error_says_what_to_do() -> None:
    p = _param_with_feedback()
    with pytest.raises(tg.UserError, match="set_backward_engine"):
        tg.TGD([p]).step()


def test_budget_stops_the_step_and_keeps_old_values() -> None:
    params = [_param_with_feedback(f"p{i}") for i in range(3)]
    with (
        tg.track_usage("t", tg.Budget(max_calls=2)),
        pytest.raises(tg.BudgetExceeded),
        pytest.warns(tg.ProposalRejectedWarning),
    ):
        tg.TGD(params, engine=FakeEngine()).step()
    changed = [p.value for p in params if p.value == "improved variable"]
    assert len(changed) == 2  # the two calls inside the budget were applied
    assert len([p for p in params if p.value in ("p0", "p1", "p2")]) == 1  # refused: old value


def test_feedback_over_the_token_budget_is_merged_before_the_update() -> None:
    p = tg.Variable("prompt", role_description="system prompt")
    for i in range(6):
        p.add_gradient(tg.Variable(f"sample {i}: " + "detail " * 80, role_description="feedback"))

    def respond(call: FakeCall) -> str:
        if "pieces of feedback" in call.text:
            return "merged: be precise (raised by several samples)"
        return "<IMPROVED_VARIABLE>new prompt</IMPROVED_VARIABLE>"

    engine = FakeEngine(respond)
    tg.set_gradient_token_budget(300)
    try:
        tg.TGD([p], engine=engine).step()
    finally:
        tg.set_gradient_token_budget(3000)
    merges = [c for c in engine.calls if "pieces of feedback" in c.text]
    assert len(merges) >= 2  # groups merged concurrently, each within the budget
    update = engine.prompts[-1]
    assert "merged: be precise" in update and "detail detail" not in update
    assert p.value == "new prompt"
