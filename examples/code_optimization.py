"""Code optimization: fix a buggy quadratic-formula solver from a critic's feedback.

TextGrad's example with only the import changed; the loss evaluates without solving.
"""

import os

import tg_core as tg

MODEL = os.environ.get("TG_EXAMPLE_MODEL", "gpt-4o")

initial_solution = """import math

def solve_quadratic(a, b, c):
    discriminant = b**2 - 4 * a * c
    root1 = (-b + math.sqrt(discriminant)) / (2 * a)
    root2 = (-b - math.sqrt(discriminant)) / (2 * a)
    return root1, root2
"""

llm_engine = tg.get_engine(MODEL)
tg.set_backward_engine(llm_engine, override=True)

# The code is the variable we optimize.
code = tg.Variable(
    value=initial_solution,
    requires_grad=True,
    role_description="code instance to optimize",
)

problem_text = """Write a function that solves a quadratic equation ax^2 + bx + c = 0.
It must handle every case: two real roots, one repeated root, complex roots, and a = 0."""

loss_system_prompt = tg.Variable(
    """You are a smart language model that evaluates code snippets. You do not solve problems or
propose new code snippets, only evaluate existing solutions critically and give very concise
feedback.""",
    requires_grad=False,
    role_description="system_prompt to the loss function",
)

instruction = """Think about the problem and the code snippet. Does the code solve the problem?
What is the runtime complexity?"""

format_string = """{instruction}
Problem: {{problem}}
Current Code: {{code}}"""
format_string = format_string.format(instruction=instruction)

fields = {"problem": None, "code": None}
formatted_llm_call = tg.autograd.FormattedLLMCall(
    engine=llm_engine,
    format_string=format_string,
    fields=fields,
    system_prompt=loss_system_prompt,
)


def loss_fn(problem: tg.Variable, code: tg.Variable) -> tg.Variable:
    inputs = {"problem": problem, "code": code}
    return formatted_llm_call(
        inputs=inputs,
        response_role_description=f"evaluation of the {code.get_role_description()}",
    )


problem_variable = tg.Variable(
    problem_text, requires_grad=False, role_description="the coding problem"
)
optimizer = tg.TGD(parameters=[code])

loss = loss_fn(problem_variable, code)
print("Evaluation:\n", loss.value)
loss.backward()
optimizer.step()
print("New code:\n", code.value)
