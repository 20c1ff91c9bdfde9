"""LangChain: a system+human prompt | ChatOpenAI | parser chain, optimized by tg_adapters."""

from __future__ import annotations

import time
from typing import Any

from common import (
    STARTING_PROMPT,
    bbh_examples,
    emit,
    read_args,
    same_integer,
    sim_reset,
    sim_stats,
)


def run(args: dict[str, Any]) -> dict[str, Any]:
    """``tg_adapters.langchain.optimize`` with validation gating; returns the new system text."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI

    from tg_adapters.langchain import ChatModelEngine, optimize

    max_tokens = int(args["max_tokens"])
    model = ChatOpenAI(  # type: ignore[call-arg]
        base_url=args["base_url"],
        api_key="EMPTY",  # type: ignore[arg-type]
        model=args["model"],
        temperature=0,
        max_tokens=max_tokens,
        extra_body={"max_tokens": max_tokens},  # llama.cpp reads max_tokens
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", STARTING_PROMPT), ("human", "{question}")]
    )
    chain = prompt | model | StrOutputParser()
    rows = bbh_examples(args["data_dir"])

    def examples(bounds: list[int]) -> list[dict[str, str]]:
        return [{"question": r["input"], "answer": r["target"]} for r in rows[slice(*bounds)]]

    def metric(example: dict[str, str], output: str) -> float:
        return float(same_integer(output, example["answer"]))

    sim_reset(args["base_url"])
    started = time.perf_counter()
    result = optimize(
        chain,
        examples(args["train_range"]),
        metric,
        valset=examples(args["val_range"]),
        to_input=lambda ex: {"question": ex["question"]},
        engine=ChatModelEngine(model, extra_body={"max_tokens": max_tokens}),
        steps=int(args["steps"]),
        batch_size=int(args["batch_size"]),
        seed=int(args["seed"]),
        max_concurrency=1,
        progress=False,
        search=False,  # TextGrad's loop, as the rows beside TextGrad measured
        report=False,
    )
    wall = time.perf_counter() - started
    fit = result.fit
    return {
        "wall_s": wall,
        "initial_val": fit.initial_score,
        "best_val": fit.best_score,
        "final_prompt": prompt.messages[0].prompt.format(),  # type: ignore[union-attr]
        "history": [
            {
                "step": r.step,
                "batch": r.batch,
                "accepted": r.accepted,
                "val_score": r.val_score,
                "reason": r.reason[:300],
            }
            for r in fit.history
        ],
        "server": sim_stats(args["base_url"]),
    }


if __name__ == "__main__":
    emit(run(read_args()))
