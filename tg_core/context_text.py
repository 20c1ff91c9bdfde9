"""Formats a gradient with the call it came from, as the optimizer reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    feedback = f"<FEEDBACK>{gradient.value!s}</FEEDBACK>"
    if not context:
        return feedback
    conversation = context.get("conversation")
    response_role = context.get("response_role", "output")
    if conversation is None:
        return feedback
    return (
        f"<USED_IN>\n{conversation}\n</USED_IN>\n"
        f"Feedback on how it should change to improve the {response_role}:\n{feedback}"
    )
