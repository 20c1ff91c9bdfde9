"""TextGrad's ``autograd.reduce_prompts`` path: several feedback texts as one tagged list."""

from __future__ import annotations

from collections.abc import Iterable

from ..variable import Variable

__all__ = ["construct_reduce_prompt"]


def construct_reduce_prompt(gradients: Iterable[Variable]) -> str:
    """Each gradient's text between ``<FEEDBACK>`` tags, one per line, in the given order.

    Example:
        >>> construct_reduce_prompt([Variable("be brief", role_description="feedback")])
        '<FEEDBACK>be brief</FEEDBACK>'
    """
    return "\n".join(f"<FEEDBACK>{g.get_value()!s}</FEEDBACK>" for g in gradients)
