"""The DSPy recorder: one tape per run, exact messages, parents and data-flow edges."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import dspy
import pytest

from tg_adapters.dspy import DSPyRecorder, NotRecordedError, Tape
from tg_adapters.dspy.testing import FunctionLM, LMCall, chat_answer


class TwoStage(dspy.Module):
    """Draft an answer with reasoning, then refine it."""

    def __init__(self) -> None:
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> draft_answer")
        self.refine = dspy.Predict("question, draft_answer -> answer")

    def forward(self, question: str) -> Any:
        draft = self.draft(question=question)
        return self.refine(question=question, draft_answer=draft.draft_answer)

    async def aforward(self, question: str) -> Any:
        draft = await self.draft.acall(question=question)
        return await self.refine.acall(question=question, draft_answer=draft.draft_answer)


def two_stage_responder(call: LMCall) -> str:
    """Answers that depend on the input, so each run's values are its own."""
    if "draft_answer" in call.inputs:
        return chat_answer(answer=f"final of {call.inputs['draft_answer']}")
    question = call.inputs["question"]
    return chat_answer(reasoning=f"thinking about {question}", draft_answer=f"draft of {question}")


@pytest.fixture
def lm() -> FunctionLM:
    return FunctionLM(two_stage_responder)


def _check_run(tape: Tape, question: str) -> None:
    assert tape.done and tape.inputs == {"question": question}
    assert [c.name for c in tape.calls] == ["draft.predict", "refine"]
    draft, refine = tape.nodes()
    assert draft.call.inputs == {"question": question}
    assert refine.call.inputs == {"question": question, "draft_answer": f"draft of {question}"}
    # The data-flow edge: refine's input is the very output Variable of the draft.
    assert refine.inputs["draft_answer"] is draft.outputs["draft_answer"]
    assert refine.inputs["question"].requires_grad is False
    assert tape.output("answer").value == f"final of draft of {question}"


def test_records_messages_completion_outputs_and_edges(lm: FunctionLM) -> None:
    program = TwoStage()
    recorder = DSPyRecorder(program)
    with dspy.context(lm=lm), recorder:
        prediction = program(question="how many apples?")
    tape = recorder.tape_for(prediction)
    _check_run(tape, "how many apples?")
    draft_call = tape.calls[0]
    # The exact rendered messages are the ones the model received.
    assert draft_call.final is not None
    assert draft_call.final.messages == lm.calls[0].messages
    assert "[[ ## draft_answer ## ]]" in draft_call.completion
    assert draft_call.outputs["draft_answer"] == "draft of how many apples?"
    assert tape.output("answer") is tape.nodes()[1].outputs["answer"]
    assert len(recorder.tapes) == 1


def test_nothing_recorded_outside_the_block(lm: FunctionLM) -> None:
    program = TwoStage()
    recorder = DSPyRecorder(program)
    with dspy.context(lm=lm):
        program(question="q")
    assert recorder.tapes == []
    with pytest.raises(NotRecordedError):
        _ = recorder.last


def test_threaded_evaluate_keeps_each_run_separate(lm: FunctionLM) -> None:
    program = TwoStage()
    questions = [f"question number {i}" for i in range(12)]
    devset = [dspy.Example(question=q, answer="x").with_inputs("question") for q in questions]
    recorder = DSPyRecorder(program)
    evaluate = dspy.Evaluate(
        devset=devset,
        metric=lambda ex, pred, trace=None: 1.0,
        num_threads=4,
        display_progress=False,
    )
    with dspy.context(lm=lm), recorder:
        result = evaluate(program)
    assert len(recorder.tapes) == len(questions)
    for example, prediction, _score in result.results:
        _check_run(recorder.tape_for(prediction), example.question)


def test_batch_keeps_each_run_separate(lm: FunctionLM) -> None:
    program = TwoStage()
    examples = [dspy.Example(question=f"batch {i}").with_inputs("question") for i in range(8)]
    recorder = DSPyRecorder(program)
    with dspy.context(lm=lm), recorder:
        predictions = program.batch(examples, num_threads=4, disable_progress_bar=True)
    assert len(recorder.tapes) == 8
    for example, prediction in zip(examples, predictions):
        _check_run(recorder.tape_for(prediction), example.question)


def test_asyncio_gather_of_acall_keeps_runs_separate(lm: FunctionLM) -> None:
    program = TwoStage()
    recorder = DSPyRecorder(program)
    questions = [f"async {i}" for i in range(6)]

    async def main() -> list[Any]:
        with dspy.context(lm=lm), recorder:
            return await asyncio.gather(*(program.acall(question=q) for q in questions))

    predictions = asyncio.run(main())
    assert len(recorder.tapes) == 6
    for question, prediction in zip(questions, predictions):
        _check_run(recorder.tape_for(prediction), question)


