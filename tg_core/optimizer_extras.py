"""The optional parts of TGD's update prompt: constraints, examples, memory, past and rejected values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import UserError
from .prompts import load_prompt, render


def _items(name: str, values: Sequence[dict[str, str]]) -> str:
    return "\n".join(render(name, **v) for v in values)


def update_extras(
    state: dict[str, Any],
    *,
    constraints: Sequence[str],
    in_context_examples: Sequence[str],
    gradient_memory: int,
    past_values: Sequence[str] = (),
) -> str:
    """The extra sections of one parameter's update prompt, from its optimizer ``state``.

    Example:
        >>> print(update_extras({}, constraints=["Be short."], in_context_examples=[],
        ...                     gradient_memory=0).strip().splitlines()[-2])
        1. Be short.
    """
    parts = []
    if constraints:
        numbered = _items(
            "item_numbered", [{"number": str(i + 1), "value": c} for i, c in enumerate(constraints)]
        )
        parts.append(render("optimizer_constraints", constraints=numbered))
    if in_context_examples:
        shown = _items("item_example", [{"value": e} for e in in_context_examples])
        parts.append(render("optimizer_examples", examples=shown))
    memory = state.get("memory", [])[-gradient_memory:] if gradient_memory else []
    if memory:
        shown = _items("item_feedback", [{"value": m} for m in memory])
        parts.append(render("optimizer_memory", memory=shown))
    if past_values:
        shown = _items(
            "item_past_value", [{"step": str(i), "value": v} for i, v in enumerate(past_values)]
        )
        parts.append(render("optimizer_momentum", past_values=shown))
    failed = state.get("failed", [])
    if failed:
        shown = _items(
            "item_rejected", [{"reason": repr(f["reason"]), "value": f["value"]} for f in failed]
        )
        parts.append(render("optimizer_failed", failed=shown))
    return "".join(parts)


def optimizer_system(custom: str | None, start: str, end: str) -> str:
    """TGD's system prompt: the built-in one, or ``custom`` with TextGrad's
    ``{new_variable_start_tag}`` / ``{new_variable_end_tag}`` placeholders filled.

    Example:
        >>> optimizer_system("Write between {new_variable_start_tag} and {new_variable_end_tag}.", "<A>", "</A>")
        'Write between <A> and </A>.'
    """
    if not custom:
        return load_prompt("optimizer_system").render(start_tag=start, end_tag=end)
    tags = {"new_variable_start_tag": start, "new_variable_end_tag": end}
    try:
        return custom.format(**tags)
    except (KeyError, IndexError, ValueError):  # other braces: fill only the tags
        for name, tag in tags.items():
            custom = custom.replace(f"{{{name}}}", tag)
        return custom


DEFAULT_TAGS = ("<IMPROVED_VARIABLE>", "</IMPROVED_VARIABLE>")
"""The tags a new value is written between, unless the optimizer is given others."""


def check_tags(tags: Any) -> tuple[str, str]:
    """The optimizer's two tags (the defaults for None), or UserError.

    Example:
        >>> check_tags(None)
        ('<IMPROVED_VARIABLE>', '</IMPROVED_VARIABLE>')
        >>> check_tags(["<A>", "<A>"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: new_variable_tags must be two different non-empty strings
    """
    if tags is None:
        return DEFAULT_TAGS
    if len(tags) != 2 or not all(isinstance(t, str) and t for t in tags) or tags[0] == tags[1]:
        raise UserError("new_variable_tags must be two different non-empty strings")
    return (tags[0], tags[1])
