"""Structured proposals: a JSON schema for an optimizer's answer, where the server enforces it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from .errors import ProposalError
from .tags import parse_tagged


class ProposalAnswer(BaseModel):
    """The optimizer's answer in structured form: the new value, nothing else.

    Example:
        >>> ProposalAnswer.model_validate_json('{"new_value": "Count twice."}').new_value
        'Count twice.'
    """

    new_value: str = Field(min_length=1, description="the complete new value (or the one rule)")


def response_format_for(engine: Any) -> dict[str, Any] | None:
    """The ``response_format`` that makes ``engine``'s server return a :class:`ProposalAnswer`,
    or None when the server is not known to enforce JSON schemas.

    llama.cpp's server (the embedded local model) takes ``json_object`` with a ``schema``;
    OpenAI takes ``json_schema``. Any engine may say which its server takes with an attribute
    ``structured_output = "llama"`` or ``"openai"``.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> response_format_for(FakeEngine()) is None
        True
    """
    schema = ProposalAnswer.model_json_schema()
    from .engine.local_engine import LocalEngine

    kind = getattr(engine, "structured_output", None)  # an engine may declare its server's form
    if kind == "llama" or (kind is None and isinstance(engine, LocalEngine)):
        return {"type": "json_object", "schema": schema}
    model = str(getattr(engine, "model_string", ""))
    hosted_openai = model.startswith(("gpt-", "openai/gpt-", "o1", "o3", "o4"))
    if kind == "openai" or (hosted_openai and getattr(engine, "api_base", None) in (None, "")):
        return {
            "type": "json_schema",
            "json_schema": {"name": "proposal", "schema": schema, "strict": True},
        }
    return None


def parse_structured(answer: str, start_tag: str, end_tag: str) -> str:
    """The new value from a structured answer (tags inside it are dropped).

    Raises:
        ProposalError: the answer is not a valid :class:`ProposalAnswer`.

    Example:
        >>> parse_structured('{"new_value": "<V>Be brief.</V>"}', "<V>", "</V>")
        'Be brief.'
    """
    try:
        value = ProposalAnswer.model_validate_json(answer).new_value
    except ValidationError as exc:
        raise ProposalError(
            f"the structured answer is not valid: {exc.errors()[0]['msg']}"
        ) from None
    value = value.replace(start_tag, "").replace(end_tag, "").strip()
    if not value:
        raise ProposalError("the structured answer's new_value is empty")
    return value


def parse_proposal(answer: str, start_tag: str, end_tag: str, *, structured: bool) -> str:
    """The proposal in ``answer``: its JSON ``new_value`` when structured, else between tags.

    Example:
        >>> parse_proposal("<V>Be brief.</V>", "<V>", "</V>", structured=True)
        'Be brief.'
    """
    if structured:
        try:
            return parse_structured(answer, start_tag, end_tag)
        except ProposalError:
            pass  # the server did not enforce the schema: read the tags instead
    return parse_tagged(answer, start_tag, end_tag)
