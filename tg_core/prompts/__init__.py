"""Every prompt tg_core sends, as template files with ids, and the one strict renderer."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from ..errors import PromptTemplateError

_PLACEHOLDER = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt file: its id (``name@version``) and its text with ``{{name}}`` placeholders."""

    id: str
    text: str

    @property
    def variables(self) -> frozenset[str]:
        """The placeholder names the template uses."""
        return frozenset(_PLACEHOLDER.findall(self.text))

    def render(self, **values: str) -> str:
        """Fill every placeholder; a missing or unused value raises PromptTemplateError.

        Example:
            >>> PromptTemplate("t@1", "Hi {{name}}.").render(name="Ada")
            'Hi Ada.'
        """
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptTemplateError(
                f"prompt {self.id}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)


@functools.cache
def load_prompt(name: str) -> PromptTemplate:
    """Load ``tg_core/prompts/<name>.txt``; its first line is ``id: <name>@<version>``.

    Example:
        >>> load_prompt("optimizer_system").id
        'optimizer_system@1'
    """
    try:
        raw = resources.files(__package__).joinpath(f"{name}.txt").read_text("utf-8")
    except FileNotFoundError as exc:
        raise PromptTemplateError(f"no prompt template named {name!r}") from exc
    header, _, body = raw.partition("\n")
    if not header.startswith("id: "):
        raise PromptTemplateError(f"prompt {name!r} lacks its 'id: name@version' first line")
    return PromptTemplate(header[4:].strip(), body.strip("\n"))


def render(name: str, **values: str) -> str:
    """Render the named prompt (see :meth:`PromptTemplate.render`).

    Example:
        >>> render("variable_block", role="a poem", value="roses", tag="VARIABLE").splitlines()[0]
        '<VARIABLE role="a poem">'
    """
    return load_prompt(name).render(**values)


_TAG_NAME = re.compile(r"</?([A-Z][A-Z0-9_]*)[\s>]")


@functools.cache
def template_tag_names() -> frozenset[str]:
    """The upper-case tag names the library's prompt files write (``OUTPUT``, ``FEEDBACK`` ...).

    ``VARIABLE`` is among them: the variable block takes its tag as a value and every prompt
    shows variables under that name.

    Example:
        >>> {"OUTPUT", "FEEDBACK", "VARIABLE"} <= template_tag_names()
        True
    """
    names = {"VARIABLE"}
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".txt"):
            names.update(_TAG_NAME.findall(entry.read_text("utf-8")))
    return frozenset(names)
