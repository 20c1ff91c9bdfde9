"""Answer readers on messy replies: rambling, several candidates, markdown, lowercase."""

from __future__ import annotations

import pytest

from tg_core.tasks.answer_text import answer_segments, clean, options
from tg_core.tasks.choice_form import CHOICE
from tg_core.tasks.forms import PLAUSIBLE, TRUE_FALSE, VALID_INVALID, YES_NO, IntegerForm
from tg_core.tasks.sequence_forms import BracketsForm, WordListForm

DANCE = (
    "Alice, Bob, and Claire are dancers. ... At the end of the dance, Alice is dancing with\n"
    "Options:\n(A) Helga\n(B) Lola\n(C) Ophelia"
)
ORDER = (
    "On a branch, there are three birds: a robin, a blue jay, and a crow.\n"
    "Options:\n(A) The robin is the rightmost\n(B) The blue jay is the rightmost\n"
    "(C) The crow is the rightmost"
)
SORT = "Sort the following words alphabetically: List: sioux fortescue purloin percept helmsman"
DYCK = "Complete the rest of the sequence, making sure ... Input: < [ ] { < ( ) > } [ ] ( { }"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("2 apples and 3 bananas, that is 5.\n\nAnswer: 5\n\nI left out the 2 carrots.", "5"),
        ("**Answer:** 12", "12"),
        ("Answer: There are six fruits in total.", "6"),
        ("Answer: 3 + 4 + 1 = 8", "8"),
        ("Answer: 9 (3 apples, 4 plums, 2 figs)", "9"),
        ("The answer is 7.\nWait, I missed one.\nAnswer: 8", "8"),
        ("Answer: $VALUE\nCounting again: 1, 2, 3, so 3 items.", "3"),
        ("I have 1,024 marbles", "1024"),
        ("Adding up: 3 + 4 + 7 = 14, so the total is \\boxed{14}.", "14"),
        ("I cannot count these.", None),
    ],
)
def test_integer_reader(reply: str, expected: str | None) -> None:
    assert IntegerForm().read(reply) == expected


@pytest.mark.parametrize(
    ("form", "reply", "expected"),
    [
        (YES_NO, "No one is sure. Yes, Ka lies.\nAnswer: No", "no"),
        (YES_NO, "answer: yes", "yes"),
        (YES_NO, "**Answer: No**\nBecause Leda says yes, ...", "no"),
        (YES_NO, "Delbert says Ka lies, so yes, Delbert tells the truth... Lorine lies: No", "no"),
        (YES_NO, "So the answer is yes.", "yes"),
        (YES_NO, "Answer: Yes, because no one lied.", "yes"),
        (YES_NO, "It depends on the person.", None),
        (TRUE_FALSE, "not True is False, and False or True is True.\nAnswer: **False**", "false"),
        (TRUE_FALSE, "so it is true\nanswer: true", "true"),
        (TRUE_FALSE, "The expression evaluates to False", "false"),
        (
            VALID_INVALID,
            "Premise 1 is valid on its own.\nAnswer: The argument is invalid.",
            "invalid",
        ),
        (VALID_INVALID, "Answer: not valid", "invalid"),
        (VALID_INVALID, "Everything follows, so the argument is deductively valid.", "valid"),
        (VALID_INVALID, "Answer: Invalid", "invalid"),
        (PLAUSIBLE, "Answer: implausible, he plays soccer", "no"),
        (PLAUSIBLE, "A basketball player shooting a free throw is plausible.", "yes"),
        (PLAUSIBLE, "Answer: no", "no"),
    ],
)
def test_label_readers(form: object, reply: str, expected: str | None) -> None:
    assert form.read(reply) == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("reply", "question", "expected"),
    [
        ("Alice gets Lola, then Ophelia.\nAnswer: (C)", DANCE, "C"),
        ("(A) is wrong and (B) too... **Answer: (C) Ophelia**", DANCE, "C"),
        ("Answer: B", DANCE, "B"),
        ("answer: b", DANCE, "B"),
        ("Answer: B) Lola", DANCE, "B"),
        ("Answer: Option A", DANCE, "A"),
        ("Answer: Alice ends up dancing with Ophelia.", DANCE, "C"),
        ("Answer: The blue jay is the rightmost.", ORDER, "B"),
        ("Answer: the BLUE JAY is the rightmost", ORDER, "B"),
        ("We check (A), then (B). It must be (B).", ORDER, "B"),
        ("The answer is (A).\nAnswer: $VALUE", ORDER, "A"),
        ("Answer: A man would say Lola", DANCE, "B"),
        ("Answer: (D)", DANCE, None),
        ("Answer: Helga or Lola", DANCE, None),
        ("I am not sure.", DANCE, None),
        ("Claire has the black ball.\nSo the final color is \\boxed{B}.", DANCE, "B"),
        ("Answer: (A)", None, "A"),
        ("Answer: C.", None, "C"),
    ],
)
def test_choice_reader(reply: str, question: str | None, expected: str | None) -> None:
    assert CHOICE.read(reply, question) == expected


