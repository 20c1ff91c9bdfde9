"""TextGrad's ``tasks.multimodal.scienceqa`` path: ScienceQA image questions, and their scoring."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ...prompts import render
from ..local_data import PathLike
from .images import MAX_IMAGE_BYTES, ImageQuestionSet
from .images import compress_image as _compress

__all__ = [
    "ScienceQADataset",
    "compress_image",
    "extract_answer",
    "find_most_similar_choice",
    "normalize_extracted_answer",
    "preprocess_text",
    "safe_equal",
]

OPTIONS = list("ABCDEFGHIJ")


def compress_image(decoded_image: Any, max_size_bytes: float = MAX_IMAGE_BYTES) -> bytes:
    """The image as PNG bytes no larger than ``max_size_bytes`` (see ``images.compress_image``).

    Example:
        >>> compress_image(b"\\x89PNG\\r\\n\\x1a\\n small")[:4]
        b'\\x89PNG'
    """
    return _compress(decoded_image, max_size_bytes, fmt="PNG")


def preprocess_text(text: str) -> str:
    """Lower case without punctuation.

    Example:
        >>> preprocess_text("A gas, surely!")
        'a gas surely'
    """
    return re.sub(r"[^\w\s]", "", text).lower()


def find_most_similar_choice(text: str, choices: Sequence[str]) -> int:
    """The index of the choice sharing the most words with ``text`` (the first on a tie).

    Example:
        >>> find_most_similar_choice("it is a liquid at room temperature", ["a gas", "a liquid"])
        1
    """
    words = Counter(preprocess_text(text).split())
    scores = [sum((words & Counter(preprocess_text(c).split())).values()) for c in choices]
    return scores.index(max(scores))


def extract_answer(response_text: str) -> str:
    """The option letter of ``Answer: (X) ...``, else the text after ``Answer:`` up to a
    full stop, else the whole response.

    Example:
        >>> extract_answer("It melts. Answer: (B) a liquid."), extract_answer("Answer: a gas.")
        ('B', 'a gas')
    """
    letter = re.search(r"Answer: \(([A-Z])\)", response_text)
    if letter:
        return letter.group(1).upper()
    text = re.search(r"Answer: ([^\.]+)", response_text)
    return text.group(1).strip() if text else response_text


def normalize_extracted_answer(
    extracted_answer: str, question_data: dict[str, Any], options: Sequence[str] = OPTIONS
) -> int:
    """The index of the chosen option: by letter, by a choice named in the text, or by the
    most words in common.

    Example:
        >>> normalize_extracted_answer("B", {"choices": ["a gas", "a liquid"]})
        1
    """
    choices = question_data["choices"]
    letters = list(options[: len(choices)])
    if extracted_answer in letters:
        return letters.index(extracted_answer)
    for i, choice in enumerate(choices):
        if choice.lower() in extracted_answer.lower():
            return i
    return find_most_similar_choice(extracted_answer, choices)


def safe_equal(a: Any, b: Any) -> bool:
    """Whether ``a == b``.

    Example:
        >>> safe_equal(1, 1), safe_equal(1, "1")
        (True, False)
    """
    return bool(a == b)


class ScienceQADataset(ImageQuestionSet):
    """ScienceQA's questions that have an image, for test-time optimization of answers.

    The data is ``scienceqa/<split>.jsonl`` in a data folder (``data_dir=`` or ``root``,
    else ``$TG_CORE_DATA_DIR``): one JSON object per line with ``pid``, ``question``,
    ``choices``, ``answer`` (the index of the right choice), ``hint`` and ``image`` (the
    image file's path inside the folder).

    Items are ``(image_bytes, query, answer, question_data, test_time_objective,
    instance_eval_fn)``; ``instance_eval_fn(answer_variable)`` gives ``(score, details)``.
    """

    task, task_prompt, evaluation_prompt = "scienceqa", "scienceqa_task", "scienceqa_evaluation"

    def __init__(
        self,
        evaluation_api: Any,
        root: PathLike | None = None,
        split: str = "test",
        task_instruction: str | None = None,
        evaluation_instruction: str | None = None,
        *args: Any,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = list(OPTIONS)
        super().__init__(
            evaluation_api, root, split, task_instruction, evaluation_instruction, data_dir
        )

    def extract(self, response_text: str, question_data: dict[str, Any]) -> str:
        """See :func:`extract_answer`."""
        return extract_answer(response_text)

    def normalize(self, extracted: Any, question_data: dict[str, Any]) -> int:
        """See :func:`normalize_extracted_answer`."""
        return normalize_extracted_answer(extracted, question_data, self.options)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        row = self.data[index]
        choices = list(row["choices"])
        hint = row.get("hint") or ""
        query = render(
            "scienceqa_query",
            instruction=self.task_instruction,
            context=render("scienceqa_context", hint=hint) if hint else "",
            question=row["question"],
            choices=" ".join(f"({self.options[i]}) {c}" for i, c in enumerate(choices)),
        )
        data = {
            "pid": row.get("pid"),
            "question": row["question"],
            "choices": choices,
            "hint": hint,
        }
        return self.item(row, query, int(row["answer"]), data, "PNG")
