"""Multimodal: an image variable read from ``image_path``, a question about it, an image QA
loss, and one TGD step on the answer (the shape of TextGrad's multimodal tutorial)."""

from pathlib import Path

from _engine import script_engine

import tg_core as tg
from tg_core.autograd import MultimodalLLMCall
from tg_core.loss import ImageQALoss

engine = script_engine(is_multimodal=True)
tg.set_backward_engine(engine, override=True)

image_path = str(Path(__file__).resolve().parents[1] / "assets" / "checker.png")
image_variable = tg.Variable(
    image_path=image_path, role_description="image to answer a question about", requires_grad=False
)
question_variable = tg.Variable(
    "What do you see in this image?", role_description="question", requires_grad=False
)
response = MultimodalLLMCall(engine)([image_variable, question_variable])

loss_fn = ImageQALoss(
    evaluation_instruction="Does this seem like a complete and good answer for the image? Criticize. Do not provide a new answer.",
    engine=engine,
)
loss = loss_fn(question=question_variable, image=image_variable, response=response)
optimizer = tg.TGD(parameters=[response])
loss.backward()
optimizer.step()
print("Improved response:", response.value)
