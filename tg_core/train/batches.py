"""Minibatch order (a seeded shuffle per epoch) and writing values into parameters."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from ..variable import Variable


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> tuple[int, list[int]]:
    """(epoch, example indices) of ``step``: each epoch is a seeded shuffle cut into batches.

    Example:
        >>> batch_indices(0, 5, 2, seed=0)[1] == batch_indices(0, 5, 2, seed=0)[1]
        True
    """
    per_epoch = math.ceil(n / batch_size)
    epoch, position = divmod(step, per_epoch)
    order = list(range(n))
    random.Random(f"{seed}-{epoch}").shuffle(order)
    return epoch, order[position * batch_size : (position + 1) * batch_size]


def set_values(params: Sequence[Variable], values: Sequence[str]) -> None:
    """Write ``values`` into ``params`` (through their bindings), skipping unchanged ones."""
    for p, v in zip(params, values):
        if str(p.value) != v:
            p.set_value(v)
