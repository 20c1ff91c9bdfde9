"""Optimize a LangChain chain's system prompt on BIG-Bench Hard object counting, on this machine.

The chain is the usual ``system + human prompt | chat model | StrOutputParser``. The model is
the embedded Qwen2.5-Coder-0.5B behind its local OpenAI-compatible server, reached with
``langchain_openai.ChatOpenAI``; the same model writes the feedback and the new prompt
(through ``ChatModelEngine``). One validation-gated step on three questions takes a few
minutes on two CPU cores. Data comes from ``$TG_CORE_DATA_DIR`` when set, else it is
downloaded once.

Run: ``python examples/langchain_object_counting.py``
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

import tg_core as tg
from tg_adapters.langchain import ChatModelEngine, optimize
from tg_core.tasks import parse_integer_answer
from tg_core.tasks.datasets import load_bbh

N_TRAIN = 3
N_VAL = 3
ANSWER_TOKENS = 96  # the small model rambles; a cap keeps every call short
FEEDBACK_TOKENS = 256  # critiques and the rewritten prompt need more room

SYSTEM = "You count objects. Think briefly, then end with 'Answer: <number>'."


def local_chat_model(max_tokens: int) -> BaseChatModel:
    """``ChatOpenAI`` on the embedded model's server (started if none is running)."""
    from langchain_openai import ChatOpenAI

    from tg_core.local import ensure_server

    server = ensure_server()
    return ChatOpenAI(  # type: ignore[call-arg]
        base_url=server.base_url,
        api_key="EMPTY",  # type: ignore[arg-type]
        model=server.model_alias,
        max_tokens=max_tokens,
        temperature=0,
        # llama.cpp's server reads "max_tokens"; ChatOpenAI sends "max_completion_tokens".
        extra_body={"max_tokens": max_tokens},
    )


def build_chain(model: BaseChatModel) -> tuple[Any, ChatPromptTemplate]:
    """The chain as an application would already have it, and its prompt."""
    prompt = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{question}")])
    return prompt | model | StrOutputParser(), prompt


def metric(example: dict[str, str], output: str) -> float | dict[str, Any]:
    """1 for the right count; otherwise 0 with feedback saying what was expected."""
    predicted = parse_integer_answer(output)
    if predicted == int(example["answer"]):
        return 1.0
    return {
        "score": 0.0,
        "feedback": f"Wrong count: the answer is {example['answer']}, but the output's last "
        f"number is {predicted}. Count only the objects of the category asked about, "
        "adding up quantities such as 'two' or 'three'.",
    }


def load_examples(split: str, n: int) -> list[dict[str, str]]:
    """The first ``n`` questions of a BBH object-counting split, as chain inputs."""
    return [{"question": q, "answer": a} for q, a in list(load_bbh("object_counting", split))[:n]]


def main(model: BaseChatModel | None = None, engine: Any = None) -> Any:
    """Run one optimization step and print what changed; returns the optimize result."""
    model = model or local_chat_model(ANSWER_TOKENS)
    chain, prompt = build_chain(model)
    engine = engine or ChatModelEngine(model, extra_body={"max_tokens": FEEDBACK_TOKENS})
    train, val = load_examples("train", N_TRAIN), load_examples("val", N_VAL)
    started = time.perf_counter()
    with tg.track_usage("example") as scope:
        result = optimize(
            chain,
            train,
            metric,
            valset=val,
            to_input=lambda ex: {"question": ex["question"]},
            engine=engine,
            steps=1,
            batch_size=N_TRAIN,
            max_concurrency=1,  # the local server answers one request at a time
        )
    seconds = time.perf_counter() - started
    step = result.history[0]
    print(f"validation accuracy: {result.fit.initial_score} -> {result.fit.best_score}")
    print(f"step accepted: {step.accepted} ({step.reason})")
    print(f"system prompt now:\n{prompt.messages[0].prompt.template}")  # type: ignore[union-attr]
    usage = scope.usage
    print(f"{usage.calls} model calls, {usage.total_tokens} tokens, {seconds:.0f} s")
    return result


if __name__ == "__main__":
    main()
