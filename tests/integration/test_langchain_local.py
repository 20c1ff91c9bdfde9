"""One short optimization of a LangChain chain against the embedded local model."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler

import tg_core as tg
from tg_adapters.langchain import ChatModelEngine, optimize, parameters, template_variables
from tg_core.tasks import parse_integer_answer

pytestmark = pytest.mark.integration

QUESTIONS = [
    ("I have a banana, two apples, and a car. How many fruits do I have?", "3"),
    ("I have a piano, a flute, and two chairs. How many musical instruments do I have?", "2"),
    ("I have three carrots, a stove, and an onion. How many vegetables do I have?", "4"),
]


SESSION_HOME = os.environ.get("TG_CORE_HOME")  # read at import, before per-test homes apply


@pytest.fixture
def base_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """The machine's local server: the session's TG_CORE_HOME, not the test's private one."""
    from tg_core.local import ensure_server

    if SESSION_HOME is None:
        monkeypatch.delenv("TG_CORE_HOME", raising=False)
    else:
        monkeypatch.setenv("TG_CORE_HOME", SESSION_HOME)
    return ensure_server().base_url


def chat_model(base_url: str, max_tokens: int) -> Any:
    from langchain_openai import ChatOpenAI

    from tg_core.local import LOCAL_MODEL_ALIAS

    return ChatOpenAI(
        base_url=base_url,
        api_key="EMPTY",
        model=LOCAL_MODEL_ALIAS,
        max_tokens=max_tokens,
        temperature=0,
        extra_body={"max_tokens": max_tokens},  # the llama.cpp server reads this name
    )


def metric(example: dict[str, str], output: str) -> Any:
    predicted = parse_integer_answer(output)
    if predicted == int(example["answer"]):
        return 1.0
    return {"score": 0.0, "feedback": f"The count is {example['answer']}, not {predicted}."}


class CountCalls(BaseCallbackHandler):
    """Counts the chain's model calls (the engine's calls are counted by tg_core)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        with self._lock:
            self.calls += 1


def test_one_optimization_step_on_the_local_model(base_url: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    model = chat_model(base_url, 48)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Count the objects asked about. End with 'Answer: <number>'."),
            ("human", "{question}"),
        ]
    )
    chain = prompt | model | StrOutputParser()
    examples = [{"question": q, "answer": a} for q, a in QUESTIONS]
    counter = CountCalls()
    started = time.perf_counter()
    with tg.track_usage("integration") as scope:
        result = optimize(
            chain,
            examples[:2],
            metric,
            valset=examples[2:],
            to_input=lambda ex: {"question": ex["question"]},
            config={"callbacks": [counter]},
            engine=ChatModelEngine(model, extra_body={"max_tokens": 160}),
            steps=1,
            batch_size=2,
            max_concurrency=1,
        )
    seconds = time.perf_counter() - started
    step = result.history[0]
    engine_calls = scope.usage.calls
    print(
        f"\nLangChain local optimization: {seconds:.1f} s wall, "
        f"{counter.calls + engine_calls} model calls ({counter.calls} chain runs, "
        f"{engine_calls} feedback/update calls, {scope.usage.total_tokens} engine tokens); "
        f"step accepted={step.accepted}: {step.reason}"
    )
    for proposal in step.proposals:
        print(f"proposal: {proposal.status} {proposal.reason[:120]!r} -> {proposal.new[:120]!r}")
    print("system prompt now:", prompt.messages[0].prompt.template)  # type: ignore[union-attr]
    assert len(result.history) == 1
    assert counter.calls >= 3  # validation before the step and the batch's two runs
    [param] = parameters(chain)
    assert param.value == prompt.messages[0].prompt.template  # type: ignore[union-attr]
    assert template_variables(str(param.value), "f-string") == set()
    assert isinstance(chain.invoke({"question": QUESTIONS[0][0]}), str)
