"""TextGrad 0.1.8: seconds from the first line of a script to its first model answer."""

from __future__ import annotations

import time

T0 = time.perf_counter()

import textgrad as tg  # noqa: E402

IMPORTED = time.perf_counter()


def first_answer(base_url: str) -> str:
    """Make an engine (ChatExternalClient over an OpenAI client) and a model; ask one question."""
    from openai import OpenAI
    from textgrad.engine.local_model_openai_api import ChatExternalClient

    engine = ChatExternalClient(
        client=OpenAI(base_url=base_url, api_key="sim"), model_string="sim-model"
    )
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
