"""What the callback handler keeps about each run while it records, and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from tg_core.extend import Variable

RunKind = Literal["chain", "prompt", "chat_model", "llm", "tool", "retriever"]


@dataclass
class RunRecord:
    """One LangChain run as the callbacks reported it.

    ``start``/``end`` are the handler's event counters, so runs can be ordered the way they
    happened even when threads or tasks interleave.

    Example:
        >>> from uuid import uuid4
        >>> RunRecord(uuid4(), None, "prompt", "ChatPromptTemplate", {"q": "hi"}, {}, 0).end is None
        True
    """

    run_id: UUID
    parent_id: UUID | None
    kind: RunKind
    name: str
    inputs: Any
    metadata: dict[str, Any]
    start: int
    end: int | None = None
    outputs: Any = None
    error: BaseException | None = None
    children: list[UUID] = field(default_factory=list)


@dataclass
class RecordedRun:
    """A finished top-level run: its inputs and output, and the output as a graph Variable.

    Attributes:
        run_id: LangChain's id of the run (pass ``config={"run_id": ...}`` to choose it).
        name: the runnable's name.
        inputs: what the run was called with.
        output: what it returned (None when it failed).
        variable: the output as a :class:`tg_core.Variable` whose graph reaches every prompt
            template that contributed (None when the run failed or ran under ``no_grad``).
        error: the exception the run raised, if any.
        start: the order in which the run started among the handler's runs.

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
