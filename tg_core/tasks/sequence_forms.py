"""Answer forms whose answer is a token sequence: sorted word lists and closing brackets."""

from __future__ import annotations

import re

from .answer_text import answer_segments, clean
from .forms import AnswerForm

_WORD = re.compile(r"[a-z0-9&']+")
_LIST_MARK = re.compile(r"^\s*(?:\d+[.)]|[-\u2022])\s+")
_BRACKET = re.compile(r"[()\[\]{}<>]")
_ONLY_BRACKETS = re.compile(r"^[\s()\[\]{}<>.,]*$")


def _words(line: str) -> list[str]:
    words = (w.strip("'") for w in _WORD.findall(_LIST_MARK.sub("", line).lower()))
    return [w for w in words if w]


def _blocks(text: str) -> list[list[str]]:
    """The word lists a reply writes: each line, and each run of list-item lines joined."""
    found: list[list[str]] = []
    run: list[str] = []
    for line in [*text.splitlines(), ""]:
        if _LIST_MARK.match(line):
            run.extend(_words(line))
            continue
        if run:
            found.append(run)
            run = []
        if _words(line):
            found.append(_words(line))
    return found


def _segment_words(segment: str) -> list[str]:
    """The words of an ``Answer:`` segment: its first line (after a colon in it), or the list
    that starts there or right below it."""
    lines = segment.splitlines()
    head = lines[0] if lines else ""
    if not _LIST_MARK.match(head) and _words(head.rsplit(":", 1)[-1]):
        return _words(head.rsplit(":", 1)[-1])
    rest = lines if _LIST_MARK.match(head) else lines[1:]
    blocks = _blocks("\n".join(rest))
    return blocks[0] if blocks else []


def _listed_words(question: str | None) -> list[str] | None:
    if not question or "List:" not in question:
        return None
    return _words(question.rsplit("List:", 1)[1])


class WordListForm(AnswerForm):
    """A list of words, compared word by word (lowercase; commas, quotes and list numbers
    ignored).

    Read from the ``Answer:`` line (or the list right below it). Without one, the last line or
    list that is a rearrangement of the question's words (after ``List:``); without the
    question, the last line.

    Example:
        >>> f = WordListForm()
        >>> f.read("Sorting...\\nAnswer: Apple, banana, cherry.\\nDone!")
        'apple banana cherry'
        >>> q = "Sort the following words alphabetically: List: pear fig"
        >>> f.read("fig comes first.\\n- fig\\n- pear\\nHope this helps.", q)
        'fig pear'
    """

    name = "word_list"

    def read(self, text: str, question: str | None = None) -> str | None:
        text = clean(text)
        for segment in answer_segments(text):
            words = _segment_words(segment)
            if words:
                return " ".join(words)
        blocks = _blocks(text)
        listed = _listed_words(question)
        if listed is not None:
            same = [b for b in blocks if sorted(b) == sorted(listed)]
            return " ".join(same[-1]) if same else None
        return " ".join(blocks[-1]) if blocks else None


def _brackets(text: str) -> list[str]:
    return _BRACKET.findall(text)


class BracketsForm(AnswerForm):
    """A sequence of brackets (Dyck languages: the closing brackets that complete the input).

    Read from the ``Answer:`` line, else from the last line made only of brackets. A reply that
    repeats the whole completed sequence counts too, when the question (its ``Input:``) is
    given.

    Example:
        >>> f = BracketsForm()
        >>> f.read("Close < then (.\\n**Answer:** ) >")
        ') >'
        >>> f.read("Answer: [ ( ) ]", "Complete the rest of the sequence. Input: [ ( )")
        ']'
    """

    name = "brackets"

    def read(self, text: str, question: str | None = None) -> str | None:
        text = clean(text)
        found: list[str] = []
        for segment in answer_segments(text):
            found = _brackets(segment.splitlines()[0])
            if found:
                break
        if not found:
            lines = [ln for ln in text.splitlines() if _brackets(ln) and _ONLY_BRACKETS.match(ln)]
            found = _brackets(lines[-1]) if lines else []
        if not found:
            return None
        given = (
            _brackets(question.rsplit("Input:", 1)[1]) if question and "Input:" in question else []
        )
        if given and len(found) > len(given) and found[: len(given)] == given:
            found = found[len(given) :]
        return " ".join(found)
