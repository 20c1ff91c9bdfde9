"""Optimize both prompts of a two-node LangGraph graph (draft, then check) on the local model.

The graph's nodes are plain functions that call ``prompt | model | parser`` chains; the
optimizer finds both prompt templates in the compiled graph, records each run, sends the
metric's feedback back through the check node to the draft node, and rewrites both
templates in place. The chains run on the embedded Qwen2.5-Coder-0.5B (``ChatOpenAI`` on its
local server); ``tg_core.get_engine("local")`` writes the feedback and the new prompts. The
step is TextGrad's loop (``search=False``: one rewrite per prompt; leave it out to search over
several candidates, at more calls). One validation-gated step on two questions is about
twenty short calls: several minutes on two CPU cores.

Run: ``python examples/langgraph_two_nodes.py``
"""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langgraph.graph import END, START, StateGraph

import tg_core as tg
from tg_adapters.langgraph import optimize, parameters
from tg_core.tasks import parse_integer_answer

TRAIN = [
    {
        "question": "I have a flute, a piano, two stoves, a violin and a drum. "
        "How many musical instruments do I have?",
        "answer": "4",
    },
    {
        "question": "I have three apples, a carrot, a banana and two onions. "
        "How many fruits do I have?",
        "answer": "4",
    },
]


class State(TypedDict, total=False):
    question: str
    draft: str
    answer: str


def build_graph(model: BaseChatModel) -> Any:
    """Draft an answer, then check it with the question in view; returns the compiled graph."""
    solve = ChatPromptTemplate.from_messages(
        [("system", "Count the objects asked about. Be brief."), ("human", "{question}")]
    )
    check = ChatPromptTemplate.from_messages(
        [
            ("system", "Check the draft count and reply with only the final number."),
            ("human", "Question: {question}\nDraft: {draft}"),
        ]
    )
    drafter = solve | model | StrOutputParser()
    checker = check | model | StrOutputParser()

    def draft(state: State) -> State:
        return {"draft": drafter.invoke({"question": state["question"]})}

    def answer(state: State) -> State:
        return {"answer": checker.invoke({"question": state["question"], "draft": state["draft"]})}

    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("answer", answer)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def metric(example: dict[str, str], state: dict[str, str]) -> float | dict[str, Any]:
    """1 for the right count; otherwise 0 with feedback naming the expected number."""
    if parse_integer_answer(state.get("answer", "")) == int(example["answer"]):
        return 1.0
    return {
        "score": 0.0,
        "feedback": f"The final answer must be {example['answer']}; it was "
        f"{state.get('answer', '')!r}. Count only the objects of the category asked about.",
    }


def main(model: BaseChatModel | None = None, engine: Any = None) -> Any:
    """One optimization step over both node prompts; prints them and returns the result."""
    if model is None:
        from langchain_two_prompts import local_chat_model  # beside this file

        model = local_chat_model(64)
    engine = engine or tg.get_engine("local", max_tokens=256)
    app = build_graph(model)
    print("prompts found in the graph:", [str(p.value) for p in parameters(app)])
    result = optimize(
        app,
        TRAIN,
        metric,
        to_input=lambda ex: {"question": ex["question"]},
        engine=engine,
        steps=1,
        batch_size=len(TRAIN),
        max_concurrency=1,  # the local server answers one request at a time
        search=False,  # TextGrad's loop: one rewrite per prompt, shown below
    )
    step = result.history[0]
    print(f"validation score: {result.fit.initial_score} -> {result.fit.best_score}")
    print(f"step accepted: {step.accepted} ({step.reason})")
    for update in step.proposals:  # one per prompt that got feedback
        print(f"  prompt {update.index}: {update.status} {update.reason}".rstrip())
    for param in parameters(app):
        print(f"prompt now: {param.value}")
    return result


if __name__ == "__main__":
    main()
