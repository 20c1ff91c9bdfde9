"""TextGrad's ``optimizer.optimizer_prompts`` path: the update prompt, built from keywords."""

from __future__ import annotations

from typing import Any

from tg_core.prompts import render

__all__ = ["construct_tgd_prompt"]


def construct_tgd_prompt(
    do_momentum: bool = False,
    do_constrained: bool = False,
    do_in_context_examples: bool = False,
    **optimizer_kwargs: Any,
) -> str | list[str | bytes]:
    """The optimizer's update prompt from TextGrad's keywords, rendered with tg_core's templates.

    Keywords: ``variable_desc``, ``variable_value``, ``variable_grad`` (text, or a list of
    text and image bytes), ``new_variable_start_tag``, ``new_variable_end_tag`` and, when
    switched on, ``past_values``, ``constraint_text`` and ``in_context_examples``. With image
    bytes in the feedback the result is a list: the images, then the prompt text.

    Example:
        >>> prompt = construct_tgd_prompt(variable_desc="system prompt", variable_value="Be nice.",
        ...     variable_grad="Be concise.", new_variable_start_tag="<NEW>",
        ...     new_variable_end_tag="</NEW>")
        >>> "Be concise." in prompt and "<NEW>" in prompt
        True
    """
    kw = optimizer_kwargs
    grad = kw["variable_grad"]
    images = [g for g in grad if isinstance(g, bytes)] if isinstance(grad, list) else []
    feedback = grad if isinstance(grad, str) else "\n".join(g for g in grad if isinstance(g, str))
    extras = []
    if do_constrained:
        extras.append(render("optimizer_constraints", constraints=str(kw["constraint_text"])))
    if do_in_context_examples:
        extras.append(render("optimizer_examples", examples=str(kw["in_context_examples"])))
    if do_momentum:
        extras.append(render("optimizer_momentum", past_values=str(kw["past_values"])))
    role = str(kw["variable_desc"])
    prompt = render(
        "optimizer_update",
        variable=render(
            "variable_block", tag="VARIABLE", role=role, value=str(kw["variable_value"])
        ),
        feedback=feedback,
        extras="".join(extras),
        role=role,
        start_tag=str(kw["new_variable_start_tag"]),
        end_tag=str(kw["new_variable_end_tag"]),
    )
    return [*images, prompt] if images else prompt
