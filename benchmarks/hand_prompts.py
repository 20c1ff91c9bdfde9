"""Hand-written system prompts per task: the headroom check a search result is compared with."""

from __future__ import annotations

LINE = "Reply with one line only: 'Answer: (X)' where X is the letter of the correct option."

HAND_WRITTEN: dict[str, dict[str, str]] = {
    "hyperbaton": {
        "order_rule": (
            "You will pick the sentence whose adjectives are in the correct English order. "
            "English puts adjectives in this order: opinion, size, age, shape, color, origin, "
            "material, purpose, then the noun (for example 'a lovely small old round red "
            "French wooden dining table'). Check both options against this order. " + LINE
        ),
        "two_examples": (
            "You will pick the sentence whose adjectives are in the correct English order. "
            + LINE
            + "\n\nExample:\nWhich sentence has the correct adjective order?\nOptions:\n"
            "(A) big old green plastic car\n(B) green plastic big old car\nAnswer: (A)\n\n"
            "Example:\nWhich sentence has the correct adjective order?\nOptions:\n"
            "(A) wooden square nice box\n(B) nice square wooden box\nAnswer: (B)"
        ),
        "unbiased": (
            "You will pick the sentence whose adjectives are in the correct English order. "
            "Read option (A) and option (B) with equal care; either can be right, and the "
            "natural-sounding one is right. " + LINE
        ),
    },
}
