"""Fragments of prompts come from template files and read exactly as they always did."""

from __future__ import annotations

import asyncio

from tg_core.autograd.function import conversation_text
from tg_core.autograd.string_based import StringBasedFunction
from tg_core.context_text import gradient_with_context
from tg_core.engine.fake import FakeEngine
from tg_core.program.loss import run_conversation
from tg_core.program.protocol import ProgramRun
from tg_core.prompts import load_prompt
from tg_core.reduce import areduce_texts
from tg_core.variable import Variable


def test_conversation_with_and_without_a_system_prompt() -> None:
    assert conversation_text("Be brief.", "2+2?", "4") == (
        "<SYSTEM_PROMPT>\nBe brief.\n</SYSTEM_PROMPT>\n<INPUT>\n2+2?\n</INPUT>\n<OUTPUT>\n4\n</OUTPUT>"
    )
    assert conversation_text("", "{{q}}", "4") == "<INPUT>\n{{q}}\n</INPUT>\n<OUTPUT>\n4\n</OUTPUT>"


def test_feedback_alone_and_with_the_call_it_came_from() -> None:
    g = Variable("too long", role_description="feedback")
    assert gradient_with_context(g, None) == "<FEEDBACK>too long</FEEDBACK>"
    assert gradient_with_context(g, {"response_role": "answer"}) == "<FEEDBACK>too long</FEEDBACK>"
    assert gradient_with_context(g, {"conversation": "<INPUT>\nq\n</INPUT>"}) == (
        "<USED_IN>\n<INPUT>\nq\n</INPUT>\n</USED_IN>\n"
        "Feedback on how it should change to improve the output:\n<FEEDBACK>too long</FEEDBACK>"
    )
    context = {"conversation": "c", "response_role": "summary"}
    assert gradient_with_context(g, context).splitlines()[3] == (
        "Feedback on how it should change to improve the summary:"
    )


def test_a_program_run_is_shown_with_its_inputs_and_outputs() -> None:
    run = ProgramRun(input_text="question: 2+2?\nhint: add", error=ValueError("no answer"))
    assert run_conversation(run) == (
        "<PROGRAM_INPUT>\nquestion: 2+2?\nhint: add\n</PROGRAM_INPUT>\n"
        "<PROGRAM_OUTPUT>\n(none)\n</PROGRAM_OUTPUT>"
    )
    done = ProgramRun(input_text="question: 2+2?", output_text="answer: 4")
    assert run_conversation(done).endswith("<PROGRAM_OUTPUT>\nanswer: 4\n</PROGRAM_OUTPUT>")


def test_a_string_function_call_is_shown_with_its_inputs_and_output() -> None:
    fn = StringBasedFunction(lambda x: x.value.upper(), "upper-case the text")
    x = Variable("abc", role_description="text")
    y = fn(inputs={"x": x}, response_role_description="shout")
    asyncio.run(y.abackward(FakeEngine(["shorter"])))
    context = x.gradients_context[x.gradients[0]]
    assert context is not None
    assert context["conversation"] == (
        'function (upper-case the text) on:\n<X role="text">\nabc\n</X>\n<OUTPUT>ABC</OUTPUT>'
    )


def test_feedback_to_merge_is_numbered() -> None:
    engine = FakeEngine(["merged"])
    texts = ["one " * 200, "two " * 200]
    assert asyncio.run(areduce_texts(texts, "answer", engine, budget=150)) == ["merged"]
    prompt = engine.prompts[0]
    assert (
        f"<FEEDBACK_1>\n{texts[0]}\n</FEEDBACK_1>\n\n<FEEDBACK_2>\n{texts[1]}\n</FEEDBACK_2>"
        in (prompt)
    )
    assert load_prompt("feedback_numbered").id == "feedback_numbered@1"


def test_the_template_rule_for_rewritten_templates() -> None:
    from tg_adapters.langchain.optimize import TEMPLATE_RULE

    assert TEMPLATE_RULE == (
        "The value is a prompt template: keep every placeholder of the current value exactly as "
        "written, add no new placeholders, and keep literal braces escaped as they are."
    )
    assert load_prompt("template_rule").id == "template_rule@1"


def test_the_failure_of_a_predictor_call_is_told_as_before() -> None:
    from tg_core.program.records import PredictorCall
    from tg_core.program.tape import Tape

    class DSPyLike(Tape):
        label = "DSPy predictor"

    tape = DSPyLike("run", None, {}, {})
    tape.calls.append(PredictorCall("c", None, {}, 0, "qa", error="AdapterParseError: no fields"))
    assert tape.failure_text() == (
        "The program failed at the DSPy predictor `qa`: AdapterParseError: no fields\n"
        "Its answer must follow the output format its prompt asks for, with every output "
        "field present, or the program cannot continue."
    )
    assert DSPyLike("other", None, {}, {}).failure_text() == ""
