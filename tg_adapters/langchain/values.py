"""How recorded LangChain values are shown as text and recognised again further down a run."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, overload

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import ChatPromptValue, PromptValue
from langchain_core.prompts.chat import (
    AIMessagePromptTemplate,
    ChatMessagePromptTemplate,
    HumanMessagePromptTemplate,
    SystemMessagePromptTemplate,
)

Key = tuple[Hashable, ...]


@overload
def message_role(message: BaseMessage) -> str: ...


@overload
def message_role(message: Any) -> str | None: ...


def message_role(message: Any) -> str | None:
    """The role of a chat message or message template: ``system``, ``human``, ``ai`` or custom.

    A streamed chunk has the role of its message; anything else is None.

    Example:
        >>> from langchain_core.messages import AIMessageChunk
        >>> message_role(AIMessageChunk(content="hi"))
        'ai'
        >>> message_role(SystemMessagePromptTemplate.from_template("Be brief."))
        'system'
    """
    if isinstance(message, BaseMessage):
        kind = str(message.type)
        if kind.endswith("MessageChunk"):
            kind = kind[: -len("MessageChunk")].lower()
        return kind
    if isinstance(message, SystemMessagePromptTemplate):
        return "system"
    if isinstance(message, HumanMessagePromptTemplate):
        return "human"
    if isinstance(message, AIMessagePromptTemplate):
        return "ai"
    if isinstance(message, ChatMessagePromptTemplate):
        return str(message.role)
    return None


def message_text(message: BaseMessage) -> str:
    """The text of a message (text blocks of a list content joined).

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> message_text(HumanMessage(content=[{"type": "text", "text": "hi"}]))
        'hi'
    """
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def text_of(value: Any) -> str:
    """A recorded value as text, for a graph node.

    Example:
        >>> text_of({"question": "2+2?", "answer": "4"})
        'question: 2+2?\\nanswer: 4'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, BaseMessage):
        return message_text(value)
    if isinstance(value, ChatPromptValue):
        return "\n\n".join(f"{message_role(m)}: {message_text(m)}" for m in value.messages)
    if isinstance(value, PromptValue):
        return value.to_string()
    if isinstance(value, Document):
        return value.page_content
    if isinstance(value, dict):
        return "\n".join(f"{k}: {text_of(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(text_of(v) for v in value)
    return str(value)


def _is_atom(value: Any) -> bool:
    return isinstance(value, (str, BaseMessage, Document))


def pieces(value: Any) -> list[tuple[str | None, Any]]:
    """The parts of a value that may have come from earlier steps, with their input key.

    Dicts give their values, prompt values their messages, lists their items.

    Example:
        >>> pieces({"q": "hi", "n": 2})
        [('q', 'hi'), ('n', 2)]
    """
    if isinstance(value, ChatPromptValue):
        return [(None, m) for m in value.messages]
    if isinstance(value, PromptValue):
        return [(None, value.to_string())]
    if isinstance(value, dict):
        found: list[tuple[str | None, Any]] = []
        for key, item in value.items():
            found.extend((str(key), part) for _, part in pieces(item))
        return found
    if isinstance(value, (list, tuple)) and value and all(_is_atom(v) for v in value):
        return [(None, v) for v in value]
    return [(None, value)]


def keys_of(piece: Any) -> list[Key]:
    """Lookup keys of one piece, most specific first.

    Example:
        >>> keys_of("hi")
        [('text', 'hi')]
    """
    if isinstance(piece, BaseMessage):
        text = message_text(piece)
        keys: list[Key] = [("msg", message_role(piece), repr(piece.content))]
        return [*keys, ("text", text)] if text.strip() else keys
    if isinstance(piece, (str, Document)):
        text = piece if isinstance(piece, str) else piece.page_content
        return [("text", text)] if text.strip() else []
    if isinstance(piece, (int, float, bool)) or piece is None:
        return []  # too common to identify where a value came from
    try:
        return [("repr", type(piece).__name__, repr(piece))]
    except Exception:
        return []
