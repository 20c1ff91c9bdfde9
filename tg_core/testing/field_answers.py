"""Simulated answers to prompts in the field-block format (``[[ ## name ## ]]``, the format
of DSPy's ChatAdapter), for the simulated OpenAI server and scripted test models."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .sim_answers import ChatRequest, default_responder

_FIELD = re.compile(r"\[\[ ## (\w+) ## \]\]\n?")
_REQUEST = "\n\nRespond with the corresponding "
_OUTPUTS = "Respond with the corresponding output fields"
_FIXED_VALUES = dict.fromkeys(
    ("reasoning", "rationale", "thought", "explanation"),
    "Taking each part of the question in turn, the result follows directly.",
) | dict.fromkeys(
    ("feedback", "critique"),
    "The answer should show each step and end with one clearly marked final answer.",
)


def parse_fields(text: str) -> dict[str, str]:
    """The ``[[ ## name ## ]]`` blocks of a ChatAdapter message, by name.

    The closing request ("Respond with the corresponding output fields ...") is left out.

    Example:
        >>> parse_fields("[[ ## question ## ]]\\nHow many?\\n\\nRespond with the corresponding ...")
        {'question': 'How many?'}
    """
    parts = _FIELD.split(text.split(_REQUEST, 1)[0])
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def chat_answer(**fields: Any) -> str:
    """An answer in ChatAdapter's format, with the closing ``completed`` marker.

    Example:
        >>> print(chat_answer(answer="4"))
        [[ ## answer ## ]]
        4
        <BLANKLINE>
        [[ ## completed ## ]]
    """
    blocks = [f"[[ ## {name} ## ]]\n{value}" for name, value in fields.items()]
    return "\n\n".join([*blocks, "[[ ## completed ## ]]"])


def sim_responder(request: ChatRequest) -> str:
    """A responder for ``SimServer`` that answers DSPy ChatAdapter prompts in their format.

    Each output field the prompt asks for gets a value (a sentence for reasoning and
    feedback fields, a number derived from the prompt for the others), then the ``completed``
    marker. Any other request gets ``default_responder``'s answer.

    Example:
        >>> request = ChatRequest.from_body({"messages": [
        ...     {"role": "system", "content": "Your input fields are: ..."},
        ...     {"role": "user", "content": "[[ ## question ## ]]\\n2+2?\\n\\n"
        ...      "Respond with the corresponding output fields, starting with the field "
        ...      "`[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."}]})
        >>> print(sim_responder(request).split("\\n")[0])
        [[ ## answer ## ]]
    """
    user = request.last_user_text
    if not request.system_text.startswith("Your input fields are:") or _OUTPUTS not in user:
        return default_responder(request)
    asked = _FIELD.findall(user[user.index(_OUTPUTS) :])
    seed = int(hashlib.sha256(request.prompt_text.encode()).hexdigest()[:12], 16)
    number = str(seed % 97 + 3)
    names = [name for name in dict.fromkeys(asked) if name != "completed"]
    return chat_answer(**{name: _FIXED_VALUES.get(name, number) for name in names})
