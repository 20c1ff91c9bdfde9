"""A test-time loss for code: a FormattedLLMCall critic of a solution, TGD on the code.

The shape of TextGrad's tutorial "Test-Time Loss for Code": the problem is fixed, the code is
the variable, the critic's review is the loss.
"""

from _engine import script_engine

import tg_core as tg

problem_text = """Longest strictly increasing subsequence.
Given a list of integers, return the length of its longest strictly increasing subsequence."""

initial_solution = """def longest_increasing_subsequence(nums):
    best = 0
    for i in range(len(nums)):
        for j in range(i, len(nums)):
            if nums[j] > nums[i]:
                best = max(best, j - i)
    return best
"""

llm_engine = script_engine()
tg.set_backward_engine(llm_engine, override=True)

code = tg.Variable(
    value=initial_solution, requires_grad=True, role_description="code instance to optimize"
)
problem = tg.Variable(problem_text, requires_grad=False, role_description="the coding problem")
optimizer = tg.TGD(
    parameters=[code],
    constraints=["The code must define longest_increasing_subsequence(nums)."],
)

loss_system_prompt = tg.Variable(
    "You evaluate code snippets: you do not write new code, you point out bugs and slow parts.",
    requires_grad=False,
    role_description="system prompt to the loss function",
)
instruction = "Think about the problem and the code snippet. Does the code solve the problem? What is the runtime complexity?"
format_string = "{instruction}\nProblem: {{problem}}\nCurrent Code: {{code}}"
format_string = format_string.format(instruction=instruction)
fields = {"problem": None, "code": None}
formatted_llm_call = tg.autograd.FormattedLLMCall(
    engine=llm_engine, format_string=format_string, fields=fields, system_prompt=loss_system_prompt
)


def loss_fn(problem: tg.Variable, code: tg.Variable) -> tg.Variable:
    inputs = {"problem": problem, "code": code}
    return formatted_llm_call(
        inputs=inputs, response_role_description=f"evaluation of the {code.get_role_description()}"
    )


history = [code.value]
for _ in range(2):
    optimizer.zero_grad()
    loss = loss_fn(problem, code)
    loss.backward()
    optimizer.step()
    history.append(code.value)
print(code.value)
