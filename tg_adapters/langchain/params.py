"""Bound parameters: one Variable per optimizable message template of a runnable's prompts."""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate, PromptTemplate

from tg_core.extend import UserError, Variable
from tg_core.program.placeholders import keep_rule
from tg_core.program.protocol import synced

from .binding import PromptTemplateBinding, drop_serialized_cache
from .values import message_role

MARK_KEY = "tg_prompt_id"
"""Metadata key that marks a prompt template whose runs the callback handler links."""

DEFAULT_ROLES = ("system",)


@dataclass
class PromptEntry:
    """A marked prompt template and the parameters made for its messages so far.

    ``params`` maps a chat message index (``None`` for a string prompt) to its Variable.

    Example:
        >>> p = PromptTemplate.from_template("Say {x}")
        >>> entry_for(p).prompt is p
        True
    """

    key: str
    ref: weakref.ReferenceType[BasePromptTemplate[Any]]
    params: dict[int | None, Variable] = field(default_factory=dict)

    @property
    def prompt(self) -> BasePromptTemplate[Any] | None:
        """The prompt, or None once it was discarded."""
        return self.ref()


_LOCK = threading.RLock()
_ENTRIES: dict[str, PromptEntry] = {}


def lookup(key: object) -> PromptEntry | None:
    """The live entry registered under a mark, if any.

    Example:
        >>> lookup("no such mark") is None
        True
    """
    if not isinstance(key, str):
        return None
    with _LOCK:
        entry = _ENTRIES.get(key)
    return entry if entry is not None and entry.prompt is not None else None


def _forgetter(key: str) -> Callable[[weakref.ReferenceType[Any]], None]:
    """A weakref callback that drops ``key``'s entry once its prompt is collected."""

    def forget(_ref: weakref.ReferenceType[Any]) -> None:
        with _LOCK:
            _ENTRIES.pop(key, None)

    return forget


def entry_for(prompt: BasePromptTemplate[Any]) -> PromptEntry:
    """The registry entry of ``prompt``, marking the prompt the first time.

    A copy of a marked prompt (same mark, other object) gets a mark of its own.

    Example:
        >>> p = PromptTemplate.from_template("Say {x}")
        >>> entry_for(p) is entry_for(p)
        True
    """
    with _LOCK:
        key = (prompt.metadata or {}).get(MARK_KEY)
        entry = _ENTRIES.get(key) if isinstance(key, str) else None
        if entry is not None and entry.prompt is prompt:
            return entry
        key = uuid.uuid4().hex
        prompt.metadata = {**(prompt.metadata or {}), MARK_KEY: key}
        drop_serialized_cache(prompt)
        entry = PromptEntry(key, weakref.ref(prompt, _forgetter(key)))
        _ENTRIES[key] = entry
        return entry


def _placeholders(template: PromptTemplate) -> str:
    names = set(template.input_variables) | set(template.partial_variables)
    return keep_rule(names, str(template.template_format))


def _new_parameter(prompt: BasePromptTemplate[Any], index: int | None, what: str) -> Variable:
    binding = PromptTemplateBinding(prompt, index)
    target: Any = prompt if index is None else prompt.messages[index].prompt  # type: ignore[attr-defined]
    role = f"{what} of a LangChain prompt ({_placeholders(target)})"
    return Variable(binding.read(), requires_grad=True, role_description=role, binding=binding)


def prompt_templates(runnable: Any) -> list[BasePromptTemplate[Any]]:
    """The live prompt templates of a runnable (``get_prompts()``), each once, in order.

    ``runnable`` may also be a list of runnables and prompts, each searched, or a compiled
    LangGraph graph, whose nodes are searched (:func:`tg_adapters.langgraph.graph_prompts`).

    Example:
        >>> p = PromptTemplate.from_template("Say {x}")
        >>> prompt_templates(p) == [p]
        True
        >>> prompt_templates([p, p]) == [p]
        True
    """
    from tg_adapters.langgraph.nodes import graph_prompts  # that package imports this one

    if isinstance(runnable, BasePromptTemplate):
        return [runnable]
    if isinstance(runnable, (list, tuple)):
        found = [prompt for item in runnable for prompt in prompt_templates(item)]
    elif (in_graph := graph_prompts(runnable)) is not None:
        found = in_graph
    elif hasattr(runnable, "get_prompts"):
        found = runnable.get_prompts()
    else:
        raise UserError(
            f"expected a LangChain runnable with prompt templates, got {type(runnable).__name__}"
        )
    seen: dict[int, BasePromptTemplate[Any]] = {}
    for prompt in found:
        seen.setdefault(id(prompt), prompt)
    return list(seen.values())


def parameters(
    runnable: Any,
    roles: Iterable[str] = DEFAULT_ROLES,
    *,
    string_prompts: bool = True,
) -> list[Variable]:
    """One bound Variable per optimizable message template of ``runnable``'s prompts.

    Calling it again for the same prompts returns the same Variables, and the callback
    handler links recorded runs to them. Setting a Variable's value (an optimizer step)
    rewrites the template in place after checking its variables. Parameters refer to their
    templates weakly: keep a reference to the chain while you optimize it.

    Args:
        runnable: a chain, or a prompt template.
        roles: which chat message templates to optimize (``system``, ``human``, ``ai`` ...).
        string_prompts: also optimize plain string prompt templates (for text LLMs).

    Example:
        >>> chat = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
        >>> [p.value for p in parameters(chat)]
        ['Be {style}.']
    """
    wanted = frozenset(roles)
    found: list[Variable] = []
    for prompt in prompt_templates(runnable):
        with _LOCK:
            entry = entry_for(prompt)
            if isinstance(prompt, ChatPromptTemplate):
                for index, message in enumerate(prompt.messages):
                    role = message_role(message)
                    inner = getattr(message, "prompt", None)
                    if role not in wanted or not isinstance(inner, PromptTemplate):
                        continue
                    if index not in entry.params:
                        entry.params[index] = _new_parameter(prompt, index, f"{role} message")
                    found.append(synced(entry.params[index]))
            elif isinstance(prompt, PromptTemplate) and string_prompts:
                if None not in entry.params:
                    entry.params[None] = _new_parameter(prompt, None, "prompt text")
                found.append(synced(entry.params[None]))
    return found
