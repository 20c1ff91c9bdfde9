"""``LLMCall``: one model call as a differentiable operation (system prompt + input → output)."""

from __future__ import annotations

from typing import Any

from ..engine.base import agenerate_with
from ..engine.registry import as_engine, resolve_engine
from ..graph import BackwardContext
from ..prompts import load_prompt
from ..variable import Variable
from .function import Function, conversation_text, feedback_text, new_result, send_feedback, show


def llm_backward(
    response: Variable, inputs: list[Variable], conversation: str, extra: str = ""
) -> Any:
    """The backward function of a model call: feedback to each input from the output's.

    ``extra`` (a rendered prompt block) is appended to every feedback request.
    """

    async def grad_fn(ctx: BackwardContext) -> None:
        if ctx.is_objective:
            template = load_prompt("backward_llm_root")

            def make(v: Variable) -> str:
                return (
                    template.render(
                        conversation=conversation,
                        response_role=response.get_role_description(),
                        variable=show(v),
                        role=v.get_role_description(),
                    )
                    + extra
                )
        else:
            template = load_prompt("backward_llm_with_gradient")
            feedback = feedback_text(ctx)

            def make(v: Variable) -> str:
                return (
                    template.render(
                        conversation=conversation,
                        response_role=response.get_role_description(),
                        feedback=feedback,
                        variable=show(v),
                        role=v.get_role_description(),
                    )
                    + extra
                )

        context = {
            "conversation": conversation,
            "response_role": response.get_role_description(),
            "response": str(response),
            "source_id": response.id,
        }
        await send_feedback(ctx, inputs, make, context, template.id)

    return grad_fn


class LLMCall(Function):
    """Call a model on a variable; the answer is a variable whose feedback reaches the input
    and the system prompt.

    Args:
        engine: an engine or engine name (``None``: the backward engine at call time).
        system_prompt: a Variable (optimizable when it requires grad) or a string.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> call = LLMCall(FakeEngine(["4"]), system_prompt="Answer with a number.")
        >>> call(Variable("2+2?", role_description="question")).value
        '4'
    """

    def __init__(self, engine: Any = None, system_prompt: Variable | str | None = None) -> None:
        self.engine = as_engine(engine) if engine is not None else None
        if isinstance(system_prompt, str):
            system_prompt = Variable(
                system_prompt, requires_grad=False, role_description="system prompt to the model"
            )
        self.system_prompt = system_prompt

    async def aforward(
        self,
        input_variable: Variable,
        response_role_description: str = "response from the language model",
        **generate_kwargs: Any,
    ) -> Variable:
        """Call the model and return its answer as a Variable."""
        engine = resolve_engine(self.engine, "LLMCall")
        system = str(self.system_prompt) if self.system_prompt is not None else None
        text = await agenerate_with(
            engine, str(input_variable.value), system_prompt=system, **generate_kwargs
        )
        inputs = [input_variable]
        if self.system_prompt is not None:
            inputs.append(self.system_prompt)
        response = new_result(text, inputs, response_role_description)
        if response.predecessors:
            conversation = conversation_text(system, str(input_variable), text)
            response.set_grad_fn(llm_backward(response, inputs, conversation))
        return response
