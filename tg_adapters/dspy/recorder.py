"""``DSPyRecorder``: a DSPy callback that records every predictor call of a run as a tape."""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any

import dspy
from dspy.utils.callback import ACTIVE_CALL_ID, BaseCallback

from tg_core.program.protocol import value_text as as_text
from tg_core.program.records import Attempt, PredictorCall, ToolCall
from tg_core.program.values import MIN_CONTAINED_CHARS

from .bindings import named_predictors
from .errors import DSPyAdapterError, NotRecordedError
from .tape import Tape


def _call_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Keyword inputs of a module call (``with_callbacks`` hands over ``args``/``kwargs``)."""
    merged = dict(inputs.get("kwargs") or {})
    merged.update({k: v for k, v in inputs.items() if k not in ("args", "kwargs")})
    args = inputs.get("args") or ()
    for i, value in enumerate(args):
        merged.setdefault(f"arg{i}", value)
    return merged


def _names(module: Any) -> dict[int, str]:
    try:
        return {id(p): name for name, p in named_predictors(module)}
    except DSPyAdapterError:
        return {}


class DSPyRecorder(BaseCallback):  # type: ignore[misc]
    """Records each top-level DSPy module call as a :class:`~tg_adapters.dspy.tape.Tape`.

    Register it for a block with ``with recorder:`` (or ``dspy.context(callbacks=[recorder])``).
    Each top-level call gets its own tape, also when many run at once (``dspy.Evaluate``
    with threads, ``program.batch``, ``asyncio.gather`` of ``acall``): a call's parent is
    DSPy's ``ACTIVE_CALL_ID``, so every event finds its run. The recorder is thread-safe.

    Args:
        program: the program whose predictor names label the graph (default: the module
            called at the top of each run).
        keep: how many finished tapes to keep (oldest dropped first); ``None`` keeps all.
        min_contained: shortest earlier output linked to a later input that merely contains
            it (equal values are always linked).

    Example:
        >>> import dspy
        >>> from dspy.utils import DummyLM
        >>> program = dspy.ChainOfThought("question -> answer")
        >>> recorder = DSPyRecorder(program)
        >>> with dspy.context(lm=DummyLM([{"reasoning": "2+2", "answer": "4"}])), recorder:
        ...     prediction = program(question="2+2?")
        >>> tape = recorder.tape_for(prediction)
        >>> [c.name for c in tape.calls], tape.output("answer").value
        (['predict'], '4')
    """

    def __init__(
        self,
        program: Any = None,
        *,
        keep: int | None = None,
        min_contained: int = MIN_CONTAINED_CHARS,
    ) -> None:
        super().__init__()
        self.program = program
        self.keep = keep
        self.min_contained = min_contained
        self._lock = threading.RLock()
        self._order = itertools.count()
        self._tapes: list[Tape] = []
        self._modules: dict[str, tuple[Tape, PredictorCall | None]] = {}
        self._owners: dict[str, tuple[Tape, PredictorCall | None]] = {}
        self._tools: dict[str, tuple[Tape, ToolCall]] = {}
        self._by_prediction: dict[int, Tape] = {}
        self._active: contextvars.ContextVar[tuple[ExitStack, ...]] = contextvars.ContextVar(
            f"tg_dspy_recorder_{id(self)}", default=()
        )
        self._program_names = _names(program) if program is not None else None

    # -- results --------------------------------------------------------------------------
    @property
    def tapes(self) -> list[Tape]:
        """Every tape recorded (finished or not), in the order the runs started."""
        with self._lock:
            return list(self._tapes)

    @property
    def last(self) -> Tape:
        """The most recently started run's tape.

        Raises:
            NotRecordedError: nothing was recorded.
        """
        with self._lock:
            if not self._tapes:
                raise NotRecordedError("the recorder has not seen any DSPy module call yet")
            return self._tapes[-1]

    def tape_for(self, prediction: Any) -> Tape:
        """The tape of the run that returned ``prediction`` (the very object).

        Raises:
            NotRecordedError: no recorded run returned it.
        """
        with self._lock:
            tape = self._by_prediction.get(id(prediction))
            if tape is not None and tape.prediction is prediction:
                return tape
        raise NotRecordedError(
            "no recorded run returned this prediction; was the call made inside the recorder?"
        )

    def clear(self) -> None:
        """Forget every finished tape (runs in progress keep recording)."""
        with self._lock:
            self._tapes = [t for t in self._tapes if not t.done]
            self._by_prediction = {k: t for k, t in self._by_prediction.items() if not t.done}

    # -- scoping --------------------------------------------------------------------------
    @contextmanager
    def recording(self) -> Iterator[DSPyRecorder]:
        """Add this recorder to DSPy's callbacks for the block (this thread or task)."""
        current = list(dspy.settings.get("callbacks", None) or [])
        with dspy.context(callbacks=[*current, self] if self not in current else current):
            yield self

    def __enter__(self) -> DSPyRecorder:
        stack = ExitStack()
        stack.enter_context(self.recording())
        self._active.set((*self._active.get(), stack))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stacks = self._active.get()
        if not stacks:
            return
        self._active.set(stacks[:-1])
        stacks[-1].close()

    # -- module events --------------------------------------------------------------------
    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Open a tape for a top-level call, or a predictor call inside a known run."""
        parent = ACTIVE_CALL_ID.get()
        kwargs = _call_inputs(inputs)
        with self._lock:
            order = next(self._order)
            known = self._owner(parent)
            if known is None:
                names = self._program_names
                if names is None or not names:
                    names = _names(instance)
                tape = Tape(call_id, instance, kwargs, names)
                tape.min_contained = self.min_contained
                self._tapes.append(tape)
                self._trim()
            else:
                tape = known[0]
            call = None
            if isinstance(instance, dspy.Predict):
                call = PredictorCall(call_id, instance, kwargs, order, tape.name_of(instance))
                tape.calls.append(call)
            self._modules[call_id] = (tape, call)

    def on_module_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Close a predictor call, or the run itself."""
        with self._lock:
            order = next(self._order)
            found = self._modules.get(call_id)
            if found is None:
                return
            tape, call = found
            if call is not None:
                call.prediction = outputs
                call.end = order
                if exception is not None:
                    call.error = f"{type(exception).__name__}: {exception}"
            if call_id == tape.call_id:
                tape.prediction = outputs
                tape.done = True
                if exception is not None:
                    tape.error = f"{type(exception).__name__}: {exception}"
                if outputs is not None:
                    self._by_prediction[id(outputs)] = tape
                self._forget(tape)

    # -- adapter and model events ---------------------------------------------------------
    def _owner(self, parent: str | None) -> tuple[Tape, PredictorCall | None] | None:
        if parent is None:
            return None
        return self._modules.get(parent) or self._owners.get(parent)

    def _open(self, call_id: str) -> None:
        with self._lock:
            owner = self._owner(ACTIVE_CALL_ID.get())
            if owner is not None:
                self._owners[call_id] = owner

    def _close(self, call_id: str) -> PredictorCall | None:
        with self._lock:
            owner = self._owners.pop(call_id, None)
        return owner[1] if owner is not None else None

    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the rendering belongs to."""
        self._open(call_id)

    def on_adapter_format_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Keep the exact messages the adapter rendered (a new attempt)."""
        call = self._close(call_id)
        if call is None or outputs is None:
            return
        messages = [dict(m) for m in outputs if isinstance(m, dict)]
        with self._lock:
            call.attempts.append(Attempt(messages=messages))

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the model call belongs to."""
        self._open(call_id)

    def on_lm_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Keep the raw completion(s)."""
        call = self._close(call_id)
        if call is None:
            return
        texts = []
        for item in outputs if isinstance(outputs, list) else [outputs]:
            if isinstance(item, dict):
                texts.append(as_text(item.get("text")))
            elif item is not None:
                texts.append(as_text(getattr(item, "text", item)))
        with self._lock:
            if not call.attempts:
                call.attempts.append(Attempt())
            attempt = call.attempts[-1]
            attempt.completions = texts
            if exception is not None:
                attempt.error = f"{type(exception).__name__}: {exception}"

    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the parse belongs to."""
        self._open(call_id)

    def on_adapter_parse_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Keep the parsed fields (or why parsing failed)."""
        call = self._close(call_id)
        if call is None:
            return
        with self._lock:
            if not call.attempts:
                call.attempts.append(Attempt())
            attempt = call.attempts[-1]
            if exception is not None:
                attempt.error = f"{type(exception).__name__}: {exception}"
            elif isinstance(outputs, dict) and attempt.outputs is None:
                attempt.outputs = dict(outputs)

    # -- tools ----------------------------------------------------------------------------
    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Record a tool call inside a known run."""
        with self._lock:
            order = next(self._order)
            owner = self._owner(ACTIVE_CALL_ID.get())
            if owner is None:
                return
            tape = owner[0]
            name = str(getattr(instance, "name", None) or type(instance).__name__)
            tool = ToolCall(call_id, name, _call_inputs(inputs), order)
            tape.tools.append(tool)
            self._tools[call_id] = (tape, tool)
            self._owners[call_id] = owner

    def on_tool_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Keep the tool's result."""
        with self._lock:
            order = next(self._order)
            self._owners.pop(call_id, None)
            found = self._tools.pop(call_id, None)
            if found is None:
                return
            tool = found[1]
            tool.output = outputs
            tool.end = order
            if exception is not None:
                tool.error = f"{type(exception).__name__}: {exception}"

    # -- housekeeping ---------------------------------------------------------------------
    def _forget(self, tape: Tape) -> None:
        """Drop the bookkeeping of a finished run (its tape stays)."""
        ids = {tape.call_id, *(c.call_id for c in tape.calls)}
        for key in [k for k, (t, _) in self._modules.items() if t is tape or k in ids]:
            del self._modules[key]
        for key in [k for k, (t, _) in self._owners.items() if t is tape]:
            del self._owners[key]

    def _trim(self) -> None:
        if self.keep is None:
            return
        while len(self._tapes) > self.keep:
            old = next((t for t in self._tapes if t.done), None)
            if old is None:
                return
            self._tapes.remove(old)
            self._by_prediction.pop(id(old.prediction), None)
