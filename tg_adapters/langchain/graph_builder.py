"""Turns the recorded runs of one top-level run into a tg_core graph.

Runs form a tree (``parent_run_id``); data flow between them is not reported, so each run's
inputs are matched by value against what earlier runs produced: a step's output, a
formatted message, a prompt value. Children are visited in the order they finished, which
is also the order their outputs became available (streamed runs included).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate, MessagesPlaceholder

from tg_core.extend import Variable, conversation_text
from tg_core.program.nodes import model_call, pass_through, unique
from tg_core.program.values import Produced, ValueIndex

from .params import MARK_KEY, PromptEntry, lookup
from .records import RunRecord
from .values import keys_of, message_role, message_text, pieces, text_of


class Scope:
    """What earlier runs produced, by lookup key (:func:`keys_of`); a child scope sees its
    parents' entries. A core :class:`~tg_core.program.values.ValueIndex` underneath.

    Example:
        >>> outer, v = Scope(), Variable("4", role_description="answer")
        >>> outer.add("4", v)
        >>> Scope(outer).find("4") is v
        True
    """

    def __init__(self, parent: Scope | None = None) -> None:
        self.index: ValueIndex = ValueIndex(parent.index if parent is not None else None)

    def add(self, piece: Any, variable: Variable) -> None:
        """Remember that ``variable`` produced ``piece`` (later producers win)."""
        self.index.add(keys_of(piece), Produced(len(self.index.produced), "", variable))

    def register(self, value: Any, variable: Variable) -> None:
        """Remember ``variable`` as the producer of every piece of ``value``."""
        for _, piece in pieces(value):
            self.add(piece, variable)

    def find(self, piece: Any) -> Variable | None:
        """The latest producer of ``piece``, most specific key first."""
        found = self.index.find(keys_of(piece))
        return found.variable if found is not None else None


def _merged_inputs(prompt: BasePromptTemplate[Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    partials = {k: (v() if callable(v) else v) for k, v in prompt.partial_variables.items()}
    return {**partials, **inputs}


def message_sources(
    prompt: BasePromptTemplate[Any] | None, inputs: Mapping[str, Any], messages: list[BaseMessage]
) -> list[int] | None:
    """For each formatted message, the index of the message template that made it.

    None when ``prompt`` (formatted again with ``inputs``) does not give exactly
    ``messages``: the run did not come from this prompt object, or it changed since.

    Example:
        >>> chat = ChatPromptTemplate.from_messages([("system", "Be {s}."), ("human", "{q}")])
        >>> message_sources(chat, {"s": "brief", "q": "hi"}, chat.format_messages(s="brief", q="hi"))
        [0, 1]
    """
    if not isinstance(prompt, ChatPromptTemplate):
        return None
    try:
        merged = _merged_inputs(prompt, inputs)
        sources: list[int] = []
        made: list[BaseMessage] = []
        for index, template in enumerate(prompt.messages):
            out = (
                [template]
                if isinstance(template, BaseMessage)
                else template.format_messages(**merged)
            )
            made.extend(out)
            sources.extend([index] * len(out))
    except Exception:
        return None
    same = len(made) == len(messages) and all(
        message_role(a) == message_role(b) and a.content == b.content
        for a, b in zip(made, messages)
    )
    return sources if same else None


def _prompt_inputs(prompt: BasePromptTemplate[Any] | None, inputs: Any) -> dict[str, Any]:
    """A prompt run's inputs as a dict (a prompt with one variable also takes a bare value)."""
    if isinstance(inputs, Mapping):
        return {str(k): v for k, v in inputs.items()}
    if prompt is not None and len(prompt.input_variables) == 1:
        return {prompt.input_variables[0]: inputs}
    return {}


def _template_inputs(template: Any) -> set[str]:
    names = {str(n) for n in getattr(template, "input_variables", []) or []}
    if isinstance(template, MessagesPlaceholder):
        names.add(template.variable_name)
    return names


