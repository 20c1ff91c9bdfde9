"""Backward through a recorded DSPy run: every contributing predictor gets feedback."""

from __future__ import annotations

from typing import Any

import dspy

import tg_core as tg
from tg_adapters.dspy import DSPyRecorder, feedback_loss, parameters
from tg_adapters.dspy.testing import FunctionLM, LMCall, chat_answer
from tg_core.engine.fake import FakeCall, FakeEngine


class ThreeStage(dspy.Module):
    """Extract facts, draft an answer, refine it; an unused side predictor."""

    def __init__(self) -> None:
        super().__init__()
        self.facts = dspy.Predict("question -> facts")
        self.draft = dspy.ChainOfThought("question, facts -> draft_answer")
        self.refine = dspy.Predict("question, draft_answer -> answer")
        self.unused = dspy.Predict("text -> summary")

    def forward(self, question: str) -> Any:
        facts = self.facts(question=question).facts
        draft = self.draft(question=question, facts=facts).draft_answer
        return self.refine(question=question, draft_answer=draft)


def responder(call: LMCall) -> str:
    if "draft_answer" in call.inputs:
        return chat_answer(answer=f"final: {call.inputs['draft_answer']}")
    if "facts" in call.inputs:
        return chat_answer(reasoning="add them", draft_answer=f"draft from {call.inputs['facts']}")
    return chat_answer(facts=f"facts about {call.inputs['question']}")


def critic(call: FakeCall) -> str:
    """Feedback naming the variable it is about, so the routing can be checked."""
    text = call.text
    if "Give feedback on this input" in text:
        role = text.split('<VARIABLE role="', 1)[1].split('"', 1)[0]
        return f"feedback for <{role}>"
    return "the answer is wrong"


def _run(program: ThreeStage) -> Any:
    recorder = DSPyRecorder(program)
    with dspy.context(lm=FunctionLM(responder)), recorder:
        program(question="2 apples and 3 pears: how many fruits?")
    return recorder.last


def test_every_contributing_predictor_gets_a_gradient() -> None:
    program = ThreeStage()
    tape = _run(program)
    engine = FakeEngine(critic)
    loss = tg.TextLoss("Is the answer correct? It should be 5.", engine=engine)(
        tape.output("answer")
    )
    loss.backward(engine=engine)
    params = {p.role_description.split("`")[1]: p for p in parameters(program)}
    for name in ("facts", "draft.predict", "refine"):
        assert params[name].gradients, name
        assert params[name].get_gradient_text().startswith("feedback for <instructions of")
    assert params["unused"].gradients == []
    # Intermediate outputs received feedback and passed it on.
    facts_node, draft_node, refine_node = tape.nodes()
    assert refine_node.inputs["draft_answer"] is draft_node.outputs["draft_answer"]
    assert draft_node.outputs["draft_answer"].gradients
    assert draft_node.inputs["facts"] is facts_node.outputs["facts"]
    assert facts_node.outputs["facts"].gradients
    # The critic saw each predictor's exact conversation.
    facts_prompt = next(p for p in engine.prompts if "`facts` (question -> facts)" in p)
    assert facts_node.call.final.messages[-1]["content"] in facts_prompt


def test_feedback_loss_hands_its_text_to_outputs_without_a_model_call() -> None:
    program = ThreeStage()
    tape = _run(program)
    engine = FakeEngine(critic)
    loss = feedback_loss("Expected 5, got a draft.", list(tape.outputs().values()), "conv")
    loss.backward(engine=engine)
    assert tape.output("answer").get_gradient_text() == "Expected 5, got a draft."
    # One critic call per input that requires grad: refine(instr, draft), draft(instr, facts),
    # facts(instr).
    assert len(engine.calls) == 5
    refine_prompts = [p for p in engine.prompts if "Expected 5, got a draft." in p]
    assert len(refine_prompts) == 2
    # Upstream calls see the feedback their output received from the next predictor.
    upstream = [p for p in engine.prompts if p not in refine_prompts]
    assert all("feedback for <output field" in p for p in upstream)


def test_gradients_from_many_runs_land_on_the_same_parameters() -> None:
    program = ThreeStage()
    tapes = [_run(program) for _ in range(3)]
    losses = [feedback_loss(f"wrong {i}", [t.output("answer")], "c") for i, t in enumerate(tapes)]
    tg.sum(losses).backward(engine=FakeEngine(critic))
    for param in parameters(program)[:3]:
        assert len(param.gradients) == 3
    assert tapes[0].parameters() == parameters(program)[:3]


def test_backward_from_the_output_itself() -> None:
    program = dspy.Predict("question -> answer")
    recorder = DSPyRecorder(program)
    with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="7"))), recorder:
        program(question="3+3?")
    engine = FakeEngine(critic)
    recorder.last.output("answer").backward(engine=engine)
    (param,) = parameters(program)
    assert param.gradients
    assert any("it is the objective" in p for p in engine.prompts)
