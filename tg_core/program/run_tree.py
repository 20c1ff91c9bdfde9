"""Runs reported as a tree, and the graph of one finished tree, linked by value.

Callback frameworks (LangChain) report each step of a call (a chain, a prompt, a model
call, a tool) as a run with its parent's id, but not which value went where. A
:class:`RunTree` keeps the runs as they are reported; a :class:`TreeGraph` turns a finished
top-level run into graph nodes, matching each run's inputs by value against what earlier
runs produced. Children are visited in the order they finished, which is also the order
their outputs became available (streamed runs included).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from ..variable import Variable
from .nodes import pass_through, unique
from .values import Produced, ValueIndex

K = TypeVar("K", bound=str)


@dataclass
class RunRecord(Generic[K]):
    """One run as the callbacks reported it.

    ``start``/``end`` are the recorder's event counters, so runs can be ordered the way they
    happened even when threads or tasks interleave; ``obj`` is the framework object that ran,
    when the callbacks name it (DSPy's module, tool or LM).

    Example:
        >>> from uuid import uuid4
        >>> RunRecord(uuid4(), None, "prompt", "ChatPromptTemplate", {"q": "hi"}, {}, 0).end is None
        True
    """

    run_id: Hashable
    parent_id: Hashable | None
    kind: K
    name: str
    inputs: Any
    metadata: dict[str, Any]
    start: int
    end: int | None = None
    outputs: Any = None
    error: BaseException | None = None
    children: list[Hashable] = field(default_factory=list)
    obj: Any = None


@dataclass
class RecordedRun:
    """A finished top-level run: its inputs and output, and the output as a graph Variable.

    Attributes:
        run_id: the framework's id of the run (LangChain: pass ``config={"run_id": ...}``).
        name: the runnable's name.
        inputs: what the run was called with.
        output: what it returned (None when it failed).
        variable: the output as a :class:`tg_core.Variable` whose graph reaches every prompt
            template that contributed (None when the run failed or ran under ``no_grad``).
        error: the exception the run raised, if any.
        start: the order in which the run started among the recorder's runs.

    Example:
        >>> from uuid import uuid4
        >>> RecordedRun(uuid4(), "chain", {}, "out", None, None, 0).output
        'out'
    """

    run_id: UUID
    name: str
    inputs: Any
    output: Any
    variable: Variable | None
    error: BaseException | None
    start: int


class RunTree(Generic[K]):
    """The runs of a recorder while they run; thread-safe.

    Example:
        >>> from uuid import uuid4
        >>> tree, root, step = RunTree[str](), uuid4(), uuid4()
        >>> _ = tree.start(root, None, "chain", "outer", "hi", {})
        >>> _ = tree.start(step, root, "chain", "inner", "hi", {})
        >>> tree.end(step, "HI") is None
        True
        >>> record, runs = tree.end(root, "HI")
        >>> record.name, len(runs), record.children == [step]
        ('outer', 2, True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._records: dict[Hashable, RunRecord[K]] = {}
        self._roots: set[Hashable] = set()

    def start(
        self,
        run_id: Hashable,
        parent_id: Hashable | None,
        kind: K,
        name: str,
        inputs: Any,
        metadata: dict[str, Any],
        *,
        obj: Any = None,
        nested: bool = False,
    ) -> RunRecord[K] | None:
        """Record a run's start under its parent (a top-level run when the parent is unknown).

        With ``nested``, a run whose parent is unknown is not recorded (None is returned).
        """
        with self._lock:
            parent = self._records.get(parent_id) if parent_id is not None else None
            if parent is None and nested:
                return None
            order = next(self._counter)
            record = RunRecord(run_id, parent_id, kind, name, inputs, metadata, order, obj=obj)
            self._records[run_id] = record
            if parent is None:
                self._roots.add(run_id)
            else:
                parent.children.append(run_id)
            return record

    def end(
        self,
        run_id: Hashable,
        outputs: Any = None,
        error: BaseException | None = None,
        inputs: Any = None,
    ) -> tuple[RunRecord[K], dict[Hashable, RunRecord[K]]] | None:
        """Record a run's end (``inputs``: the real input, when it arrives only now).

        Returns:
            For a top-level run, its record and every run of its tree by id (the tree is
            forgotten here); None otherwise.
        """
        with self._lock:
            record = self._records.get(run_id)
            if record is None:
                return None
            record.end = next(self._counter)
            record.outputs = outputs
            record.error = error
            if inputs is not None:
                record.inputs = inputs
            if run_id not in self._roots:
                return None
            self._roots.discard(run_id)
            tree: dict[Hashable, RunRecord[K]] = {}
            stack = [run_id]
            while stack:
                found = self._records.pop(stack.pop(), None)
                if found is not None:
                    tree[found.run_id] = found
                    stack.extend(found.children)
            return record, tree


class TreeGraph:
    """Builds the graph of one top-level run from its records.

    A run without a node of its own passes feedback from the earlier values its inputs hold
    to its output; a run with children is its children's graph, its output the value they
    produced. The framework says how its values split into pieces, how a piece is
    recognised and how a value reads; a subclass makes the nodes of the runs it knows
    (:meth:`leaf`).

    Args:
        records: every run of the tree, by id.
        pieces: the parts of a value that may have come from earlier runs, each with its
            input key.
        keys: lookup keys of one piece, most specific first.
        text: a recorded value as text, for a graph node.

    Example:
        >>> from uuid import uuid4
        >>> root = RunRecord(uuid4(), None, "chain", "step", "hi", {}, 0, end=1, outputs="HI")
        >>> graph = TreeGraph({root.run_id: root}, pieces=lambda value: [(None, value)],
        ...                   keys=lambda piece: [("text", str(piece))], text=str)
        >>> graph.build(root).value
        'HI'
    """

    def __init__(
        self,
        records: Mapping[Hashable, RunRecord[Any]],
        *,
        pieces: Callable[[Any], list[tuple[str | None, Any]]],
        keys: Callable[[Any], Sequence[Hashable]],
        text: Callable[[Any], str],
    ) -> None:
        self.records = records
        self.pieces = pieces
        self.keys = keys
        self.text = text

    def leaf(self, rec: RunRecord[Any], scope: ValueIndex) -> tuple[bool, Variable | None]:
        """``(True, node)`` for a run the framework makes the node of, else ``(False, None)``."""
        return False, None

    # -- values ----------------------------------------------------------------------------
    def add(self, scope: ValueIndex, piece: Any, variable: Variable) -> None:
        """Remember that ``variable`` produced ``piece`` (later producers win)."""
        scope.add(self.keys(piece), Produced(len(scope.produced), "", variable))

    def register(self, scope: ValueIndex, value: Any, variable: Variable) -> None:
        """Remember ``variable`` as the producer of every piece of ``value``."""
        for _, piece in self.pieces(value):
            self.add(scope, piece, variable)

    def find(self, scope: ValueIndex, piece: Any) -> Variable | None:
        """The latest producer of ``piece`` seen from ``scope``, most specific key first."""
        found = scope.find(self.keys(piece))
        return found.variable if found is not None else None

    def resolve(self, value: Any, scope: ValueIndex) -> list[tuple[str | None, Variable]]:
        """The producers of the pieces of ``value``, with the input key of each."""
        found = []
        for key, piece in self.pieces(value):
            producer = self.find(scope, piece)
            if producer is not None:
                found.append((key, producer))
        return found

    # -- the walk --------------------------------------------------------------------------
    def build(self, root: RunRecord[Any]) -> Variable | None:
        """The root run's output as a Variable whose graph spans every recorded step."""
        return self.node(root, ValueIndex())

    def node(self, rec: RunRecord[Any], scope: ValueIndex) -> Variable | None:
        """The graph node of one finished run (None for a run that failed or did not end)."""
        if rec.error is not None or rec.end is None:
            return None
        own, made = self.leaf(rec, scope)
        if own:
            return made
        matched = self.resolve(rec.inputs, scope)
        if rec.children:
            return self._composite(rec, matched, scope)
        # a run the step made with its caller's config is its sibling, already in scope
        found = matched + self.resolve(rec.outputs, scope)
        inputs = unique([v for _, v in found])
        step = pass_through(self.text(rec.outputs), inputs, f"output of the step {rec.name}")
        self.register(scope, rec.outputs, step)
        return step

    def _composite(
        self, rec: RunRecord[Any], matched: list[tuple[str | None, Variable]], scope: ValueIndex
    ) -> Variable:
        local = ValueIndex(scope)
        last: Variable | None = None
        children = [self.records[c] for c in rec.children if c in self.records]
        for child in sorted((c for c in children if c.end is not None), key=lambda c: c.end or 0):
            built = self.node(child, local)
            last = built if built is not None else last
        out_pieces = [piece for _, piece in self.pieces(rec.outputs)]
        found = [self.find(local, piece) for piece in out_pieces]
        producers = unique(found)
        role = f"output of {rec.name}"
        if len(out_pieces) == 1 and found[0] is not None:
            out = found[0]
        elif producers:
            out = pass_through(self.text(rec.outputs), producers, role)
        else:
            inputs = [last] if last is not None else [v for _, v in matched]
            out = pass_through(self.text(rec.outputs), inputs, role)
        for piece, producer in zip(out_pieces, found):
            self.add(scope, piece, producer if producer is not None else out)
        return out
