"""A small deterministic fit run used by the kill-and-resume test (run as a script)."""

from __future__ import annotations

import asyncio
import hashlib
import sys

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.train import afit


def respond(call: FakeCall) -> str:
    digest = hashlib.sha256(call.text.encode()).hexdigest()[:6]
    if "<IMPROVED_VARIABLE>" in call.text:
        return f"<IMPROVED_VARIABLE>prompt-{digest}</IMPROVED_VARIABLE>"
    return f"feedback-{digest}"


async def main(run_dir: str, latency: float) -> None:
    engine = FakeEngine(respond, latency=latency)
    prompt = tg.Variable("prompt-start", role_description="system prompt")
    model = tg.BlackboxLLM(engine, system_prompt=prompt)

    async def loss(q: str) -> tg.Variable:
        out = await model.aforward(tg.Variable(q, role_description="question", requires_grad=False))
        return await tg.TextLoss("judge", engine=engine).aforward(out)

    async def score(q: str) -> float:
        return int(hashlib.sha256((prompt.value + q).encode()).hexdigest(), 16) % 5 / 4

    result = await afit(
        [prompt],
        loss,
        score,
        [f"t{i}" for i in range(12)],
        ["v1", "v2", "v3"],
        engine=engine,
        steps=5,
        batch_size=3,
        seed=7,
        run_dir=run_dir,
        progress=False,
    )
    print("FINAL", prompt.value, result.best_score, [r.accepted for r in result.history])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
