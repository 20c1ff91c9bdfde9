"""LangGraph: prompts found in a compiled graph's nodes, recorded runs, optimize in place."""

from __future__ import annotations

import asyncio
import operator
import subprocess
import sys
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

import pytest

pytest.importorskip("langgraph")

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableParallel
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode, create_react_agent, tools_condition
from test_langchain_fakes import EchoChatModel

from tg_adapters.langchain import (
    NoPromptTemplatesError,
    TextGradCallbackHandler,
    feedback_loss,
    parameters,
)
from tg_adapters.langgraph import graph_prompts, optimize
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.errors import ProposalRejectedWarning
from tg_core.graph import topological_order

DRAFT = "Draft an answer in {style} style."
CHECK = "Check the draft and answer in {style} style."


class State(TypedDict, total=False):
    question: str
    style: str
    draft: str
    answer: str


def two_node_graph(model: EchoChatModel) -> tuple[Any, ChatPromptTemplate, ChatPromptTemplate]:
    """``draft`` is a plain function closing over a chain; ``check`` is a runnable node."""
    draft_prompt = ChatPromptTemplate.from_messages([("system", DRAFT), ("human", "{question}")])
    check_prompt = ChatPromptTemplate.from_messages(
        [("system", CHECK), ("human", "{question} Draft: {draft}")]
    )
    drafter = draft_prompt | model | StrOutputParser()
    checker = check_prompt | model | StrOutputParser()

    def draft(state: State) -> dict[str, str]:
        return {"draft": drafter.invoke(dict(state))}

    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("check", RunnableParallel(answer=checker))
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "check")
    graph.add_edge("check", END)
    return graph.compile(), draft_prompt, check_prompt


def system_text(prompt: ChatPromptTemplate) -> str:
    return str(prompt.messages[0].prompt.template)  # type: ignore[union-attr]


def rewrite(call: FakeCall) -> str:
    """New values that keep ``{style}``; a critique for every other request."""
    if "<IMPROVED_VARIABLE>" not in call.text:
        return "Name the count explicitly."
    new = "Check twice, in {style} style." if "Check the draft" in call.text else None
    new = new or "Draft step by step, in {style} style."
    return f"<IMPROVED_VARIABLE>{new}</IMPROVED_VARIABLE>"


TRAIN = [{"question": f"How many in {i}?", "style": "plain"} for i in range(2)]


def test_parameters_of_a_compiled_graph_reach_function_and_runnable_nodes() -> None:
    app, draft_prompt, check_prompt = two_node_graph(EchoChatModel())
    assert graph_prompts(app) == [draft_prompt, check_prompt]
    assert [p.value for p in parameters(app)] == [DRAFT, CHECK]
    assert graph_prompts(draft_prompt) is None


def test_optimize_rewrites_both_node_prompts_in_place_keeping_variables() -> None:
    app, draft_prompt, check_prompt = two_node_graph(EchoChatModel())
    engine = FakeEngine(rewrite)

    def metric(example: dict[str, str], state: dict[str, str]) -> dict[str, Any]:
        return {"score": 0.0, "feedback": f"Wrong: {state['answer']}"}

    result = optimize(
        app, TRAIN, metric, engine=engine, steps=1, batch_size=2, validate=False, search=False
    )
    assert result.chain is app and result.history[0].accepted
    assert system_text(draft_prompt) == "Draft step by step, in {style} style."
    assert system_text(check_prompt) == "Check twice, in {style} style."
    state = app.invoke({"question": "Q?", "style": "terse"})
    assert state["draft"] == "<Draft step by step, in terse style.> Q?"
    assert state["answer"].startswith("<Check twice, in terse style.> Q? Draft: <Draft step")


