"""The multiple-choice answer form: ``(A)``-style options, read by letter or by option text."""

from __future__ import annotations

import re
import string

from .answer_text import answer_segments, clean, contains_phrase, first_line, normalize, options
from .forms import AnswerForm

_IN_PARENS = re.compile(r"\(([A-Za-z])\)")
_LEADING_LETTER = re.compile(r"^\W*(?:option|choice)?\s*\[?([A-Za-z])(?=$|[\s).:,\]])(.*)$", re.I)
_NAMED_LETTER = re.compile(r"\b(?i:option|choice|answer is)\s*\(?([A-Z])\b")
_LABEL_TARGET = re.compile(r"^\(([A-Z])\)$")


def _letter_first(segment: str, choices: dict[str, str], letters: str) -> str | None:
    """A letter written as ``(B)``, as ``B`` at the start (``B``, ``B)``, ``B. text``,
    ``B <its option text>``) or as ``option B``."""
    line = first_line(segment)
    hit = _IN_PARENS.search(line)
    if hit and hit.group(1).upper() in letters:
        return hit.group(1).upper()
    lead = _LEADING_LETTER.match(line)
    if lead:
        letter, rest = lead.group(1), lead.group(2).strip()
        upper = letter.upper()
        alone = not rest or rest[0] in ").:,]"
        own_text = upper in choices and normalize(rest).startswith(normalize(choices[upper]))
        if upper in letters and (own_text or (alone and (letter.isupper() or len(line) <= 2))):
            return upper
    named = _NAMED_LETTER.search(line)
    if named and named.group(1) in letters:
        return named.group(1)
    return None


def _by_text(line: str, choices: dict[str, str]) -> str | None:
    """The option whose text the line names, if only one does (a text containing the other
    matches, like "Ophelia Smith" over "Ophelia", wins)."""
    named = [k for k, v in choices.items() if contains_phrase(line, v)]
    if len(named) > 1:
        longest = max(named, key=lambda k: len(normalize(choices[k])))
        if all(contains_phrase(choices[longest], choices[k]) for k in named):
            named = [longest]
    return named[0] if len(named) == 1 else None


class ChoiceForm(AnswerForm):
    """A multiple-choice answer; canonical spelling: the option's letter (``"B"``).

    After the last ``Answer:`` it accepts ``(B)``, ``B``, ``(B) option text``, ``option B``
    and, when the question (its ``(A) ...`` option lines) is given, the text of one option.
    Failing that, the last ``(X)`` with a valid letter anywhere in the reply. A target that
    is not a ``(X)`` label is compared as text.

    Example:
        >>> f = ChoiceForm()
        >>> q = "Who?\\nOptions:\\n(A) Helga\\n(B) Lola\\n(C) Ophelia"
        >>> f.read("(A) is out... **Answer: (B) Lola**", q), f.read("Answer: Ophelia", q)
        ('B', 'C')
        >>> f.read("Not (A). Maybe (C).", q), f.read("Answer: b", q), f.read("I don't know", q)
        ('C', 'B', None)
        >>> f.score("Answer: (C)", "(C)"), f.score("Answer: Monsters, Inc", "Monsters, Inc")
        (1, 1)
    """

    name = "choice"

    def read(self, text: str, question: str | None = None) -> str | None:
        text = clean(text)
        choices = options(question)
        letters = "".join(choices) or string.ascii_uppercase
        for segment in answer_segments(text):
            found = _letter_first(segment, choices, letters) or _by_text(
                first_line(segment), choices
            )
            if found:
                return found
        labels = [m.group(1).upper() for m in _IN_PARENS.finditer(text)]
        labels = [x for x in labels if x in letters]
        return labels[-1] if labels else None

    def target_key(self, target: str) -> str | None:
        label = _LABEL_TARGET.match(target.strip())
        return label.group(1) if label else None

    def score(self, prediction: str, target: str, question: str | None = None) -> int:
        if self.target_key(target) is not None:
            return super().score(prediction, target, question)
        text = clean(prediction)
        where = next(answer_segments(text), None) or text
        return int(contains_phrase(first_line(where), target))


CHOICE = ChoiceForm()
