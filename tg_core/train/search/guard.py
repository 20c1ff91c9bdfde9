"""The overfit guard: refuses a proposal that copies a training input or answer verbatim."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[\w']+")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
SPAN_WORDS = 8
"""A run of this many words of a training input, new in the proposal, counts as copied."""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _spans(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class OverfitGuard:
    """Knows the training texts of a run and tells whether a proposed value copies one.

    A proposal is refused when text that was not in the old value:

    - repeats :data:`SPAN_WORDS` consecutive words of a training input (or a whole input
      shorter than that, if it has at least four words);
    - contains a training answer of three or more words, or of twelve or more characters;
    - states a numeric training answer as an answer (``Answer: 9``, ``is 9``, ``= 9``);
    - states a short label answer as the answer (``the correct answer is Yes``), as a
      proposal that copies the metric's feedback does.

    Short label answers named as answer forms (``End with 'Answer: Yes' or 'Answer: No'``)
    are allowed: naming the answer forms is what a good instruction does.

    Example:
        >>> guard = OverfitGuard()
        >>> guard.learn("How many apples are there if I have two apples and three pears?", "2")
        >>> guard.check("Count the items.", "Count only the asked-for items. The answer is 2.")
        "it states the training answer '2' as an answer"
        >>> guard.check("Count the items.", "Count only the items the question asks about.") is None
        True
    """

    def __init__(self) -> None:
        self.inputs: dict[str, list[str]] = {}
        self.answers: set[str] = set()

    def learn(self, input_text: str, answer_text: str = "") -> None:
        """Remember one training example's input and expected answer."""
        if input_text.strip():
            self.inputs.setdefault(input_text, _words(input_text))
        if answer_text.strip():
            self.answers.add(answer_text.strip())

    def learn_all(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember many ``(input, answer)`` pairs."""
        for input_text, answer_text in pairs:
            self.learn(input_text, answer_text)

    def check(self, old: str, new: str) -> str | None:
        """Why ``new`` copies training data (ignoring what ``old`` already held), or None."""
        old_words, new_words = _words(old), _words(new)
        for words in self.inputs.values():
            n = min(SPAN_WORDS, len(words))
            if n < 4:
                continue
            copied = _spans(new_words, n) - _spans(old_words, n)
            if copied & _spans(words, n):
                shown = " ".join(next(iter(copied & _spans(words, n))))
                return f"it copies a training input verbatim ({shown!r} ...)"
        lowered_new, lowered_old = new.lower(), old.lower()
        for answer in sorted(self.answers):
            low = answer.lower()
            if _NUMBER.match(answer):
                said = re.compile(
                    rf"(?:answer\W*|\bis\s+|=\s*|:\s*)\**\s*{re.escape(low)}(?![\d.,]*\d)"
                )
                if said.search(lowered_new) and not said.search(lowered_old):
                    return f"it states the training answer {answer!r} as an answer"
            elif len(low.split()) >= 3 or len(low) >= 12:
                if low in lowered_new and low not in lowered_old:
                    return f"it contains the training answer {answer[:60]!r} verbatim"
            else:
                said = re.compile(
                    rf"\banswer\s+(?:is|was|should be|would be|will be)\W*{re.escape(low)}(?!\w)"
                )
                if said.search(lowered_new) and not said.search(lowered_old):
                    return f"it states the training answer {answer!r} as the answer"
        return None
