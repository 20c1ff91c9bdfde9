"""Image question sets: rows from a local JSONL file, image files read and kept under a size."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...errors import UserError
from ...loss import ImageQALoss
from ...prompts import load_prompt
from ...variable import Variable
from ..local_data import PathLike, find_data_file

MAX_IMAGE_BYTES = int(3.6 * 1024 * 1024)

Objective = Callable[[Variable], Variable]


def compress_image(image: Any, max_size_bytes: float = MAX_IMAGE_BYTES, fmt: str = "PNG") -> bytes:
    """Image bytes no larger than ``max_size_bytes``: bytes already small enough are kept,
    anything else (a PIL image, larger bytes) is saved as ``fmt``, shrunk by 10% until it fits.

    Raises:
        UserError: Pillow is needed and not installed, or the image cannot be made that small.

    Example:
        >>> compress_image(b"\\x89PNG\\r\\n\\x1a\\n...")[:4]
        b'\\x89PNG'
    """
    if isinstance(image, (bytes, bytearray)) and len(image) <= max_size_bytes:
        return bytes(image)
    try:
        from PIL import Image
    except ImportError as exc:
        raise UserError("shrinking an image needs Pillow: pip install pillow") from exc
    picture = Image.open(io.BytesIO(image)) if isinstance(image, (bytes, bytearray)) else image
    if fmt.upper() == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    while True:
        buffer = io.BytesIO()
        picture.save(buffer, format=fmt)
        if buffer.tell() <= max_size_bytes:
            return buffer.getvalue()
        width, height = int(picture.size[0] * 0.9), int(picture.size[1] * 0.9)
        if width <= 1 or height <= 1:
            raise UserError(f"cannot shrink the image under {max_size_bytes:.0f} bytes")
        picture = picture.resize((width, height), Image.LANCZOS)


class ImageQuestionSet:
    """Rows of ``<folder>/<task>/<split>.jsonl`` with an ``image`` path (relative to the
    data folder) each; items are built by subclasses.

    Subclasses name ``task`` (the folder) and the prompts of the default task and
    evaluation instructions.

    Args:
        evaluation_api: the engine the test-time loss uses.
        root: a data folder; ``data_dir`` is another name for it.
        split: the file name without ``.jsonl``.
        task_instruction: put before each question (default: the task's own).
        evaluation_instruction: what the test-time loss checks (default: the task's own).
    """

    task = ""
    task_prompt = ""
    evaluation_prompt = ""

    def __init__(
        self,
        evaluation_api: Any,
        root: PathLike | None,
        split: str,
        task_instruction: str | None,
        evaluation_instruction: str | None,
        data_dir: PathLike | None,
    ) -> None:
        what = f"{self.task} {split}"
        path = find_data_file(what, [f"{self.task}/{split}.jsonl"], data_dir, root)
        with open(path, encoding="utf-8") as handle:
            self.data: list[dict[str, Any]] = [json.loads(x) for x in handle if x.strip()]
        self.folder = path.parent.parent
        self.root, self.split, self.evaluation_api = root, split, evaluation_api
        self.task_instruction = task_instruction or load_prompt(self.task_prompt).text
        self.evaluation_instruction = (
            evaluation_instruction or load_prompt(self.evaluation_prompt).text
        )

    def extract(self, response_text: str, question_data: dict[str, Any]) -> Any:
        """The short answer in a response (subclasses say how)."""
        raise NotImplementedError

    def normalize(self, extracted: Any, question_data: dict[str, Any]) -> Any:
        """The extracted answer in the form of the dataset's answers (subclasses say how)."""
        raise NotImplementedError

    def eval_extraction_and_matching(
        self, response_text: str, correct_answer: Any, question_data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """``(1 or 0, details)`` for a response: extract, normalize, compare."""
        extracted = self.extract(response_text, question_data)
        normalized = self.normalize(extracted, question_data)
        same = bool(normalized == correct_answer)
        details = {
            "extracted_answer": extracted,
            "normalized_answer": normalized,
            "true_false": same,
        }
        return int(same), details

    def item(
        self, row: dict[str, Any], query: str, answer: Any, data: dict[str, Any], fmt: str
    ) -> tuple[Any, ...]:
        """``(image_bytes, query, answer, question_data, test_time_objective,
        instance_eval_fn)`` for one row."""
        image = self.image_bytes(row, fmt)

        def instance_eval_fn(response: Variable) -> tuple[int, dict[str, Any]]:
            return self.eval_extraction_and_matching(str(response.value), answer, data)

        objective = self.test_time_objective(self.evaluation_instruction, query, image)
        return image, query, answer, data, objective, instance_eval_fn

    def image_bytes(self, row: dict[str, Any], fmt: str) -> bytes:
        """The row's image, shrunk for Claude models (their upload limit is smaller)."""
        found: Path = self.folder / str(row["image"])
        if not found.is_file():
            raise UserError(
                f"image {row['image']!r} of item {row.get('pid')!r} is not in {self.folder}"
            )
        data = found.read_bytes()
        if "claude" in str(getattr(self.evaluation_api, "model_string", "")):
            return compress_image(data, fmt=fmt)
        return data

    def test_time_objective(self, instruction: str, question: str, image: bytes) -> Objective:
        """The loss of an answer: :class:`~tg_core.loss.ImageQALoss` on image and question."""
        loss = ImageQALoss(evaluation_instruction=instruction, engine=self.evaluation_api)

        def objective(instance: Variable) -> Variable:
            var_image = Variable(image, role_description="image input", requires_grad=False)
            var_question = Variable(
                question, role_description="question input", requires_grad=False
            )
            return loss(question=var_question, image=var_image, response=instance)

        return objective

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))