def test_choice_scores_letters_and_text_targets() -> None:
    assert CHOICE.score("Answer: (B) Lola", "(B)", DANCE) == 1
    assert CHOICE.score("Answer: (A) Helga", "(B)", DANCE) == 0
    assert CHOICE.score("Answer: Lola", "(B)") == 0  # option text needs the question
    assert CHOICE.score("Answer: Monsters, Inc.", "Monsters, Inc") == 1
    assert CHOICE.score("Answer: (A) Monsters", "Monsters, Inc") == 0


@pytest.mark.parametrize(
    ("reply", "question", "expected"),
    [
        (
            "Answer: fortescue helmsman percept purloin sioux",
            None,
            "fortescue helmsman percept purloin sioux",
        ),
        (
            "Sorting by first letter...\nAnswer: Apple, banana, Cherry.\nAll done!",
            None,
            "apple banana cherry",
        ),
        ("**Answer:** it&t o'connell zoo", None, "it&t o'connell zoo"),
        ("Answer: The sorted list is: fig pear", None, "fig pear"),
        ("Answer:\n1. fig\n2. pear\n\nThese are sorted.", None, "fig pear"),
        (
            "f comes before h.\nfortescue helmsman percept purloin sioux\nHope this helps!",
            SORT,
            "fortescue helmsman percept purloin sioux",
        ),
        (
            "Let me sort them.\n- helmsman\n- fortescue\n- percept\n- purloin\n- sioux",
            SORT,
            "helmsman fortescue percept purloin sioux",
        ),
        ("Sorting is easy.", SORT, None),
        ("Sorting is easy.", None, "sorting is easy"),
    ],
)
def test_word_list_reader(reply: str, question: str | None, expected: str | None) -> None:
    assert WordListForm().read(reply, question) == expected


def test_word_list_scores_order() -> None:
    form = WordListForm()
    assert form.score("Answer: fig pear", "fig pear") == 1
    assert form.score("Answer: pear fig", "fig pear") == 0
    assert form.score("Answer: fig", "fig pear") == 0


@pytest.mark.parametrize(
    ("reply", "question", "expected"),
    [
        ("We must close { then ( .\nAnswer: } ) }", None, "} ) }"),
        ("**Answer:** `) >`", None, ") >"),
        ("Answer: ) ]\nThat closes the ( first and then [.", None, ") ]"),
        ("Answer: < [ ] { < ( ) > } [ ] ( { } ) >", DYCK, ") >"),
        ("The open brackets are ( and {.\nSo we close them:\n} )", None, "} )"),
        ("I think the sequence is already closed.", None, None),
    ],
)
def test_brackets_reader(reply: str, question: str | None, expected: str | None) -> None:
    assert BracketsForm().read(reply, question) == expected


def test_answer_text_helpers() -> None:
    assert clean("**Answer**: __(B)__") == "Answer: (B)"
    assert list(answer_segments("Answer: 1\nThe answer is 2\nAnswer: 3")) == ["3", "2\nAnswer: 3"]
    assert options("no options here") == {} and options(None) == {}
