"""Binding of a parameter to one prompt template text: read, validate and rewrite in place."""

from __future__ import annotations

import weakref
from typing import Any

from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate, PromptTemplate

from .errors import TemplateRejected
from .template_vars import check_template_variables


def drop_serialized_cache(prompt: BasePromptTemplate[Any]) -> None:
    """Forget the serialized form a prompt caches, so callbacks see its current text.

    Example:
        >>> p = PromptTemplate.from_template("Hi {name}")
        >>> _ = p._serialized
        >>> drop_serialized_cache(p)
        >>> "_serialized" in p.__dict__
        False
    """
    prompt.__dict__.pop("_serialized", None)


class PromptTemplateBinding:
    """Links a parameter to the text of one message template of a chat prompt (``index``)
    or of a string prompt (``index=None``).

    ``validate`` checks that a new text keeps exactly the template's variables and can be
    formatted; ``write`` installs it (a new ``PromptTemplate`` for a chat message, the text
    itself for a string prompt) and drops the prompt's cached serialized form.

    The binding holds the prompt weakly: parameters do not keep a discarded chain alive.

    Example:
        >>> chat = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
        >>> binding = PromptTemplateBinding(chat, 0)
        >>> binding.write("Always be {style}.")
        >>> chat.messages[0].prompt.template
        'Always be {style}.'
    """

    def __init__(self, prompt: BasePromptTemplate[Any], index: int | None) -> None:
        self._prompt = weakref.ref(prompt)
        self.index = index
        self._target()  # fail now, not at the first write, if the index is wrong

    @property
    def prompt(self) -> BasePromptTemplate[Any]:
        """The bound prompt template."""
        prompt = self._prompt()
        if prompt is None:
            raise TemplateRejected(
                "the prompt template this parameter is bound to no longer exists (it was "
                "garbage-collected): keep a reference to the chain while optimizing it"
            )
        return prompt

    def _target(self) -> PromptTemplate:
        prompt = self.prompt
        if self.index is None:
            target: Any = prompt
        else:
            if not isinstance(prompt, ChatPromptTemplate):
                raise TemplateRejected("a message index needs a ChatPromptTemplate")
            target = getattr(prompt.messages[self.index], "prompt", None)
        if not isinstance(target, PromptTemplate):
            raise TemplateRejected(
                f"message {self.index} of the prompt is not a single text template"
            )
        return target

    @property
    def template_format(self) -> str:
        """``f-string``, ``mustache`` or ``jinja2``."""
        return str(self._target().template_format)

    @property
    def expected_variables(self) -> frozenset[str]:
        """The variables every new text must use: input variables plus partials."""
        target = self._target()
        return frozenset(target.input_variables) | frozenset(target.partial_variables)

    def read(self) -> str:
        """The template's current text."""
        return self._target().template

    def validate(self, value: str) -> None:
        """Raise :class:`~tg_core.errors.BindingRejected` unless ``value`` can be written."""
        target = self._target()
        fmt = str(target.template_format)
        check_template_variables(value, fmt, self.expected_variables)
        try:
            trial = self._new_template(value, target)
            trial.format(**dict.fromkeys(trial.input_variables, "x"))
        except Exception as exc:  # any failure to build or format means the text is unusable
            raise TemplateRejected(
                f"the new text cannot be used as a {fmt} template: {exc}"
            ) from exc

    def write(self, value: str) -> None:
        """Validate ``value`` and install it in the prompt; a refused value changes nothing."""
        self.validate(value)
        target = self._target()
        prompt = self.prompt
        if isinstance(prompt, ChatPromptTemplate) and self.index is not None:
            message: Any = prompt.messages[self.index]
            message.prompt = self._new_template(value, target)
        else:
            target.template = value
        drop_serialized_cache(prompt)

    @staticmethod
    def _new_template(value: str, old: PromptTemplate) -> PromptTemplate:
        return PromptTemplate(
            template=value,
            input_variables=list(old.input_variables),
            template_format=old.template_format,
            partial_variables=dict(old.partial_variables),
            input_types=dict(old.input_types),
        )
