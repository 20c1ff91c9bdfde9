"""Multimodal: a litellm engine on an image and text, then an image QA loss and one step.

TextGrad's example with only the imports changed; the image is a local file instead of a
download, so it runs offline.
"""

import os
from pathlib import Path

import tg_core as tg
from tg_core.autograd import MultimodalLLMCall
from tg_core.engine_experimental.litellm import LiteLLMEngine
from tg_core.loss import ImageQALoss

MODEL = os.environ.get("TG_EXAMPLE_MODEL", "gpt-4o")
image_data = (Path(__file__).parent / "assets" / "checker.png").read_bytes()

engine = LiteLLMEngine(MODEL, cache=True)
print(engine.generate(content="hello, what's 3+4", system_prompt="you are an assistant"))
print(
    engine.generate(
        content=[image_data, "what is this my boy"], system_prompt="you are an assistant"
    )
)

tg.set_backward_engine(MODEL, override=True)
image_variable = tg.Variable(
    image_data, role_description="image to answer a question about", requires_grad=False
)
question_variable = tg.Variable(
    "What do you see in this image?", role_description="question", requires_grad=False
)
response = MultimodalLLMCall(MODEL)([image_variable, question_variable])

loss_fn = ImageQALoss(
    evaluation_instruction="Does this seem like a complete and good answer for the image? Criticize. Do not provide a new answer.",
    engine=MODEL,
)
loss = loss_fn(question=question_variable, image=image_variable, response=response)
optimizer = tg.TGD(parameters=[response])
loss.backward()
optimizer.step()
print("Improved response:\n", response.value)
