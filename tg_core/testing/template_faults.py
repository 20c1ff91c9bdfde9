"""Simulated-server answers that break a prompt template's ``{variables}`` (for the
adapters that rewrite templates, as LangChain's does)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from .sim_answers import ChatRequest, Responder, default_responder

TemplateFault = Literal["template_var_removed", "template_var_invented"]
"""How a rewrite breaks a template: it loses one of its ``{variables}``, or invents one."""


def template_fault(
    kind: TemplateFault,
    *,
    when: Callable[[ChatRequest], bool] = lambda request: True,
    base: Responder = default_responder,
    invented: str = "invented",
) -> Responder:
    """A ``SimServer`` responder whose answers to some requests break template variables.

    It answers like ``base``; for a request ``when`` accepts, ``template_var_removed`` drops
    the first ``{variable}`` of the request that the answer repeats, and
    ``template_var_invented`` adds ``{invented}`` before the answer's last closing tag.

    Args:
        kind: The way the answer breaks the template.
        when: Which requests get the broken answer (default: all).
        base: The responder whose answers are broken.
        invented: The name of the variable ``template_var_invented`` adds.

    Example:
        >>> request = ChatRequest.from_body({"messages": [{"role": "user", "content":
        ...     "<VARIABLE>Answer {question}.</VARIABLE> Reply in <IMPROVED_VARIABLE> tags."}]})
        >>> "{question}" in template_fault("template_var_removed")(request)
        False
        >>> template_fault("template_var_invented")(request).split("Also use ")[1]
        '{invented}.</IMPROVED_VARIABLE>'
    """

    def respond(request: ChatRequest) -> str:
        content = base(request)
        if not when(request):
            return content
        if kind == "template_var_invented":
            head, close, tail = content.rpartition("</")
            extra = f" Also use {{{invented}}}."
            return head + extra + close + tail if close else content + extra
        names = dict.fromkeys(re.findall(r"(?<!\{)\{([A-Za-z_]\w*)\}(?!\})", request.prompt_text))
        present = [name for name in names if "{" + name + "}" in content]
        if not present:
            return content
        return re.sub(r"  +", " ", content.replace("{" + present[0] + "}", ""))

    return respond
