"""Reduces many feedback texts for one variable to fit a token budget, with the model's help."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from .engine.base import agenerate_with
from .engine.usage import estimate_tokens
from .errors import UserError
from .prompts import load_prompt
from .tags import strip_echoed_tags
from .variable import Variable

_DEFAULT_TOKENS = 3000
_MIN_TOKENS = 100
_MAX_ROUNDS = 4

_process_tokens = _DEFAULT_TOKENS
_SCOPED: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "tg_core_gradient_token_budget", default=None
)


def _checked(tokens: int) -> int:
    if tokens < _MIN_TOKENS:
        raise UserError(f"gradient token budget must be >= {_MIN_TOKENS}, got {tokens}")
    return tokens


def set_gradient_token_budget(tokens: int) -> None:
    """Set how many tokens of feedback one variable may pass on before it is merged.

    This is the process default (3000 to start with); :func:`gradient_budget` overrides it
    inside a block.

    Example:
        >>> set_gradient_token_budget(3000)
    """
    global _process_tokens
    _process_tokens = _checked(tokens)


def gradient_token_budget() -> int:
    """The feedback budget per variable in force here, in tokens: the scope's, else the default.

    Example:
        >>> with gradient_budget(500):
        ...     gradient_token_budget()
        500
    """
    scoped = _SCOPED.get()
    return scoped if scoped is not None else _process_tokens


@contextlib.contextmanager
def gradient_budget(tokens: int) -> Iterator[int]:
    """Use a feedback budget of ``tokens`` per variable inside the block (this task only).

    Backward passes started inside the block use it, however many run at once elsewhere
    with other budgets; the process default is left as it is.

    Example:
        >>> with gradient_budget(1500) as tokens:
        ...     tokens == gradient_token_budget()
        True
    """
    token = _SCOPED.set(_checked(tokens))
    try:
        yield tokens
    finally:
        _SCOPED.reset(token)


def _groups(texts: list[str], budget: int) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for text in texts:
        cost = estimate_tokens(text)
        if current and size + cost > budget and len(current) >= 2:
            groups.append(current)
            current, size = [], 0
        current.append(text)
        size += cost
    if current:
        groups.append(current)
    return groups


async def areduce_texts(
    texts: list[str], role: str, engine: Any, budget: int | None = None
) -> list[str]:
    """Return ``texts`` unchanged if they fit ``budget`` tokens, else merged summaries that do.

    Groups are merged concurrently, in rounds, until the total fits.

    Example:
        >>> import asyncio
        >>> asyncio.run(areduce_texts(["short"], "answer", engine=None))
        ['short']
    """
    limit = budget or gradient_token_budget()
    prompt = load_prompt("reduce_feedback")
    item = load_prompt("feedback_numbered")
    rounds = 0
    while sum(estimate_tokens(t) for t in texts) > limit and len(texts) > 1:
        if rounds >= _MAX_ROUNDS:
            break
        groups = _groups(texts, limit)
        max_words = max(40, int(limit * 0.7 / max(1, len(groups))))

        async def merge(group: list[str], words: int = max_words) -> str:
            if len(group) == 1:
                return group[0]
            items = "\n\n".join(
                item.render(number=str(i + 1), feedback=t) for i, t in enumerate(group)
            )
            content = prompt.render(
                count=str(len(group)), role=role, items=items, max_words=str(words)
            )
            return strip_echoed_tags(await agenerate_with(engine, content), content)

        texts = list(await asyncio.gather(*(merge(g) for g in groups)))
        rounds += 1
    return texts


async def areduce_gradients(
    variable: Variable, gradients: list[Variable], engine: Any
) -> list[Variable]:
    """``gradients`` if they fit the budget, else one merged gradient for ``variable``."""
    texts = [str(g.value) for g in gradients]
    if sum(estimate_tokens(t) for t in texts) <= gradient_token_budget() or len(texts) < 2:
        return gradients
    merged = await areduce_texts(texts, variable.get_role_description(), engine)
    return [
        Variable(
            "\n\n".join(merged),
            requires_grad=False,
            role_description=f"merged feedback to {variable.get_role_description()}",
        )
    ]
