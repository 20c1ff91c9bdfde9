"""A model judge as the loss: MultiFieldTokenParsedEvaluation with question, truth and answer.

The shape of TextGrad's BBH evaluation: the judge replies ``<ACCURACY> 1 </ACCURACY>`` or 0,
``parse_output`` reads it, and the judgement's feedback improves the solver's system prompt.
"""

from _engine import script_engine

import tg_core as tg
from tg_core.loss import MultiFieldTokenParsedEvaluation

engine = script_engine()
tg.set_backward_engine(engine, override=True)

role_descriptions = [
    "Question for the task",
    "Ground truth answer",
    "Reasoning and prediction from the language model",
]
evaluation_instruction = tg.Variable(
    "Is the final prediction the same as the ground truth answer? Reply 1 (yes) or 0 (no) "
    "between <ACCURACY> and </ACCURACY> tags.",
    requires_grad=False,
    role_description="evaluation instruction for the task",
)
eval_fn = MultiFieldTokenParsedEvaluation(
    evaluation_instruction,
    engine=engine,
    role_descriptions=role_descriptions,
    parse_tags=["<ACCURACY>", "</ACCURACY>"],
)

system_prompt = tg.Variable(
    "Answer the question.",
    requires_grad=True,
    role_description="system prompt to the language model",
)
model = tg.BlackboxLLM(engine, system_prompt)
optimizer = tg.TGD(parameters=model.parameters())

samples = [("How many legs do 3 cats have?", "12"), ("How many wheels do 2 bikes have?", "4")]
scores = []
losses = []
for question, answer in samples:
    x = tg.Variable(question, requires_grad=False, role_description="query to the language model")
    y = tg.Variable(answer, requires_grad=False, role_description="correct answer for the query")
    response = model(x)
    eval_output_variable = eval_fn([x, y, response])
    scores.append(int(eval_fn.parse_output(eval_output_variable)))
    losses.append(eval_output_variable)

optimizer.zero_grad()
tg.sum(losses).backward()
optimizer.step()
print("accuracy:", sum(scores) / len(scores))
print("new system prompt:", system_prompt.value)
