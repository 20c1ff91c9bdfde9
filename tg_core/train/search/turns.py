"""How a searching step's candidates are made, in words: its operator turns and deletions."""

from __future__ import annotations

from collections.abc import Sequence


def describe_turns(k: int, operators: Sequence[str], deletions: int = 1) -> str:
    """The candidates ``k`` turns of ``operators`` make, for progress lines and reports.

    Example:
        >>> describe_turns(4, ("delete", "edit", "example", "rewrite"), 3)
        '4 turns (delete: up to 3 deletions, edit, example, rewrite)'
        >>> describe_turns(1, ("rewrite",))
        '1 candidate (rewrite)'
    """
    turns = [operators[j % len(operators)] for j in range(k)]
    if "delete" not in turns or deletions == 1:
        return f"{k} candidate{'s' if k > 1 else ''} ({', '.join(turns)})"
    shown = [f"delete: up to {deletions} deletions" if t == "delete" else t for t in turns]
    return f"{k} turns ({', '.join(shown)})"