class Outer(dspy.Module):
    """A module nesting another module, with a value changed on the way."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = TwoStage()
        self.polish = dspy.Predict("text -> polished")

    def forward(self, question: str) -> Any:
        answer = self.inner(question=question).answer
        return self.polish(text=f"Answer to check: {answer}")


def test_nested_modules_and_values_built_from_outputs() -> None:
    def responder(call: LMCall) -> str:
        if "text" in call.inputs:
            return chat_answer(polished=call.inputs["text"].upper())
        return two_stage_responder(call)

    program = Outer()
    recorder = DSPyRecorder(program)
    with dspy.context(lm=FunctionLM(responder)), recorder:
        program(question="nested question")
    tape = recorder.last
    assert [c.name for c in tape.calls] == ["inner.draft.predict", "inner.refine", "polish"]
    refine, polish = tape.nodes()[1], tape.nodes()[2]
    text = polish.inputs["text"]
    # Built by an f-string from refine's answer: linked by containment, not the same Variable.
    assert text is not refine.outputs["answer"]
    assert text.predecessors == [refine.outputs["answer"]]
    assert text.requires_grad


def test_react_loop_links_thoughts_tool_results_and_extract() -> None:
    def lookup(item: str) -> str:
        """Look up how many of an item there are."""
        return f"the basket holds exactly 7 {item}"

    def responder(call: LMCall) -> str:
        if "next_thought" in call.system:
            if "observation_0" not in call.user:
                return chat_answer(
                    next_thought="I should look up how many apples there are",
                    next_tool_name="lookup",
                    next_tool_args=json.dumps({"item": "apples"}),
                )
            return chat_answer(
                next_thought="The lookup answered the question, time to finish",
                next_tool_name="finish",
                next_tool_args="{}",
            )
        return chat_answer(reasoning="the tool said 7", answer="7")

    program = dspy.ReAct("question -> answer", tools=[lookup], max_iters=4)
    recorder = DSPyRecorder(program)
    with dspy.context(lm=FunctionLM(responder)), recorder:
        prediction = program(question="How many apples?")
    tape = recorder.tape_for(prediction)
    assert [c.name for c in tape.calls] == ["react", "react", "extract.predict"]
    assert [t.name for t in tape.tools] == ["lookup", "finish"]
    graph = tape.graph()
    tool_result = graph.tools[tape.tools[0].call_id]
    first, second, extract = graph.nodes
    assert tool_result.predecessors == [first.outputs["next_tool_args"]]
    trajectory = second.inputs["trajectory"]
    assert first.outputs["next_thought"] in trajectory.predecessors
    assert tool_result in trajectory.predecessors
    assert second.outputs["next_thought"] in extract.inputs["trajectory"].predecessors
    assert tape.output("answer").value == "7"


def test_parse_failure_is_recorded_with_the_completion() -> None:
    lm = FunctionLM(lambda call: "no fields here at all")
    program = dspy.Predict("question -> answer")
    recorder = DSPyRecorder(program)
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_adapter_fallback=False)), recorder:
        with pytest.raises(Exception):  # noqa: B017 - DSPy's own parse error
            program(question="q")
    tape = recorder.last
    assert tape.done and tape.prediction is None and tape.error
    failed = tape.failed_call
    assert failed is not None and failed.error and failed.final is not None
    assert failed.final.error
    completion = tape.failure_variable()
    assert completion is not None and completion.value == "no fields here at all"
    with pytest.raises(NotRecordedError):
        tape.output("answer")


def test_graph_of_a_running_tape_is_refused(lm: FunctionLM) -> None:
    seen: list[Tape] = []

    class Peek(dspy.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = dspy.Predict("question -> answer")

        def forward(self, question: str) -> Any:
            seen.append(recorder.last)
            with pytest.raises(NotRecordedError):
                recorder.last.graph()
            return self.inner(question=question)

    program = Peek()
    recorder = DSPyRecorder(program)
    lm2 = FunctionLM(lambda call: chat_answer(answer="a"))
    with dspy.context(lm=lm2), recorder:
        program(question="q")
    assert seen[0].done and seen[0].output("answer").value == "a"


def test_keep_limits_finished_tapes(lm: FunctionLM) -> None:
    program = TwoStage()
    recorder = DSPyRecorder(program, keep=2)
    with dspy.context(lm=lm), recorder:
        for i in range(5):
            program(question=f"q{i}")
    assert [t.inputs["question"] for t in recorder.tapes] == ["q3", "q4"]
    recorder.clear()
    assert recorder.tapes == []
