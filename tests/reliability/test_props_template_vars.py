"""Property-based tests of the LangChain adapter's template-variable validator and its binding."""

from __future__ import annotations

from typing import Literal, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from tg_adapters.langchain import (
    PromptTemplateBinding,
    TemplateRejected,
    check_template_variables,
    escape_literal_braces,
    template_variables,
)
from tg_core.errors import BindingRejected

PROFILE = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
Format = Literal["f-string", "mustache", "jinja2"]
FORMATS: list[Format] = list(get_args(Format))
NAMES = ("question", "context")
VALUE = "VALUE-7f3a"

# Placeholders of every format, and pieces of syntax that break them.
PLACEHOLDERS = st.sampled_from(
    [
        "{question}",
        "{context}",
        "{{question}}",
        "{{ question }}",
        "{{{question}}}",
        "{{#question}}x{{/question}}",
        "{{^context}}y{{/context}}",
        "{% if question %}z{% endif %}",
        "{# note #}",
        "{question!r}",
        "{question:>8}",
        "{{ other }}",
        "{other}",
    ]
)
BREAKERS = st.sampled_from(
    ["{", "}", "{{", "}}", "{{{", "}}}", "{question.upper}", "{0}", "{}", "{% endif %}", "\n"]
)
TEXT = st.lists(
    st.one_of(PLACEHOLDERS, PLACEHOLDERS, BREAKERS, st.text(max_size=6)), max_size=8
).map("".join)
LITERAL = st.text(max_size=12).filter(
    lambda t: "{{" not in t and "}}" not in t and "{question}" not in t
)


def rendered(text: str, fmt: Format, names: frozenset[str]) -> str:
    template = PromptTemplate(template=text, input_variables=sorted(names), template_format=fmt)
    return template.format(**dict.fromkeys(names, VALUE))


@PROFILE
@given(TEXT, st.sampled_from(FORMATS))
def test_validator_raises_only_template_rejected(text: str, fmt: Format) -> None:
    try:
        template_variables(text, fmt)
    except TemplateRejected:
        pass


@PROFILE
@given(TEXT, st.sampled_from(FORMATS))
def test_a_text_that_passes_the_check_renders_with_exactly_its_variables(
    text: str, fmt: Format
) -> None:
    try:
        names = template_variables(text, fmt)
        check_template_variables(text, fmt, names)
    except TemplateRejected:
        return
    rendered(text, fmt, names)


@PROFILE
@given(TEXT, st.sampled_from(FORMATS), st.sets(st.sampled_from(NAMES)))
def test_the_check_passes_only_for_the_exact_variable_set(
    text: str, fmt: Format, names: set[str]
) -> None:
    try:
        check_template_variables(text, fmt, names)
    except TemplateRejected:
        return
    assert template_variables(text, fmt) == names


@PROFILE
@given(LITERAL, LITERAL)
def test_escaped_fstring_literals_render_verbatim_around_the_placeholder(
    before: str, after: str
) -> None:
    if before.endswith("{") or after.startswith("}"):
        return  # "{{question}": ambiguous; the check refuses what escaping cannot keep
    text = escape_literal_braces(before + "{question}" + after, ["question"])
    check_template_variables(text, "f-string", ["question"])
    assert rendered(text, "f-string", frozenset({"question"})) == before + VALUE + after


@PROFILE
@given(LITERAL)
def test_escaped_braces_are_never_variables(text: str) -> None:
    escaped = escape_literal_braces(text, [])
    assert template_variables(escaped, "f-string") == frozenset()
    assert rendered(escaped, "f-string", frozenset()) == text


@pytest.mark.parametrize(
    ("fmt", "old", "new"),
    [
        ("f-string", "Answer {question} using {context}.", "Answer {question}."),
        ("f-string", "Answer {question}.", "Answer {question} in {language}."),
        ("f-string", "Answer {question}.", 'Answer {question} as {"json": 1}.'),
        ("f-string", "Answer {question}.", "Answer {question.__class__}."),
        ("mustache", "Answer {{question}}.", "Answer {{query}}."),
        ("mustache", "Answer {{question}}.", "Answer {{question}."),
        ("jinja2", "Answer {{ question }}.", "Answer {{ query }}."),
        ("jinja2", "Answer {{ question }}.", "Answer {{ question }."),
    ],
)
def test_binding_refuses_a_broken_rewrite_and_keeps_the_old_text(
    fmt: Format, old: str, new: str
) -> None:
    chat = ChatPromptTemplate.from_messages(
        [
            ("system", PromptTemplate.from_template(old, template_format=fmt).template),
            ("human", "hi"),
        ],
        template_format=fmt,
    )
    binding = PromptTemplateBinding(chat, 0)
    with pytest.raises(BindingRejected):
        binding.write(new)
    assert binding.read() == old
    assert chat.messages[0].prompt.template == old  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "new",
    [
        "Answer {{ question }}.{% for i in range(3) %}{% for j in range(3) %}!{% endfor %}{% endfor %}",
        "Answer {{ question }}.{{ 'x' * 3 }}",
    ],
)
def test_jinja2_rewrite_cannot_add_code(new: str) -> None:
    with pytest.raises(TemplateRejected):
        check_template_variables(new, "jinja2", ["question"])
