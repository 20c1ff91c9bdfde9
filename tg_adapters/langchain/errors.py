"""Typed errors of the LangChain adapter: caller mistakes and refused template rewrites."""

from __future__ import annotations

from collections.abc import Iterable

from tg_core.extend import BindingRejected, UserError
from tg_core.program.placeholders import changed_message


class NoPromptTemplatesError(UserError):
    """The runnable has no prompt template with an optimizable message.

    Example:
        >>> raise NoPromptTemplatesError("no prompts")
        Traceback (most recent call last):
        ...
        tg_adapters.langchain.errors.NoPromptTemplatesError: no prompts
    """


class RunNotRecordedError(UserError):
    """A run was asked for that the callback handler did not record (or that failed).

    Example:
        >>> raise RunNotRecordedError("no run yet")
        Traceback (most recent call last):
        ...
        tg_adapters.langchain.errors.RunNotRecordedError: no run yet
    """


class TemplateRejected(BindingRejected):
    """A proposed template text cannot replace the current one (syntax or variables).

    Example:
        >>> raise TemplateRejected("empty template")
        Traceback (most recent call last):
        ...
        tg_adapters.langchain.errors.TemplateRejected: empty template
    """


class TemplateVariablesChanged(TemplateRejected):
    """A proposed template text lost or invented variables.

    Attributes:
        missing: variables of the current template the proposal lacks.
        extra: variables the proposal has that the current template does not.
        template_format: ``f-string``, ``mustache`` or ``jinja2``.

    Example:
        >>> err = TemplateVariablesChanged({"question"}, set(), "f-string")
        >>> sorted(err.missing)
        ['question']
    """

    def __init__(self, missing: Iterable[str], extra: Iterable[str], template_format: str) -> None:
        self.missing = frozenset(missing)
        self.extra = frozenset(extra)
        self.template_format = template_format
        super().__init__(changed_message(self.missing, self.extra, template_format))
