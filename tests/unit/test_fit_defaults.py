"""The fit options' defaults search; ``search=False`` is TextGrad's loop, in every entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dspy
import pytest
from dspy.utils import DummyLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from test_langchain_fakes import EchoChatModel
from test_search import World

from tg_adapters.dspy import TextGradOptimizer
from tg_adapters.langchain import optimize
from tg_core.engine.fake import FakeEngine
from tg_core.errors import UserError
from tg_core.optimizer_base import Optimizer, ParamUpdate, StepReport
from tg_core.program.fit import fit_config
from tg_core.train import FitCallback, FitConfig, FitEvent, RunStarted

SEED = "Count. Then answer."
BETTER = "Name each item, then count them."


class Options(FitCallback):
    """Keeps the options a run started with."""

    def __init__(self) -> None:
        self.configs: list[FitConfig] = []

    def on_event(self, event: FitEvent) -> None:
        if isinstance(event, RunStarted) and event.config is not None:
            self.configs.append(event.config)


def test_the_defaults_are_the_search() -> None:
    config = FitConfig()
    assert (config.num_candidates, config.pool, config.feedback) == (4, True, "relay")
    assert config.operators == ("delete", "edit", "example", "rewrite") and config.deletions == 3
    assert config.searching and fit_config() == config


def test_a_plain_fit_makes_several_candidates_per_step_and_keeps_a_pool(tmp_path: Path) -> None:
    # The seed is right on the first validation question only, the rewrite on the last three.
    w = World([BETTER] * 8, {SEED: [0.5, 0, 0, 0, 0, 0], BETTER: [0, 0, 0, 1, 1, 1]})
    w.prompt.set_value(SEED)
    result = w.fit(steps=2, batch_size=2, run_dir=tmp_path, guard_overfit=False)
    first = result.history[0]
    # the seed's two sentences give two deletions: the second is numbered after the four turns
    ops = ["delete", "edit", "example", "rewrite", "delete"]
    assert [c.operator for c in first.candidates] == ops
    assert first.proposals == []  # no TextGrad step was taken
    kept = [c for c in first.candidates if c.status == "kept"]
    assert [c.values[0] for c in kept] == [BETTER] and w.prompt.value == BETTER
    pool = json.loads((tmp_path / "checkpoint.json").read_text())["pool"]
    assert [p["values"][0] for p in pool] == [SEED, BETTER]  # complementary: both kept
    assert [len(r.candidates) for r in result.history] == [5, 4]  # BETTER has one sentence


def test_search_false_is_textgrads_loop() -> None:
    loop = FitConfig.textgrad_loop()
    assert (loop.num_candidates, loop.pool, loop.operators, loop.feedback) == (
        1,
        False,
        ("rewrite",),
        "critic",
    )
    assert not loop.searching
    assert FitConfig(search=False) == loop == fit_config(search=False)
    assert FitConfig(num_candidates=3, pool=True).updated(search=False) == loop
    assert FitConfig.textgrad_loop(steps=2) == FitConfig(steps=2, search=False)
    assert FitConfig(search=True) == FitConfig() == fit_config(search=None)


def test_a_fit_with_search_false_takes_textgrads_step() -> None:
    w = World([BETTER] * 8, {SEED: [0] * 6, BETTER: [1] * 6})
    w.prompt.set_value(SEED)
    result = w.fit(steps=1, batch_size=2, search=False, guard_overfit=False)
    step = result.history[0]
    assert step.candidates == [] and [p.new for p in step.proposals] == [BETTER]
    assert step.accepted and w.prompt.value == BETTER


@pytest.mark.parametrize(
    ("option", "shown"),
    [
        ({"num_candidates": 3}, "num_candidates=3"),
        ({"pool": True}, "pool=True"),
        ({"operators": ("edit",)}, "operators=('edit',)"),
        ({"feedback": "relay"}, "feedback='relay'"),
    ],
)
def test_search_false_beside_a_contradicting_value_is_refused(
    option: dict[str, Any], shown: str
) -> None:
    with pytest.raises(UserError, match="search=False") as caught:
        FitConfig(search=False, **option)
    assert shown in str(caught.value)
    with pytest.raises(UserError, match="search=False.*contradicts " + re.escape(shown)):
        fit_config(FitConfig(), search=False, **option)


def test_a_contradiction_is_refused_by_every_entry_point() -> None:
    contradiction = {"search": False, "num_candidates": 3}
    named = "search=False.*num_candidates=3"
    w = World([BETTER], {SEED: [0] * 6})
    with pytest.raises(UserError, match=named):
        w.fit(steps=1, **contradiction)
    with pytest.raises(UserError, match=named):
        TextGradOptimizer(lambda ex, pred: 1.0, **contradiction)
    chain, _ = chain_and_prompt()
    with pytest.raises(UserError, match=named):
        optimize(chain, [{"q": "2+2?"}], lambda ex, out: 0.0, engine=FakeEngine(), **contradiction)
    with pytest.raises(UserError, match="search: pass True or False"):
        FitConfig(search="no")


class Appender(Optimizer):
    """A custom optimizer: appends a fixed rule to every parameter."""

    async def astep(self) -> StepReport:
        report = StepReport()
        for i, p in enumerate(self.parameters):
            old = str(p.value)
            p.set_value(old + " Count twice.")
            report.updates.append(ParamUpdate(i, p.get_role_description(), old, p.value, "updated"))
        return report


def test_a_custom_optimizer_needs_textgrads_loop_and_is_told_so() -> None:
    w = World([BETTER], {SEED: [0] * 6})
    w.prompt.set_value(SEED)
    with pytest.raises(UserError, match="search=False"):
        w.fit(steps=1, optimizer=Appender([w.prompt]))
    result = w.fit(steps=1, batch_size=2, optimizer=Appender([w.prompt]), search=False)
    assert result.history[0].accepted and w.prompt.value == SEED + " Count twice."


def test_textgrad_loop_takes_changes_on_top() -> None:
    relay_loop = FitConfig.textgrad_loop(feedback="relay", steps=3)
    assert not relay_loop.searching and relay_loop.feedback == "relay"
    assert relay_loop.steps == 3 and relay_loop.num_candidates == 1


def chain_and_prompt() -> tuple[Any, ChatPromptTemplate]:
    prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
    return prompt | EchoChatModel(answer=lambda messages: "5") | StrOutputParser(), prompt


def test_the_dspy_optimizer_searches_by_default() -> None:
    options = Options()
    opt = TextGradOptimizer(
        lambda ex, pred: ex.answer == pred.answer,
        engine=FakeEngine(),
        steps=1,
        validate=False,
        callbacks=[options],
    )
    assert opt.config == FitConfig(steps=1, validate=False) and opt.config.searching
    train = [dspy.Example(question="2+2?", answer="4").with_inputs("question")]
    with dspy.context(lm=DummyLM([{"answer": "5"}] * 20)):
        opt.compile(dspy.Predict("question -> answer"), trainset=train)
    assert [c.searching for c in options.configs] == [True]
    assert opt.result is not None and len(opt.result.history[0].candidates) > 1
    loop = TextGradOptimizer(lambda ex, pred: 1.0, search=False, steps=1)
    assert loop.config == FitConfig.textgrad_loop(steps=1)


def test_the_langchain_optimize_searches_by_default() -> None:
    chain, _ = chain_and_prompt()
    options = Options()
    result = optimize(
        chain,
        [{"q": "2+2?"}],
        lambda ex, out: 0.0,
        engine=FakeEngine(),
        steps=1,
        validate=False,
        callbacks=[options],
    )
    (config,) = options.configs
    assert config.searching and config.num_candidates == 4 and config.pool
    assert config.operators == FitConfig().operators and config.feedback == "relay"
    assert len(result.history[0].candidates) > 1
    loop_options = Options()
    optimize(
        chain_and_prompt()[0],
        [{"q": "2+2?"}],
        lambda ex, out: 0.0,
        engine=FakeEngine(),
        steps=1,
        validate=False,
        search=False,
        callbacks=[loop_options],
    )
    (loop,) = loop_options.configs
    assert not loop.searching and loop.feedback == "critic"
