"""Variables, gradients as ordered records, topological order, no_grad."""

from __future__ import annotations

import pytest

import tg_core as tg
from tg_core.errors import BindingRejected, UserError
from tg_core.graph import topological_order


def test_role_description_is_required_with_a_helpful_message() -> None:
    with pytest.raises(UserError, match="role_description"):
        tg.Variable("x", role_description="")


def test_value_must_be_text_int_or_bytes() -> None:
    for bad in (3.5, None, ["a"], True):
        with pytest.raises(UserError, match="str, int or bytes"):
            tg.Variable(bad, role_description="number")  # type: ignore[arg-type]


def test_gradients_keep_arrival_order_and_are_not_duplicated() -> None:
    v = tg.Variable("x", role_description="answer")
    g1 = tg.Variable("first", role_description="feedback")
    g2 = tg.Variable("second", role_description="feedback")
    v.add_gradient(g1, {"conversation": "c1"})
    v.add_gradient(g2)
    v.add_gradient(g1)
    assert [g.value for g in v.gradients] == ["first", "second"]
    assert v.get_gradient_text() == "first\nsecond"
    assert "c1" in v.get_gradient_and_context_text()
    v.reset_gradients()
    assert v.gradients == [] and v.gradients_context == {}


def test_topological_order_handles_deep_graphs_without_recursion() -> None:
    node = tg.Variable("0", role_description="n")
    for i in range(20_000):
        node = tg.Variable(str(i), role_description="n", predecessors=[node])
    order = topological_order(node)
    assert len(order) == 20_001
    assert order[-1] is node


def test_topological_order_is_deterministic_and_shares_nodes() -> None:
    a = tg.Variable("a", role_description="a")
    b = tg.Variable("b", role_description="b", predecessors=[a])
    c = tg.Variable("c", role_description="c", predecessors=[a])
    d = tg.Variable("d", role_description="d", predecessors=[b, c])
    assert [v.value for v in topological_order(d)] == ["a", "b", "c", "d"]


def test_no_grad_records_no_graph() -> None:
    from tg_core.engine.fake import FakeEngine

    model = tg.BlackboxLLM(FakeEngine(["42"]), system_prompt="sys")
    q = tg.Variable("q", role_description="question")
    with tg.no_grad():
        out = model(q)
    assert out.predecessors == [] and out.grad_fn is None and not out.requires_grad


class _RefusingBinding:
    def __init__(self) -> None:
        self.stored = "keep {x}"

    def read(self) -> str:
        return self.stored

    def validate(self, value: str) -> None:
        if "{x}" not in value:
            raise BindingRejected("the template lost {x}")

    def write(self, value: str) -> None:
        self.stored = value


def test_bound_variable_reads_validates_and_writes_through_binding() -> None:
    binding = _RefusingBinding()
    v = tg.Variable(role_description="template", binding=binding)
    assert v.value == "keep {x}"
    with pytest.raises(BindingRejected):
        v.set_value("lost it")
    assert v.value == "keep {x}" and binding.stored == "keep {x}"
    v.set_value("new {x}")
    assert binding.stored == "new {x}" and v.value == "new {x}"


def test_generate_graph_gives_dot_and_mermaid() -> None:
    a = tg.Variable("a", role_description="input")
    b = tg.Variable("b", role_description="output", predecessors=[a])
    view = b.generate_graph()
    assert f"n{a.id} -> n{b.id}" in view.to_dot()
    assert f"n{a.id} --> n{b.id}" in view.to_mermaid()


def test_add_concatenates_and_feeds_both() -> None:
    a = tg.Variable("a", role_description="x")
    b = tg.Variable("b", role_description="y")
    c = a + b
    assert c.value == "ab" and c.predecessors == [a, b]
