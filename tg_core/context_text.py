"""Formats a gradient with the call it came from, as the optimizer reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .prompts import render

if TYPE_CHECKING:
    from .variable import Variable


def gradient_with_context(gradient: Variable, context: dict[str, Any] | None) -> str:
    """One feedback item, preceded by the conversation that produced it when known.

    Example:
        >>> from tg_core.variable import Variable
        >>> g = Variable("too long", role_description="feedback")
        >>> gradient_with_context(g, None)
        '<FEEDBACK>too long</FEEDBACK>'
    """
    feedback = str(gradient.value)
    context = context or {}
    conversation = context.get("conversation")
    if conversation is None:
        return render("feedback_item", feedback=feedback)
    return render(
        "feedback_in_context",
        conversation=str(conversation),
        response_role=str(context.get("response_role", "output")),
        feedback=feedback,
    )
