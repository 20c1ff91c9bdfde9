"""Every BIG-Bench Hard task: its table entry, TextGrad's splits, its scorer and eval_fn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.tasks import BBH_TASKS, TASKS, bbh_scorer, load_task
from tg_core.tasks.answer_text import options
from tg_core.tasks.data_files import SOURCES
from tg_core.tasks.datasets import BBH_SPLITS

CHOICE_TASKS = [name for name, task in BBH_TASKS.items() if task.form.name == "choice"]


def _rows(data_dir: Path, task: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = json.loads((data_dir / "bbh" / f"{task}.json").read_text())[
        "examples"
    ]
    return rows


def test_table_covers_every_data_file(data_dir: Path) -> None:
    files = sorted(p.stem for p in (data_dir / "bbh").glob("*.json"))
    assert len(files) == 23 and sorted(BBH_TASKS) == files


def test_table_entries_are_complete() -> None:
    for name, task in BBH_TASKS.items():
        assert "Think step by step" in task.instruction, name
        assert "'Answer: " in task.instruction, name
        assert f"BBH_{name}" in TASKS and f"bbh/{name}.json" in SOURCES


@pytest.mark.parametrize("task", list(BBH_TASKS))
def test_each_task_loads_with_textgrad_splits(data_dir: Path, task: str) -> None:
    rows = _rows(data_dir, task)
    train, val, test, eval_fn = load_task(f"BBH_{task}", None, data_dir=data_dir)
    for split, bounds in zip((train, val, test), BBH_SPLITS.values()):
        expected = rows[bounds[0] : bounds[1]]
        assert [q for q, _ in split] == [r["input"] for r in expected]
        assert [a for _, a in split] == [str(r["target"]) for r in expected]
        assert split.get_task_description() == BBH_TASKS[task].instruction
    assert len(train) == 50 and len(val) == min(100, len(rows) - 50)
    assert len(test) == max(0, len(rows) - 150)
    question, answer = val[0]
    asked = tg.Variable(question, role_description="question", requires_grad=False)
    truth = tg.Variable(answer, role_description="truth", requires_grad=False)
    right = tg.Variable(f"Let me think.\nAnswer: {answer}", role_description="prediction")
    wrong = tg.Variable("Answer: I am not sure", role_description="prediction")
    assert eval_fn(inputs=dict(prediction=right, ground_truth_answer=truth)).value == "1"
    assert eval_fn(inputs=dict(prediction=wrong, ground_truth_answer=truth)).value == "0"
    with_question = dict(prediction=right, ground_truth_answer=truth, question=asked)
    assert eval_fn(inputs=with_question).value == "1"


@pytest.mark.parametrize("task", CHOICE_TASKS)
def test_choice_tasks_read_option_text_with_the_question(data_dir: Path, task: str) -> None:
    score = bbh_scorer(task)
    checked = 0
    for row in _rows(data_dir, task)[:60]:
        choices = options(row["input"])
        letter = row["target"].strip("()")
        texts = list(choices.values())
        if letter not in choices or len(set(texts)) != len(texts):
            continue  # a few rows have text targets or repeated options
        other = next(k for k in choices if k != letter)
        assert score(f"Hmm.\nAnswer: {choices[letter]}", row["target"], row["input"]) == 1
        assert score(f"Answer: ({other}) {choices[other]}", row["target"], row["input"]) == 0
        checked += 1
    assert checked >= 50


def test_eval_fn_takes_the_question_for_option_text() -> None:
    from tg_core.tasks.scoring import eval_function

    check = eval_function(bbh_scorer("tracking_shuffled_objects_three_objects"))
    question = "At the end Alice has\nOptions:\n(A) a ball\n(B) a hat\n(C) a book"
    p = tg.Variable("She swapped twice... Answer: a hat", role_description="prediction")
    t = tg.Variable("(B)", role_description="truth", requires_grad=False)
    q = tg.Variable(question, role_description="question", requires_grad=False)
    assert check(inputs=dict(prediction=p, ground_truth_answer=t, question=q)).value == "1"
    assert check(inputs=dict(prediction=p, ground_truth_answer=t)).value == "0"


@pytest.mark.parametrize("name", ["BBH_nope", "GPQA_diamond", "nope"])
def test_unknown_task_lists_known_names(name: str) -> None:
    with pytest.raises(tg.UserError) as info:
        load_task(name, None)
    message = str(info.value)
    assert f"unknown task {name!r}" in message
    assert "BBH_web_of_lies" in message and "GSM8K_DSPy" in message


def test_scorer_accepts_prefixed_names_and_rejects_unknown() -> None:
    assert bbh_scorer("BBH_word_sorting")("Answer: fig pear", "fig pear") == 1
    with pytest.raises(tg.UserError, match="unknown BBH task 'chess'; known: causal_judgement"):
        bbh_scorer("chess")
