"""``DSPyRecorder``: a DSPy callback that records every predictor call of a run as a tape."""

from __future__ import annotations

import contextvars
from collections.abc import Hashable, Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any, Literal

import dspy
from dspy.utils.callback import ACTIVE_CALL_ID, BaseCallback

from tg_core.program.protocol import value_text as as_text
from tg_core.program.records import Attempt, PredictorCall, ToolCall
from tg_core.program.run_tree import RunRecord, RunTree
from tg_core.program.shelf import TapeShelf
from tg_core.program.values import MIN_CONTAINED_CHARS

from .bindings import named_predictors
from .errors import DSPyAdapterError, NotRecordedError
from .tape import Tape

Event = Literal["module", "format", "lm", "parse", "tool"]
"""What DSPy reports: a module call, an adapter's formatting or parsing, a model call, a tool."""


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


def _error(exception: BaseException | None) -> str | None:
    return None if exception is None else f"{type(exception).__name__}: {exception}"


def _attempt(call: PredictorCall, rec: RunRecord[Event]) -> None:
    """Add what one adapter or model event says to the call's attempts."""
    if rec.kind == "format":
        if rec.outputs is not None:
            messages = [dict(m) for m in rec.outputs if isinstance(m, dict)]
            call.attempts.append(Attempt(messages=messages))
        return
    if not call.attempts:
        call.attempts.append(Attempt())
    attempt = call.attempts[-1]
    if rec.kind == "lm":
        texts = []
        for item in rec.outputs if isinstance(rec.outputs, list) else [rec.outputs]:
            if isinstance(item, dict):
                texts.append(as_text(item.get("text")))
            elif item is not None:
                texts.append(as_text(getattr(item, "text", item)))
        attempt.completions = texts
    if rec.error is not None:
        attempt.error = _error(rec.error)
    elif rec.kind == "parse" and isinstance(rec.outputs, dict) and attempt.outputs is None:
        attempt.outputs = dict(rec.outputs)


def fill_tape(tape: Tape, runs: dict[Hashable, RunRecord[Event]]) -> None:
    """Fill ``tape`` with the predictor and tool calls of its finished run.

    Adapter and model events belong to the nearest module call above them, and count when
    that module is a ``dspy.Predict``.
    """
    calls: dict[Hashable, PredictorCall] = {}

    def owner(rec: RunRecord[Event]) -> PredictorCall | None:
        parent = runs.get(rec.parent_id) if rec.parent_id is not None else None
        while parent is not None and parent.kind != "module":
            parent = runs.get(parent.parent_id) if parent.parent_id is not None else None
        return calls.get(parent.run_id) if parent is not None else None

    for rec in sorted(runs.values(), key=lambda r: r.start):
        if rec.kind == "module" and isinstance(rec.obj, dspy.Predict):
            call = PredictorCall(
                str(rec.run_id),
                rec.obj,
                rec.inputs,
                rec.start,
                tape.name_of(rec.obj),
                prediction=rec.outputs,
                error=_error(rec.error),
                end=rec.end,
            )
            calls[rec.run_id] = call
            tape.calls.append(call)
        elif rec.kind == "tool":
            error = _error(rec.error)
            tape.tools.append(
                ToolCall(
                    str(rec.run_id), rec.name, rec.inputs, rec.start, rec.outputs, error, rec.end
                )
            )
        elif rec.kind != "module" and (found := owner(rec)) is not None:
            _attempt(found, rec)


class DSPyRecorder(BaseCallback, TapeShelf[Tape]):  # type: ignore[misc]
    """Records each top-level DSPy module call as a :class:`~tg_adapters.dspy.tape.Tape`.

    Register it for a block with ``with recorder:`` (or ``dspy.context(callbacks=[recorder])``).
    Each top-level call gets its own tape, also when many run at once (``dspy.Evaluate``
    with threads, ``program.batch``, ``asyncio.gather`` of ``acall``): a call's parent is
    DSPy's ``ACTIVE_CALL_ID``, so every event finds its run in the core's
    :class:`~tg_core.program.run_tree.RunTree`; when the run returns, its predictor and
    tool calls fill the tape. The recorder is thread-safe.

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

    not_recorded = NotRecordedError
    nothing_recorded = "the recorder has not seen any DSPy module call yet"

    def __init__(
        self,
        program: Any = None,
        *,
        keep: int | None = None,
        min_contained: int = MIN_CONTAINED_CHARS,
    ) -> None:
        super().__init__()
        TapeShelf.__init__(self, keep)
        self.program = program
        self.min_contained = min_contained
        self._tree: RunTree[Event] = RunTree()
        self._running: dict[str, Tape] = {}
        self._active: contextvars.ContextVar[tuple[ExitStack, ...]] = contextvars.ContextVar(
            f"tg_dspy_recorder_{id(self)}", default=()
        )
        self._program_names = _names(program) if program is not None else None

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

    # -- events ---------------------------------------------------------------------------
    def _begin(self, kind: Event, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Record an event under its parent; a module call outside any run opens a new tape."""
        args = _call_inputs(inputs) if kind in ("module", "tool") else inputs
        name = ""
        if kind == "tool":
            name = str(getattr(instance, "name", None) or type(instance).__name__)
        parent = ACTIVE_CALL_ID.get()
        with self._lock:
            if self._tree.start(call_id, parent, kind, name, args, {}, obj=instance, nested=True):
                return
            if kind != "module":
                return  # an event outside every recorded run
            self._tree.start(call_id, None, kind, name, args, {}, obj=instance)
            tape = Tape(call_id, instance, args, self._program_names or _names(instance))
            tape.min_contained = self.min_contained
            self._running[call_id] = tape
            self._shelve(tape)

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Open a tape for a top-level call, or record a module call inside a known run."""
        self._begin("module", call_id, instance, inputs)

    def on_module_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """Record the end of any event: a module call closes (a top-level one closes the run
        and fills its tape), a rendering keeps the exact messages the adapter made (a new
        attempt), a model call its raw completion(s), a parse the parsed fields (or why
        parsing failed), a tool call the tool's result."""
        with self._lock:
            done = self._tree.end(call_id, outputs, exception)
            tape = self._running.pop(call_id, None) if done is not None else None
            if done is None or tape is None:
                return
            fill_tape(tape, done[1])
            self._finished(tape, outputs, _error(exception))

    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the rendering belongs to."""
        self._begin("format", call_id, instance, inputs)

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the model call belongs to."""
        self._begin("lm", call_id, instance, inputs)

    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Note which predictor call the parse belongs to."""
        self._begin("parse", call_id, instance, inputs)

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Record a tool call inside a known run."""
        self._begin("tool", call_id, instance, inputs)

    on_adapter_format_end = on_lm_end = on_adapter_parse_end = on_tool_end = on_module_end
