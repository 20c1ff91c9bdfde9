"""``LMCall``: one chat request a scripted test model received, with its parsed input fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .field_answers import parse_fields


@dataclass
class LMCall:
    """One request a scripted test model (``FunctionLM``) received.

    Attributes:
        messages: the chat messages (system first when there is one).
        inputs: the input fields of the last user message, parsed.

    Example:
        >>> LMCall([{"role": "system", "content": "Be brief."}]).system
        'Be brief.'
    """

    messages: list[dict[str, str]]
    inputs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, messages: list[dict[str, str]]) -> LMCall:
        """The call of ``messages``, its ``inputs`` parsed from the last user message.

        Example:
            >>> LMCall.of([{"role": "user", "content": "[[ ## q ## ]]\\n2+2?"}]).inputs
            {'q': '2+2?'}
        """
        call = cls(messages)
        call.inputs = parse_fields(call.user)
        return call

    @property
    def system(self) -> str:
        """The system message ('' when there is none)."""
        first = self.messages[0] if self.messages else {}
        return first.get("content", "") if first.get("role") == "system" else ""

    @property
    def user(self) -> str:
        """The last user message."""
        users = [m["content"] for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""


Responder = Callable[[LMCall], str]
"""A scripted model's answer as a function of the call: ``LMCall -> str``."""
