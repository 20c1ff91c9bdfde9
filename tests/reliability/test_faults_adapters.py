"""DSPy and LangChain adapters against injected faults: bound prompts keep a usable value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dspy
import pytest
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from tg_adapters.dspy import TextGradOptimizer
from tg_adapters.dspy.testing import sim_responder as dspy_responder
from tg_adapters.langchain import aoptimize
from tg_adapters.langchain.testing import template_fault
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.errors import ProposalRejectedWarning
from tg_core.testing.openai_sim import ChatRequest, FaultKind, FaultPlan, FaultRule, SimServer

MakeSim = Callable[..., SimServer]
MakeEngine = Callable[..., LiteLLMEngine]
SYSTEM = "Answer in a {style} way."


def is_update(request: ChatRequest) -> bool:
    return "<IMPROVED_VARIABLE>" in request.last_user_text


def is_core(request: ChatRequest) -> bool:
    """A request of tg_core's engine: feedback (critic) or an update."""
    return is_update(request) or "critic" in request.system_text


TRANSIENT: list[tuple[FaultKind, int]] = [
    ("http_429", 2),
    ("http_500", 2),
    ("http_503", 1),
    ("drop", 1),
]


def transient_plan() -> FaultPlan:
    """Six transient faults on tg_core's calls, one 503 on the framework's own model call."""
    rules = [FaultRule(is_core, kind, times=n) for kind, n in TRANSIENT]
    rules.append(FaultRule(lambda r: not is_core(r), "http_503", times=1))
    return FaultPlan(rules=rules, retry_after=0.01)


async def optimize_chain(
    server: SimServer, engine: LiteLLMEngine, **options: Any
) -> tuple[str, Any]:
    prompt = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{q}")])
    model = ChatOpenAI(
        model="sim-model",
        base_url=server.base_url,
        api_key="sim-key",  # type: ignore[arg-type]
        max_retries=3,
        timeout=5.0,
    )
    chain = prompt | model
    result = await aoptimize(
        chain,
        [{"style": "short", "q": "What is 2+2?"}, {"style": "formal", "q": "What is 3+3?"}],
        lambda example, output: 0.0,
        engine=engine,
        steps=1,
        batch_size=2,
        validate=False,
        progress=False,
        **options,
    )
    template = prompt.messages[0].prompt.template  # type: ignore[union-attr]
    return str(template), result.history[0]


def bad_rewrites(kind: Any) -> dict[str, Any]:
    """Server settings whose answers to update requests are broken the ``kind`` way."""
    if kind in ("template_var_removed", "template_var_invented"):
        return {"responder": template_fault(kind, when=is_update)}
    return {"faults": FaultPlan(rules=[FaultRule(is_update, kind)])}


@pytest.mark.parametrize(
    "kind", ["template_var_removed", "template_var_invented", "no_tags", "nested_tags"]
)
async def test_langchain_template_survives_bad_rewrites(
    sim: MakeSim, engine_for: MakeEngine, kind: str
) -> None:
    server = sim(**bad_rewrites(kind))
    with pytest.warns(ProposalRejectedWarning):
        template, record = await optimize_chain(server, engine_for(server), search=False)
    assert template == SYSTEM
    assert [p.status for p in record.proposals] == ["rejected"]
    assert not record.accepted
    assert len([r for r in server.received() if is_update(r)]) == 2


async def test_langchain_run_under_transient_faults_matches_a_clean_run(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    faulty = sim(transient_plan())
    clean = sim()
    got, record = await optimize_chain(faulty, engine_for(faulty, max_retries=8))
    expected, _ = await optimize_chain(clean, engine_for(clean))
    assert got == expected and got != SYSTEM and "{style}" in got
    assert record.accepted and record.failed_examples == 0
    assert faulty.stats().faults == {"http_429": 2, "http_500": 2, "http_503": 2, "drop": 1}


def compile_program(server: SimServer, engine: LiteLLMEngine, **options: Any) -> tuple[str, str]:
    program = dspy.Predict("question -> answer")
    before = str(program.signature.instructions)
    lm = dspy.LM(
        "openai/sim-model", api_base=server.base_url, api_key="sim-key", cache=False, num_retries=3
    )
    train = [
        dspy.Example(question=f"What is {i}+{i}?", answer=str(2 * i)).with_inputs("question")
        for i in range(2)
    ]
    optimizer = TextGradOptimizer(
        lambda example, prediction: 0.0,
        engine=engine,
        steps=1,
        batch_size=2,
        validate=False,
        progress=False,
        **options,
    )
    with dspy.context(lm=lm):
        better = optimizer.compile(program, trainset=train)
    assert str(program.signature.instructions) == before  # the student is never changed
    return before, str(better.signature.instructions)


@pytest.mark.parametrize("kind", ["no_tags", "unbalanced_tags", "nested_tags", "empty"])
def test_dspy_instructions_survive_malformed_proposals(
    sim: MakeSim, engine_for: MakeEngine, kind: FaultKind
) -> None:
    server = sim(FaultPlan(rules=[FaultRule(is_update, kind)]), dspy_responder)
    with pytest.warns(ProposalRejectedWarning):
        before, after = compile_program(server, engine_for(server), search=False)
    assert after == before
    assert len([r for r in server.received() if is_update(r)]) == 2


def test_dspy_compile_under_transient_faults_matches_a_clean_run(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    faulty = sim(transient_plan(), dspy_responder)
    clean = sim(responder=dspy_responder)
    _, got = compile_program(faulty, engine_for(faulty, max_retries=8))
    before, expected = compile_program(clean, engine_for(clean))
    assert got == expected != before
    assert faulty.stats().faults == {"http_429": 2, "http_500": 2, "http_503": 2, "drop": 1}
