"""Prompt optimization: improve a system prompt on BIG-Bench Hard object counting.

TextGrad's example with only the import changed. Data comes from ``$TG_CORE_DATA_DIR`` when
set, else it is downloaded once.
"""

import os

import tg_core as tg
from tg_core.tasks import load_task

MODEL = os.environ.get("TG_EXAMPLE_MODEL", "gpt-4o")

llm_engine = tg.get_engine(MODEL)
tg.set_backward_engine(MODEL, override=True)

_, val_set, _, eval_fn = load_task("BBH_object_counting", llm_engine)
question_str, answer_str = val_set[0]
question = tg.Variable(question_str, role_description="question to the LLM", requires_grad=False)
answer = tg.Variable(answer_str, role_description="answer to the question", requires_grad=False)

system_prompt = tg.Variable(
    "You are a concise LLM. Think step by step.",
    requires_grad=True,
    role_description="system prompt to guide the LLM's reasoning strategy for accurate responses",
)

model = tg.BlackboxLLM(llm_engine, system_prompt=system_prompt)
optimizer = tg.TGD(parameters=list(model.parameters()))

prediction = model(question)
loss = eval_fn(inputs=dict(prediction=prediction, ground_truth_answer=answer))
print("Correct" if loss.value == "1" else "Wrong", "- prediction:", prediction.value)
loss.backward()
optimizer.step()
print("New system prompt:\n", system_prompt.value)
