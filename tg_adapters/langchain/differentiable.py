"""``differentiable(chain)``: a runnable whose outputs carry their graph Variable."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import get_config_list

from tg_core.extend import Variable
from tg_core.program.traced import Traced, TracedStr, traced, variable_of

from .config import with_handler
from .handler import TextGradCallbackHandler
from .params import DEFAULT_ROLES, parameters

__all__ = ["DifferentiableRunnable", "Traced", "TracedStr", "differentiable", "variable_of"]


class DifferentiableRunnable(Runnable[Any, Any]):
    """Runs a chain and returns outputs that carry a :class:`tg_core.Variable`.

    A text output comes back as :class:`TracedStr` (a ``str``), anything else as
    :class:`Traced`; ``output.variable`` is the run's output node, so
    ``loss(output.variable).backward()`` sends feedback to the chain's prompt templates.

    Args:
        runnable: the chain to run.
        roles: chat message roles whose templates are parameters.
        string_prompts: whether plain string prompts are parameters.

    Example:
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.output_parsers import StrOutputParser
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
        >>> chain = prompt | GenericFakeChatModel(messages=iter(["4"])) | StrOutputParser()
        >>> out = DifferentiableRunnable(chain).invoke({"q": "2+2?"})
        >>> out, out.variable.value
        ('4', '4')
    """

    def __init__(
        self,
        runnable: Runnable[Any, Any],
        *,
        roles: Iterable[str] = DEFAULT_ROLES,
        string_prompts: bool = True,
    ) -> None:
        self.runnable = runnable
        self.roles = frozenset(roles)
        self.string_prompts = string_prompts
        self._parameters = parameters(runnable, self.roles, string_prompts=string_prompts)

    def parameters(self) -> list[Variable]:
        """The bound template parameters of the wrapped chain (for an optimizer)."""
        return parameters(self.runnable, self.roles, string_prompts=self.string_prompts)

    def get_prompts(self, config: RunnableConfig | None = None) -> list[BasePromptTemplate[Any]]:
        """The wrapped chain's prompt templates."""
        return self.runnable.get_prompts(config)

    def _handler(self) -> TextGradCallbackHandler:
        return TextGradCallbackHandler(roles=self.roles, string_prompts=self.string_prompts)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Run the chain; the output carries its Variable."""
        handler, run_id = self._handler(), uuid4()
        value = self.runnable.invoke(input, with_handler(config, handler, run_id), **kwargs)
        return traced(value, handler.output(run_id))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Async :meth:`invoke`."""
        handler, run_id = self._handler(), uuid4()
        value = await self.runnable.ainvoke(input, with_handler(config, handler, run_id), **kwargs)
        return traced(value, handler.output(run_id))

    def _configs(
        self, n: int, config: RunnableConfig | list[RunnableConfig] | None
    ) -> tuple[TextGradCallbackHandler, list[UUID], list[RunnableConfig]]:
        handler = self._handler()
        run_ids = [uuid4() for _ in range(n)]
        base = get_config_list(config, n)
        return handler, run_ids, [with_handler(c, handler, r) for c, r in zip(base, run_ids)]

    @staticmethod
    def _collect(
        handler: TextGradCallbackHandler, run_ids: list[UUID], values: list[Any]
    ) -> list[Any]:
        return [
            v if isinstance(v, Exception) else traced(v, handler.output(r))
            for v, r in zip(values, run_ids)
        ]

    def batch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[Any]:
        """Run the chain on many inputs; each output carries its own Variable."""
        handler, run_ids, configs = self._configs(len(inputs), config)
        values = self.runnable.batch(inputs, configs, return_exceptions=return_exceptions, **kwargs)
        return self._collect(handler, run_ids, values)

    async def abatch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[Any]:
        """Async :meth:`batch`."""
        handler, run_ids, configs = self._configs(len(inputs), config)
        values = await self.runnable.abatch(
            inputs, configs, return_exceptions=return_exceptions, **kwargs
        )
        return self._collect(handler, run_ids, values)


def differentiable(
    runnable: Runnable[Any, Any],
    *,
    roles: Iterable[str] = DEFAULT_ROLES,
    string_prompts: bool = True,
) -> DifferentiableRunnable:
    """Wrap ``runnable`` so its outputs carry a Variable to backpropagate from.

    Example:
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> import tg_core as tg
        >>> from tg_core.engine.fake import FakeEngine
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
        >>> chain = differentiable(prompt | GenericFakeChatModel(messages=iter(["5"])))
        >>> out = chain.invoke({"q": "2+2?"})
        >>> loss = tg.TextLoss("Is it right?", engine=FakeEngine(["Wrong: 4."]))(out.variable)
        >>> _ = loss.backward(engine=FakeEngine(lambda call: "Ask for care."))
        >>> chain.parameters()[0].get_gradient_text()
        'Ask for care.'
    """
    return DifferentiableRunnable(runnable, roles=roles, string_prompts=string_prompts)
