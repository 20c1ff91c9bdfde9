"""TextGrad-style scripts (examples/textgrad_scripts) run unchanged on the simulated server."""

from __future__ import annotations

import itertools
import re
import runpy
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tg_core.testing.openai_sim import ChatRequest, SimServer, default_responder

SCRIPTS = Path(__file__).resolve().parents[2] / "examples" / "textgrad_scripts"
UPDATE = "<IMPROVED_VARIABLE>"
GOOD_PROMPT = "Multiply the two numbers carefully and reply with the product only."
BAD_PROMPT = "BAD: always reply 0."
FIXED_CODE = """def longest_increasing_subsequence(nums):
    import bisect
    tails = []
    for n in nums:
        i = bisect.bisect_left(tails, n)
        tails[i:i + 1] = [n]
    return len(tails)"""
_ROLE = re.compile(r'<VARIABLE role="([^"]*)">')
_PRODUCT = re.compile(r"What is (\d+) times (\d+)\?")
_FIELD = re.compile(r"\*\*(Ground truth answer|Reasoning and prediction[^*]*)\*\*: (.*)")


def _tagged(text: str) -> str:
    return f"{UPDATE}\n{text}\n</IMPROVED_VARIABLE>"


def scripted_responder() -> Callable[[ChatRequest], str]:
    """Answers that make the scripts' logic visible: a prompt update alternates between a bad
    and a good prompt, the arithmetic model is only right under the good prompt (and for even
    products otherwise), code updates return working code, the judge compares numbers."""
    default = default_responder
    prompt_updates = itertools.count()

    def respond(request: ChatRequest) -> str:
        user, system = request.last_user_text, request.system_text
        if system.startswith("You are the critic"):
            return default(request)
        if UPDATE in user:
            role = (_ROLE.findall(user) or [""])[0]
            if "arithmetic" in role:
                return _tagged(BAD_PROMPT if next(prompt_updates) % 2 == 0 else GOOD_PROMPT)
            if "code" in role:
                return _tagged(FIXED_CODE)
            return default(request)
        if "<ACCURACY>" in user:
            fields = dict(_FIELD.findall(user))
            truth = fields.get("Ground truth answer", "").strip()
            said = next((v for k, v in fields.items() if k.startswith("Reasoning")), "")
            return f"<ACCURACY> {int(bool(truth) and truth in said)} </ACCURACY>"
        product = _PRODUCT.search(user)
        if product:
            value = int(product.group(1)) * int(product.group(2))
            if "carefully" in system or (value % 2 == 0 and "BAD" not in system):
                return f"The product is {value}."
            return "0"
        if system == "You are a careful scientist.":
            return "Nitrogen is about 78% of the air.\nAnswer: B"
        if user.startswith("How many"):
            return "Each cat has 4 legs: 12." if "cats" in user else "Each bike has 3 wheels: 6."
        return default(request)

    return respond


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimServer]:
    with SimServer(latency_s=0.0, responder=scripted_responder()) as sim:
        monkeypatch.setenv("TG_SCRIPT_BASE_URL", sim.base_url)
        monkeypatch.syspath_prepend(str(SCRIPTS))
        yield sim


def _run(name: str) -> dict[str, Any]:
    return runpy.run_path(str(SCRIPTS / name), run_name="__main__")


def _updates(server: SimServer) -> list[ChatRequest]:
    return [r for r in server.received() if UPDATE in r.last_user_text]


def test_scripts_import_only_textgrad_paths() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import textgrad_surface

    try:
        surface = textgrad_surface.public_surface(textgrad_surface.textgrad_package())
    except textgrad_surface.SurfaceUnavailable as exc:
        pytest.skip(f"TextGrad 0.1.8's source is needed and {exc}")
    modules = {m for m, _ in surface}
    names = {(m, n) for m, n in surface}
    imports = [
        line.split()
        for script in SCRIPTS.glob("*.py")
        for line in script.read_text().splitlines()
        if line.startswith(("import tg_core", "from tg_core"))
    ]
    assert len(imports) > 10
    for words in imports:
        module = "textgrad" + words[1][len("tg_core") :]
        assert module in modules, words
        if words[0] == "from":
            assert all((module, n.strip(",")) in names for n in words[3:]), words


