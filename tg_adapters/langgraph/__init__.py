"""Textual autograd for LangGraph: the prompt templates of a compiled graph's nodes.

A compiled graph is a LangChain runnable, so the LangChain adapter records, backpropagates
and optimizes it; this package finds the prompt templates inside its nodes, which
``get_prompts()`` does not (:func:`~tg_adapters.langchain.parameters` and
:func:`~tg_adapters.langchain.optimize` call it for a graph). LangGraph itself is not
imported here.

Example:
    >>> from tg_adapters.langgraph import graph_prompts, optimize, parameters
"""

from tg_adapters.langchain import TextGradCallbackHandler, aoptimize, optimize, parameters

from .nodes import graph_prompts, is_compiled_graph

__all__ = [
    "TextGradCallbackHandler",
    "aoptimize",
    "graph_prompts",
    "is_compiled_graph",
    "optimize",
    "parameters",
]
