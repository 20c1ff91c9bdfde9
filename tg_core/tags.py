"""Parses an optimizer's answer: the new value between tags, strictly, never an IndexError."""

from __future__ import annotations

from .errors import ProposalError


def parse_tagged(text: str, start_tag: str, end_tag: str) -> str:
    """The text of the last complete ``start_tag … end_tag`` pair in ``text``.

    Raises:
        ProposalError: no pair, an unclosed tag, tags inside the value, or an empty value.

    Example:
        >>> parse_tagged("ok <V>new text</V>", "<V>", "</V>")
        'new text'
        >>> parse_tagged("no tags here", "<V>", "</V>")
        Traceback (most recent call last):
        ...
        tg_core.errors.ProposalError: the answer has no <V> ... </V> pair
    """
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
    value = value.strip("\n")
    if not value.strip():
        raise ProposalError("the value between the tags is empty")
    return value