def test_prompt_optimization_loop_with_validation_revert(
    server: SimServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _run("prompt_optimization_loop.py")
    results = ns["results"]
    assert len(_updates(server)) == 6  # 2 epochs x 3 batches of the 8 training questions
    assert results["validation_acc"][0] == 0.5 and results["validation_acc"][-1] == 1.0
    assert results["validation_acc"] == sorted(results["validation_acc"])  # reverts kept it
    assert ns["system_prompt"].value == GOOD_PROMPT
    assert BAD_PROMPT not in results["prompt"]
    assert f"rejected prompt: {BAD_PROMPT}" in capsys.readouterr().out


def test_multifield_token_parsed_evaluation(server: SimServer) -> None:
    ns = _run("multifield_evaluation.py")
    judged = [r for r in server.received() if r.last_user_text.startswith("Is the final")]
    assert len(judged) == 2
    assert "**Ground truth answer**: 12" in judged[0].last_user_text
    assert (
        "**Reasoning and prediction from the language model**: Each cat" in judged[0].last_user_text
    )
    assert ns["scores"] == [1, 0]  # parse_output read the judge's tags
    critic = [r for r in server.received() if r.system_text.startswith("You are the critic")]
    assert any("Each bike has 3 wheels" in r.last_user_text for r in critic)
    assert len(_updates(server)) == 1 and ns["system_prompt"].value != "Answer the question."


def test_test_time_loss_for_code(server: SimServer) -> None:
    ns = _run("test_time_code.py")
    assert ns["code"].value == FIXED_CODE and len(ns["history"]) == 3
    first_loss = next(r for r in server.received() if "Current Code:" in r.last_user_text)
    assert "Does the code solve the problem?" in first_loss.last_user_text
    assert "best = max(best, j - i)" in first_loss.last_user_text
    assert "define longest_increasing_subsequence" in _updates(server)[0].last_user_text
    scope: dict[str, Any] = {}
    exec(ns["code"].value, scope)
    assert scope["longest_increasing_subsequence"]([10, 9, 2, 5, 3, 7, 101, 18]) == 4


def test_multimodal_with_image_path(server: SimServer) -> None:
    ns = _run("multimodal_image_path.py")
    png = (SCRIPTS.parent / "assets" / "checker.png").read_bytes()
    assert ns["image_variable"].value == png
    with_images = [
        r
        for r in server.received()
        if isinstance(r.messages[-1]["content"], list)
        and any(p.get("type") == "image_url" for p in r.messages[-1]["content"])
    ]
    assert len(with_images) == 2  # the question, then the image QA loss
    loss_parts = with_images[1].messages[-1]["content"]
    assert loss_parts[0]["text"].startswith("Evaluation Instruction: Does this seem")
    assert loss_parts[2]["image_url"]["url"].startswith("data:image/png;base64,")
    assert len(_updates(server)) == 1 and ns["response"].gradients


def test_momentum_shows_earlier_values(server: SimServer) -> None:
    ns = _run("momentum.py")
    updates = _updates(server)
    assert len(updates) == 3 and len(set(ns["values"])) == 4
    assert "<PAST_VALUES>" not in updates[0].last_user_text
    assert ns["values"][0] in updates[1].last_user_text.split("<PAST_VALUES>")[1]
    assert ns["values"][1] in updates[2].last_user_text.split("<PAST_VALUES>")[1]


def test_solution_optimization_with_test_time_loss(
    server: SimServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _run("solution_optimization.py")
    assert ns["letters"][0] == "B" and ns["majority"] == "B" and len(ns["predictions"]) == 3
    reviews = [r for r in server.received() if r.system_text.startswith("You review one answer")]
    assert len(reviews) == 2 and "Which gas makes up most" in reviews[0].last_user_text
    assert "Answer given by the language model:\nNitrogen" in reviews[0].last_user_text
    assert "'Answer: $LETTER'" in _updates(server)[0].last_user_text
    assert "majority: B" in capsys.readouterr().out
