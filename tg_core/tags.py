"""Tags in model answers: the new value between tags (strictly, never an IndexError), and
prompt tags a critic echoed back, removed."""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import ProposalError
from .prompts import template_tag_names

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


# An upper-case tag as the library's prompts write them: <NAME>, </NAME> or <NAME role="...">.
_MARK = r"</?([A-Z][A-Z0-9_]*)(?:\s[^<>\n]*)?>"
_TAG_MARK = re.compile(_MARK)
_ONLY_MARKS = re.compile(rf"\s*(?:{_MARK}\s*)+")
_LEADING_MARK = re.compile(rf"\s*{_MARK}\s*")
_TRAILING_MARK = re.compile(rf"\s*{_MARK}\s*$")
_NUMBERED = re.compile(r"_\d+$")
_BLOCK = re.compile(r"<([A-Z][A-Z0-9_]*)(?:\s[^<>\n]*)?>(.*?)</\1>", re.DOTALL)


def _echoed_names(prompt: str) -> set[str]:
    """The library's tag names, and those the prompt writes on a line of their own."""
    names = set(template_tag_names())
    for line in prompt.splitlines():
        if _ONLY_MARKS.fullmatch(line):
            names.update(match.group(1) for match in _TAG_MARK.finditer(line))
    return names


def _drop_echoes(answer: str, prompt: str, known: Callable[[str], bool]) -> str:
    """``answer`` without the known tag blocks that only copy text of the prompt.

    When nothing but such copies is left, ``answer`` is kept whole (the copy is then the
    whole reply, and unwrapping it keeps what it says).
    """
    kept: list[str] = []
    start = 0
    for block in _BLOCK.finditer(answer):
        body = block.group(2).strip()
        if known(block.group(1)) and body and body in prompt:
            kept.append(answer[start : block.start()])
            start = block.end()
            own_line = block.start() == 0 or answer[block.start() - 1] == "\n"
            if own_line and answer.startswith("\n", start):
                start += 1  # the block filled its lines: its line break goes with it
    if start == 0:
        return answer
    rest = "".join([*kept, answer[start:]])
    return rest if rest.strip() else answer


def _unwrap(line: str, known: Callable[[str], bool]) -> str | None:
    """``line`` without the known tags that open or close it; None when nothing else is left."""
    marks = list(_TAG_MARK.finditer(line))
    if not marks or (not known(marks[0].group(1)) and not known(marks[-1].group(1))):
        return line
    if _ONLY_MARKS.fullmatch(line) and all(known(match.group(1)) for match in marks):
        return None
    indent = line[: len(line) - len(line.lstrip())]
    body = line
    while (lead := _LEADING_MARK.match(body)) and known(lead.group(1)):
        body = body[lead.end() :]
    while (trail := _TRAILING_MARK.search(body)) and known(trail.group(1)):
        body = body[: trail.start()]
    return body if body.startswith(indent) else indent + body


def strip_echoed_tags(answer: str, prompt: str) -> str:
    """``answer`` without the prompt tags that wrap it or its lines; the text inside stays.

    A small model asked for feedback on a prompt full of ``<OUTPUT>``, ``<FEEDBACK>`` or
    ``<VARIABLE role="...">`` blocks often wraps its reply in such tags (or numbered ones,
    ``<FEEDBACK_1>``). The tags removed are the library's own prompt tags and those ``prompt``
    writes on a line of their own, and only where they wrap: a block of them that merely
    copies text of the prompt (the ``<OUTPUT>`` it was shown) goes whole, a line made of them
    goes, a line they open or close loses them. A tag mentioned inside a sentence ("put it
    in <OUTPUT> tags") and any other markup (``<div>``) stay.

    Args:
        answer: the model's reply.
        prompt: the prompt it answered.

    Returns:
        The reply without those tags and without blank lines around it; a reply that holds
        none of them is returned unchanged.

    Example:
        >>> prompt = "<OUTPUT>\\n1.2 hours\\n</OUTPUT>\\nGive feedback on the answer."
        >>> strip_echoed_tags("<OUTPUT>\\nIt is 1 hour: they dry at once.\\n</OUTPUT>", prompt)
        'It is 1 hour: they dry at once.'
        >>> strip_echoed_tags("Keep the <OUTPUT> tag; close the <div>.", prompt)
        'Keep the <OUTPUT> tag; close the <div>.'
    """
    names = _echoed_names(prompt)

    def known(name: str) -> bool:
        return name in names or _NUMBERED.sub("", name) in names

    text = _drop_echoes(answer, prompt, known)
    lines = [_unwrap(line, known) for line in text.splitlines()]
    if text == answer and lines == answer.splitlines():
        return answer
    kept = "\n".join(line for line in lines if line is not None)
    return re.sub(r"\n{3,}", "\n\n", kept).strip("\n")
