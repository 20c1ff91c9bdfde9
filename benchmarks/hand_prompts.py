"""Hand-written system prompts per task: the headroom check a search result is compared with."""

from __future__ import annotations

from .headroom_prompts import instructions

LINE = "Reply with one line only: 'Answer: (X)' where X is the letter of the correct option."

YES_NO = "Reply with one line only: 'Answer: yes' or 'Answer: no'."

HAND_WRITTEN: dict[str, dict[str, str]] = {
    "sports_understanding": {
        "sport_rule": (
            "You will decide whether a sentence about sports is plausible. First recall which "
            "sport the named athlete plays; the sentence is plausible only if the action it "
            "describes belongs to that same sport (a hockey player does not throw a touchdown "
            "pass). " + YES_NO
        ),
        "two_examples": (
            "You will decide whether a sentence about sports is plausible. " + YES_NO + "\n\n"
            'Example:\nIs the following sentence plausible? "Tom Brady threw a touchdown '
            'pass."\nAnswer: yes\n\nExample:\nIs the following sentence plausible? '
            '"Lionel Messi hit a three-pointer."\nAnswer: no'
        ),
        "unbiased": (
            "You will decide whether a sentence about sports is plausible. About half of such "
            "sentences are plausible and half are not; judge each on its own. " + YES_NO
        ),
    },
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

HAND_WRITTEN["web_of_lies"] = {
    kind: instructions("web_of_lies")[kind] for kind in ("short", "recipe", "direct")
}
HAND_WRITTEN["sports_understanding"] |= {
    kind: instructions("sports_understanding")[kind] for kind in ("short", "recipe", "direct")
}
