"""TextGrad's ``tasks.multimodal`` path: image question sets for test-time optimization."""

from __future__ import annotations

from typing import Any

from ...errors import UserError

__all__ = ["load_multimodal_instance_task"]


def load_multimodal_instance_task(
    task_name: str, evaluation_api: Any, *args: Any, **kwargs: Any
) -> Any:
    """``mathvista`` (its testmini split) or ``scienceqa`` (its test questions with images).

    Keywords (``data_dir=`` ...) go to the dataset.

    Raises:
        UserError: an unknown task.
        DataUnavailable: the data is not on this machine (the message says where to put it).

    Example:
        >>> load_multimodal_instance_task("vqa", None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown multimodal instance task 'vqa'; known: mathvista, ...
    """
    if task_name == "mathvista":
        from .mathvista import MathVistaDataset

        kwargs.setdefault("split", "testmini")
        return MathVistaDataset(evaluation_api, *args, **kwargs)
    if task_name == "scienceqa":
        from .scienceqa import ScienceQADataset

        kwargs.setdefault("split", "test")
        return ScienceQADataset(evaluation_api, *args, **kwargs)
    raise UserError(f"unknown multimodal instance task {task_name!r}; known: mathvista, scienceqa")
