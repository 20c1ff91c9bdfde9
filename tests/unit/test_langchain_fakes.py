"""Fake chat models whose answers depend on their input, shared by the LangChain tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from tg_core import Variable
from tg_core.graph import topological_order


def echo_answer(messages: list[BaseMessage]) -> str:
    """``<system text> other text``: shows exactly what the model was sent."""
    system = " ".join(str(m.content) for m in messages if m.type == "system")
    rest = " | ".join(str(m.content) for m in messages if m.type != "system")
    return f"<{system}> {rest}"


class EchoChatModel(BaseChatModel):
    """A chat model whose answer is a function of its messages; async calls may wait.

    ``answer`` maps the messages to the reply; ``delay`` maps them to seconds of async sleep
    (so concurrent runs interleave). Streaming yields the reply word by word. Replies carry
    ``usage_metadata`` counting words.
    """

    answer: Callable[[list[BaseMessage]], str] = echo_answer
    delay: Callable[[list[BaseMessage]], float] = lambda _messages: 0.0

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _message(self, messages: list[BaseMessage]) -> AIMessage:
        text = self.answer(messages)
        words_in = sum(len(str(m.content).split()) for m in messages)
        usage = {
            "input_tokens": words_in,
            "output_tokens": len(text.split()),
            "total_tokens": words_in + len(text.split()),
        }
        return AIMessage(content=text, usage_metadata=usage)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._message(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        await asyncio.sleep(self.delay(messages))
        return self._generate(messages, stop, None, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        words = self.answer(messages).split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop, None, **kwargs):
            await asyncio.sleep(0)
            yield chunk


def graph_signature(root: Variable) -> list[tuple[str, str, bool, tuple[int, ...]]]:
    """The graph behind ``root`` as plain data: (role, value, requires_grad, predecessor
    positions) per node in topological order; equal graphs give equal signatures."""
    order = topological_order(root)
    position = {id(v): i for i, v in enumerate(order)}
    return [
        (
            v.get_role_description(),
            str(v.value),
            v.requires_grad,
            tuple(position[id(p)] for p in v.predecessors),
        )
        for v in order
    ]


def test_echo_model_answers_from_its_input() -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    model = EchoChatModel()
    reply = model.invoke([SystemMessage("Be brief."), HumanMessage("2+2?")])
    assert reply.content == "<Be brief.> 2+2?"
    streamed = "".join(str(c.content) for c in model.stream([HumanMessage("a b c")]))
    assert streamed == "<> a b c"


def test_graph_signature_is_structural() -> None:
    a = Variable("a", role_description="x")
    b = Variable("b", role_description="y", predecessors=[a])
    assert graph_signature(b) == [("x", "a", True, ()), ("y", "b", True, (0,))]
