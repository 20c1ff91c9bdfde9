"""Parses an optimizer's answer: the new value between tags, strictly, never an IndexError."""

from __future__ import annotations

from .errors import ProposalError

MAX_VALUE_CHARS = 200_000
"""Longest value :func:`parse_tagged` accepts (about 50k tokens); longer ones are refused."""


def parse_tagged(text: str, start_tag: str, end_tag: str, *, max_chars: int | None = None) -> str:
    """The text of the last complete ``start_tag … end_tag`` pair in ``text``.

    Text before the pair may mention the tags as long as every opened tag is closed; after
    the pair no tag may be opened again (a second answer that never finished).

    Args:
        text: the model's answer.
        start_tag: the opening tag, e.g. ``<IMPROVED_VARIABLE>``.
        end_tag: the closing tag.
        max_chars: longest accepted value (default :data:`MAX_VALUE_CHARS`).

    Raises:
        ProposalError: no pair, an unclosed tag, tags inside the value, an empty value, or a
            value longer than ``max_chars``.

    Example:
        >>> parse_tagged("ok <V>new text</V>", "<V>", "</V>")
        'new text'
        >>> parse_tagged("no tags here", "<V>", "</V>")
        Traceback (most recent call last):
        ...
        tg_core.errors.ProposalError: the answer has no <V> ... </V> pair
    """
    if not start_tag or not end_tag or start_tag == end_tag:
        raise ProposalError("the update tags must be two different non-empty strings")
    end = text.rfind(end_tag)
    if end < 0:
        if start_tag in text:
            raise ProposalError(f"the answer opens {start_tag} but never closes it with {end_tag}")
        raise ProposalError(f"the answer has no {start_tag} ... {end_tag} pair")
    start = text.rfind(start_tag, 0, end)
    if start < 0:
        raise ProposalError(f"the answer closes {end_tag} without opening {start_tag}")
    value = text[start + len(start_tag) : end]
    if end_tag in value or start_tag in value:
        raise ProposalError(f"the answer nests {start_tag} tags; send exactly one pair")
    earlier = text[:start]
    if earlier.count(start_tag) > earlier.count(end_tag):
        raise ProposalError(f"the answer has unbalanced {start_tag} tags; send exactly one pair")
    if start_tag in text[end + len(end_tag) :]:
        raise ProposalError(
            f"the answer opens {start_tag} again after the last {end_tag} and never closes it"
        )
    value = value.strip("\n")
    if not value.strip():
        raise ProposalError("the value between the tags is empty")
    limit = MAX_VALUE_CHARS if max_chars is None else max_chars
    if len(value) > limit:
        raise ProposalError(
            f"the value between the tags is {len(value)} characters long, over the limit of "
            f"{limit}; send a shorter value"
        )
    return value
