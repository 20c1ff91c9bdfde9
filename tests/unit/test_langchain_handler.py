"""The callback handler records sync, async, batch and streamed runs as the same graphs."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from test_langchain_fakes import EchoChatModel, graph_signature

import tg_core as tg
from tg_adapters.langchain import RunNotRecordedError, TextGradCallbackHandler, parameters
from tg_core.engine.fake import FakeEngine
from tg_core.graph import topological_order


def two_step_chain(model: Any) -> tuple[Runnable[Any, Any], ChatPromptTemplate, ChatPromptTemplate]:
    solve = ChatPromptTemplate.from_messages([("system", "Solve: be {style}."), ("human", "{q}")])
    check = ChatPromptTemplate.from_messages(
        [("system", "Check the draft."), ("human", "Draft: {draft}")]
    )
    as_draft: RunnableLambda[str, dict[str, str]] = RunnableLambda(lambda text: {"draft": text})
    chain = solve | model | StrOutputParser() | as_draft | check | model | StrOutputParser()
    return chain, solve, check


def test_generic_fake_model_run_links_the_bound_template() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    chain = prompt | GenericFakeChatModel(messages=iter([AIMessage(content="four")]))
    [param] = parameters(chain)
    handler = TextGradCallbackHandler()
    chain.invoke({"style": "brief", "q": "2+2?"}, config={"callbacks": [handler]})
    out = handler.output()
    assert out.value == "four"
    system_message = next(p for p in out.predecessors if p.value == "Be brief.")
    assert system_message.predecessors == [param]
    human = next(p for p in out.predecessors if p.value == "2+2?")
    assert not human.requires_grad  # nothing optimizable behind the user's question


def config(handler: TextGradCallbackHandler) -> RunnableConfig:
    return {"callbacks": [handler]}


def test_sync_async_batch_and_stream_graphs_match() -> None:
    chain, _, _ = two_step_chain(EchoChatModel())
    parameters(chain)
    inputs = [{"style": "brief", "q": "alpha?"}, {"style": "exact", "q": "beta?"}]

    def signature_of(run: Any) -> list[Any]:
        handler = TextGradCallbackHandler()
        run(handler)
        return [graph_signature(v) for v in handler.outputs()]

    sync = [s for x in inputs for s in signature_of(lambda h, x=x: chain.invoke(x, config(h)))]
    asyn = [
        s
        for x in inputs
        for s in signature_of(lambda h, x=x: asyncio.run(chain.ainvoke(x, config(h))))
    ]
    batch = signature_of(lambda h: chain.batch(inputs, config(h)))
    abatch = signature_of(lambda h: asyncio.run(chain.abatch(inputs, config(h))))
    stream = [
        s for x in inputs for s in signature_of(lambda h, x=x: list(chain.stream(x, config(h))))
    ]

    async def consume(h: TextGradCallbackHandler, x: dict[str, str]) -> None:
        async for _ in chain.astream(x, config(h)):
            pass

    astream = [s for x in inputs for s in signature_of(lambda h, x=x: asyncio.run(consume(h, x)))]
    assert len(sync) == 2 and sync[0] != sync[1]
    assert asyn == sync
    assert batch == sync
    assert abatch == sync
    assert stream == sync
    assert astream == sync
    roles = [row[0] for row in sync[0]]
    assert sum("response of the model" in r for r in roles) == 2
    assert sum("system message of a LangChain prompt" in r for r in roles) == 2


def test_gradients_reach_both_prompts_of_a_two_step_chain() -> None:
    chain, solve, check = two_step_chain(EchoChatModel())
    params = parameters(chain)
    assert params == parameters(solve) + parameters(check)
    assert [p.value for p in params] == ["Solve: be {style}.", "Check the draft."]
    handler = TextGradCallbackHandler()
    result = chain.invoke({"style": "brief", "q": "2+2?"}, config={"callbacks": [handler]})
    assert result == "<Check the draft.> Draft: <Solve: be brief.> 2+2?"
    engine = FakeEngine(lambda call: f"feedback #{len(call.text)}")
    loss = tg.TextLoss("Is the final answer 4?", engine=engine)(handler.output())
    loss.backward(engine=engine)
    for param in params:
        assert param.gradients, param.value
    # the first prompt's feedback came through the second model call and the first one
    conversations = [ctx["conversation"] for ctx in params[0].gradients_context.values() if ctx]
    assert any("Solve: be brief." in c for c in conversations)


def test_concurrent_abatch_runs_do_not_mix_graphs() -> None:
    delays = {"alpha": 0.03, "beta": 0.0, "gamma": 0.015}

    def delay(messages: list[Any]) -> float:
        text = " ".join(str(m.content) for m in messages)
        return next((d for word, d in delays.items() if word in text), 0.0)

    chain, _, _ = two_step_chain(EchoChatModel(delay=delay))
    parameters(chain)
    handler = TextGradCallbackHandler()
    words = list(delays)
    inputs = [{"style": "brief", "q": w} for w in words]
    run_ids = [uuid4() for _ in words]
    configs: list[Any] = [{"callbacks": [handler], "run_id": r} for r in run_ids]
    asyncio.run(chain.abatch(inputs, configs))
    assert len(handler.runs) == 3
    for word, run_id in zip(words, run_ids):
        values = " ".join(str(v.value) for v in topological_order(handler.output(run_id)))
        assert word in values
        assert not any(other in values for other in words if other != word)


def test_threads_share_one_handler() -> None:
    chain, _, _ = two_step_chain(EchoChatModel())
    parameters(chain)
    handler = TextGradCallbackHandler()
    inputs = [{"style": "brief", "q": f"question {i}"} for i in range(8)]
    chain.batch(inputs, {"callbacks": [handler], "max_concurrency": 8})
    outs = handler.outputs()
    assert len(outs) == 8
    assert sorted(str(o.value) for o in outs) == sorted(chain.batch(inputs))


def test_unbound_prompts_still_collect_feedback_on_system_messages() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    chain = prompt | EchoChatModel()
    handler = TextGradCallbackHandler()
    chain.invoke({"style": "brief", "q": "hi"}, config={"callbacks": [handler]})
    out = handler.output()
    system = next(p for p in out.predecessors if p.value == "Be brief.")
    assert system.requires_grad and not system.predecessors
    tg.TextLoss("Judge", engine=FakeEngine())(out).backward(engine=FakeEngine())
    assert system.gradients


def test_handler_tolerates_serialized_none_and_reports_missing_runs() -> None:
    handler = TextGradCallbackHandler()
    with pytest.raises(RunNotRecordedError):
        handler.output()
    root, model = uuid4(), uuid4()
    handler.on_chain_start(None, {"q": "hi"}, run_id=root)
    handler.on_chat_model_start(None, [[HumanMessage("hi")]], run_id=model, parent_run_id=root)
    reply = ChatGeneration(message=AIMessage(content="hello"))
    handler.on_llm_end(LLMResult(generations=[[reply]]), run_id=model, parent_run_id=root)
    handler.on_chain_end("hello", run_id=root)
    assert handler.output(root).value == "hello"
    assert handler.run(root).name == "chain"
    with pytest.raises(RunNotRecordedError):
        handler.output(uuid4())


def test_failed_runs_are_recorded_without_a_variable() -> None:
    def boom(_: Any) -> str:
        raise RuntimeError("boom")

    handler = TextGradCallbackHandler()
    with pytest.raises(RuntimeError):
        RunnableLambda(boom).invoke("x", config={"callbacks": [handler]})
    assert isinstance(handler.run().error, RuntimeError)
    with pytest.raises(RunNotRecordedError, match="boom"):
        handler.output()
    assert handler.errors == []


def test_no_grad_runs_record_no_graph() -> None:
    chain, _, _ = two_step_chain(EchoChatModel())
    parameters(chain)
    handler = TextGradCallbackHandler()
    with tg.no_grad():
        chain.invoke({"style": "brief", "q": "hi"}, config={"callbacks": [handler]})
    out = handler.output()
    assert not out.requires_grad and not out.predecessors


def test_string_prompt_and_text_llm_link_the_prompt_parameter() -> None:
    from langchain_core.language_models.fake import FakeListLLM
    from langchain_core.prompts import PromptTemplate

    prompt = PromptTemplate.from_template("Question: {q}\nAnswer:")
    chain = prompt | FakeListLLM(responses=["4"]) | StrOutputParser()
    [param] = parameters(chain)
    handler = TextGradCallbackHandler()
    chain.invoke({"q": "2+2?"}, config={"callbacks": [handler]})
    out = handler.output()
    formatted = next(v for v in topological_order(out) if v.value == "Question: 2+2?\nAnswer:")
    assert formatted.predecessors == [param]
    engine = FakeEngine(lambda call: "Ask for a number.")
    tg.TextLoss("Is it 4?", engine=engine)(out).backward(engine=engine)
    assert param.get_gradient_text() == "Ask for a number."


def test_parallel_branches_and_assign_keep_their_inputs() -> None:
    from langchain_core.runnables import RunnablePassthrough

    solve = ChatPromptTemplate.from_messages([("system", "Solve."), ("human", "{q}")])
    check = ChatPromptTemplate.from_messages(
        [("system", "Check."), ("human", "Q: {q} Draft: {draft}")]
    )
    model = EchoChatModel()
    chain: Any = (
        RunnablePassthrough.assign(draft=solve | model | StrOutputParser())
        | check
        | model
        | StrOutputParser()
    )
    solve_param, check_param = parameters(chain)
    handler = TextGradCallbackHandler()
    chain.invoke({"q": "2+2?"}, config={"callbacks": [handler]})
    nodes = topological_order(handler.output())
    assert solve_param in nodes and check_param in nodes
    human = next(v for v in nodes if str(v.value).startswith("Q: 2+2? Draft:"))
    assert human.requires_grad  # the draft came from the first model call
