"""TextGrad behaviours tg_core keeps: images from image_path, ints as text, tag placeholders in
a custom optimizer prompt, engine settings and names, the compat classes at TextGrad's paths."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.engine.content import content_parts
from tg_core.engine.fake import FakeEngine
from tg_core.testing.openai_sim import SimServer
from tg_core.utils.image_utils import ImageURL

PNG_PATH = Path(__file__).resolve().parents[2] / "examples" / "assets" / "checker.png"
PNG = PNG_PATH.read_bytes()


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(latency_s=0.0) as sim:
        yield sim


# -- Variable ------------------------------------------------------------------------------
def test_image_path_reads_the_file_and_the_image_is_sent() -> None:
    image = tg.Variable(image_path=str(PNG_PATH), role_description="image", requires_grad=False)
    assert image.value == PNG and image.image_path == str(PNG_PATH)
    fake = FakeEngine(["a checkerboard"])
    question = tg.Variable("What is it?", role_description="question", requires_grad=False)
    tg.autograd.MultimodalLLMCall(fake)([image, question])
    parts = content_parts(fake.calls[0].content)
    assert parts[0]["type"] == "image_url"
    assert parts[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode(
        "ascii"
    )


def test_image_url_is_kept_and_forwarded_as_an_image_part(server: SimServer) -> None:
    url = "https://example.com/render?id=7"  # no image suffix: the type says it is an image
    image = tg.Variable(image_path=url, role_description="image", requires_grad=False)
    assert isinstance(image.value, ImageURL) and image.value == url
    engine = tg.get_engine("openai/sim-model", api_base=server.base_url, api_key="x", cache=False)
    question = tg.Variable("Describe it.", role_description="question", requires_grad=False)
    tg.autograd.MultimodalLLMCall(engine)([image, question])
    parts = server.received()[-1].body["messages"][1]["content"]
    assert parts[0] == {"type": "image_url", "image_url": {"url": url}}
    assert parts[1] == {"type": "text", "text": "Describe it."}


def test_value_and_image_path_together_are_refused() -> None:
    with pytest.raises(tg.UserError, match="either a value or an image_path"):
        tg.Variable("text", image_path=str(PNG_PATH), role_description="image")


def test_a_missing_image_file_names_the_path() -> None:
    with pytest.raises(tg.UserError, match=r"no/such\.png"):
        tg.Variable(image_path="no/such.png", role_description="image")


def test_an_int_value_becomes_its_text() -> None:
    assert tg.Variable(3, role_description="score").value == "3"
    assert tg.Variable(-12, role_description="score").get_value() == "-12"


# -- optimizer -----------------------------------------------------------------------------
def test_custom_optimizer_system_prompt_gets_its_tags() -> None:
    prompt = (
        "Rewrite it. Put the result between {new_variable_start_tag} and {new_variable_end_tag}."
    )
    fake = FakeEngine(["<NEW>shorter</NEW>"])
    answer = tg.Variable("a long answer", role_description="answer")
    answer.add_gradient(tg.Variable("be shorter", role_description="feedback"))
    opt = tg.TGD(
        parameters=[answer],
        engine=fake,
        optimizer_system_prompt=prompt,
        new_variable_tags=["<NEW>", "</NEW>"],
    )
    opt.step()
    assert fake.calls[0].system_prompt == "Rewrite it. Put the result between <NEW> and </NEW>."
    assert answer.value == "shorter"


def test_custom_optimizer_prompt_with_other_braces_fills_only_the_tags() -> None:
    prompt = "Keep {placeholders} as they are; answer in {new_variable_start_tag}...{new_variable_end_tag}"
    opt = tg.TGD(
        parameters=[tg.Variable("x", role_description="p")],
        engine=FakeEngine(),
        optimizer_system_prompt=prompt,
    )
    assert opt.optimizer_system_prompt == (
        "Keep {placeholders} as they are; answer in <IMPROVED_VARIABLE>...</IMPROVED_VARIABLE>"
    )


# -- engines and names ---------------------------------------------------------------------
def test_set_backward_engine_passes_settings_to_get_engine(server: SimServer) -> None:
    tg.set_backward_engine(
        "openai/sim-model",
        override=True,
        api_base=server.base_url,
        api_key="x",
        cache=False,
        temperature=0.25,
    )
    engine = tg.get_backward_engine()
    assert engine is not None and engine.model_string == "openai/sim-model"
    engine.generate("hello")
    assert server.received()[-1].body["temperature"] == 0.25


def test_set_backward_engine_refuses_settings_with_an_engine_object() -> None:
    with pytest.raises(tg.UserError, match="engine object"):
        tg.set_backward_engine(FakeEngine(), override=True, temperature=0)


def test_get_engine_refuses_a_model_no_provider_serves() -> None:
    with pytest.raises(tg.UserError) as info:
        tg.get_engine("no-such-model")
    message = str(info.value)
    assert "no-such-model" in message
    for form in ("gpt-4o", "openai/gpt-4o-mini", "api_base=", "experimental:", "'local'"):
        assert form in message


@pytest.mark.parametrize(
    ("name", "settings", "model"),
    [
        ("gpt-4o", {}, "gpt-4o"),
        ("sonnet-3.5", {}, "anthropic/claude-3-5-sonnet-20240620"),
        ("experimental:gpt-4o-mini", {}, "gpt-4o-mini"),
        ("openai/my-local-model", {"api_base": "http://127.0.0.1:9/v1"}, "openai/my-local-model"),
        ("my-alias", {"api_base": "http://127.0.0.1:9/v1"}, "my-alias"),
        (
            "together-meta-llama/Llama-3-70b-chat-hf",
            {},
            "together_ai/meta-llama/Llama-3-70b-chat-hf",
        ),
        ("mistral/mistral-large-latest", {}, "mistral/mistral-large-latest"),
    ],
)
def test_get_engine_keeps_the_names_that_work(
    name: str, settings: dict[str, str], model: str
) -> None:
    assert tg.get_engine(name, cache=False, **settings).model_string == model


def test_known_names_do_not_import_litellm() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tg_core as tg; tg.get_engine('gpt-4o', cache=False); "
        "tg.get_engine('openai/x', api_base='http://127.0.0.1:9/v1', cache=False); "
        "print('litellm' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_singleton_backward_engine_is_the_process_engine() -> None:
    from tg_core.config import SingletonBackwardEngine

    fake = FakeEngine()
    tg.set_backward_engine(fake, override=True)
    assert SingletonBackwardEngine() is SingletonBackwardEngine()
    assert SingletonBackwardEngine().get_engine() is fake
    with pytest.raises(tg.UserError, match="already set"):
        SingletonBackwardEngine().set_engine(FakeEngine())


def test_provider_engines_need_their_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from tg_core.engine.anthropic import ChatAnthropic
    from tg_core.engine.gemini import ChatGemini
    from tg_core.engine.openai import ChatOpenAI

    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(tg.UserError, match="ANTHROPIC_API_KEY"):
        ChatAnthropic()
    with pytest.raises(tg.UserError, match="OPENAI_API_KEY"):
        ChatOpenAI("gpt-4o")
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    gemini = ChatGemini("gemini-1.5-flash")
    assert gemini.model_string == "gemini/gemini-1.5-flash" and gemini._api_key == "g-key"
    assert (
        ChatOpenAI("llama3", base_url="http://127.0.0.1:9/v1").api_base == "http://127.0.0.1:9/v1"
    )


def test_external_client_engine_talks_to_the_clients_server(server: SimServer) -> None:
    from openai import OpenAI

    from tg_core.engine.local_model_openai_api import ChatExternalClient

    client = OpenAI(base_url=server.base_url, api_key="sk-local")
    engine = ChatExternalClient(client=client, model_string="sim-model", cache=False)
    answer = engine.generate("What is 6 x 7?", system_prompt="Be brief.")
    request = server.received()[-1]
    assert answer and request.model == "sim-model"
    assert request.headers["authorization"] == "Bearer sk-local"
    assert request.body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_validate_multimodal_engine() -> None:
    from tg_core.engine import validate_multimodal_engine
    from tg_core.engine.litellm_engine import LiteLLMEngine

    validate_multimodal_engine(LiteLLMEngine("openai/anything"))
    with pytest.raises(ValueError, match="does not take images"):
        validate_multimodal_engine(FakeEngine())


def test_experimental_engine_base_and_its_cache(tmp_path: Path) -> None:
    import diskcache

    from tg_core.engine_experimental.base import EngineLM, cached

    class Counting(EngineLM):
        calls = 0

        @cached
        def _generate_from_single_prompt(self, content, system_prompt=None, **kw):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return f"{system_prompt}|{content}"

        def _generate_from_multiple_input(self, content, system_prompt=None, **kw):  # type: ignore[no-untyped-def]
            return "multi"

    engine = Counting("m", system_prompt="sys", cache=diskcache.Cache(str(tmp_path / "c")))
    assert engine.generate("hi") == "sys|hi" and engine.generate("hi") == "sys|hi"
    assert Counting.calls == 1
    again = Counting("m", cache=diskcache.Cache(str(tmp_path / "c")))  # another process's view
    assert again.generate("hi", system_prompt="sys") == "sys|hi" and Counting.calls == 1
    with pytest.raises(tg.UserError, match="is_multimodal"):
        engine.generate([PNG, "what?"])


# -- autograd and losses at TextGrad's paths ------------------------------------------------
def test_llm_call_with_in_context_examples_reads_final_and_shows_examples() -> None:
    from tg_core.autograd import LLMCall_with_in_context_examples

    fake = FakeEngine(["thinking... <FINAL>Walk, then bus.</FINAL>", "Add timing."])
    task = tg.Variable("Plan a trip to the museum.", role_description="plan request")
    plan = LLMCall_with_in_context_examples(fake)(
        task, "plan", in_context_examples=["Take the 9:05 bus, walk 5 minutes."]
    )
    assert plan is not None and plan.value == "Walk, then bus."
    plan.backward(engine=fake)
    assert "Take the 9:05 bus" in fake.prompts[1]
    assert task.get_gradient_text() == "Add timing."
    stop = FakeEngine(["<FINAL>The plan doesn't need to be improved.</FINAL>"])
    assert LLMCall_with_in_context_examples(stop)(task) is None
    with pytest.raises(tg.ProposalError):
        LLMCall_with_in_context_examples(FakeEngine(["no tags"]))(task)


def test_ordered_fields_call_labels_text_and_keeps_images() -> None:
    from tg_core.autograd import OrderedFieldsMultimodalLLMCall

    fake = FakeEngine(["fine"])
    call = OrderedFieldsMultimodalLLMCall(fake, fields=["Question", "Image", "Answer"])
    image = tg.Variable(PNG, role_description="image", requires_grad=False)
    answer = tg.Variable("a board", role_description="answer")
    call({"Answer": answer, "Image": image, "Question": tg.Variable("What?", role_description="q")})
    assert list(fake.calls[0].content) == ["Question: What?", PNG, "Answer: a board"]
    with pytest.raises(tg.UserError, match="fields"):
        call({"Answer": answer})


def test_multi_choice_test_time_loss_sends_question_and_answer() -> None:
    from tg_core.loss import MultiChoiceTestTime

    fake = FakeEngine(["Option C ignores friction.", "Reconsider friction."])
    loss_fn = MultiChoiceTestTime("Check the physics {carefully}.", engine=fake)
    answer = tg.Variable("Answer: C", role_description="solution")
    loss = loss_fn("Which falls first? A) B) C) D)", answer)
    prompt = fake.calls[0]
    assert "Check the physics {carefully}." in prompt.text
    assert "Which falls first?" in prompt.text and "Answer: C" in prompt.text
    assert "multiple-choice" in (prompt.system_prompt or "")
    loss.backward(engine=fake)
    assert answer.get_gradient_text() == "Reconsider friction."


def test_functional_calls_and_algebra() -> None:
    from tg_core.autograd.algebra import Aggregate, Sum
    from tg_core.autograd.functional import aggregate, formatted_llm_call, llm_call, sum

    q = tg.Variable("2+2?", role_description="question")
    assert llm_call(q, FakeEngine(["4"]), system_prompt="Be brief.").value == "4"
    out = formatted_llm_call({"q": q}, "answer", FakeEngine(["four"]), "Q: {q}", {"q": None})
    assert out.value == "four" and out.predecessors == [q]
    a, b = tg.Variable("A", role_description="a"), tg.Variable("B", role_description="b")
    assert Sum()([a, b]).value == sum([a, b]).value == "A\nB"
    assert Aggregate()([a, b]).value == aggregate([a, b]).value


def test_module_base_and_blackbox_llm_parameters() -> None:
    from tg_core.autograd.function import Module

    prompt = tg.Variable("Be brief.", role_description="system prompt")
    model = tg.BlackboxLLM(FakeEngine(), system_prompt=prompt)
    assert isinstance(model, Module)
    prompt.add_gradient(tg.Variable("shorter", role_description="feedback"))
    assert list(model.named_parameters()) == [("system prompt", prompt)]
    model.zero_grad()
    assert prompt.gradients == []


def test_string_based_function_at_tutorial_path() -> None:
    from tg_core.autograd.string_based_ops import StringBasedFunction
    from tg_core.tasks.big_bench_hard import string_based_equality_fn

    fn = StringBasedFunction(string_based_equality_fn, function_purpose="checks the answer")
    pred = tg.Variable("so the answer is 12", role_description="prediction")
    truth = tg.Variable("12", role_description="truth", requires_grad=False)
    assert fn(inputs=dict(prediction=pred, ground_truth_answer=truth)).value == "1"


def test_optimizer_submodules_and_prompt_builder() -> None:
    from tg_core.optimizer.optimizer import TextualGradientDescent, get_gradient_and_context_text
    from tg_core.optimizer.optimizer_prompts import construct_tgd_prompt

    assert TextualGradientDescent is tg.TGD
    v = tg.Variable("x", role_description="answer")
    v.add_gradient(tg.Variable("be exact", role_description="feedback"))
    assert "be exact" in get_gradient_and_context_text(v)
    prompt = construct_tgd_prompt(
        do_constrained=True,
        variable_desc="answer",
        variable_value="x = 3",
        variable_grad="be exact",
        constraint_text="Constraint 1: keep it short",
        new_variable_start_tag="<IMPROVED_VARIABLE>",
        new_variable_end_tag="</IMPROVED_VARIABLE>",
    )
    assert isinstance(prompt, str)
    assert "x = 3" in prompt and "be exact" in prompt and "keep it short" in prompt
    images = construct_tgd_prompt(
        variable_desc="a",
        variable_value="v",
        variable_grad=[PNG, "looks blurry"],
        new_variable_start_tag="<N>",
        new_variable_end_tag="</N>",
    )
    assert isinstance(images, list) and images[0] == PNG and "looks blurry" in images[1]


def test_custom_json_formatter_and_reduce_prompt() -> None:
    import json
    import logging

    from tg_core.autograd.reduce_prompts import construct_reduce_prompt

    record = logging.LogRecord("tg_core", logging.INFO, "x.py", 3, "hello %s", ("you",), None)
    assert json.loads(tg.CustomJsonFormatter().format(record))["message"] == "hello you"
    gradients = [tg.Variable(t, role_description="feedback") for t in ("one", "two")]
    assert (
        construct_reduce_prompt(gradients) == "<FEEDBACK>one</FEEDBACK>\n<FEEDBACK>two</FEEDBACK>"
    )


def test_not_offered_engines_say_what_to_use() -> None:
    import importlib

    from tg_core.engine.guidance import GuidanceEngine
    from tg_core.engine.vllm import ChatVLLM

    guided = importlib.import_module("tg_core.optimizer.guidance_optimizer")

    with pytest.raises(tg.UserError, match="get_engine"):
        GuidanceEngine("meta-llama/Meta-Llama-3-8B-Instruct")
    with pytest.raises(tg.UserError, match="api_base"):
        ChatVLLM()
    with pytest.raises(tg.UserError, match="TGD"):
        guided.GuidedTextualGradientDescent([], engine=FakeEngine())
