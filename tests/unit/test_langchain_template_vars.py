"""The pure template-variable rule: same variables, valid syntax, literal braces escaped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tg_adapters.langchain import (
    TemplateRejected,
    TemplateVariablesChanged,
    check_template_variables,
    escape_literal_braces,
    template_variables,
)

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
plain = st.text(alphabet=st.characters(blacklist_characters="{}", codec="utf-8"), max_size=30)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("Hi {name}, {{literal}}", "f-string", {"name"}),
        ('JSON: {{"a": 1}} for {q}', "f-string", {"q"}),
        ("Hi {{name}} {{#items}}{{.}}{{/items}}", "mustache", {"name", "items"}),
        ("{% for x in xs %}{{ x }}{% endfor %} {{ y }}", "jinja2", {"xs", "y"}),
        ("no variables", "f-string", set()),
    ],
)
def test_template_variables(text: str, fmt: str, expected: set[str]) -> None:
    assert template_variables(text, fmt) == expected


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("Hi {", "f-string"), ("}", "f-string"), ("{x.y}", "f-string"), ("{% for %}", "jinja2")],
)
def test_invalid_syntax_is_rejected(text: str, fmt: str) -> None:
    with pytest.raises(TemplateRejected):
        template_variables(text, fmt)


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(TemplateRejected, match="unknown template format"):
        template_variables("x", "python")


def test_check_reports_missing_and_extra() -> None:
    with pytest.raises(TemplateVariablesChanged) as info:
        check_template_variables("Use {b} and {c}", "f-string", ["a", "b"])
    assert info.value.missing == {"a"} and info.value.extra == {"c"}
    assert "{a}" in str(info.value) and "{c}" in str(info.value)


def test_check_rejects_empty_text() -> None:
    with pytest.raises(TemplateRejected, match="empty"):
        check_template_variables("  \n", "f-string", [])


def test_escape_keeps_named_placeholders_only() -> None:
    text = 'Reply {"a": {q}} to {q}, not {other}.'
    escaped = escape_literal_braces(text, ["q"])
    assert escaped == 'Reply {{"a": {q}}} to {q}, not {{other}}.'
    assert template_variables(escaped, "f-string") == {"q"}


@given(prefix=plain, name=names, suffix=plain)
def test_a_text_with_one_placeholder_passes(prefix: str, name: str, suffix: str) -> None:
    check_template_variables(prefix + "{" + name + "}" + suffix, "f-string", [name])


@given(text=st.text(max_size=40), keep=st.lists(names, max_size=3))
def test_escaping_is_idempotent(text: str, keep: list[str]) -> None:
    once = escape_literal_braces(text, keep)
    assert escape_literal_braces(once, keep) == once


@given(text=plain, name=names)
def test_escaped_braces_are_not_variables(text: str, name: str) -> None:
    escaped = escape_literal_braces("{" + text + "} {" + name + "}", [name])
    assert template_variables(escaped, "f-string") == {name}
