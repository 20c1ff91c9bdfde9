"""The loss of one program run: the metric's verdict (or the run's failure) as feedback on its output."""

from __future__ import annotations

from collections.abc import Sequence

from ..autograd.function import give_feedback
from ..errors import TgCoreError
from ..graph import BackwardContext
from ..prompts import render
from ..variable import Variable
from .metric import MetricOutcome
from .protocol import ProgramRun

LOSS_ROLE = "the metric's evaluation of the program's output"


class ExampleFailed(TgCoreError):
    """One training example produced no usable loss (the program or the metric failed).

    The training loop counts it as a failed example of its step and goes on with the others.

    Example:
        >>> str(ExampleFailed("metric returned NaN"))
        'metric returned NaN'
    """


def feedback_loss(
    text: str, outputs: Sequence[Variable], conversation: str | None = None
) -> Variable:
    """A loss whose value is ``text``, handed as feedback to every output it judges.

    No model call is made: the text already says what is wrong, so it is the gradient of
    each output, recorded with the call context (``conversation``: the program's input and
    output) the optimizer shows beside it. When the loss is not the objective itself (it
    feeds something else), the feedback it receives is passed on instead.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = feedback_loss("Wrong: it is 4.", [out], "question: 2+2?")
        >>> _ = loss.backward(engine="fake")
        >>> out.get_gradient_text()
        'Wrong: it is 4.'
    """
    targets = list(outputs)
    loss = Variable(text, predecessors=targets, role_description=LOSS_ROLE)
    context = {"conversation": conversation, "response_role": LOSS_ROLE, "response": text}

    async def grad_fn(ctx: BackwardContext) -> None:
        for out in targets:
            if not out.requires_grad:
                continue
            if ctx.is_objective:
                give_feedback(out, text, {**context, "source_id": loss.id})
            else:
                for g in ctx.gradients:
                    out.add_gradient(g, loss.gradients_context.get(g))

    loss.set_grad_fn(grad_fn)
    return loss


def loss_text(outcome: MetricOutcome, *, expected_text: str = "", output_text: str = "") -> str:
    """The loss in words: the metric's feedback, or its score with expected and actual output.

    Example:
        >>> print(loss_text(MetricOutcome(0.0), expected_text="answer: 4", output_text="answer: 5"))
        The metric scored the program's output 0 (higher is better).
        Expected output:
        answer: 4
        The program's output:
        answer: 5
        >>> loss_text(MetricOutcome(0.5, "Count again."))
        "The metric scored the program's output 0.5.\\nCount again."
    """
    score = f"{outcome.score:g}"
    if outcome.feedback:
        return render("metric_feedback", score=score, feedback=outcome.feedback)
    expected = "\n" + render("metric_expected", expected=expected_text) if expected_text else ""
    return render("metric_score", score=score, expected=expected, output=output_text)


def run_conversation(run: ProgramRun) -> str:
    """The run's input and output, as the call context of its loss.

    Example:
        >>> print(run_conversation(ProgramRun(input_text="q: 2+2?", output_text="a: 5")))
        <PROGRAM_INPUT>
        q: 2+2?
        </PROGRAM_INPUT>
        <PROGRAM_OUTPUT>
        a: 5
        </PROGRAM_OUTPUT>
    """
    shown_out = run.output_text if run.error is None else "(none)"
    return render("program_run", inputs=run.input_text, outputs=shown_out)


def metric_loss(run: ProgramRun, outcome: MetricOutcome, *, perfect_score: float = 1.0) -> Variable:
    """The loss of one recorded run, judged by the metric.

    With feedback, or a score below ``perfect_score``, the loss text reaches the run's
    output; a perfect score without feedback gives a constant loss (nothing to learn, no
    model calls).

    Raises:
        ExampleFailed: the metric failed, or the run has no output wired into a graph.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = metric_loss(ProgramRun("5", out, output_text="5"), MetricOutcome(0.0))
        >>> loss.predecessors == [out]
        True
        >>> metric_loss(ProgramRun("4", out), MetricOutcome(1.0)).requires_grad
        False
    """
    if outcome.failed:
        raise ExampleFailed(f"no loss for this example: {outcome.reason}")
    text = loss_text(outcome, expected_text=run.expected_text, output_text=run.output_text)
    if outcome.feedback is None and outcome.score >= perfect_score:
        return Variable(text, requires_grad=False, role_description=LOSS_ROLE)
    if run.output is None:
        raise ExampleFailed("no output of the run is wired into a recorded graph")
    return feedback_loss(text, [run.output], run_conversation(run))


def failure_loss(run: ProgramRun) -> Variable:
    """The loss of a run that raised: the error, as feedback on the answer that caused it.

    Raises:
        ExampleFailed: the run gave no answer to blame (``run.output`` is None).

    Example:
        >>> answer = Variable("no format", role_description="raw answer")
        >>> run = ProgramRun(output=answer, error=ValueError("cannot parse"))
        >>> failure_loss(run).value
        'The program failed with ValueError: cannot parse. Its answer must let it continue.'
    """
    if run.output is None:
        raise ExampleFailed(f"the program failed before any model answer: {run.error!r}")
    error = run.error
    text = run.failure_text or (
        f"The program failed with {type(error).__name__}: {error}. Its answer must let it continue."
    )
    return feedback_loss(text, [run.output], run_conversation(run))
