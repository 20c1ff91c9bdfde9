"""TextGrad's ``tasks.multimodal.mathvista`` path: MathVista from local files, and its scoring."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...engine.base import EngineLM
from ...engine.registry import get_backward_engine
from ...prompts import load_prompt, render
from ..local_data import PathLike
from .images import MAX_IMAGE_BYTES, ImageQuestionSet
from .images import compress_image as _compress

__all__ = [
    "MathVistaDataset",
    "compress_image",
    "create_test_prompt",
    "demo_prompt",
    "extract_answer",
    "get_most_similar",
    "normalize_extracted_answer",
    "safe_equal",
    "verify_extraction",
]

demo_prompt = load_prompt("mathvista_extraction_examples").text
"""Worked examples of pulling the final answer out of a response."""


def compress_image(decoded_image: Any, max_size_bytes: float = MAX_IMAGE_BYTES) -> bytes:
    """The image as JPEG bytes no larger than ``max_size_bytes`` (see ``images.compress_image``).

    Example:
        >>> compress_image(b"\\xff\\xd8\\xff\\xe0 small jpeg")[:3]
        b'\\xff\\xd8\\xff'
    """
    return _compress(decoded_image, max_size_bytes, fmt="JPEG")


def verify_extraction(extraction: str | None) -> bool:
    """Whether an extracted answer has any text.

    Example:
        >>> verify_extraction(" 7 "), verify_extraction("  "), verify_extraction(None)
        (True, False, False)
    """
    return bool(extraction and extraction.strip())


def create_test_prompt(demo_prompt: str, query: str, response: str) -> str:
    """The extraction request: the worked examples, then the question and the response.

    Example:
        >>> create_test_prompt("EXAMPLES", "Q?", "It is 4.").endswith("Extracted answer:")
        True
    """
    return render(
        "mathvista_extraction", examples=demo_prompt.strip(), query=query, response=response
    )


def extract_answer(
    response: str, problem: dict[str, Any], quick_extract: bool = False, engine: Any = None
) -> str:
    """The short answer in ``response``: read directly when the response is already one (an
    option, an integer, a float, or ``The answer is "..."`` with ``quick_extract``), else
    asked of ``engine`` (default: the backward engine); without any engine, the response.

    Example:
        >>> extract_answer("12", {"question_type": "free_form", "answer_type": "integer",
        ...     "choices": None, "query": "How many?", "pid": "1"})
        '12'
    """
    if response == "":
        return ""
    choices = problem.get("choices") or []
    if problem["question_type"] == "multi_choice" and response in choices:
        return response
    kind = problem["answer_type"]
    try:
        if kind == "integer":
            return str(int(response))
        if kind == "float":
            return str(float(response))
    except ValueError:
        pass
    if quick_extract:
        found = re.search(r'The answer is "(.*)"\.', response)
        if found:
            return found.group(1)
    judge: EngineLM | None = engine or get_backward_engine()
    if judge is None:
        return response
    return str(judge.generate(create_test_prompt(demo_prompt, problem["query"], response))).strip()


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def get_most_similar(prediction: str, choices: Sequence[str]) -> str:
    """The choice closest to ``prediction`` by edit distance (the first on a tie).

    Example:
        >>> get_most_similar("tringle", ["circle", "triangle", "square"])
        'triangle'
    """
    distances = [_edit_distance(prediction, c) for c in choices]
    return choices[distances.index(min(distances))]


def normalize_extracted_answer(extraction: Any, question_data: dict[str, Any]) -> str | None:
    """The extracted answer in the form MathVista's answers have: an option's text, an
    integer, a float rounded to ``precision``, or a list's text (None when it cannot be read).

    Example:
        >>> normalize_extracted_answer("(B)", {"choices": ["3/11", "8/11"],
        ...     "question_type": "multi_choice", "answer_type": "text", "precision": None})
        '8/11'
    """
    choices = question_data["choices"]
    answer_type = question_data["answer_type"]
    if question_data["question_type"] == "multi_choice":
        text = str(extraction).strip() if extraction is not None else ""
        letters = re.findall(r"\(([a-zA-Z])\)", text)
        if letters:
            text = letters[0].upper()
        options = [chr(ord("A") + i) for i in range(len(choices))]
        return choices[options.index(text)] if text in options else get_most_similar(text, choices)
    try:
        if answer_type == "integer":
            return str(int(float(extraction)))
        if answer_type == "float":
            return str(round(float(extraction), int(question_data["precision"])))
    except (TypeError, ValueError):
        return None
    return None if extraction is None else str(extraction)


def safe_equal(prediction: Any, answer: Any) -> bool:
    """Whether the two are equal, False when comparing them fails.

    Example:
        >>> safe_equal("8/11", "8/11"), safe_equal(None, "1")
        (True, False)
    """
    try:
        return bool(prediction == answer)
    except Exception:
        return False


class MathVistaDataset(ImageQuestionSet):
    """MathVista questions for test-time optimization of answers about images.

    The data is ``mathvista/<split>.jsonl`` in a data folder (``data_dir=`` or ``root``,
    else ``$TG_CORE_DATA_DIR``): one JSON object per line with MathVista's fields (``pid``,
    ``query``, ``choices``, ``unit``, ``precision``, ``answer``, ``question_type``,
    ``answer_type``, ``metadata``) and ``image``, the image file's path inside the folder.

    Items are ``(image_bytes, query, answer, question_data, test_time_objective,
    instance_eval_fn)``; ``instance_eval_fn(answer_variable)`` gives ``(score, details)``.
    """

    task, task_prompt, evaluation_prompt = "mathvista", "mathvista_task", "mathvista_evaluation"

    def __init__(
        self,
        evaluation_api: Any,
        root: PathLike | None = None,
        split: str = "testmini",
        task_instruction: str | None = None,
        evaluation_instruction: str | None = None,
        *args: Any,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            evaluation_api, root, split, task_instruction, evaluation_instruction, data_dir
        )

    def extract(self, response_text: str, question_data: dict[str, Any]) -> str:
        """See :func:`extract_answer` (the evaluation engine extracts when rules do not)."""
        return extract_answer(response_text, question_data, engine=self.evaluation_api)

    def normalize(self, extracted: Any, question_data: dict[str, Any]) -> str | None:
        """See :func:`normalize_extracted_answer`."""
        return normalize_extracted_answer(extracted, question_data)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        row = self.data[index]
        query = render("task_query", instruction=self.task_instruction, query=row["query"])
        keys = ("pid", "choices", "unit", "precision", "answer", "question_type", "answer_type")
        data = {k: row.get(k) for k in keys} | {"query": query, "metadata": row.get("metadata")}
        return self.item(row, query, row["answer"], data, "JPEG")