class GraphBuilder:
    """Builds the graph of one top-level run from its records.

    Args:
        records: every run of the tree, by id.
        roles: message roles that collect feedback when their template is not bound.
        string_prompts: whether unbound string prompts collect feedback.

    Example:
        >>> from uuid import uuid4
        >>> root = RunRecord(uuid4(), None, "chain", "step", "hi", {}, 0, end=1, outputs="HI")
        >>> GraphBuilder({root.run_id: root}, frozenset({"system"}), True).build(root).value
        'HI'
    """

    def __init__(
        self, records: Mapping[UUID, RunRecord], roles: frozenset[str], string_prompts: bool
    ) -> None:
        self.records = records
        self.roles = roles
        self.string_prompts = string_prompts

    def build(self, root: RunRecord) -> Variable | None:
        """The root run's output as a Variable whose graph spans every recorded step."""
        return self._build(root, Scope())

    # -- dispatch --------------------------------------------------------------------------
    def _build(self, rec: RunRecord, scope: Scope) -> Variable | None:
        if rec.error is not None or rec.end is None:
            return None
        if rec.kind in ("chat_model", "llm"):
            return self._model(rec, scope)
        if rec.kind == "prompt" and not rec.children:
            return self._prompt(rec, scope)
        matched = self._resolve(rec.inputs, scope)
        if rec.children:
            return self._composite(rec, matched, scope)
        # a run the step made with its caller's config is its sibling, already in scope
        found = matched + self._resolve(rec.outputs, scope)
        inputs = unique([v for _, v in found])
        node = pass_through(text_of(rec.outputs), inputs, f"output of the step {rec.name}")
        scope.register(rec.outputs, node)
        return node

    @staticmethod
    def _resolve(value: Any, scope: Scope) -> list[tuple[str | None, Variable]]:
        found = []
        for key, piece in pieces(value):
            producer = scope.find(piece)
            if producer is not None:
                found.append((key, producer))
        return found

    # -- kinds -----------------------------------------------------------------------------
    def _composite(
        self, rec: RunRecord, matched: list[tuple[str | None, Variable]], scope: Scope
    ) -> Variable:
        local = Scope(scope)
        last: Variable | None = None
        children = [self.records[c] for c in rec.children if c in self.records]
        for child in sorted((c for c in children if c.end is not None), key=lambda c: c.end or 0):
            built = self._build(child, local)
            last = built if built is not None else last
        out_pieces = [piece for _, piece in pieces(rec.outputs)]
        found = [local.find(piece) for piece in out_pieces]
        producers = unique(found)
        role = f"output of {rec.name}"
        if len(out_pieces) == 1 and found[0] is not None:
            out = found[0]
        elif producers:
            out = pass_through(text_of(rec.outputs), producers, role)
        else:
            inputs = [last] if last is not None else [v for _, v in matched]
            out = pass_through(text_of(rec.outputs), inputs, role)
        for piece, producer in zip(out_pieces, found):
            scope.add(piece, producer if producer is not None else out)
        return out

    def _prompt(self, rec: RunRecord, scope: Scope) -> Variable:
        entry = lookup(rec.metadata.get(MARK_KEY))
        prompt = entry.prompt if entry is not None else None
        inputs = _prompt_inputs(prompt, rec.inputs)
        matched = self._resolve(inputs if inputs else rec.inputs, scope)
        upstream = unique([v for _, v in matched])
        by_key: dict[str | None, list[Variable]] = {}
        for key, v in matched:
            by_key.setdefault(key, []).append(v)
        out = rec.outputs
        if not isinstance(out, ChatPromptValue):
            param = self._string_param(entry, inputs, text_of(out))
            node = pass_through(
                text_of(out),
                [param, *upstream] if param is not None else upstream,
                "prompt given to the model",
                target=param is None and self.string_prompts,
            )
            scope.register(out, node)
            return node
        sources = message_sources(prompt, inputs, list(out.messages))
        nodes = []
        for i, message in enumerate(out.messages):
            role = message_role(message)
            inputs_of: list[Variable] = upstream
            param = None
            if sources is not None and isinstance(prompt, ChatPromptTemplate) and entry:
                index = sources[i]
                param = entry.params.get(index)
                used = _template_inputs(prompt.messages[index])
                inputs_of = unique([v for k in used for v in by_key.get(k, [])])
            node = pass_through(
                message_text(message),
                [param, *inputs_of] if param is not None else inputs_of,
                f"{role} message given to the model",
                target=sources is None and role in self.roles,
            )
            scope.add(message, node)
            nodes.append(node)
        if len(nodes) == 1:
            return nodes[0]
        return pass_through(text_of(out), nodes, "messages given to the model")

    @staticmethod
    def _string_param(
        entry: PromptEntry | None, inputs: Mapping[str, Any], text: str
    ) -> Variable | None:
        if entry is None or entry.prompt is None or None not in entry.params:
            return None
        try:
            prompt = entry.prompt
            same = prompt.format(**_merged_inputs(prompt, inputs)) == text
        except Exception:
            return None
        return entry.params[None] if same else None

    def _model(self, rec: RunRecord, scope: Scope) -> Variable | None:
        result = rec.outputs
        if not isinstance(result, LLMResult) or not result.generations or not result.generations[0]:
            return None
        generation = result.generations[0][0]
        answer: Any = (
            generation.message if isinstance(generation, ChatGeneration) else generation.text
        )
        if rec.kind == "chat_model":
            batches = rec.inputs if isinstance(rec.inputs, list) else []
            messages: list[BaseMessage] = list(batches[0]) if batches else []
            inputs = [scope.find(m) for m in messages]
            system = "\n\n".join(message_text(m) for m in messages if message_role(m) == "system")
            others = [m for m in messages if message_role(m) != "system"]
            if len(others) == 1:
                user = message_text(others[0])
            else:
                user = "\n\n".join(f"{message_role(m)}: {message_text(m)}" for m in others)
        else:
            prompts = [str(p) for p in rec.inputs] if isinstance(rec.inputs, list) else []
            inputs = [scope.find(p) for p in prompts[:1]]
            system, user = "", prompts[0] if prompts else ""
        response = text_of(answer)
        node = model_call(
            response,
            inputs,
            conversation=conversation_text(system or None, user, response),
            role=f"response of the model {rec.name}",
        )
        scope.register(answer, node)
        return node
