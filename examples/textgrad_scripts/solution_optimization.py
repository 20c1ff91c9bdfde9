"""Test-time optimization of an answer to a multiple-choice question, then majority voting
over the answers seen (the shape of TextGrad's evaluation/solution_optimization.py)."""

import re
from statistics import multimode

from _engine import script_engine

import tg_core as tg
from tg_core.loss import MultiChoiceTestTime

llm_engine = script_engine()
tg.set_backward_engine(llm_engine, override=True)

question = (
    "Which gas makes up most of Earth's atmosphere?\n"
    "A) Oxygen\nB) Nitrogen\nC) Carbon dioxide\nD) Argon\n"
    "End with 'Answer: X'."
)
test_time_objective = MultiChoiceTestTime(
    "Below is a multi-choice question and an answer. Go through the reasoning and look for mistakes.",
    engine=llm_engine,
)

model = tg.BlackboxLLM(
    llm_engine,
    tg.Variable(
        "You are a careful scientist.",
        requires_grad=False,
        role_description="system prompt to the language model",
    ),
)
zero_shot = model(
    tg.Variable(question, requires_grad=False, role_description="question to the language model")
)
instance_var = tg.Variable(
    zero_shot.value,
    requires_grad=True,
    role_description="creative and precise solution and the prediction for the multiple choice question",
)
optimizer = tg.TextualGradientDescent(
    engine=llm_engine,
    parameters=[instance_var],
    constraints=[
        "The last line of your response should be of the following format: 'Answer: $LETTER' where LETTER is one of ABCD."
    ],
)

predictions = [instance_var.value]
for _ in range(2):
    optimizer.zero_grad()
    test_time_loss = test_time_objective(question, instance_var)
    test_time_loss.backward()
    optimizer.step()
    predictions.append(instance_var.value)

letters = [
    m.group(1) if (m := re.search(r"(?i)Answer\s*:\s*([A-D])", p)) else None for p in predictions
]
majority = multimode(letters)[0]
print("answers:", letters, "majority:", majority)
