"""Readable diffs of two texts: word-level with insertions and deletions marked, or by line."""

from __future__ import annotations

import difflib
import re
from html import escape

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def _words(tokens: list[str]) -> int:
    return sum(1 for t in tokens if t[:1].isalnum() or t[:1] == "_")


def _kept_words(matcher: difflib.SequenceMatcher[str], old: list[str], new: list[str]) -> int:
    """Words the two texts share in runs of two words or more, or at their start or end
    (a lone common word such as "the" in the middle of a rewrite does not count)."""
    kept = 0
    for a, b, size in matcher.get_matching_blocks():
        words = _words(old[a : a + size])
        edge = (a == b == 0) or (a + size == len(old) and b + size == len(new))
        kept += words if size and (words >= 2 or edge) else 0
    return kept


def _segments(before: str, after: str) -> list[tuple[str, str, str]]:
    """(kind, old text, new text) runs; kind is ``equal`` or ``change``.

    A short common run (one word at most) between two changes joins them, and two texts
    sharing under a third of the shorter one's words are one change, so a rewritten
    sentence reads as one deletion and one insertion rather than word-by-word flicker.
    """
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if _kept_words(matcher, old, new) * 3 < min(_words(old), _words(new)):  # a rewrite
        return [("change", before, after)]
    runs: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old[i1:i2]), "".join(new[j1:j2])
        runs.append(("equal" if tag == "equal" else "change", a, b))
    merged: list[tuple[str, str, str]] = []
    for i, run in enumerate(runs):
        between = 0 < i < len(runs) - 1 and runs[i - 1][0] == runs[i + 1][0] == "change"
        if run[0] == "equal" and between and len(re.findall(r"\w+", run[1])) <= 1:
            run = ("change", run[1], run[2])
        if merged and merged[-1][0] == run[0] == "change":
            last = merged.pop()
            run = ("change", last[1] + run[1], last[2] + run[2])
        merged.append(run)
    return merged


def word_diff_html(before: str, after: str) -> str:
    """``after`` as HTML, with words added in ``<ins>`` and words removed in ``<del>``.

    Example:
        >>> word_diff_html("Count the items.", "Count every item <b>.")
        'Count <del>the items</del><ins>every item &lt;b&gt;</ins>.'
    """
    parts = []
    for kind, old, new in _segments(before, after):
        if kind == "equal":
            parts.append(escape(old))
            continue
        if old:
            parts.append(f"<del>{escape(old)}</del>")
            if new and "\n" in old and not old.endswith("\n"):
                parts.append("\n")  # a replaced block of lines: the new text on its own line
        if new:
            parts.append(f"<ins>{escape(new)}</ins>")
    return "".join(parts)


def change_counts(before: str, after: str) -> tuple[int, int]:
    """(words added, words removed) from ``before`` to ``after``.

    Example:
        >>> change_counts("Count the items.", "Count every single item.")
        (3, 2)
    """
    added = removed = 0
    for kind, old, new in _segments(before, after):
        if kind == "change":
            added += len(re.findall(r"\w+", new))
            removed += len(re.findall(r"\w+", old))
    return added, removed


def line_diff(before: str, after: str) -> str:
    """A unified line diff (for Markdown), or a note when the texts are equal.

    Example:
        >>> print(line_diff("a\\nb", "a\\nc"))
        --- before
        +++ after
        @@ -1,2 +1,2 @@
         a
        -b
        +c
    """
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", lineterm=""
    )
    return "\n".join(lines) or "(the same text)"
