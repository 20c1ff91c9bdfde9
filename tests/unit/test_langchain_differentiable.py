"""differentiable(chain): outputs carry Variables that backpropagate to the templates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from test_langchain_fakes import EchoChatModel

import tg_core as tg
from tg_adapters.langchain import Traced, TracedStr, differentiable, parameters, variable_of
from tg_core.engine.fake import FakeEngine
from tg_core.errors import UserError


def make_chain() -> tuple[Any, ChatPromptTemplate]:
    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    return prompt | EchoChatModel() | StrOutputParser(), prompt


def test_invoke_output_backpropagates_to_the_template() -> None:
    chain, _ = make_chain()
    wrapped = differentiable(chain)
    out = wrapped.invoke({"style": "brief", "q": "2+2?"})
    assert isinstance(out, TracedStr) and out == "<Be brief.> 2+2?"
    engine = FakeEngine(lambda call: "Say the number only.")
    tg.TextLoss("Is it 4?", engine=engine)(out.variable).backward(engine=engine)
    [param] = wrapped.parameters()
    assert param.get_gradient_text() == "Say the number only."
    assert param is parameters(chain)[0]


def test_async_and_batch_outputs_each_carry_their_own_graph() -> None:
    chain, _ = make_chain()
    wrapped = differentiable(chain)
    inputs = [{"style": "brief", "q": "one"}, {"style": "exact", "q": "two"}]
    for outs in (
        wrapped.batch(inputs),
        asyncio.run(wrapped.abatch(inputs)),
        [asyncio.run(wrapped.ainvoke(x)) for x in inputs],
    ):
        assert [str(o) for o in outs] == ["<Be brief.> one", "<Be exact.> two"]
        for o in outs:
            assert o.variable.value == str(o)
            assert variable_of(o) is o.variable


def test_batch_keeps_exceptions_when_asked() -> None:
    def fail_on_two(text: str) -> str:
        if "two" in text:
            raise ValueError("no two")
        return text

    chain, _ = make_chain()
    wrapped = differentiable(chain | RunnableLambda(fail_on_two))
    outs = wrapped.batch(
        [{"style": "a", "q": "one"}, {"style": "a", "q": "two"}], return_exceptions=True
    )
    assert isinstance(outs[0], TracedStr) and isinstance(outs[1], ValueError)


def test_non_text_outputs_are_traced() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    chain = prompt | GenericFakeChatModel(messages=iter([AIMessage(content="4")]))
    out = differentiable(chain).invoke({"q": "2+2?"})
    assert isinstance(out, Traced) and isinstance(out.value, AIMessage)
    assert out.variable.value == "4"
    assert out.variable.predecessors  # linked to the formatted messages


def test_variable_of_rejects_plain_values() -> None:
    with pytest.raises(UserError):
        variable_of("plain text")


def test_the_wrapper_exposes_the_chain_prompts() -> None:
    chain, prompt = make_chain()
    assert differentiable(chain).get_prompts() == [prompt]
