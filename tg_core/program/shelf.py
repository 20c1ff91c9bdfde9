"""``TapeShelf``: the tapes a recorder keeps, in start order, found again by what a run returned."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Generic, TypeVar

from .records import NotRecordedError
from .tape import Tape

TapeT = TypeVar("TapeT", bound=Tape)


class TapeShelf(Generic[TapeT]):
    """The tapes of a recorder: one per top-level run, the oldest finished ones dropped first.

    A framework's recorder subclasses it: it :meth:`_shelve` a tape when a top-level run
    starts and calls :meth:`_finished` when the run returns. Subclasses set ``not_recorded``
    (the error raised) and ``nothing_recorded`` (its message when no run was seen yet).

    Args:
        keep: how many finished tapes to keep (oldest dropped first); ``None`` keeps all.

    Example:
        >>> shelf: TapeShelf[Tape] = TapeShelf(keep=1)
        >>> for run in ("first", "second"):
        ...     tape = Tape(run, None, {}, {})
        ...     shelf._shelve(tape)
        ...     shelf._finished(tape, {"answer": run}, None)
        >>> [t.call_id for t in shelf.tapes], shelf.tape_for(tape.prediction) is tape
        (['second'], True)
    """

    not_recorded: type[NotRecordedError] = NotRecordedError
    nothing_recorded = "the recorder has not seen any run yet"

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self._lock = threading.RLock()
        self._tapes: list[TapeT] = []
        self._by_prediction: dict[int, TapeT] = {}

    @property
    def tapes(self) -> list[TapeT]:
        """Every tape recorded (finished or not), in the order the runs started."""
        with self._lock:
            return list(self._tapes)

    @property
    def last(self) -> TapeT:
        """The most recently started run's tape.

        Raises:
            NotRecordedError: nothing was recorded.
        """
        with self._lock:
            if not self._tapes:
                raise self.not_recorded(self.nothing_recorded)
            return self._tapes[-1]

    def tape_for(self, prediction: Any) -> TapeT:
        """The tape of the run that returned ``prediction`` (the very object).

        Raises:
            NotRecordedError: no recorded run returned it.
        """
        with self._lock:
            tape = self._by_prediction.get(id(prediction))
            if tape is not None and tape.prediction is prediction:
                return tape
        raise self.not_recorded(
            "no recorded run returned this prediction; was the call made inside the recorder?"
        )

    def clear(self) -> None:
        """Forget every finished tape (runs in progress keep recording)."""
        with self._lock:
            self._tapes = [t for t in self._tapes if not t.done]
            self._by_prediction = {k: t for k, t in self._by_prediction.items() if not t.done}

    def tape_of(self, prediction: Any, error: BaseException | None) -> TapeT | None:
        """The tape of the run that returned ``prediction`` or raised ``error``.

        A run that raised, or whose prediction no tape holds, gets the latest tape; None when
        nothing was recorded.

        Example:
            >>> TapeShelf[Tape]().tape_of(None, ValueError("failed")) is None
            True
        """
        with self._lock:
            if not self._tapes:
                return None
            if error is None:
                with contextlib.suppress(self.not_recorded):
                    return self.tape_for(prediction)
            return self._tapes[-1]

    def _shelve(self, tape: TapeT) -> None:
        """Keep the tape of a run that started, dropping the oldest finished ones past ``keep``."""
        with self._lock:
            self._tapes.append(tape)
            if self.keep is None:
                return
            while len(self._tapes) > self.keep:
                old = next((t for t in self._tapes if t.done), None)
                if old is None:
                    return
                self._tapes.remove(old)
                self._by_prediction.pop(id(old.prediction), None)

    def _finished(self, tape: TapeT, prediction: Any, error: str | None) -> None:
        """Mark the tape's run as returned with ``prediction`` (or the ``error`` it raised)."""
        with self._lock:
            tape.prediction = prediction
            tape.done = True
            tape.error = error
            if prediction is not None:
                self._by_prediction[id(prediction)] = tape
