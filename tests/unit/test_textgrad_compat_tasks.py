"""TextGrad's task classes on small data the tests write: loaders, splits, items, missing data."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeEngine
from tg_core.tasks import DataLoader, load_extra_task, load_instance_task
from tg_core.tasks.data_files import DataUnavailable

PNG = (Path(__file__).resolve().parents[2] / "examples" / "assets" / "checker.png").read_bytes()


def _jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


# -- DataLoader ----------------------------------------------------------------------------
def test_dataloader_batches_pairs_and_covers_each_epoch() -> None:
    data = [(f"q{i}", f"a{i}") for i in range(7)]
    loader = DataLoader(data, batch_size=3, shuffle=True, seed=1)
    for _ in range(2):
        batches = list(loader)
        assert [len(xs) for xs, _ in batches] == [3, 3, 1]
        seen = [(x, y) for xs, ys in batches for x, y in zip(xs, ys)]
        assert sorted(seen) == sorted(data)
    assert len(loader) == 3


def test_dataloader_shuffle_follows_random_seed_and_plain_items_stay_lists() -> None:
    random.seed(3)
    first = [b for b in DataLoader(list(range(6)), batch_size=2)]
    random.seed(3)
    second = [b for b in DataLoader(list(range(6)), batch_size=2)]
    assert first == second and all(isinstance(b, list) for b in first)
    assert [b for b in DataLoader(list(range(4)), batch_size=4, shuffle=False)] == [[0, 1, 2, 3]]
    with pytest.raises(tg.UserError, match="batch_size"):
        DataLoader([1], batch_size=0)


# -- BBH and GSM8K -------------------------------------------------------------------------
def test_big_bench_hard_reads_textgrads_cached_csv(tmp_path: Path) -> None:
    from tg_core.tasks.big_bench_hard import BigBenchHard, parse_integer_answer

    folder = tmp_path / "object_counting"
    folder.mkdir()
    with open(folder / "val.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", "x", "y"])
        writer.writerows([[0, "I have a cat and two dogs. How many animals?", 3]])
    val = BigBenchHard("object_counting", root=str(tmp_path), split="val")
    assert len(val) == 1 and val[0] == ("I have a cat and two dogs. How many animals?", "3")
    assert "Answer" in val.get_task_description()
    assert parse_integer_answer("no number") == 0
    assert parse_integer_answer("7 apples\nthen 9", only_first_line=True) == 7


def test_gsm8k_textgrad_split(tmp_path: Path) -> None:
    from tg_core.tasks.gsm8k import GSM8K

    rows = [{"question": f"Q{i}?", "answer": f"work\n#### {i}"} for i in range(120)]
    _jsonl(tmp_path / "gsm8k" / "train.jsonl", rows)
    _jsonl(tmp_path / "gsm8k" / "test.jsonl", rows[:5])
    train, val, test = (GSM8K("main", root=tmp_path, split=s) for s in ("train", "val", "test"))
    assert (len(train), len(val), len(test)) == (20, 100, 5)
    assert train[0] == ("Question: Q100?", "work\n#### 100") and val[0][0] == "Question: Q0?"


# -- multiple choice -----------------------------------------------------------------------
def _mmlu(folder: Path) -> None:
    rows = [
        {"question": "Which is a prime?", "choices": ["4", "6", "7", "9"], "answer": 2},
        {"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1},
    ]
    for split in ("train", "validation", "test"):
        _jsonl(folder / "mmlu" / "machine_learning" / f"{split}.jsonl", rows)


def test_mmlu_jsonl_and_original_csv(tmp_path: Path) -> None:
    from tg_core.tasks.mmlu import MMLU

    _mmlu(tmp_path)
    test = MMLU("machine_learning", root=tmp_path, split="test")
    question, answer = test[0]
    assert answer == "C" and "Which is a prime?" in question and "C) 7" in question
    csv_dir = tmp_path / "mmlu" / "val"
    csv_dir.mkdir(parents=True)
    (csv_dir / "anatomy_val.csv").write_text("What bone?,Femur,Ulna,Skull,Rib,A\n", "utf-8")
    val = MMLU("anatomy", data_dir=tmp_path, split="validation")
    assert val[0][1] == "A" and "A) Femur" in val[0][0]
    assert [a for _, a in test] == ["C", "B"]


def test_mmlu_instance_task_items_and_objective(tmp_path: Path) -> None:
    _mmlu(tmp_path)
    fake = FakeEngine(["The reasoning about primes holds."])
    test_set = load_instance_task("MMLU_machine_learning", fake, data_dir=tmp_path)
    question, answer, test_time_objective, instance_eval_fn = test_set[0]
    assert answer == "C" and "Answer: X" in question
    response = tg.Variable("7 is prime.\nAnswer: C", role_description="solution")
    assert instance_eval_fn(response) == 1.0
    assert instance_eval_fn(tg.Variable("Answer: A", role_description="s")) == 0.0
    loss = test_time_objective(response)
    assert loss.value == "The reasoning about primes holds."
    assert "Which is a prime?" in fake.prompts[0] and "7 is prime." in fake.prompts[0]
    assert len(list(test_set)) == 2 and len(test_set) == 2


def test_load_extra_task_gives_mmlu_splits_and_a_letter_eval_fn(tmp_path: Path) -> None:
    _mmlu(tmp_path)
    found = load_extra_task("MMLU_machine_learning", None, data_dir=tmp_path)
    assert found is not None
    train, val, test, eval_fn = found
    assert len(train) == len(val) == len(test) == 2
    prediction = tg.Variable("Answer: C", role_description="prediction")
    truth = tg.Variable("C", role_description="truth", requires_grad=False)
    assert eval_fn(inputs=dict(prediction=prediction, ground_truth_answer=truth)).value == "1"
    assert load_extra_task("GSM8K_DSPy") is None


def _gpqa(folder: Path) -> None:
    path = folder / "gpqa" / "gpqa_diamond.csv"
    path.parent.mkdir(parents=True)
    fields = [
        "Question",
        "Correct Answer",
        "Incorrect Answer 1",
        "Incorrect Answer 2",
        "Incorrect Answer 3",
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for i in range(6):
            writer.writerow(dict(zip(fields, [f"Q{i}?", f"right{i}", "w1", "w2", "w3"])))


def test_gpqa_shuffles_each_question_and_scores_letters(tmp_path: Path) -> None:
    from tg_core.tasks.gpqa import GPQA, GPQAInstanceDatasetOpenAI

    _gpqa(tmp_path)
    gpqa = GPQA("gpqa_diamond", root=tmp_path)
    letters = [a for _, a in gpqa]
    for (question, letter), i in zip(gpqa, range(6)):
        assert f"{letter}) right{i}" in question
    assert len(set(letters)) > 1  # the right answer does not sit at one position
    assert [a for _, a in gpqa] == letters  # and the order is the same every time
    instance = load_instance_task("GPQA_diamond", FakeEngine(), data_dir=tmp_path)
    question, answer, _, evaluate = instance[0]
    assert evaluate(tg.Variable(f"Answer: {answer}", role_description="s")) == 1.0
    openai_order = GPQAInstanceDatasetOpenAI(FakeEngine(), "gpqa_diamond", root=tmp_path)
    assert len(openai_order) == 6 and openai_order[0][1] in "ABCD"


def test_leetcode_hard_local_file(tmp_path: Path) -> None:
    rows = [
        {
            "task_id": "median",
            "prompt": "def median(a, b):",
            "test": "assert median([1], [2]) == 1.5",
        }
    ]
    _jsonl(tmp_path / "leetcode-hard.jsonl", rows)
    dataset = load_instance_task("LeetCodeHardEval", None, root=tmp_path)
    assert len(dataset) == 1 and dataset[0] == ("median", "def median(a, b):", rows[0]["test"])
    assert "LeetCode" in dataset.get_task_description()


# -- missing data ----------------------------------------------------------------------------
def test_missing_data_says_how_to_supply_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from tg_core.tasks.gpqa import GPQA
    from tg_core.tasks.leetcode import LeetCodeHardEval
    from tg_core.tasks.mmlu import MMLU

    monkeypatch.delenv("TG_CORE_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailable, match=r"mmlu/anatomy/test\.jsonl.*data_dir="):
        MMLU("anatomy", data_dir=tmp_path, split="test")

    def offline(*args: object, **kwargs: object) -> None:
        raise httpx.ConnectError("no network")

    monkeypatch.setattr(httpx, "get", offline)
    with pytest.raises(DataUnavailable, match=r"not downloadable.*gpqa/gpqa_main\.csv.*data_dir="):
        GPQA("gpqa_main", root=tmp_path)
    with pytest.raises(DataUnavailable, match=r"leetcode-hard\.jsonl"):
        LeetCodeHardEval(data_dir=tmp_path)
    with pytest.raises(tg.UserError, match="unknown instance task"):
        load_instance_task("BBH_object_counting", None)


# -- image question sets -------------------------------------------------------------------
def test_mathvista_items_objective_and_scoring(tmp_path: Path) -> None:
    from tg_core.tasks.multimodal import load_multimodal_instance_task
    from tg_core.tasks.multimodal.mathvista import normalize_extracted_answer

    (tmp_path / "mathvista" / "images").mkdir(parents=True)
    (tmp_path / "mathvista" / "images" / "1.png").write_bytes(PNG)
    row = {
        "pid": "1",
        "query": "How many squares are dark? Choices: (A) 8 (B) 32",
        "choices": ["8", "32"],
        "unit": None,
        "precision": None,
        "answer": "32",
        "question_type": "multi_choice",
        "answer_type": "text",
        "metadata": {},
        "image": "mathvista/images/1.png",
    }
    _jsonl(tmp_path / "mathvista" / "testmini.jsonl", [row])
    fake = FakeEngine(["The count of dark squares is not justified.", "B"])
    dataset = load_multimodal_instance_task("mathvista", fake, data_dir=tmp_path)
    image, query, answer, data, objective, evaluate = dataset[0]
    assert image == PNG and "How many squares" in query and answer == "32"
    response = tg.Variable("There are 32 dark squares.", role_description="answer")
    loss = objective(response)
    assert loss.value == "The count of dark squares is not justified."
    assert PNG in list(fake.calls[0].content)
    score, details = evaluate(response)  # extraction asks the engine, which says "B"
    assert (score, details["normalized_answer"]) == (1, "32")
    assert (
        normalize_extracted_answer(
            "3.14159",
            {**data, "answer_type": "float", "question_type": "free_form", "precision": 2},
        )
        == "3.14"
    )


def test_scienceqa_items_and_scoring(tmp_path: Path) -> None:
    from tg_core.tasks.multimodal import load_multimodal_instance_task

    (tmp_path / "scienceqa").mkdir()
    (tmp_path / "scienceqa" / "img0.png").write_bytes(PNG)
    row = {
        "pid": "0",
        "question": "Which state is shown?",
        "choices": ["solid", "liquid"],
        "answer": 1,
        "hint": "The picture shows water.",
        "image": "scienceqa/img0.png",
    }
    _jsonl(tmp_path / "scienceqa" / "test.jsonl", [row])
    dataset = load_multimodal_instance_task("scienceqa", FakeEngine(), data_dir=tmp_path)
    image, query, answer, _, _, evaluate = dataset[0]
    assert image == PNG and answer == 1
    assert "Context: The picture shows water." in query and "(A) solid (B) liquid" in query
    assert evaluate(tg.Variable("It flows. Answer: (B) liquid.", role_description="a"))[0] == 1
    assert evaluate(tg.Variable("Answer: solid.", role_description="a"))[0] == 0
    with pytest.raises(DataUnavailable, match=r"scienceqa/test\.jsonl"):
        load_multimodal_instance_task("scienceqa", FakeEngine(), data_dir=tmp_path / "none")
