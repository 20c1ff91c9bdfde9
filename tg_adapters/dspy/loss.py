"""Losses from a metric: its feedback (or its score, in words) as feedback on the outputs."""

from __future__ import annotations

from typing import Any

from tg_core.extend import BackwardContext, Variable, render

from .errors import ExampleFailed, NotRecordedError
from .metric import MetricOutcome
from .nodes import as_text
from .tape import Tape

LOSS_ROLE = "the metric's evaluation of the program's output"


def _fields(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "items"):
        return dict(obj.items())
    return {}


def _labels(example: Any) -> dict[str, Any]:
    labels = getattr(example, "labels", None)
    if callable(labels):
        try:
            return _fields(labels())
        except Exception:  # an Example without inputs set: show nothing rather than guess
            return {}
    return {}


def _show(values: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {as_text(v)}" for k, v in values.items())


def loss_text(example: Any, prediction: Any, outcome: MetricOutcome) -> str:
    """The loss in words: the metric's feedback, or its score with expected and actual output.

    Example:
        >>> import dspy
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> print(loss_text(ex, dspy.Prediction(answer="5"), MetricOutcome(0.0)))
        The metric scored the program's output 0 (higher is better).
        Expected output:
        answer: 4
        The program's output:
        answer: 5
    """
    if outcome.feedback:
        return f"The metric scored the program's output {outcome.score:g}.\n{outcome.feedback}"
    lines = [f"The metric scored the program's output {outcome.score:g} (higher is better)."]
    expected = _labels(example)
    if expected:
        lines += ["Expected output:", _show(expected)]
    lines += ["The program's output:", _show(_fields(prediction)) or as_text(prediction)]
    return "\n".join(lines)


def feedback_loss(text: str, outputs: list[Variable], conversation: str) -> Variable:
    """A loss whose value is ``text``, handed as feedback to every output it judges.

    No model call is made: the text already says what is wrong, so it is the gradient of
    each output. When the loss is not the objective itself (it feeds something else), the
    feedback it receives is passed on instead.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = feedback_loss("Wrong: it is 4.", [out], "question: 2+2?")
        >>> _ = loss.backward(engine="fake")
        >>> out.get_gradient_text()
        'Wrong: it is 4.'
    """
    loss = Variable(text, predecessors=outputs, role_description=LOSS_ROLE)
    context = {"conversation": conversation, "response_role": LOSS_ROLE, "response": text}

    async def grad_fn(ctx: BackwardContext) -> None:
        for out in outputs:
            if not out.requires_grad:
                continue
            if ctx.is_objective:
                gradient = Variable(
                    text,
                    requires_grad=False,
                    role_description=f"feedback to {out.get_role_description()}",
                )
                out.add_gradient(gradient, {**context, "source_id": loss.id})
            else:
                for g in ctx.gradients:
                    out.add_gradient(g, loss.gradients_context.get(g))

    loss.set_grad_fn(grad_fn)
    return loss


def _conversation(tape: Tape) -> str:
    shown_in = _show(tape.inputs)
    shown_out = _show(_fields(tape.prediction)) if tape.prediction is not None else "(none)"
    return render("program_run", inputs=shown_in, outputs=shown_out)


def metric_loss(
    tape: Tape, example: Any, outcome: MetricOutcome, *, perfect_score: float = 1.0
) -> Variable:
    """The loss of one recorded run, judged by the metric.

    With feedback, or a score below ``perfect_score``, the loss text reaches every output
    field of the run's prediction; a perfect score without feedback gives a constant loss
    (nothing to learn, no model calls).

    Raises:
        ExampleFailed: the metric failed, or no output of the run is wired into its graph.

    Example:
        >>> import dspy
        >>> from tg_adapters.dspy.recorder import DSPyRecorder
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = dspy.Predict("question -> answer")
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="5"))):
        ...     with DSPyRecorder(program) as recorder:
        ...         pred = program(question="2+2?")
        >>> loss = metric_loss(recorder.last, ex, MetricOutcome(0.0, "It is 4."))
        >>> loss.predecessors == [recorder.last.output("answer")]
        True
    """
    if outcome.failed:
        raise ExampleFailed(f"no loss for this example: {outcome.reason}")
    text = loss_text(example, tape.prediction, outcome)
    if outcome.feedback is None and outcome.score >= perfect_score:
        return Variable(text, requires_grad=False, role_description=LOSS_ROLE)
    try:
        outputs = list(tape.outputs().values())
    except NotRecordedError as exc:
        raise ExampleFailed(str(exc)) from exc
    if not outputs:
        raise ExampleFailed("no output of the run comes from a recorded predictor call")
    return feedback_loss(text, outputs, _conversation(tape))


def failure_loss(tape: Tape) -> Variable:
    """The loss of a run that raised: the error, as feedback on the completion that caused it.

    Raises:
        ExampleFailed: the model never answered (nothing in the graph to blame).

    Example:
        >>> import dspy
        >>> from tg_adapters.dspy.recorder import DSPyRecorder
        >>> from tg_adapters.dspy.testing import FunctionLM
        >>> program = dspy.Predict("question -> answer")
        >>> adapter = dspy.ChatAdapter(use_json_adapter_fallback=False)
        >>> with dspy.context(lm=FunctionLM(lambda c: "no format"), adapter=adapter):
        ...     with DSPyRecorder(program) as recorder:
        ...         try:
        ...             program(question="2+2?")
        ...         except Exception:
        ...             pass
        >>> failure_loss(recorder.last).predecessors[0].value
        'no format'
    """
    completion = tape.failure_variable()
    failed = tape.failed_call
    if completion is None or failed is None:
        raise ExampleFailed(f"the program failed before any model answer: {tape.error}")
    text = (
        f"The program failed at the DSPy predictor `{failed.name}`: {failed.error}\n"
        "Its answer must follow the output format its prompt asks for, with every output "
        "field present, or the program cannot continue."
    )
    return feedback_loss(text, [completion], _conversation(tape))
