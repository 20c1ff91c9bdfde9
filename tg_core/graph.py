"""Graph traversal and the concurrent backward scheduler; ``no_grad``."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .engine.limits import current_limiter
from .engine.registry import resolve_engine
from .engine.usage import Usage, track_usage
from .errors import BudgetExceeded, TgCoreError
from .reduce import areduce_gradients
from .variable import OPERATIONS, Variable

_GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tg_core_grad_enabled", default=True
)


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`: new results then record no graph."""
    return _GRAD_ENABLED.get()


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Compute without recording the graph (evaluation, validation).

    Example:
        >>> with no_grad():
        ...     is_grad_enabled()
        False
    """
    token = _GRAD_ENABLED.set(False)
    try:
        yield
    finally:
        _GRAD_ENABLED.reset(token)


def topological_order(root: Variable) -> list[Variable]:
    """Every variable ``root`` depends on, inputs first, root last (iterative: no depth limit).

    Example:
        >>> from tg_core.variable import Variable
        >>> a = Variable("a", role_description="a")
        >>> b = Variable("b", role_description="b", predecessors=[a])
        >>> [v.value for v in topological_order(b)]
        ['a', 'b']
    """
    order: list[Variable] = []
    visited: set[int] = set()
    stack: list[tuple[Variable, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for pred in reversed(node.predecessors):
            if id(pred) not in visited:
                stack.append((pred, False))
    return order


@dataclass
class BackwardContext:
    """What a node's backward function gets: the engine, its new feedback, its objective role.

    Attributes:
        engine: the backward engine.
        gradients: feedback that reached the node since it last propagated.
        is_objective: True when the node is itself what should improve (the loss), so it
            has no feedback of its own.
        failures: errors of calls that failed in this pass (shared by all nodes).
    """

    engine: Any
    gradients: list[Variable]
    is_objective: bool
    objectives: set[int]
    failures: list[BaseException] = field(default_factory=list)

    def mark_objective(self, variable: Variable) -> None:
        """Treat ``variable`` as an objective of its own (a summed loss keeps its meaning)."""
        self.objectives.add(id(variable))


class BackwardError(TgCoreError):
    """Some calls of a backward pass failed; the gradients of the others were kept.

    Attributes:
        errors: every exception, in the order they happened.
    """

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        kinds = ", ".join(sorted({type(e).__name__ for e in errors}))
        super().__init__(
            f"{len(errors)} backward call(s) failed ({kinds}); gradients from the calls that "
            f"succeeded were kept. First error: {errors[0]}"
        )


async def abackward(root: Variable, engine: Any = None) -> Usage:
    """Send feedback from ``root`` to every variable it depends on, concurrently.

    A node runs once every node that consumed it has finished, so the pass takes one round
    of model calls per level of the graph, not one per call.

    Raises:
        BudgetExceeded: a budget stopped the pass (gradients computed so far are kept).
        BackwardError: some calls failed (the others' gradients are kept).
    """
    backward_engine = resolve_engine(engine, "backward")
    order = topological_order(root)
    in_graph = {id(v) for v in order}
    pending: dict[int, int] = {id(v): 0 for v in order}
    for node in order:
        for pred in node.predecessors:
            pending[id(pred)] += 1
    objectives: set[int] = {id(root)}
    failures: list[BaseException] = []
    rank = {v.id: i for i, v in enumerate(order)}

    def arrival_key(gradient: Variable) -> int:
        context = node_contexts.get(id(gradient)) or {}
        return rank.get(int(context.get("source_id", -1)), len(order))

    node_contexts: dict[int, dict[str, Any] | None] = {}

    # At most as many nodes build their prompts at once as calls may be in flight, so memory
    # stays bounded by the concurrency limit, not by the width of the graph.
    gate = asyncio.Semaphore(max(1, current_limiter().limit))

    async def run(node: Variable) -> Variable:
        async with gate:
            return await propagate(node)

    async def propagate(node: Variable) -> Variable:
        if any(isinstance(e, BudgetExceeded) for e in failures):
            return node
        new = node.gradients[node._propagated :]
        if len(new) > 1:  # deterministic order: by the graph position of each source
            node_contexts.update({id(g): node.gradients_context.get(g) for g in new})
            new.sort(key=arrival_key)
            node.gradients[node._propagated :] = new
        is_objective = id(node) in objectives and not new
        if node.requires_grad and node.grad_fn is not None and (new or is_objective):
            node._propagated = len(node.gradients)
            try:
                grads = await areduce_gradients(node, new, backward_engine)
                ctx = BackwardContext(backward_engine, grads, is_objective, objectives, failures)
                await node.grad_fn(ctx)
            except Exception as exc:  # keep other branches going; reported at the end
                failures.append(exc)
        return node

    with track_usage("backward") as scope:
        await _schedule(root, in_graph, pending, run)
    if failures:
        budget = [e for e in failures if isinstance(e, BudgetExceeded)]
        if budget:
            raise budget[0]
        if len(failures) == 1 and isinstance(failures[0], TgCoreError):
            raise failures[0]
        raise BackwardError(failures)
    return scope.usage


async def _schedule(
    root: Variable,
    in_graph: set[int],
    pending: dict[int, int],
    run: Any,
) -> None:
    """Run ``run(node)`` for every node once all its consumers finished, starting at ``root``.

    Each finished task starts the predecessors it released from its done callback, so the
    cost per node is constant however many calls are in flight (no re-waiting on every
    pending task after each completion).
    """
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()
    live: set[asyncio.Task[Variable]] = set()

    def start(node: Variable) -> None:
        task = asyncio.ensure_future(run(node))  # copies the caller's context (usage scope)
        live.add(task)
        task.add_done_callback(done)

    def done(task: asyncio.Task[Variable]) -> None:
        live.discard(task)
        if finished.done():
            return
        if task.cancelled():
            finished.cancel()
            return
        error = task.exception()
        if error is not None:
            finished.set_exception(error)
            return
        for pred in task.result().predecessors:
            if id(pred) not in in_graph:
                continue
            pending[id(pred)] -= 1
            if pending[id(pred)] == 0:
                start(pred)
        if not live:
            finished.set_result(None)

    start(root)
    try:
        await finished
    finally:
        if live:  # cancelled, or a node failed unexpectedly: stop the rest and wait for them
            for task in live:
                task.cancel()
            await asyncio.gather(*live, return_exceptions=True)


OPERATIONS.abackward = abackward
