"""Metrics of every accepted shape, and bad output turned into failures with reasons."""

from __future__ import annotations

import math
from typing import Any

import dspy
import pytest

from tg_adapters.dspy import DSPyAdapterError, MetricOutcome, call_metric, interpret, loss_text
from tg_adapters.dspy.metric import metric_arity


def two(example: Any, pred: Any) -> float:
    return 0.5


def three(example: Any, pred: Any, trace: Any = None) -> bool:
    return True


def five(
    example: Any, pred: Any, trace: Any = None, pred_name: Any = None, pred_trace: Any = None
) -> dspy.Prediction:
    return dspy.Prediction(score=0.25, feedback="  Be exact.  ")


class CallableMetric:
    def __call__(self, example: Any, pred: Any, trace: Any = None) -> int:
        return 1


def test_arity_detection() -> None:
    assert metric_arity(two) == 2
    assert metric_arity(three) == 3
    assert metric_arity(five) == 5
    assert metric_arity(CallableMetric()) == 3
    assert metric_arity(lambda *args: 1) == 5
    with pytest.raises(DSPyAdapterError):
        metric_arity(lambda example: 1)


def test_scores_and_feedback() -> None:
    assert call_metric(two, None, None) == MetricOutcome(0.5)
    assert call_metric(three, None, None) == MetricOutcome(1.0)
    assert call_metric(five, None, None) == MetricOutcome(0.25, "Be exact.")
    assert call_metric(CallableMetric(), None, None).score == 1.0
    assert interpret({"score": 1, "feedback": ""}) == MetricOutcome(1.0, None)
    assert interpret(dspy.Prediction(score=False)).score == 0.0


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (None, "returned None"),
        (math.nan, "returned nan"),
        (math.inf, "returned inf"),
        ("great", "not a number"),
        (dspy.Prediction(feedback="no score"), "has no score"),
    ],
)
def test_bad_results_fail_with_a_reason(result: Any, reason: str) -> None:
    outcome = interpret(result)
    assert outcome.failed and outcome.score == 0.0 and reason in outcome.reason


def test_a_raising_metric_fails_with_its_error() -> None:
    def metric(example: Any, pred: Any) -> float:
        raise KeyError("answer")

    outcome = call_metric(metric, None, None)
    assert outcome.failed and "KeyError" in outcome.reason


def test_loss_text_uses_feedback_or_expected_output() -> None:
    example = dspy.Example(question="q", answer="4").with_inputs("question")
    pred = dspy.Prediction(answer="5")
    assert loss_text(example, pred, MetricOutcome(0.0, "Add again.")).endswith("Add again.")
    text = loss_text(example, pred, MetricOutcome(0.0))
    assert "Expected output:\nanswer: 4" in text and "answer: 5" in text
