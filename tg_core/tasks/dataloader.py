"""``DataLoader``: minibatches over a dataset, shuffled each epoch, as TextGrad's loops use it."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import UserError


class DataLoader:
    """Iterate over ``data`` in batches of ``batch_size``; each pass is one epoch.

    A batch of ``(x, y)`` pairs comes out as ``(xs, ys)`` (so ``for batch_x, batch_y in
    loader`` works); a batch of anything else comes out as a list. With ``shuffle`` the
    order is drawn anew at the start of every epoch from Python's ``random`` (so
    ``random.seed`` fixes it), or from ``seed`` when given.

    Args:
        data: anything with ``len`` and integer indexing (a task split, a list).
        batch_size: items per batch (the last batch may be smaller).
        shuffle: shuffle the order every epoch.
        seed: a seed for this loader's own random order (``None``: the ``random`` module).

    Example:
        >>> loader = DataLoader([("q1", "a1"), ("q2", "a2"), ("q3", "a3")], batch_size=2,
        ...                     shuffle=False)
        >>> [batch for batch in loader]
        [(('q1', 'q2'), ('a1', 'a2')), (('q3',), ('a3',))]
        >>> len(loader)
        2
    """

    def __init__(
        self,
        data: Sequence[Any],
        batch_size: int = 32,
        shuffle: bool = True,
        *,
        seed: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise UserError(f"batch_size must be at least 1, got {batch_size}")
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.indices = list(range(len(data)))
        self.current_index = 0
        self._rng: random.Random | None = random.Random(seed) if seed is not None else None

    def __len__(self) -> int:
        return -(-len(self.data) // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if self.shuffle:
            (self._rng or random).shuffle(self.indices)
        self.current_index = 0
        return self

    def __next__(self) -> Any:
        if self.current_index >= len(self.indices):
            raise StopIteration
        chosen = self.indices[self.current_index : self.current_index + self.batch_size]
        self.current_index += self.batch_size
        batch = [self.data[i] for i in chosen]
        if isinstance(batch[0], tuple):
            return tuple(zip(*batch))
        return batch