def test_a_rewrite_that_drops_a_variable_leaves_that_prompt_as_it_was() -> None:
    app, draft_prompt, check_prompt = two_node_graph(EchoChatModel())

    def lossy(call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text and "Check the draft" in call.text:
            return "<IMPROVED_VARIABLE>Check twice.</IMPROVED_VARIABLE>"  # {style} lost
        return rewrite(call)

    with pytest.warns(ProposalRejectedWarning, match=r"lost the placeholder\(s\) \{style\}"):
        optimize(
            app,
            TRAIN,
            lambda ex, out: 0.0,
            engine=FakeEngine(lossy),
            steps=1,
            validate=False,
            search=False,
        )
    assert system_text(check_prompt) == CHECK
    assert system_text(draft_prompt) == "Draft step by step, in {style} style."


def test_concurrent_abatch_runs_are_recorded_apart() -> None:
    def delay(messages: list[BaseMessage]) -> float:
        return 0.02 if "first" in str(messages[-1].content) else 0.0  # the runs interleave

    app, _, _ = two_node_graph(EchoChatModel(delay=delay))
    handler = TextGradCallbackHandler(app)
    inputs = [{"question": f"{name} question?", "style": "plain"} for name in ("first", "second")]
    states = asyncio.run(app.abatch(inputs, config={"callbacks": [handler]}))
    assert [s["question"] for s in states] == ["first question?", "second question?"]
    params = parameters(app)
    for own, other, variable in zip(("first", "second"), ("second", "first"), handler.outputs()):
        values = [str(v.value) for v in topological_order(variable)]
        assert any(own in v for v in values) and not any(other in v for v in values)
        reached = {id(v) for v in topological_order(variable)}
        assert all(id(p) in reached for p in params)


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class ToolCallingEcho(EchoChatModel):
    """Calls ``add`` until a tool result is in the conversation, then echoes its system text."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ToolCallingEcho:  # type: ignore[override]
        return self

    def _message(self, messages: list[BaseMessage]) -> AIMessage:
        results = [str(m.content) for m in messages if m.type == "tool"]
        if not results:
            return AIMessage(
                content="", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "c1"}]
            )
        system = " ".join(str(m.content) for m in messages if m.type == "system")
        return AIMessage(content=f"<{system}> the sum is {results[-1]}")


class Chat(TypedDict):
    messages: Annotated[list[AnyMessage], operator.add]


AGENT = "Use the tools to {goal}."


def agent_prompt() -> ChatPromptTemplate:
    """The agent's system message (``{goal}`` filled by a partial) and the conversation."""
    messages = [("system", AGENT), MessagesPlaceholder("messages")]
    return ChatPromptTemplate.from_messages(messages).partial(goal="add")


def tool_loop(prompt: ChatPromptTemplate) -> Any:
    """A hand-written agent loop: the model node calls tools until it answers."""
    agent = prompt | ToolCallingEcho().bind_tools([add])

    def call_model(state: Chat) -> dict[str, list[AnyMessage]]:
        return {"messages": [agent.invoke(state)]}

    graph = StateGraph(Chat)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile()


def ask(question: str) -> dict[str, list[AnyMessage]]:
    return {"messages": [HumanMessage(question)]}


def spell(call: FakeCall) -> str:
    if "<IMPROVED_VARIABLE>" in call.text:
        return "<IMPROVED_VARIABLE>Use the tools to {goal}, then spell it.</IMPROVED_VARIABLE>"
    return "Spell the sum."


def test_a_tool_calling_loop_sends_feedback_to_its_system_prompt() -> None:
    prompt = agent_prompt()
    app = tool_loop(prompt)
    (param,) = parameters(app)
    handler = TextGradCallbackHandler(app)
    state = app.invoke(ask("2+3?"), config={"callbacks": [handler]})
    assert state["messages"][-1].content == "<Use the tools to add.> the sum is 5"
    assert [m.type for m in state["messages"]] == ["human", "ai", "tool", "ai"]
    feedback_loss(handler.output(), "Say the sum as a word.").backward(engine=FakeEngine(spell))
    assert param.value == AGENT and "Spell the sum." in param.get_gradient_text()

    optimize(
        app,
        [ask("2+3?")],
        lambda ex, out: 0.0,
        engine=FakeEngine(spell),
        steps=1,
        validate=False,
        search=False,
    )
    assert system_text(prompt) == "Use the tools to {goal}, then spell it."
    final = app.invoke(ask("2+3?"))["messages"][-1].content
    assert final == "<Use the tools to add, then spell it.> the sum is 5"


@pytest.mark.parametrize("form", ["template", "function formatting a template"])
def test_a_react_agent_template_prompt_is_a_bound_parameter(form: str) -> None:
    prompt = agent_prompt()
    given: Any = prompt if form == "template" else (lambda state: prompt.invoke(state))
    agent = create_react_agent(ToolCallingEcho(), [add], prompt=given)
    assert [p.value for p in parameters(agent)] == [AGENT]

    def metric(example: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        return {"score": 0.0, "feedback": "Say the sum as a word."}

    optimize(
        agent,
        [ask("2+3?")],
        metric,
        engine=FakeEngine(spell),
        steps=1,
        validate=False,
        search=False,
    )
    assert system_text(prompt) == "Use the tools to {goal}, then spell it."
    final = agent.invoke(ask("2+3?"))["messages"][-1].content
    assert final == "<Use the tools to add, then spell it.> the sum is 5"


def test_a_string_system_prompt_is_not_a_parameter() -> None:
    agent = create_react_agent(ToolCallingEcho(), [add], prompt="Use the tools.")
    assert parameters(agent) == []
    with pytest.raises(NoPromptTemplatesError, match="parameters="):
        optimize(agent, [ask("2+3?")], lambda ex, out: 0.0, engine=FakeEngine(), steps=1)


def test_parameters_names_the_chains_a_node_reaches_indirectly() -> None:
    chains: dict[str, Any] = {}
    check_prompt = ChatPromptTemplate.from_messages([("system", CHECK), ("human", "{question}")])
    chains["check"] = check_prompt | EchoChatModel() | StrOutputParser()

    def check(state: State) -> dict[str, str]:
        return {"answer": chains["check"].invoke(dict(state))}  # not found by name

    app = StateGraph(State).add_node(check).set_entry_point("check").compile()
    assert parameters(app) == []
    result = optimize(
        app,
        TRAIN,
        lambda ex, out: 0.0,
        engine=FakeEngine(rewrite),
        steps=1,
        validate=False,
        parameters=[chains["check"]],
        search=False,
    )
    assert result.history[0].accepted
    assert system_text(check_prompt) == "Check twice, in {style} style."


def test_the_adapters_work_without_langgraph() -> None:
    code = (
        "import sys; sys.modules['langgraph'] = None\n"
        "import tg_adapters.langgraph\n"
        "from langchain_core.prompts import ChatPromptTemplate\n"
        "from tg_adapters.langchain import parameters\n"
        "chat = ChatPromptTemplate.from_messages([('system', 'Be {s}.'), ('human', '{q}')])\n"
        "print([p.value for p in parameters(chat)], 'langgraph.pregel' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['Be", "{s}.']", "False"]


def test_two_nodes_example_optimizes_both_prompts_offline() -> None:
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "langgraph_two_nodes.py"
    example = runpy.run_path(str(path), run_name="example")

    def answer(messages: list[BaseMessage]) -> str:
        return "5" if "Draft:" in str(messages[-1].content) else "I count 5."

    result = example["main"](model=EchoChatModel(answer=answer), engine=FakeEngine())
    assert len(result.history) == 1 and result.fit.initial_score == 0.0
    assert [p.status for p in result.history[0].proposals] == ["updated", "updated"]
