"""tg_core: seconds from the first line of a script to its first model answer (import included)."""

from __future__ import annotations

import time

T0 = time.perf_counter()

import tg_core as tg  # noqa: E402

IMPORTED = time.perf_counter()


def first_answer(base_url: str) -> str:
    """Make an engine and a model, and ask one question."""
    engine = tg.get_engine("openai/sim-model", cache=False, api_base=base_url, api_key="sim")
    model = tg.BlackboxLLM(engine, system_prompt="Answer briefly.")
    question = tg.Variable("How many legs does a spider have?", role_description="question")
    return str(model(question).value)


if __name__ == "__main__":
    import sys

    from common import emit, read_args

    answer = first_answer(read_args()["base_url"])
    done = time.perf_counter()
    emit({"import_s": IMPORTED - T0, "first_call_s": done - T0, "answer": answer[:80]})
    sys.exit(0)
