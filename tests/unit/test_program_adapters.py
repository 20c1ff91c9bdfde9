"""The same bad metric output gives the same outcome through DSPy and through LangChain."""

from __future__ import annotations

import math
from typing import Any

import dspy
import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from test_langchain_fakes import EchoChatModel

from tg_adapters.dspy import DSPyProgram, TextGradOptimizer
from tg_adapters.dspy.testing import FunctionLM, chat_answer
from tg_adapters.langchain import LangChainProgram, optimize
from tg_core.engine.fake import FakeEngine
from tg_core.errors import UserError
from tg_core.program import FailureLog, MetricError, Program
from tg_core.train.config import FitConfig

BAD: list[Any] = [None, math.nan, "n/a", {"feedback": "no score"}, KeyError("answer")]
Outcome = tuple[list[str], list[int], list[bool]]


def bad_metric(bad: Any) -> Any:
    """Bad output for the first example (answer "1"), a plain 0.0 for the others."""

    def metric(example: Any, prediction: Any) -> Any:
        if example["answer"] != "1":
            return 0.0
        if isinstance(bad, Exception):
            raise bad
        return bad

    return metric


def through_dspy(metric: Any, **options: Any) -> Outcome:
    train = [
        dspy.Example(question=f"count to {i}", answer=str(i)).with_inputs("question")
        for i in (1, 2, 3)
    ]
    opt = TextGradOptimizer(
        metric, engine=FakeEngine(), steps=1, batch_size=3, search=False, **options
    )
    with dspy.context(lm=FunctionLM(lambda call: chat_answer(answer="0"))):
        opt.compile(dspy.Predict("question -> answer"), trainset=train, valset=train[1:])
    assert opt.history is not None
    steps = opt.history.steps
    return (
        opt.history.metric_failures,
        [s.failed_examples for s in steps],
        [s.accepted for s in steps],
    )


def through_langchain(metric: Any, **options: Any) -> Outcome:
    prompt = ChatPromptTemplate.from_messages([("system", "Count."), ("human", "{question}")])
    chain = prompt | EchoChatModel(answer=lambda messages: "0") | StrOutputParser()
    train = [{"question": f"count to {i}", "answer": str(i)} for i in (1, 2, 3)]
    log = FailureLog()
    result = optimize(
        chain,
        train,
        metric,
        valset=train[1:],
        to_input=lambda ex: {"question": ex["question"]},
        engine=FakeEngine(),
        steps=1,
        batch_size=3,
        failures=log,
        search=False,
        **options,
    )
    return (
        log.metric,
        [s.failed_examples for s in result.history],
        [s.accepted for s in result.history],
    )


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_bad_metric_output_counts_the_same_in_both_adapters(bad: Any) -> None:
    dspy_outcome = through_dspy(bad_metric(bad))
    langchain_outcome = through_langchain(bad_metric(bad))
    assert dspy_outcome == langchain_outcome
    reasons, failed, accepted = dspy_outcome
    assert len(reasons) == 1 and reasons[0].startswith("the metric")
    assert failed == [1] and accepted == [True]  # the other examples still taught the step


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_bad_metric_output_raises_the_same_error_in_both_adapters(bad: Any) -> None:
    with pytest.raises(MetricError) as from_dspy:
        through_dspy(bad_metric(bad), on_metric_error="raise")
    with pytest.raises(MetricError) as from_langchain:
        through_langchain(bad_metric(bad), on_metric_error="raise")
    assert str(from_dspy.value) == str(from_langchain.value)
    assert "the metric failed 1 time(s)" in str(from_dspy.value)


def test_both_adapters_are_programs_and_take_a_fit_config() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Count."), ("human", "{question}")])
    chain = prompt | EchoChatModel(answer=lambda messages: "0") | StrOutputParser()
    assert isinstance(LangChainProgram(chain), Program)
    assert isinstance(DSPyProgram(dspy.Predict("question -> answer")), Program)
    config = FitConfig(steps=1, batch_size=3, validate=False)
    train = [{"question": "count to 1", "answer": "1"}]
    result = optimize(chain, train, lambda ex, out: 0.0, config=config, engine=FakeEngine())
    assert [s.accepted for s in result.history] == [True]
    opt = TextGradOptimizer(lambda ex, pred: 0.0, engine=FakeEngine(), config=config, seed=3)
    assert opt.config == config.updated(seed=3)
    with pytest.raises(UserError, match="no_such_option"):
        TextGradOptimizer(lambda ex, pred: 0.0, no_such_option=1)
    with pytest.raises(UserError, match="no_such_option"):
        optimize(chain, train, lambda ex, out: 0.0, engine=FakeEngine(), no_such_option=1)
