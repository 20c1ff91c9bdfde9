"""The BIG-Bench Hard tasks: each task's answer form and seed instruction, in one table."""

from __future__ import annotations

from dataclasses import dataclass

from .choice_form import CHOICE
from .forms import PLAUSIBLE, VALID_INVALID, YES_NO, AnswerForm, IntegerForm
from .sequence_forms import BracketsForm, WordListForm


@dataclass(frozen=True)
class BBHTask:
    """One BIG-Bench Hard task.

    Attributes:
        form: how its answers are read and compared.
        instruction: the seed system prompt (think step by step, end with a fixed
            ``Answer: ...`` line in the task's answer form).
    """

    form: AnswerForm
    instruction: str


_LOGICAL_DEDUCTION = (
    "You will solve a logic puzzle about objects arranged in a fixed order. Think step by "
    "step. The last line of your response must be 'Answer: (X)' where X is the letter of "
    "the correct option."
)
_TRACKING = (
    "You will track objects that people swap with each other and say who has what at the "
    "end. Think step by step. The last line of your response must be 'Answer: (X)' where X "
    "is the letter of the correct option."
)

BBH_TASKS: dict[str, BBHTask] = {
    "causal_judgement": BBHTask(
        YES_NO,
        "You will answer a question about causation the way a typical person would. Think "
        "step by step. The last line of your response must be 'Answer: Yes' or 'Answer: No'.",
    ),
    "disambiguation_qa": BBHTask(
        CHOICE,
        "You will say what a pronoun in a sentence refers to, or that it is ambiguous. Think "
        "step by step. The last line of your response must be 'Answer: (X)' where X is the "
        "letter of the correct option.",
    ),
    "dyck_languages": BBHTask(
        BracketsForm(),
        "You will complete a sequence of brackets so that every bracket is closed properly. "
        "Think step by step. The last line of your response must be 'Answer: ' followed by "
        "only the closing brackets that complete the sequence, separated by spaces.",
    ),
    "formal_fallacies": BBHTask(
        VALID_INVALID,
        "You will decide whether an argument is deductively valid given its stated premises. "
        "Think step by step. The last line of your response must be 'Answer: valid' or "
        "'Answer: invalid'.",
    ),
    "geometric_shapes": BBHTask(
        CHOICE,
        "You will name the shape that an SVG path draws. Think step by step. The last line of "
        "your response must be 'Answer: (X)' where X is the letter of the correct option.",
    ),
    "hyperbaton": BBHTask(
        CHOICE,
        "You will pick the sentence whose adjectives are in the correct English order. Think "
        "step by step. The last line of your response must be 'Answer: (X)' where X is the "
        "letter of the correct option.",
    ),
    "logical_deduction_five_objects": BBHTask(CHOICE, _LOGICAL_DEDUCTION),
    "logical_deduction_seven_objects": BBHTask(CHOICE, _LOGICAL_DEDUCTION),
    "logical_deduction_three_objects": BBHTask(CHOICE, _LOGICAL_DEDUCTION),
    "movie_recommendation": BBHTask(
        CHOICE,
        "You will pick the movie most similar to a list of movies. Think step by step. The "
        "last line of your response must be 'Answer: (X)' where X is the letter of the "
        "correct option.",
    ),
    "object_counting": BBHTask(
        IntegerForm(),
        "You will answer a reasoning question. Think step by step. The last line of your "
        "response must be 'Answer: $VALUE' where VALUE is a number.",
    ),
    "penguins_in_a_table": BBHTask(
        CHOICE,
        "You will answer a question about a table of penguins. Think step by step. The last "
        "line of your response must be 'Answer: (X)' where X is the letter of the correct "
        "option.",
    ),
    "reasoning_about_colored_objects": BBHTask(
        CHOICE,
        "You will answer a question about colored objects. Think step by step. The last line "
        "of your response must be 'Answer: (X)' where X is the letter of the correct option.",
    ),
    "ruin_names": BBHTask(
        CHOICE,
        "You will pick the humorous edit of an artist or movie name. Think step by step. The "
        "last line of your response must be 'Answer: (X)' where X is the letter of the "
        "correct option.",
    ),
    "salient_translation_error_detection": BBHTask(
        CHOICE,
        "You will name the kind of error in a translation from German to English. Think step "
        "by step. The last line of your response must be 'Answer: (X)' where X is the letter "
        "of the correct option.",
    ),
    "snarks": BBHTask(
        CHOICE,
        "You will pick the sarcastic statement. Think step by step. The last line of your "
        "response must be 'Answer: (X)' where X is the letter of the correct option.",
    ),
    "sports_understanding": BBHTask(
        PLAUSIBLE,
        "You will decide whether a sentence about sports is plausible. Think step by step. "
        "The last line of your response must be 'Answer: yes' or 'Answer: no'.",
    ),
    "temporal_sequences": BBHTask(
        CHOICE,
        "You will work out when an event could have happened from what people saw during the "
        "day. Think step by step. The last line of your response must be 'Answer: (X)' where "
        "X is the letter of the correct option.",
    ),
    "tracking_shuffled_objects_five_objects": BBHTask(CHOICE, _TRACKING),
    "tracking_shuffled_objects_seven_objects": BBHTask(CHOICE, _TRACKING),
    "tracking_shuffled_objects_three_objects": BBHTask(CHOICE, _TRACKING),
    "web_of_lies": BBHTask(
        YES_NO,
        "You will decide whether a person tells the truth, given statements about who lies "
        "and who tells the truth. Think step by step. The last line of your response must be 'Answer: Yes' or "
        "'Answer: No'.",
    ),
    "word_sorting": BBHTask(
        WordListForm(),
        "You will sort a list of words alphabetically. Think step by step. The last line of "
        "your response must be 'Answer: ' followed by the sorted words separated by spaces.",
    ),
}
