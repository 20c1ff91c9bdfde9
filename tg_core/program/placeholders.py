"""Placeholders of prompt templates (f-string, mustache, jinja2): how one is written, what a
rewrite of a template must keep, and why a rewrite is refused, in words.

An optimizer rewrites template text a framework fills in; the text must keep its
placeholders and gain none. These are the rules of the template formats themselves; a
framework's binding parses templates with its own parser and applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TEMPLATE_FORMATS = ("f-string", "mustache", "jinja2")

_JINJA_STATEMENT = re.compile(r"\{%|\{#")
_JINJA_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
_IDENTIFIER = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*")
_F_STRING_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


def placeholder(name: str, template_format: str) -> str:
    """A variable as it is written in a template of ``template_format``.

    Example:
        >>> placeholder("q", "f-string"), placeholder("q", "mustache"), placeholder("q", "jinja2")
        ('{q}', '{{q}}', '{{ q }}')
    """
    if template_format == "f-string":
        return "{" + name + "}"
    return "{{ " + name + " }}" if template_format == "jinja2" else "{{" + name + "}}"


def keep_rule(names: Iterable[str], template_format: str) -> str:
    """What a rewrite of a template with these placeholders must respect, as a phrase.

    Example:
        >>> keep_rule(["question"], "f-string")  # doctest: +NORMALIZE_WHITESPACE
        'an f-string template: keep the placeholders {question} exactly as written and add
        no others; write every literal brace doubled, as {{ and }}'
    """
    ordered = sorted(names)
    article = "an" if template_format == "f-string" else "a"
    if template_format == "f-string":
        shown = ", ".join("{" + n + "}" for n in ordered)
        braces = "; write every literal brace doubled, as {{ and }}"
    else:
        shown = ", ".join("{{" + n + "}}" for n in ordered)
        braces = ""
    if ordered:
        keep = f"keep the placeholders {shown} exactly as written and add no others"
    else:
        keep = "it has no placeholders: add none"
    return f"{article} {template_format} template: {keep}{braces}"


def changed_message(missing: Iterable[str], extra: Iterable[str], template_format: str) -> str:
    """Why a rewrite that lost or invented placeholders is refused.

    Example:
        >>> changed_message(["question"], [], "f-string")
        'the new template text is refused: it lost the placeholder(s) {question}: keep each exactly once or more'
    """
    lost = sorted(missing)
    invented = sorted(extra)
    parts = []
    if lost:
        parts.append(
            "it lost the placeholder(s) "
            + ", ".join(placeholder(v, template_format) for v in lost)
            + ": keep each exactly once or more"
        )
    if invented:
        parts.append(
            "it has placeholder(s) the prompt does not fill: "
            + ", ".join(placeholder(v, template_format) for v in invented)
        )
        if template_format == "f-string":
            parts.append(
                "in this template format a literal brace must be written doubled, as {{ and }}"
            )
    return "the new template text is refused: " + "; ".join(parts)


def jinja2_code(text: str) -> str | None:
    """Why a jinja2 rewrite is refused for holding code, or None when it only has placeholders.

    A rewrite is model output; rendering loops or expressions from it could run for ever, so
    only ``{{ name }}`` placeholders may appear.

    Example:
        >>> jinja2_code("Answer {{ question }}.") is None
        True
        >>> jinja2_code("{% for x in y %}")
        'the new jinja2 text has a statement or comment ({% ... %} / {# ... #}); rewrites may only use {{ name }} placeholders'
    """
    if _JINJA_STATEMENT.search(text):
        return (
            "the new jinja2 text has a statement or comment ({% ... %} / {# ... #}); "
            "rewrites may only use {{ name }} placeholders"
        )
    for match in _JINJA_EXPRESSION.finditer(text):
        if not _IDENTIFIER.fullmatch(match.group(1)):
            return (
                f"the new jinja2 text has an expression {match.group(0)!r}; "
                "rewrites may only use {{ name }} placeholders"
            )
    return None


def escape_literal_braces(text: str, keep: Iterable[str]) -> str:
    """Double every brace of an f-string text except placeholders ``{name}`` for ``keep``.

    Pairs already doubled stay as they are, so escaping twice changes nothing.

    Example:
        >>> escape_literal_braces('Reply as {"answer": 1} to {question}.', ["question"])
        'Reply as {{"answer": 1}} to {question}.'
    """
    names = frozenset(keep)

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token
        name = match.group(1)
        if name is not None and name in names:
            return token
        return token.replace("{", "{{").replace("}", "}}")

    return _F_STRING_TOKEN.sub(replace, text)
