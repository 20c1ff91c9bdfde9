"""The pure rule a template rewrite must pass: same variables, parsable in its format."""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.prompts.string import get_template_variables

from .errors import TemplateRejected, TemplateVariablesChanged

TEMPLATE_FORMATS = ("f-string", "mustache", "jinja2")

_JINJA_STATEMENT = re.compile(r"\{%|\{#")
_JINJA_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
_IDENTIFIER = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*")
_F_STRING_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


def template_variables(text: str, template_format: str) -> frozenset[str]:
    """The variables a template text uses, as LangChain reads them.

    Args:
        text: the template text.
        template_format: ``f-string``, ``mustache`` or ``jinja2``.

    Raises:
        TemplateRejected: the text is not a valid template of that format.

    Example:
        >>> sorted(template_variables("Hi {name}, {{literal}}", "f-string"))
        ['name']
        >>> sorted(template_variables("Hi {{name}}", "mustache"))
        ['name']
    """
    if template_format not in TEMPLATE_FORMATS:
        raise TemplateRejected(f"unknown template format {template_format!r}")
    try:
        return frozenset(get_template_variables(text, template_format))
    except Exception as exc:  # each format's parser raises its own error type
        hint = (
            " (a literal brace must be written doubled, as {{ and }})"
            if template_format == "f-string"
            else ""
        )
        raise TemplateRejected(
            f"the new text is not a valid {template_format} template: {exc}{hint}"
        ) from exc


def check_template_variables(text: str, template_format: str, expected: Iterable[str]) -> None:
    """Raise unless ``text`` is a non-empty template using exactly the ``expected`` variables.

    ``expected`` is the current template's input variables plus its partial variables.

    Raises:
        TemplateRejected: the text is empty or not a valid template.
        TemplateVariablesChanged: it lost or invented a variable.

    Example:
        >>> check_template_variables("Answer {question} briefly.", "f-string", ["question"])
        >>> check_template_variables("Answer briefly.", "f-string", ["question"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_adapters.langchain.errors.TemplateVariablesChanged: the new template text is refused: ...
    """
    if not text.strip():
        raise TemplateRejected("the new template text is empty")
    if template_format == "jinja2":
        _check_plain_jinja2(text)
    found = template_variables(text, template_format)
    wanted = frozenset(expected)
    if found != wanted:
        raise TemplateVariablesChanged(wanted - found, found - wanted, template_format)


def _check_plain_jinja2(text: str) -> None:
    """Refuse jinja2 code in a rewrite: only ``{{ name }}`` placeholders may appear.

    A rewrite is model output; rendering loops or expressions from it could run for ever.
    """
    if _JINJA_STATEMENT.search(text):
        raise TemplateRejected(
            "the new jinja2 text has a statement or comment ({% ... %} / {# ... #}); "
            "rewrites may only use {{ name }} placeholders"
        )
    for match in _JINJA_EXPRESSION.finditer(text):
        if not _IDENTIFIER.fullmatch(match.group(1)):
            raise TemplateRejected(
                f"the new jinja2 text has an expression {match.group(0)!r}; "
                "rewrites may only use {{ name }} placeholders"
            )


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
