"""How the report writes numbers for people: scores, sample sizes, counts, money, seconds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DASH = "—"


@dataclass(frozen=True)
class ScoreFormat:
    """Writes scores as percentages when every score of the run lies in [0, 1], else raw.

    Example:
        >>> ScoreFormat.for_scores([0.0, 1 / 6, 1.0]).score(1 / 6)
        '16.7%'
        >>> ScoreFormat.for_scores([0.5, 7.0]).score(1 / 6), ScoreFormat(True).score(None)
        ('0.167', '—')
    """

    percent: bool
    any_scores: bool = True

    @classmethod
    def for_scores(cls, scores: Iterable[float | None]) -> ScoreFormat:
        """Percentages if every known score is between 0 and 1 (accuracy-like), else raw."""
        known = [s for s in scores if s is not None]
        return cls(all(0.0 <= s <= 1.0 for s in known), bool(known))

    def score(self, value: float | None) -> str:
        """One score, or a dash when there is none."""
        if value is None:
            return DASH
        if self.percent:
            return f"{100 * value:.1f}%"
        return raw(value)

    def with_n(self, value: float | None, n: int) -> str:
        """A score and the number of examples behind it: ``16.7% (n=6)``."""
        if value is None:
            return DASH
        return f"{self.score(value)} (n={n})" if n else self.score(value)

    def delta(self, before: float | None, after: float | None) -> str:
        """The change from ``before`` to ``after``: percentage points or a raw difference."""
        if before is None or after is None:
            return DASH
        change = after - before
        if self.percent:
            return f"{100 * change:+.1f} points"
        return f"{'+' if change >= 0 else ''}{raw(change)}"

    @property
    def axis_label(self) -> str:
        """The y-axis title of the score chart."""
        return "validation score (%)" if self.percent else "validation score"

    @property
    def note(self) -> str:
        """One sentence telling the reader how scores are written."""
        if not self.any_scores:
            return "This run recorded no scores."
        if self.percent:
            return (
                "Every score of this run lies between 0 and 1 (an accuracy, or a mean of "
                "per-example scores), so scores are shown as percentages: 16.7% is a mean "
                "score of 0.167."
            )
        return "Some scores of this run lie outside 0 to 1, so scores are shown as raw values."


def raw(value: float) -> str:
    """A raw number with three decimals at most and no trailing zeros.

    Example:
        >>> raw(1 / 6), raw(2.0), raw(-0.5)
        ('0.167', '2', '-0.5')
    """
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def count(value: int | float | None) -> str:
    """A count with thousands separators, or a dash.

    Example:
        >>> count(7366), count(None)
        ('7,366', '—')
    """
    return DASH if value is None else f"{int(value):,}"


def money(usd: float | None, known: bool = True) -> str:
    """A dollar amount (cents, or four decimals below one cent), or a dash when unknown.

    Example:
        >>> money(0.0), money(0.00123), money(2.5), money(1.0, known=False)
        ('$0.00', '$0.0012', '$2.50', '—')
    """
    if usd is None or not known:
        return DASH
    return f"${usd:.4f}" if 0 < usd < 0.01 else f"${usd:.2f}"


def seconds(value: float | None) -> str:
    """A duration in seconds or minutes.

    Example:
        >>> seconds(0.128), seconds(95.0), seconds(None)
        ('0.13 s', '1 min 35 s', '—')
    """
    if value is None:
        return DASH
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"
