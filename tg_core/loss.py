"""Losses: evaluations written in plain language, computed by a model call."""

from __future__ import annotations

from typing import Any

from .autograd.formatted_llm_call import FormattedLLMCall
from .autograd.function import Function
from .autograd.llm_call import LLMCall
from .autograd.multimodal_ops import OrderedFieldsMultimodalLLMCall
from .engine.registry import resolve_engine
from .errors import UserError
from .prompts import load_prompt
from .tags import parse_tagged
from .variable import Variable


def _instruction(value: Variable | str, role: str) -> Variable:
    if isinstance(value, Variable):
        return value
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"the {role} must be a non-empty string or Variable")
    return Variable(value, requires_grad=False, role_description=role)


class TextLoss(Function):
    """Evaluate a variable with a natural-language instruction; the evaluation is the loss.

    Args:
        eval_system_prompt: the evaluation instruction (string or Variable).
        engine: engine or name; ``None`` uses the backward engine.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> loss_fn = TextLoss("Is the answer right?", engine=FakeEngine(["It is wrong."]))
        >>> loss_fn(Variable("5", role_description="answer")).value
        'It is wrong.'
    """

    def __init__(self, eval_system_prompt: Variable | str, engine: Any = None) -> None:
        self.eval_system_prompt = _instruction(
            eval_system_prompt, "system prompt for the evaluation"
        )
        self.llm_call = LLMCall(engine, system_prompt=self.eval_system_prompt)

    async def aforward(self, instance: Variable) -> Variable:
        """Evaluate ``instance``."""
        return await self.llm_call.aforward(
            instance, response_role_description=f"evaluation of the {instance.role_description}"
        )


class MultiFieldEvaluation(Function):
    """Evaluate several variables together (e.g. prediction and ground truth).

    Args:
        evaluation_instruction: what to judge, as a Variable.
        role_descriptions: one role per input, in the order inputs are passed.
        engine: engine or name; ``None`` uses the backward engine.
        system_prompt: optional system prompt Variable.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> ev = MultiFieldEvaluation(
        ...     Variable("Compare.", role_description="instruction", requires_grad=False),
        ...     ["prediction", "truth"], engine=FakeEngine(["match"]))
        >>> ev([Variable("4", role_description="p"), Variable("4", role_description="t")]).value
        'match'
    """

    def __init__(
        self,
        evaluation_instruction: Variable | str,
        role_descriptions: list[str],
        engine: Any = None,
        system_prompt: Variable | str | None = None,
    ) -> None:
        if not role_descriptions:
            raise UserError("role_descriptions must name at least one input")
        self.evaluation_instruction = _instruction(evaluation_instruction, "evaluation instruction")
        self.role_descriptions = list(role_descriptions)
        self.engine = engine
        self.system_prompt = system_prompt
        self._names = [f"field_{i}" for i in range(len(role_descriptions))]
        lines = ["{instruction}"] + [
            f"**{role}**: {{{name}}}" for role, name in zip(role_descriptions, self._names)
        ]
        self.format_string = "\n".join(lines)

    async def aforward(
        self, inputs: list[Variable], response_role_description: str = "evaluation"
    ) -> Variable:
        """Evaluate ``inputs`` (one per role description)."""
        if len(inputs) != len(self.role_descriptions):
            raise UserError(
                f"got {len(inputs)} inputs for {len(self.role_descriptions)} role descriptions"
            )
        fields = {"instruction": None, **{n: None for n in self._names}}
        call = FormattedLLMCall(
            resolve_engine(self.engine, "MultiFieldEvaluation"),
            self.format_string,
            fields,
            system_prompt=self.system_prompt,
        )
        named = {"instruction": self.evaluation_instruction, **dict(zip(self._names, inputs))}
        return await call.aforward(named, response_role_description=response_role_description)


