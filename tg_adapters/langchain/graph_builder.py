"""Turns the recorded runs of one top-level run into a tg_core graph.

Runs form a tree (``parent_run_id``) walked by the core's :class:`~tg_core.program.run_tree.TreeGraph`,
which matches each run's inputs by value against what earlier runs produced: a step's output,
a formatted message, a prompt value. What is LangChain's is here: prompt runs become message
nodes linked to the bound templates, model runs become model-call nodes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate, MessagesPlaceholder

from tg_core.extend import Variable
from tg_core.program.nodes import model_call, pass_through, role_conversation, unique
from tg_core.program.run_tree import RunRecord, TreeGraph
from tg_core.program.values import ValueIndex

from .params import MARK_KEY, PromptEntry, lookup
from .values import keys_of, message_role, message_text, pieces, text_of


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


class GraphBuilder(TreeGraph):
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
        self,
        records: Mapping[Hashable, RunRecord[Any]],
        roles: frozenset[str],
        string_prompts: bool,
    ) -> None:
        super().__init__(records, pieces=pieces, keys=keys_of, text=text_of)
        self.roles = roles
        self.string_prompts = string_prompts

    def leaf(self, rec: RunRecord[Any], scope: ValueIndex) -> tuple[bool, Variable | None]:
        """Model calls and prompt runs are LangChain's own nodes."""
        if rec.kind in ("chat_model", "llm"):
            return True, self._model(rec, scope)
        if rec.kind == "prompt" and not rec.children:
            return True, self._prompt(rec, scope)
        return False, None

    def _prompt(self, rec: RunRecord[Any], scope: ValueIndex) -> Variable:
        entry = lookup(rec.metadata.get(MARK_KEY))
        prompt = entry.prompt if entry is not None else None
        inputs = _prompt_inputs(prompt, rec.inputs)
        matched = self.resolve(inputs if inputs else rec.inputs, scope)
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
            self.register(scope, out, node)
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
            self.add(scope, message, node)
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

    def _model(self, rec: RunRecord[Any], scope: ValueIndex) -> Variable | None:
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
            inputs = [self.find(scope, m) for m in messages]
            turns = [(message_role(m), message_text(m)) for m in messages]
        else:
            prompts = [str(p) for p in rec.inputs] if isinstance(rec.inputs, list) else []
            inputs = [self.find(scope, p) for p in prompts[:1]]
            turns = [("user", p) for p in prompts[:1]]
        response = text_of(answer)
        node = model_call(
            response,
            inputs,
            conversation=role_conversation(turns, response),
            role=f"response of the model {rec.name}",
        )
        self.register(scope, answer, node)
        return node
