"""Answer optimization: TextGrad's shirts question, refined by one step of textual descent.

Runs with any engine: ``TG_EXAMPLE_MODEL=local python examples/answer_optimization.py``
(default ``gpt-4o``). The code below is TextGrad's example with only the import changed.
"""

import os

import tg_core as tg

MODEL = os.environ.get("TG_EXAMPLE_MODEL", "gpt-4o")

tg.set_backward_engine(MODEL, override=True)

# Step 1: get an initial response from an LLM.
model = tg.BlackboxLLM(MODEL)
question_string = (
    "If it takes 1 hour to dry 25 shirts under the sun, "
    "how long will it take to dry 30 shirts under the sun? "
    "Reason step by step"
)

question = tg.Variable(question_string, role_description="question to the LLM", requires_grad=False)

answer = model(question)
print("Initial answer:\n", answer.value)

answer.set_role_description("concise and accurate answer to the question")

# Step 2: define the loss function and the optimizer, just like in PyTorch.
optimizer = tg.TGD(parameters=[answer])
evaluation_instruction = (
    f"Here's a question: {question_string}. "
    "Evaluate any given answer to this question, "
    "be smart, logical, and very critical. "
    "Just provide concise feedback."
)

loss_fn = tg.TextLoss(evaluation_instruction)

# Step 3: do the loss computation, backward pass, and update the answer.
loss = loss_fn(answer)
loss.backward()
optimizer.step()
print("Improved answer:\n", answer.value)
