"""Code fixing on the local model: a buggy function is the variable, its own tests drive the loss.

The loss model only identifies what is wrong (it is told not to write code); the optimizer
rewrites the function. The tests run before and after, in a subprocess with a timeout.

    python examples/code_fixing_local.py            # on the embedded local model
    TG_EXAMPLE_MODEL=gpt-4o python examples/code_fixing_local.py
"""

import os
import re
import subprocess
import sys
import textwrap

import tg_core as tg

MODEL = os.environ.get("TG_EXAMPLE_MODEL", "local")
STEPS = int(os.environ.get("TG_EXAMPLE_STEPS", "3"))

BUGGY = '''def is_palindrome(text):
    """True if text reads the same backwards, ignoring case, spaces and punctuation."""
    cleaned = text.lower()
    return cleaned == cleaned[::-1]
'''

TESTS = [
    ("A man, a plan, a canal: Panama", True),
    ("race a car", False),
    ("", True),
    ("No 'x' in Nixon", True),
    ("ab", False),
]


def strip_fences(code: str) -> str:
    """The code without Markdown fences a model may add."""
    match = re.search(r"```(?:python)?\n(.*?)```", code, re.S)
    return textwrap.dedent(match.group(1) if match else code).strip() + "\n"


def run_tests(code: str) -> tuple[int, str]:
    """Run the function's tests in a subprocess; (passed count, report text)."""
    checks = "\n".join(
        f"try:\n    ok = is_palindrome({text!r}) == {want}\nexcept Exception as e:\n    ok = False\n"
        f"print(('PASS' if ok else 'FAIL'), {text!r}, 'expected', {want})"
        for text, want in TESTS
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", strip_fences(code) + "\n" + checks],
            capture_output=True,
            text=True,
            timeout=10,
        )
        report = (out.stdout + out.stderr).strip()
    except subprocess.TimeoutExpired:
        report = "FAIL: the tests timed out"
    return report.count("PASS"), report


def compiles(value: str) -> str | None:
    """A constraint: the proposal must be Python that defines is_palindrome."""
    code = strip_fences(value)
    try:
        compile(code, "<proposal>", "exec")
    except SyntaxError as exc:
        return f"the code does not compile: {exc}"
    return None if "def is_palindrome" in code else "the code must define is_palindrome(text)"


engine = tg.get_engine(MODEL)
code = tg.Variable(BUGGY, role_description="Python function to fix", requires_grad=True)
critic = tg.autograd.FormattedLLMCall(
    engine=engine,
    format_string="Code:\n{code}\n\nTest results:\n{results}\n\n"
    "List what is wrong with the code, given the failing tests. Do not write any code.",
    fields={"code": None, "results": None},
    system_prompt="You review code. You only point out errors; you never write code.",
)
optimizer = tg.TGD(
    [code], engine=engine, constraints=["Reply with the complete Python function only.", compiles]
)

passed, report = run_tests(code.value)
print(f"before: {passed}/{len(TESTS)} tests pass\n{report}\n")
for step in range(STEPS):
    if passed == len(TESTS):
        break
    results = tg.Variable(report, role_description="test results", requires_grad=False)
    loss = critic(
        inputs={"code": code, "results": results},
        response_role_description="review of the Python function",
    )
    print(f"step {step + 1} review:\n{loss.value}\n")
    optimizer.zero_grad()
    loss.backward(engine=engine)
    optimizer.step()
    code.set_value(strip_fences(str(code.value)))
    passed, report = run_tests(code.value)
    print(f"after step {step + 1}: {passed}/{len(TESTS)} tests pass\n{code.value}\n{report}\n")
print(f"final: {passed}/{len(TESTS)} tests pass")
