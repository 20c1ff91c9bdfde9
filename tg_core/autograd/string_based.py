"""``StringBasedFunction``: a Python function on variables' text, made differentiable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..graph import BackwardContext
from ..prompts import load_prompt
from ..variable import Variable
from .function import Function, feedback_text, new_result, send_feedback, show


class StringBasedFunction(Function):
    """Run ``fn(**inputs)``; the critic explains how the inputs should change to improve its
    output, knowing the function's purpose.

    Args:
        fn: a function of Variables (by keyword) returning anything ``str()`` can show.
        function_purpose: what the function computes, in words.

    Example:
        >>> same = StringBasedFunction(lambda a, b: int(a.value == b.value), "checks equality")
        >>> x = Variable("4", role_description="prediction")
        >>> same(inputs={"a": x, "b": Variable("4", role_description="truth")}).value
        '1'
    """

    def __init__(self, fn: Callable[..., Any], function_purpose: str) -> None:
        self.fn = fn
        self.function_purpose = function_purpose

    async def aforward(
        self, inputs: dict[str, Variable], response_role_description: str | None = None
    ) -> Variable:
        """Call the function and return its output as a Variable."""
        output = str(self.fn(**inputs))
        role = response_role_description or f"output of the function: {self.function_purpose}"
        preds = list(inputs.values())
        response = new_result(output, preds, role)
        if response.predecessors:
            response.set_grad_fn(self._backward(response, inputs))
        return response

    def _backward(self, response: Variable, inputs: dict[str, Variable]) -> Any:
        purpose = self.function_purpose

        async def grad_fn(ctx: BackwardContext) -> None:
            template = load_prompt("backward_function")
            feedback = (
                ""
                if ctx.is_objective
                else load_prompt("feedback_block").render(feedback=feedback_text(ctx))
            )
            shown_inputs = "\n".join(show(v, tag=name.upper()) for name, v in inputs.items())

            def make(v: Variable) -> str:
                return template.render(
                    purpose=purpose,
                    inputs=shown_inputs,
                    response_role=response.get_role_description(),
                    output=str(response),
                    feedback_block=feedback,
                    variable=show(v),
                    role=v.get_role_description(),
                )

            context = {
                "conversation": load_prompt("function_call").render(
                    purpose=purpose, inputs=shown_inputs, output=str(response)
                ),
                "response_role": response.get_role_description(),
                "response": str(response),
                "source_id": response.id,
            }
            await send_feedback(ctx, list(inputs.values()), make, context, template.id)

        return grad_fn
