"""Finds the prompt templates a compiled LangGraph graph's nodes run, without importing it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda


def is_compiled_graph(obj: Any) -> bool:
    """True for a compiled LangGraph graph (a ``Pregel``, e.g. ``StateGraph(...).compile()``).

    LangGraph is not imported: an object can only be a graph once LangGraph is loaded.

    Example:
        >>> is_compiled_graph(RunnableLambda(str.upper))
        False
    """
    module = sys.modules.get("langgraph.pregel")
    pregel = getattr(module, "Pregel", None)
    return isinstance(pregel, type) and isinstance(obj, pregel)


def graph_prompts(app: Any) -> list[BasePromptTemplate[Any]] | None:
    """The prompt templates of ``app``'s nodes, each once, in node order; None if ``app`` is
    not a compiled graph.

    A node that is a runnable gives its prompts (``get_prompts()``, function steps inside it
    included); a node that is a plain function gives those of the chains it uses by name
    (closure variables, globals and their attributes, found as LangChain's ``RunnableLambda``
    finds its dependencies); a subgraph is searched the same way. Chains reached otherwise
    (passed in the state, built inside the function, behind a helper function) are not
    found: name them in ``parameters=``.

    Example:
        >>> from typing import TypedDict
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> from langgraph.graph import StateGraph
        >>> class State(TypedDict):
        ...     q: str
        ...     a: str
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
        >>> chain = prompt | GenericFakeChatModel(messages=iter(["4"]))
        >>> def answer(state: State) -> dict[str, str]:
        ...     return {"a": chain.invoke({"q": state["q"]}).content}
        >>> app = StateGraph(State).add_node(answer).set_entry_point("answer").compile()
        >>> graph_prompts(app) == [prompt]
        True
        >>> graph_prompts(chain) is None
        True
    """
    if not is_compiled_graph(app):
        return None
    found: dict[int, BasePromptTemplate[Any]] = {}
    _visit(app, found, set())
    return list(found.values())


def _visit(obj: Any, found: dict[int, BasePromptTemplate[Any]], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, BasePromptTemplate):
        found.setdefault(id(obj), obj)
    elif is_compiled_graph(obj):
        for node in obj.nodes.values():
            _visit(node.bound, found, seen)
    elif isinstance(obj, Runnable):
        named = (getattr(obj, name, None) for name in ("func", "afunc"))
        functions: list[Callable[..., Any]] = [f for f in named if callable(f)]
        if functions:  # a function node: LangGraph's RunnableCallable or a RunnableLambda
            for function in functions:
                for dep in RunnableLambda(function).deps:
                    _visit(dep, found, seen)
            return
        try:
            steps = [node.data for node in obj.get_graph().nodes.values()]
        except Exception:  # a runnable that cannot draw itself has no steps to search
            return
        for step in steps:
            _visit(step, found, seen)
