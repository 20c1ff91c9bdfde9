"""The pure rule a template rewrite must pass: same variables, parsable in its format."""

from __future__ import annotations

from collections.abc import Iterable

from langchain_core.prompts.string import get_template_variables

from tg_core.program.placeholders import TEMPLATE_FORMATS, escape_literal_braces, jinja2_code

from .errors import TemplateRejected, TemplateVariablesChanged

__all__ = [
    "TEMPLATE_FORMATS",
    "check_template_variables",
    "escape_literal_braces",
    "template_variables",
]


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
    code = jinja2_code(text) if template_format == "jinja2" else None
    if code is not None:
        raise TemplateRejected(code)
    found = template_variables(text, template_format)
    wanted = frozenset(expected)
    if found != wanted:
        raise TemplateVariablesChanged(wanted - found, found - wanted, template_format)
