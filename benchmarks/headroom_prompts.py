"""Hand-written instructions for the headroom study, next to each task's seed instruction."""

from __future__ import annotations

from tg_core.tasks import BBH_TASKS

# Kinds of hand-written instruction, in table order:
#   short:   the answer format first, then at most two short sentences of reasoning
#   recipe:  a short reasoning recipe for the task with one worked example
#   direct:  the answer line only, no reasoning
KINDS = ("seed", "short", "recipe", "direct")

_HAND_WRITTEN: dict[str, dict[str, str]] = {
    "sports_understanding": {
        "short": (
            "Your reply must end with the line 'Answer: yes' or 'Answer: no'. Before that "
            "line, write at most two short sentences of reasoning."
        ),
        "recipe": (
            "You decide whether a sentence about sports is plausible.\n"
            "Step 1: name the sport the athlete plays.\n"
            "Step 2: name the sport that the action and the event belong to.\n"
            "Step 3: if both are the same sport, the sentence is plausible; otherwise not.\n"
            "Write one short line per step, then the last line 'Answer: yes' or 'Answer: no'.\n"
            'Example: Is the following sentence plausible? "Lionel Messi threw a '
            'touchdown pass in the Super Bowl."\n'
            "Step 1: Lionel Messi plays soccer.\n"
            "Step 2: a touchdown pass and the Super Bowl are American football.\n"
            "Step 3: different sports.\n"
            "Answer: no"
        ),
        "direct": (
            "Decide whether the sentence about sports is plausible. Reply with one line only: "
            "'Answer: yes' or 'Answer: no'. Do not explain."
        ),
    },
    "web_of_lies": {
        "short": (
            "Your reply must end with the line 'Answer: Yes' or 'Answer: No'. Before that "
            "line, write at most two short sentences of reasoning."
        ),
        "recipe": (
            "You decide who tells the truth. The first person's status is given. Go through "
            "the statements in order: if X says Y lies, X tells the truth exactly when Y lies; "
            "if X says Y tells the truth, X tells the truth exactly when Y does. Write one "
            "line per person, 'Name: truth' or 'Name: lies'. The last line must be "
            "'Answer: Yes' if the person asked about tells the truth, else 'Answer: No'.\n"
            "Example: Question: Ana lies. Ben says Ana lies. Cy says Ben lies. Does Cy tell "
            "the truth?\n"
            "Ana: lies\n"
            "Ben: truth (Ana lies and Ben says so)\n"
            "Cy: lies (Ben tells the truth but Cy says Ben lies)\n"
            "Answer: No"
        ),
        "direct": (
            "Decide whether the person asked about tells the truth. Reply with one line only: "
            "'Answer: Yes' or 'Answer: No'. Do not explain."
        ),
    },
    "hyperbaton": {
        "short": (
            "Your reply must end with the line 'Answer: (X)' where X is the letter of the "
            "correct option. Before that line, write at most two short sentences of reasoning."
        ),
        "recipe": (
            "English puts adjectives before a noun in this order: opinion, size, age, shape, "
            "color, origin, material, purpose. For each option, give every adjective its "
            "category and check that the categories follow that order. The last line must "
            "be 'Answer: (X)' where X is the letter of the option in the right order.\n"
            "Example: Which sentence has the correct adjective order: (A) red lovely Chinese "
            "small car (B) lovely small red Chinese car\n"
            "(A): color, opinion, origin, size: out of order.\n"
            "(B): opinion, size, color, origin: in order.\n"
            "Answer: (B)"
        ),
        "direct": (
            "Pick the sentence whose adjectives are in the correct English order. Reply with "
            "one line only: 'Answer: (X)' where X is the letter of that option. Do not explain."
        ),
    },
    "tracking_shuffled_objects_three_objects": {
        "short": (
            "Your reply must end with the line 'Answer: (X)' where X is the letter of the "
            "correct option. Before that line, write at most two short sentences of reasoning."
        ),
        "recipe": (
            "Write who holds what at the start on one line. Then apply the swaps in order: "
            "the two people named exchange what they hold; after each swap write the new "
            "line for all three people. At the end find what the person asked about holds "
            "among the options. The last line must be 'Answer: (X)' where X is that option's "
            "letter.\n"
            "Example: Alice has a red ball, Bob has a blue ball, Claire has a green ball. "
            "First, Alice and Bob swap balls. Then, Bob and Claire swap balls. At the end, "
            "Bob has (A) red ball (B) blue ball (C) green ball\n"
            "Start: Alice red, Bob blue, Claire green\n"
            "Alice and Bob swap: Alice blue, Bob red, Claire green\n"
            "Bob and Claire swap: Alice blue, Bob green, Claire red\n"
            "Answer: (C)"
        ),
        "direct": (
            "Track the swaps and say what the person asked about has at the end. Reply with "
            "one line only: 'Answer: (X)' where X is the letter of the correct option. Do not "
            "explain."
        ),
    },
    "object_counting": {
        "short": (
            "Your reply must end with the line 'Answer: N' where N is a number. Before that "
            "line, write at most two short sentences of reasoning."
        ),
        "recipe": (
            "List every item in the question that belongs to the category asked about, one "
            "per line with its quantity (a or an is 1, two is 2, and so on); leave out items "
            "of other categories. Then add the quantities. The last line must be "
            "'Answer: N' where N is the total.\n"
            "Example: I have a piano, two flutes, and a cabbage. How many musical instruments "
            "do I have?\n"
            "piano: 1\n"
            "flutes: 2\n"
            "Total: 1 + 2 = 3\n"
            "Answer: 3"
        ),
        "direct": (
            "Count the items of the category asked about. Reply with one line only: "
            "'Answer: N' where N is the number. Do not explain."
        ),
    },
}

TASKS = tuple(_HAND_WRITTEN)


def instructions(task: str) -> dict[str, str]:
    """The seed instruction and the hand-written ones for ``task``, by kind."""
    return {"seed": BBH_TASKS[task].instruction, **_HAND_WRITTEN[task]}
