"""Answer forms: how to read an answer of one kind (integer, label set) out of a model's reply."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from .answer_text import answer_segments, clean, first_line

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_PARENS = re.compile(r"\([^()]*\)")
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)


class AnswerForm(ABC):
    """One kind of answer. ``read`` gives the answer in a canonical spelling, or None when the
    reply holds no answer of this form; ``score`` compares it with a target.
    """

    name: str = "answer"

    @abstractmethod
    def read(self, text: str, question: str | None = None) -> str | None:
        """The canonical answer written in ``text`` (``question`` helps some forms), or None."""

    def target_key(self, target: str) -> str | None:
        """The canonical spelling of a dataset target."""
        return self.read(target)

    def score(self, prediction: str, target: str, question: str | None = None) -> int:
        """1 if ``prediction`` answers ``target``, else 0."""
        got = self.read(prediction, question)
        return int(got is not None and got == self.target_key(target))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _as_int(number: str) -> int | None:
    try:
        return int(float(number.replace(",", "")))
    except ValueError:
        return None


def _integer_in_line(line: str) -> int | None:
    """The answer number of an ``Answer:`` line: after the last ``=``, the first number
    outside parentheses (a number word counts)."""
    line = _PARENS.sub(" ", line).rsplit("=", 1)[-1]
    digits, word = _NUMBER.search(line), _NUMBER_WORD.search(line)
    if digits and (word is None or digits.start() < word.start()):
        return _as_int(digits.group())
    if word:
        return _NUMBER_WORDS.index(word.group(1).lower())
    return None


class IntegerForm(AnswerForm):
    """An integer: the number on the ``Answer:`` line, else the last number in the reply.

    Example:
        >>> f = IntegerForm()
        >>> f.read("2 apples + 5 pears.\\nAnswer: 7 (2 + 5)\\nI counted 2 and 5.")
        '7'
        >>> f.read("Answer: Seven"), f.read("so 1,204 in all"), f.read("none")
        ('7', '1204', None)
    """

    name = "integer"

    def read(self, text: str, question: str | None = None) -> str | None:
        text = clean(text)
        for segment in answer_segments(text):
            value = _integer_in_line(first_line(segment))
            if value is not None:
                return str(value)
        found = [_as_int(n) for n in _NUMBER.findall(text)]
        numbers = [n for n in found if n is not None]
        return str(numbers[-1]) if numbers else None


class LabelForm(AnswerForm):
    """One of a few labels (yes/no, True/False, valid/invalid), case-insensitive.

    The first label after the last ``Answer:`` wins; failing that, the last label written
    anywhere. ``synonyms`` map extra phrases to labels (longer phrases are tried first, so
    "not valid" is not read as "valid").

    Example:
        >>> f = LabelForm("valid_invalid", ("valid", "invalid"), {"not valid": "invalid"})
        >>> f.read("Premise 2 is valid, so ... **Answer: invalid**")
        'invalid'
        >>> f.read("I think it is not valid."), f.read("Answer: maybe"), f.read("nothing")
        ('invalid', None, None)
    """

    def __init__(
        self, name: str, labels: tuple[str, ...], synonyms: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.labels = tuple(label.lower() for label in labels)
        self.phrases = {label: label for label in self.labels}
        self.phrases.update({k.lower(): v.lower() for k, v in (synonyms or {}).items()})
        ordered = sorted(self.phrases, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(map(re.escape, ordered)) + r")\b", re.I)

    def _label(self, match: re.Match[str]) -> str:
        return self.phrases[" ".join(match.group(1).lower().split())]

    def read(self, text: str, question: str | None = None) -> str | None:
        text = clean(text)
        for segment in answer_segments(text):
            hit = self._pattern.search(segment)
            if hit:
                return self._label(hit)
        found = list(self._pattern.finditer(text))
        return self._label(found[-1]) if found else None


YES_NO = LabelForm("yes_no", ("yes", "no"))
TRUE_FALSE = LabelForm("true_false", ("true", "false"))
VALID_INVALID = LabelForm(
    "valid_invalid",
    ("valid", "invalid"),
    {"not valid": "invalid", "not deductively valid": "invalid"},
)
PLAUSIBLE = LabelForm(
    "yes_no",
    ("yes", "no"),
    {"plausible": "yes", "implausible": "no", "not plausible": "no"},
)
