"""Relayed feedback: a backward pass that hands an output's feedback to its inputs as it is."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_RELAY: contextvars.ContextVar[bool] = contextvars.ContextVar("tg_core_relay", default=False)


def is_relaying() -> bool:
    """True inside :func:`relay_feedback`."""
    return _RELAY.get()


@contextlib.contextmanager
def relay_feedback() -> Iterator[None]:
    """Backpropagate without a critic call per input: each input of a model call (or string
    function) receives the feedback its output received, word for word, with the call's
    conversation as its context.

    TextGrad's backward pass asks the backward engine to turn the output's feedback into
    feedback on each input. A small model often loses the point on the way (it echoes the
    prompt, or answers the question); relayed, the optimizer sees the metric's own words
    beside the call that earned them, and the pass makes no model call. An output that is
    itself the objective (a loss computed by a model) still gets its critic call.

    Example:
        >>> import tg_core as tg
        >>> from tg_core.engine.fake import FakeEngine
        >>> prompt = tg.Variable("Think step by step.", role_description="system prompt")
        >>> question = tg.Variable("2+2?", role_description="question", requires_grad=False)
        >>> answer = tg.BlackboxLLM(FakeEngine(["Let us see: 2"]), system_prompt=prompt)(question)
        >>> from tg_core.program.loss import feedback_loss
        >>> loss = feedback_loss("Cut off before the answer line.", [answer])
        >>> critic = FakeEngine([])  # relayed: the pass makes no call (an empty script)
        >>> with relay_feedback():
        ...     _ = loss.backward(engine=critic)
        >>> "Cut off before the answer line." in prompt.get_gradient_text()
        True
    """
    token = _RELAY.set(True)
    try:
        yield
    finally:
        _RELAY.reset(token)
