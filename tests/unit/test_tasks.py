"""Tasks: TextGrad's splits, evaluation functions, and the offline question generator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.tasks import generate_object_counting, load_task, parse_integer_answer
from tg_core.tasks.object_counting_generator import CATEGORIES


def test_bbh_object_counting_splits(data_dir: Path) -> None:
    train, val, test, eval_fn = load_task("BBH_object_counting", None, data_dir=data_dir)
    assert (len(train), len(val), len(test)) == (50, 100, 100)
    question, answer = val[0]
    assert question.startswith("I have") and answer.isdigit()
    good = eval_fn(
        inputs=dict(
            prediction=tg.Variable(f"so... Answer: {answer}", role_description="prediction"),
            ground_truth_answer=tg.Variable(answer, role_description="truth", requires_grad=False),
        )
    )
    assert good.value == "1" and isinstance(good, tg.Variable)


def test_bbh_word_sorting_compares_word_lists(data_dir: Path) -> None:
    _, val, _, eval_fn = load_task("BBH_word_sorting", None, data_dir=data_dir)
    _, answer = val[0]
    right = eval_fn(
        inputs=dict(
            prediction=tg.Variable(f"Sorted.\nAnswer: {answer}", role_description="p"),
            ground_truth_answer=tg.Variable(answer, role_description="t"),
        )
    )
    wrong = eval_fn(
        inputs=dict(
            prediction=tg.Variable("Answer: zebra apple", role_description="p"),
            ground_truth_answer=tg.Variable(answer, role_description="t"),
        )
    )
    assert (right.value, wrong.value) == ("1", "0")


def test_gsm8k_dspy_split(data_dir: Path) -> None:
    train, val, test, _ = load_task("GSM8K_DSPy", None, data_dir=data_dir)
    assert (len(train), len(val), len(test)) == (200, 300, 1319)
    assert all(a.lstrip("-").isdigit() for _, a in train)
    assert len({q for q, _ in train} & {q for q, _ in val}) == 0


def test_gsm8k_split_matches_dspy(data_dir: Path) -> None:
    dspy_gsm8k = pytest.importorskip("dspy.datasets.gsm8k")
    import json
    import random

    rows = [
        json.loads(line)
        for line in (data_dir / "gsm8k/train.jsonl").read_text().splitlines()
        if line
    ]
    random.Random(0).shuffle(rows)
    train, _, _, _ = load_task("GSM8K_DSPy", None, data_dir=data_dir)
    assert [q for q, _ in train[:5]] == [r["question"] for r in rows[:5]]
    assert dspy_gsm8k is not None


def test_unknown_task_and_missing_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(tg.UserError, match="unknown"):
        load_task("BBH_nope_nope", None)
    with pytest.raises(tg.UserError, match="not a folder"):
        load_task("BBH_object_counting", None, data_dir=tmp_path / "missing")


def test_parse_integer_answer() -> None:
    assert parse_integer_answer("Answer: 1,024 items") == 1024
    assert parse_integer_answer("no digits") is None


def test_generator_is_seeded_and_exact() -> None:
    a = generate_object_counting(50, seed=3)
    assert a == generate_object_counting(50, seed=3) and a != generate_object_counting(50, seed=4)
    from tg_core.tasks.object_counting_generator import _plural

    words = {"a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5}
    for ex in a:
        category = re.search(r"How many (.+) do I have\?", ex["input"]).group(1)  # type: ignore[union-attr]
        forms = {f for s in CATEGORIES[category] for f in (s, _plural(s))}
        listing = ex["input"][len("I have ") : ex["input"].index(". How many")]
        total = 0
        for phrase in re.split(r", and |, ", listing):
            count_word, item = phrase.split(" ", 1)
            if item in forms:
                total += words[count_word]
        assert str(total) == ex["target"], ex
