"""``TextGradCallbackHandler``: records LangChain runs as textual-autograd graphs."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from tg_core.extend import Variable
from tg_core.program.run_tree import RecordedRun, RunTree

from .errors import RunNotRecordedError
from .graph_builder import GraphBuilder
from .params import DEFAULT_ROLES, parameters
from .records import RunKind


def _name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    if isinstance(serialized, dict):
        if isinstance(serialized.get("name"), str):
            return str(serialized["name"])
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


class TextGradCallbackHandler(BaseCallbackHandler):
    """Records every run it sees as a graph whose output can be ``.backward()``-ed.

    Pass it in ``config={"callbacks": [handler]}`` to ``invoke``, ``ainvoke``, ``batch``,
    ``abatch`` or ``stream``. Prompt runs become formatted-message nodes linked to the bound
    template parameters (see :func:`~tg_adapters.langchain.parameters`), model calls become
    model-call nodes, and every other step (parsers, lambdas) passes feedback through. One
    handler records many runs; each top-level run's output is :meth:`output`.

    Args:
        runnable: optional chain whose prompt templates are bound (``parameters(runnable)``)
            so its runs link to them.
        roles: message roles that count as optimizable.
        string_prompts: whether plain string prompts count as optimizable.

    Example:
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Be {s}."), ("human", "{q}")])
        >>> chain = prompt | GenericFakeChatModel(messages=iter(["4"]))
        >>> handler = TextGradCallbackHandler(chain)
        >>> _ = chain.invoke({"s": "brief", "q": "2+2?"}, config={"callbacks": [handler]})
        >>> handler.output().value
        '4'
    """

    run_inline = True
    raise_error = False

    def __init__(
        self,
        runnable: Any = None,
        *,
        roles: Iterable[str] = DEFAULT_ROLES,
        string_prompts: bool = True,
    ) -> None:
        super().__init__()
        self.roles = frozenset(roles)
        self.string_prompts = string_prompts
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._tree: RunTree[RunKind] = RunTree()
        self._finished: dict[UUID, RecordedRun] = {}  # in the order the runs finished
        if runnable is not None:
            parameters(runnable, self.roles, string_prompts=string_prompts)

    # -- public ----------------------------------------------------------------------------
    @property
    def runs(self) -> list[RecordedRun]:
        """Every finished top-level run, in the order they started."""
        with self._lock:
            return sorted(self._finished.values(), key=lambda r: r.start)

    def run(self, run_id: UUID | None = None) -> RecordedRun:
        """The finished top-level run ``run_id`` (default: the one that finished last).

        Raises:
            RunNotRecordedError: no such run was recorded.
        """
        with self._lock:
            if run_id is None:
                if not self._finished:
                    raise RunNotRecordedError(
                        "no run recorded yet: pass config={'callbacks': [handler]} to invoke"
                    )
                run_id = next(reversed(self._finished))
            found = self._finished.get(run_id)
        if found is None:
            raise RunNotRecordedError(
                f"run {run_id} was not recorded by this handler (or has not finished)"
            )
        return found

    def output(self, run_id: UUID | None = None) -> Variable:
        """The output of a top-level run as a Variable (default: the run that finished last).

        Raises:
            RunNotRecordedError: the run was not recorded, failed, or has no graph.

        Example:
            >>> from langchain_core.runnables import RunnableLambda
            >>> handler = TextGradCallbackHandler()
            >>> _ = RunnableLambda(str.upper).invoke("hi", config={"callbacks": [handler]})
            >>> handler.output().value
            'HI'
        """
        found = self.run(run_id)
        if found.variable is None:
            reason = f"it failed: {found.error!r}" if found.error else "no graph was built"
            raise RunNotRecordedError(f"run {found.run_id} has no output Variable: {reason}")
        return found.variable

    def outputs(self) -> list[Variable]:
        """The output Variables of every successful top-level run, in start order."""
        return [r.variable for r in self.runs if r.variable is not None]

    def clear(self) -> None:
        """Forget every finished run."""
        with self._lock:
            self._finished.clear()

    # -- recording -------------------------------------------------------------------------
    def _start(
        self, kind: RunKind, serialized: dict[str, Any] | None, inputs: Any, kwargs: dict[str, Any]
    ) -> None:
        if kind == "chain" and kwargs.get("run_type") == "prompt":
            kind = "prompt"
        self._tree.start(
            kwargs["run_id"],
            kwargs.get("parent_run_id"),
            kind,
            _name(serialized, kwargs, kind),
            inputs,
            dict(kwargs.get("metadata") or {}),
        )

    def _end(
        self,
        run_id: UUID,
        outputs: Any = None,
        error: BaseException | None = None,
        inputs: Any = None,
    ) -> None:
        done = self._tree.end(run_id, outputs, error, inputs)  # streamed runs: real input here
        if done is None:
            return
        record, tree = done
        variable = None
        if error is None:
            try:
                variable = GraphBuilder(tree, self.roles, self.string_prompts).build(record)
            except Exception as exc:  # a recording problem must not break the user's run
                self.errors.append(exc)
        finished = RecordedRun(
            run_id, record.name, record.inputs, outputs, variable, error, record.start
        )
        with self._lock:
            self._finished.pop(run_id, None)  # a run id used again finished last
            self._finished[run_id] = finished

    # -- LangChain callbacks (keywords: run_id, parent_run_id, metadata, name, run_type) ---
    def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
        """Record a chain, prompt, parser or lambda run."""
        self._start("chain", serialized, inputs, kwargs)

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[Any]], **kwargs: Any
    ) -> None:
        """Record a chat model call with the messages it was sent."""
        self._start("chat_model", serialized, messages, kwargs)

    def on_llm_start(self, serialized: Any, prompts: list[str], **kwargs: Any) -> None:
        """Record a text LLM call with its prompts."""
        self._start("llm", serialized, list(prompts), kwargs)

    def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        """Record a tool call (it passes feedback through)."""
        given = kwargs.get("inputs")
        self._start("tool", serialized, given if given is not None else input_str, kwargs)

    def on_retriever_start(self, serialized: Any, query: str, **kwargs: Any) -> None:
        """Record a retriever call (it passes feedback through)."""
        self._start("retriever", serialized, query, kwargs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a run's output (and, for streamed runs, its real input)."""
        self._end(run_id, outputs, inputs=kwargs.get("inputs"))

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a model call's result."""
        self._end(run_id, response)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a tool's result."""
        self._end(run_id, output)

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        """Record the documents a retriever returned."""
        self._end(run_id, list(documents))

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a failed run (a chain, a model, a tool or a retriever)."""
        self._end(run_id, error=error)

    on_llm_error = on_tool_error = on_retriever_error = on_chain_error
