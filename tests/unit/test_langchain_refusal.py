"""A budget refusal inside a recorded async chain run strands no callback coroutine."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from test_langchain_fakes import EchoChatModel

import tg_core as tg
from tg_adapters.langchain import LangChainProgram


class _Seen(BaseCallbackHandler):
    """A user's own handler (not run inline): records the model starts it was told of."""

    def __init__(self) -> None:
        self.starts = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1


def _refused_run(program: LangChainProgram) -> None:
    async def run() -> None:
        with tg.track_usage("chain", tg.Budget(max_calls=0)):
            await program.arun({"style": "brief", "q": "How many?"}, record=True)

    with pytest.raises(tg.BudgetExceeded):
        asyncio.run(run())
    gc.collect()  # a coroutine LangChain made and never awaited warns when it is collected


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_refused_recorded_run_leaves_no_coroutine_unawaited() -> None:
    asked: list[Any] = []

    def answer(messages: list[Any]) -> str:
        asked.append(messages)
        return "5"

    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    _refused_run(LangChainProgram(prompt | EchoChatModel(answer=answer) | StrOutputParser()))
    assert asked == []  # refused before the model was called


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_the_users_own_handlers_still_hear_of_a_refused_call() -> None:
    seen = _Seen()
    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    chain = prompt | EchoChatModel() | StrOutputParser()
    _refused_run(LangChainProgram(chain, config={"callbacks": [seen]}))
    assert seen.starts == 1
