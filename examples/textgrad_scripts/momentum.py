"""Several steps of TextualGradientDescentwithMomentum: the optimizer also sees the values the
variable had before (a window of them), not only the current feedback."""

from _engine import script_engine

import tg_core as tg
from tg_core.optimizer import TextualGradientDescentwithMomentum

engine = script_engine()
tg.set_backward_engine(engine, override=True)

answer = tg.Variable(
    "The sum of the first 10 odd numbers is 90.",
    requires_grad=True,
    role_description="concise and accurate answer to the question",
)
optimizer = TextualGradientDescentwithMomentum(
    engine=engine, parameters=[answer], momentum_window=3
)
loss_fn = tg.TextLoss(
    "Evaluate the answer to: what is the sum of the first 10 odd numbers? Be critical and concise."
)

values = [answer.value]
for step in range(3):
    optimizer.zero_grad()
    loss = loss_fn(answer)
    loss.backward()
    optimizer.step()
    values.append(answer.value)
    print(f"step {step}: {answer.value}")
