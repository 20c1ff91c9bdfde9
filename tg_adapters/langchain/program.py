"""``LangChainProgram``: a runnable as the core's Program (recorded runs, bound templates)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import uuid4

from langchain_core.runnables import Runnable, RunnableConfig

from tg_core.extend import Variable
from tg_core.program.protocol import ProgramRun, expected_fields
from tg_core.program.slots import RunSlots

from .config import add_callback, with_handler
from .errors import NoPromptTemplatesError, RunNotRecordedError
from .handler import TextGradCallbackHandler
from .params import DEFAULT_ROLES
from .params import parameters as bound_parameters
from .usage import UsageCallbackHandler
from .values import text_of


class LangChainProgram:
    """A LangChain runnable as a :class:`~tg_core.program.protocol.Program`.

    Its parameters are the bound message templates of its prompts
    (:func:`~tg_adapters.langchain.params.parameters`); a run invokes the chain on
    ``to_input(example)`` with a fresh :class:`TextGradCallbackHandler` when recording, and
    always with a :class:`UsageCallbackHandler`, so the chain's own model calls count in
    tg_core's usage and budgets.

    Args:
        chain: the runnable (optimizing it rewrites its templates in place).
        to_input: example to chain input (default: the example itself).
        config: LangChain config for every run (callbacks, tags, metadata).
        roles: chat message roles whose templates are parameters.
        string_prompts: whether plain string prompts are parameters.
        num_threads: chain runs in flight at once.
        parameters: prompts or runnables whose templates are the parameters, instead of the
            chain's own (for chains it calls from plain functions).

    Raises:
        NoPromptTemplatesError: the chain has no optimizable template.

    Example:
        >>> import asyncio
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
        >>> program = LangChainProgram(prompt | GenericFakeChatModel(messages=iter(["5"])))
        >>> run = asyncio.run(program.arun({"q": "2+2?"}, record=True))
        >>> run.output_text, run.output.value, run.input_text
        ('5', '5', 'q: 2+2?')
    """

    def __init__(
        self,
        chain: Runnable[Any, Any],
        *,
        to_input: Callable[[Any], Any] | None = None,
        config: RunnableConfig | None = None,
        roles: Iterable[str] = DEFAULT_ROLES,
        string_prompts: bool = True,
        num_threads: int = 8,
        parameters: Sequence[Any] | None = None,
    ) -> None:
        self.chain = chain
        self.roles = frozenset(roles)
        self.string_prompts = string_prompts
        sources = chain if parameters is None else list(parameters)
        self.params = bound_parameters(sources, self.roles, string_prompts=string_prompts)
        if not self.params:
            raise NoPromptTemplatesError(
                f"the chain has no prompt template with a message of role {sorted(self.roles)}; "
                "pass roles=(...) naming the messages to optimize, or parameters=[...] naming "
                "the prompts or chains it calls"
            )
        self._slots = RunSlots(num_threads)
        self.to_input = to_input if to_input is not None else (lambda example: example)
        self.config = add_callback(config, UsageCallbackHandler())

    def parameters(self) -> list[Variable]:
        """The bound template Variables."""
        return list(self.params)

    async def arun(self, example: Any, *, record: bool) -> ProgramRun:
        """Invoke the chain on ``to_input(example)``; with ``record`` its graph is built."""
        given = self.to_input(example)
        run = ProgramRun(input_text=text_of(given), expected_text=expected_fields(example, given))
        handler = TextGradCallbackHandler(roles=self.roles, string_prompts=self.string_prompts)
        run_id = uuid4()
        config = with_handler(self.config, handler, run_id) if record else self.config
        run.prediction, run.error = await self._slots.run(lambda: self.chain.ainvoke(given, config))
        if run.error is not None:
            return run
        run.output_text = text_of(run.prediction)
        if record:
            try:
                run.output = handler.output(run_id)
            except RunNotRecordedError:
                run.output = None
        return run
