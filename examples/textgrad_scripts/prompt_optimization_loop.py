"""Prompt optimization over epochs: minibatches, one TGD step per batch, validation revert.

The shape of TextGrad's paper script (evaluation/prompt_optimization.py), on a small inline
arithmetic task so it needs no download.
"""

import random

from _engine import script_engine

import tg_core as tg
from tg_core.autograd.string_based_ops import StringBasedFunction
from tg_core.tasks import DataLoader
from tg_core.tasks.big_bench_hard import string_based_equality_fn

random.seed(7)
numbers = [(a, b) for a in range(2, 6) for b in range(3, 6)]
data = [(f"What is {a} times {b}?", str(a * b)) for a, b in numbers]
train_set, val_set = data[:8], data[8:]

engine = script_engine()
tg.set_backward_engine(engine, override=True)

eval_fn = StringBasedFunction(
    string_based_equality_fn,
    function_purpose="The runtime of string-based function that checks if the prediction is correct.",
)


def eval_sample(item, model):
    x, y = item
    x = tg.Variable(x, requires_grad=False, role_description="query to the language model")
    y = tg.Variable(y, requires_grad=False, role_description="correct answer for the query")
    response = model(x)
    return int(eval_fn(inputs=dict(prediction=response, ground_truth_answer=y)).value)


def eval_dataset(dataset, model):
    return [eval_sample(item, model) for item in dataset]


def run_validation_revert(system_prompt, results, model):
    val_performance = sum(eval_dataset(val_set, model)) / len(val_set)
    previous_performance = results["validation_acc"][-1]
    if val_performance < previous_performance:
        print(f"rejected prompt: {system_prompt.value}")
        system_prompt.set_value(results["prompt"][-1])
        val_performance = previous_performance
    results["validation_acc"].append(val_performance)


system_prompt = tg.Variable(
    "You are a calculator. Answer with the number.",
    requires_grad=True,
    role_description="system prompt to a somewhat capable language model for arithmetic",
)
model = tg.BlackboxLLM(engine, system_prompt)
optimizer = tg.TextualGradientDescent(engine=engine, parameters=[system_prompt])

results = {"prompt": [system_prompt.get_value()], "validation_acc": []}
results["validation_acc"].append(sum(eval_dataset(val_set, model)) / len(val_set))

train_loader = DataLoader(train_set, batch_size=3, shuffle=True)
for epoch in range(2):
    for steps, (batch_x, batch_y) in enumerate(train_loader):
        optimizer.zero_grad()
        losses = []
        for x, y in zip(batch_x, batch_y):
            x = tg.Variable(x, requires_grad=False, role_description="query to the language model")
            y = tg.Variable(y, requires_grad=False, role_description="correct answer for the query")
            response = model(x)
            losses.append(eval_fn(inputs=dict(prediction=response, ground_truth_answer=y)))
        total_loss = tg.sum(losses)
        total_loss.backward()
        optimizer.step()
        run_validation_revert(system_prompt, results, model)
        results["prompt"].append(system_prompt.get_value())
        print(f"epoch {epoch} step {steps}: val acc {results['validation_acc'][-1]:.2f}")

print("final prompt:", system_prompt.value)
