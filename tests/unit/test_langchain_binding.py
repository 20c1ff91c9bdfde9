"""Bound template parameters: found with get_prompts, rewritten in place only when valid."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import pytest
from langchain_core.load import dumps, loads
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.prompts.chat import SystemMessagePromptTemplate
from test_langchain_fakes import EchoChatModel

import tg_core as tg
from tg_adapters.langchain import (
    PromptTemplateBinding,
    TemplateRejected,
    TemplateVariablesChanged,
    parameters,
)
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.errors import BindingRejected

TemplateFormat = Literal["f-string", "mustache", "jinja2"]


def chat(system: str, fmt: TemplateFormat = "f-string") -> ChatPromptTemplate:
    human = "{q}" if fmt == "f-string" else "{{q}}"
    return ChatPromptTemplate.from_messages(
        [("system", system), ("human", human)], template_format=fmt
    )


def test_parameters_are_stable_and_follow_roles() -> None:
    prompt = chat("Be {style}.")
    chain = prompt | EchoChatModel() | StrOutputParser()
    first = parameters(chain)
    assert [p.value for p in first] == ["Be {style}."]
    assert parameters(chain) == first
    both = parameters(chain, roles=("system", "human"))
    assert [p.value for p in both] == ["Be {style}.", "{q}"]
    assert both[0] is first[0]
    assert "{style}" in first[0].get_role_description()


def test_rewrite_in_place_then_the_same_chain_runs_with_it() -> None:
    prompt = chat("Be {style}.")
    chain = prompt | EchoChatModel() | StrOutputParser()
    _ = prompt._serialized  # cached by the first run
    [param] = parameters(chain)
    param.set_value("Always be {style} and kind.")
    assert prompt.messages[0].prompt.template == "Always be {style} and kind."  # type: ignore[union-attr]
    assert "_serialized" not in prompt.__dict__
    assert chain.invoke({"style": "brief", "q": "hi"}) == "<Always be brief and kind.> hi"


@pytest.mark.parametrize(
    "bad",
    [
        "Be brief.",
        "Be {style} for {audience}.",
        'Be {style}. Reply as {"a": 1}',
        "   ",
        "Be {style",
    ],
)
def test_a_rewrite_that_drops_or_invents_a_variable_is_refused(bad: str) -> None:
    prompt = chat("Be {style}.")
    [param] = parameters(prompt)
    with pytest.raises(BindingRejected):
        param.set_value(bad)
    assert param.value == "Be {style}."
    assert prompt.messages[0].prompt.template == "Be {style}."  # type: ignore[union-attr]
    assert prompt.format_messages(style="brief", q="x")[0].content == "Be brief."


def test_refusal_names_the_variables() -> None:
    prompt = chat("Be {style}.")
    [param] = parameters(prompt)
    with pytest.raises(TemplateVariablesChanged) as info:
        param.set_value("Be {tone}.")
    assert info.value.missing == {"style"} and info.value.extra == {"tone"}
    assert "{{ and }}" in str(info.value)


def test_tgd_keeps_the_template_when_every_proposal_is_refused() -> None:
    prompt = chat("Be {style}.")
    [param] = parameters(prompt)
    param.add_gradient(tg.Variable("Mention units.", role_description="feedback"))
    engine = FakeEngine(
        lambda call: (
            "<IMPROVED_VARIABLE>Be precise.</IMPROVED_VARIABLE>"
            if "<IMPROVED_VARIABLE>" in call.text
            else "critique"
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = tg.TGD([param], engine=engine).step()
    assert report.updates[0].status == "rejected"
    assert prompt.messages[0].prompt.template == "Be {style}."  # type: ignore[union-attr]
    assert len(engine.calls) == 2  # the proposal and one repair, told why it was refused
    assert "{style}" in engine.calls[1].text


def test_literal_braces_survive_a_rewrite() -> None:
    prompt = chat('Reply as JSON like {{"answer": 3}}. Be {style}.')
    [param] = parameters(prompt)
    assert param.value == 'Reply as JSON like {{"answer": 3}}. Be {style}.'

    def propose(call: FakeCall) -> str:
        return '<IMPROVED_VARIABLE>Be {style}. Reply only as JSON like {{"answer": 3}}.</IMPROVED_VARIABLE>'

    param.add_gradient(tg.Variable("Say JSON first.", role_description="feedback"))
    tg.TGD([param], engine=FakeEngine(propose)).step()
    message = prompt.format_messages(style="brief", q="x")[0]
    assert message.content == 'Be brief. Reply only as JSON like {"answer": 3}.'
    with pytest.raises(BindingRejected):
        param.set_value('Be {style}. Reply as {"answer": 3}.')  # a single brace is a variable


@pytest.mark.parametrize(
    ("fmt", "old", "new", "bad"),
    [
        ("mustache", "Be {{style}}.", "Always be {{style}}.", "Always be {{tone}}."),
        ("jinja2", "Be {{ style }}.", "Always be {{ style }}.", "Always be brief."),
    ],
)
def test_mustache_and_jinja2_templates(fmt: TemplateFormat, old: str, new: str, bad: str) -> None:
    prompt = chat(old, fmt)
    [param] = parameters(prompt)
    with pytest.raises(BindingRejected):
        param.set_value(bad)
    param.set_value(new)
    assert prompt.format_messages(style="brief", q="x")[0].content == "Always be brief."
    assert prompt.messages[0].prompt.template_format == fmt  # type: ignore[union-attr]


def test_partial_variables_must_be_kept() -> None:
    inner = PromptTemplate(
        template="Today is {day}. Be {style}.",
        input_variables=["style"],
        partial_variables={"day": "Monday"},
    )
    prompt = ChatPromptTemplate.from_messages(
        [SystemMessagePromptTemplate(prompt=inner), ("human", "{q}")]
    )
    [param] = parameters(prompt)
    with pytest.raises(TemplateVariablesChanged):
        param.set_value("Be {style}.")
    param.set_value("It is {day}; be {style}.")
    assert prompt.format_messages(style="brief", q="x")[0].content == "It is Monday; be brief."
    assert prompt.messages[0].prompt.partial_variables == {"day": "Monday"}  # type: ignore[union-attr]


def test_string_prompt_is_rewritten_in_place() -> None:
    prompt = PromptTemplate.from_template("Question: {q}\nAnswer briefly.")
    [param] = parameters(prompt)
    param.set_value("Question: {q}\nThink, then answer briefly.")
    assert prompt.format(q="2+2?") == "Question: 2+2?\nThink, then answer briefly."


def test_dumps_loads_round_trip_after_a_rewrite() -> None:
    prompt = chat('Be {style}. Use {{"json": true}}.')
    [param] = parameters(prompt)
    param.set_value('Be {style}, always. Use {{"json": true}}.')
    loaded: Any = loads(dumps(prompt), allowed_objects="core")
    assert loaded.invoke({"style": "b", "q": "x"}) == prompt.invoke({"style": "b", "q": "x"})
    assert loaded.messages[0].prompt.template == 'Be {style}, always. Use {{"json": true}}.'


def test_dumps_loads_round_trip_with_a_chat_model() -> None:
    from langchain_openai import ChatOpenAI

    prompt = chat("Be {style}.")
    model = ChatOpenAI(base_url="http://127.0.0.1:9/v1", api_key="EMPTY", model="m")  # type: ignore[arg-type]
    chain = prompt | model | StrOutputParser()
    [param] = parameters(chain)
    param.set_value("Be very {style}.")
    loaded: Any = loads(dumps(chain), allowed_objects="all", secrets_map={"OPENAI_API_KEY": "x"})
    assert loaded.first.messages[0].prompt.template == "Be very {style}."


def test_a_parameter_of_a_discarded_prompt_refuses_writes() -> None:
    [param] = parameters(chat("Be {style}."))  # nothing keeps the prompt alive
    with pytest.raises(TemplateRejected, match="keep a reference"):
        param.set_value("Be {style}!")


def test_a_copied_prompt_gets_its_own_parameters() -> None:
    prompt = chat("Be {style}.")
    [param] = parameters(prompt)
    copy = prompt.model_copy(deep=True)
    [other] = parameters(copy)
    assert other is not param
    other.set_value("Copy: {style}.")
    assert prompt.messages[0].prompt.template == "Be {style}."  # type: ignore[union-attr]


def test_binding_rejects_non_text_messages() -> None:
    prompt = ChatPromptTemplate.from_messages([("human", [{"type": "text", "text": "{q}"}])])
    assert parameters(prompt, roles=("human",)) == []
    with pytest.raises(TemplateRejected):
        PromptTemplateBinding(prompt, 0)
