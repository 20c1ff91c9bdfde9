"""Finding the answer inside a model's reply: markdown clean-up, ``Answer:`` segments, options."""

from __future__ import annotations

import re
from collections.abc import Iterator

_MARKDOWN = re.compile(r"\*+|`+|__+")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_ANSWER_COLON = re.compile(r"\banswer\s*[:\uff1a]", re.I)
_ANSWER_IS = re.compile(r"\banswer\s+(?:is|would\s+be|should\s+be)\b\s*:?", re.I)
_OPTION_LINE = re.compile(r"^\s*\(([A-Z])\)\s*(.+?)\s*$", re.M)
_NOT_WORD = re.compile(r"[^a-z0-9&']+")


def clean(text: str) -> str:
    """``text`` without markdown emphasis or code ticks, with straight quotes; a LaTeX
    ``\\boxed{X}`` becomes an ``Answer: X`` line.

    Example:
        >>> clean("**Answer:** `(B)`")
        'Answer: (B)'
        >>> clean("so the total is \\\\boxed{7}.")
        'so the total is \\nAnswer: 7\\n.'
    """
    text = _MARKDOWN.sub("", text.translate(_QUOTES))
    return _BOXED.sub(lambda m: f"\nAnswer: {m.group(1)}\n", text)


def _after_last(pattern: re.Pattern[str], text: str) -> str | None:
    found = list(pattern.finditer(text))
    if not found:
        return None
    rest = text[found[-1].end() :].strip()
    return rest or None


def answer_segments(text: str) -> Iterator[str]:
    """Where the answer should be, best first: after the last ``Answer:``, then after the last
    "the answer is". Each segment runs to the end of the text.

    Example:
        >>> list(answer_segments("The answer is 3. Hmm.\\nAnswer: 4"))
        ['4', '3. Hmm.\\nAnswer: 4']
        >>> list(answer_segments("no marker"))
        []
    """
    for pattern in (_ANSWER_COLON, _ANSWER_IS):
        segment = _after_last(pattern, text)
        if segment is not None:
            yield segment


def first_line(text: str) -> str:
    """The first non-blank line of ``text`` (stripped), or ``""``.

    Example:
        >>> first_line("\\n  (B) Lola\\nbecause ...")
        '(B) Lola'
    """
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def options(question: str | None) -> dict[str, str]:
    """The ``(A) text`` options listed in a multiple-choice question, by letter.

    Example:
        >>> options("Who?\\nOptions:\\n(A) Helga\\n(B) Lola")
        {'A': 'Helga', 'B': 'Lola'}
    """
    if not question:
        return {}
    return {m.group(1): m.group(2) for m in _OPTION_LINE.finditer(question)}


def normalize(text: str) -> str:
    """Lowercase words of ``text`` separated by single spaces (punctuation dropped).

    Example:
        >>> normalize("  The Blue-Jay, is  RIGHTMOST! ")
        'the blue jay is rightmost'
    """
    return " ".join(w for w in _NOT_WORD.sub(" ", text.lower()).split() if w.strip("'"))


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Whether the normalized ``phrase`` occurs in the normalized ``haystack`` as whole words.

    Example:
        >>> contains_phrase("she has the Line.", "line"), contains_phrase("outline", "line")
        (True, False)
    """
    needle = normalize(phrase)
    return bool(needle) and f" {needle} " in f" {normalize(haystack)} "