class MultiFieldTokenParsedEvaluation(MultiFieldEvaluation):
    """A :class:`MultiFieldEvaluation` whose answer carries a value between parse tags.

    Example:
        >>> ev = MultiFieldTokenParsedEvaluation("Score it.", ["answer"], engine="fake")
        >>> ev.parse_output(Variable("<ACCURACY>1</ACCURACY>", role_description="eval"))
        '1'
    """

    def __init__(
        self,
        evaluation_instruction: Variable | str,
        role_descriptions: list[str],
        engine: Any = None,
        system_prompt: Variable | str | None = None,
        parse_tags: list[str] | None = None,
    ) -> None:
        super().__init__(evaluation_instruction, role_descriptions, engine, system_prompt)
        self.parse_tags = parse_tags or ["<ACCURACY>", "</ACCURACY>"]

    def parse_output(self, response: Variable) -> str:
        """The value between the parse tags; raises ProposalError when they are missing."""
        return parse_tagged(str(response.value), self.parse_tags[0], self.parse_tags[1]).strip()


class MultiChoiceTestTime(Function):
    """A test-time loss for an answer to a multiple-choice question: a critic reviews it.

    Args:
        evaluation_instruction: what the critic should look for (put before the question).
        engine: engine or name; ``None`` uses the backward engine.
        system_prompt: the critic's system prompt (default: a strict reviewer that does not
            solve the question itself).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> loss_fn = MultiChoiceTestTime("Check the reasoning.", engine=FakeEngine(["Step 2 is wrong."]))
        >>> loss_fn("2+2? A) 3 B) 4", Variable("Answer: A", role_description="answer")).value
        'Step 2 is wrong.'
    """

    def __init__(
        self,
        evaluation_instruction: str,
        engine: Any = None,
        system_prompt: Variable | str | None = None,
    ) -> None:
        self.tt_system_prompt = _instruction(
            system_prompt or load_prompt("test_time_system").text,
            "system prompt for the test-time evaluation",
        )
        escaped = str(evaluation_instruction).replace("{", "{{").replace("}", "}}")
        self.format_string = load_prompt("test_time_loss").render(instruction=escaped)
        self.fields: dict[str, Any] = {"prediction": None, "question": None}
        self.formatted_llm_call = FormattedLLMCall(
            engine, self.format_string, self.fields, system_prompt=self.tt_system_prompt
        )

    async def aforward(self, question: str, prediction: Variable) -> Variable:
        """Review ``prediction`` (the answer to ``question``)."""
        question_variable = Variable(
            question, requires_grad=False, role_description="the multiple choice question"
        )
        return await self.formatted_llm_call.aforward(
            {"prediction": prediction, "question": question_variable},
            response_role_description=f"evaluation of the {prediction.get_role_description()}",
        )


class ImageQALoss(Function):
    """Judge an answer to a question about an image (the text parts labelled by field).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> loss_fn = ImageQALoss("Is it complete?", engine=FakeEngine(["Too short."]))
        >>> img = Variable(b"\\x89PNG\\r\\n\\x1a\\n", role_description="image", requires_grad=False)
        >>> q = Variable("What is it?", role_description="question", requires_grad=False)
        >>> loss_fn(question=q, image=img, response=Variable("ant", role_description="answer")).value
        'Too short.'
    """

    def __init__(
        self,
        evaluation_instruction: str,
        engine: Any = None,
        system_prompt: Variable | str | None = None,
    ) -> None:
        self.evaluation_instruction = _instruction(evaluation_instruction, "evaluation instruction")
        self.engine = engine
        self.system_prompt = system_prompt

    async def aforward(self, image: Variable, question: Variable, response: Variable) -> Variable:
        """Evaluate ``response`` to ``question`` about ``image``."""
        call = OrderedFieldsMultimodalLLMCall(
            resolve_engine(self.engine, "ImageQALoss"),
            ["Evaluation Instruction", "Question", "Image", "Answer"],
            self.system_prompt,
        )
        inputs = {"Evaluation Instruction": self.evaluation_instruction, "Question": question}
        return await call.aforward(
            {**inputs, "Image": image, "Answer": response},
            response_role_description=f"evaluation of the {response.role_description}",
        )
