"""Answer parsing and comparison for the shipped tasks (integers, sorted word lists)."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_WORDS_AFTER_ANSWER = re.compile(r"answer\s*[:：]\s*(.*)", re.I | re.S)


def parse_integer_answer(text: str) -> int | None:
    """The last integer written in ``text`` (commas allowed), or None.

    Example:
        >>> parse_integer_answer("So we have 3 + 4 = 7. Answer: 7")
        7
        >>> parse_integer_answer("1,234 apples")
        1234
    """
    found = _NUMBER.findall(text)
    if not found:
        return None
    last = found[-1].replace(",", "")
    try:
        return int(float(last))
    except ValueError:
        return None


def integers_match(prediction: str, truth: str) -> int:
    """1 if both texts end with the same integer, else 0.

    Example:
        >>> integers_match("Answer: 12", "12")
        1
    """
    p, t = parse_integer_answer(prediction), parse_integer_answer(truth)
    return int(p is not None and p == t)


def sorted_words_match(prediction: str, truth: str) -> int:
    """1 if the prediction's answer (after ``Answer:``, else its last line) lists ``truth``'s words.

    Example:
        >>> sorted_words_match("Sorted.\\nAnswer: apple banana", "apple banana")
        1
    """
    match = _WORDS_AFTER_ANSWER.search(prediction)
    answer = match.group(1) if match else (prediction.strip().splitlines() or [""])[-1]
    words = re.findall(r"[a-z']+", answer.lower())
    return int(words == truth.lower().split())
