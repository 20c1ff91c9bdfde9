"""One ``message_role`` for recorded messages, streamed chunks and message templates."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, ChatMessage, HumanMessage, SystemMessage
from langchain_core.prompts.chat import (
    AIMessagePromptTemplate,
    ChatMessagePromptTemplate,
    HumanMessagePromptTemplate,
    SystemMessagePromptTemplate,
)

from tg_adapters.langchain import params, values


@pytest.mark.parametrize(
    ("message", "role"),
    [
        (SystemMessage(content="s"), "system"),
        (HumanMessage(content="h"), "human"),
        (AIMessageChunk(content="a"), "ai"),
        (ChatMessage(role="critic", content="c"), "chat"),
        (SystemMessagePromptTemplate.from_template("s"), "system"),
        (HumanMessagePromptTemplate.from_template("{q}"), "human"),
        (AIMessagePromptTemplate.from_template("a"), "ai"),
        (ChatMessagePromptTemplate.from_template("c", role="critic"), "critic"),
        ("plain text", None),
    ],
)
def test_message_role(message: Any, role: str | None) -> None:
    assert values.message_role(message) == role


def test_the_parameters_use_the_same_function() -> None:
    assert params.message_role is values.message_role
