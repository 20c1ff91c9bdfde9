"""Gradients reach both prompts of a two-step LangChain chain (solve, then check).

The first prompt drafts an answer; the second sees the question and the draft and gives the
final answer. A handler records the run; feedback on the final answer flows back through
the checker call to its prompt and, through the draft, to the solver's prompt. Runs on the
embedded local model (five short calls).

Run: ``python examples/langchain_two_prompts.py``
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from tg_adapters.langchain import (
    ChatModelEngine,
    TextGradCallbackHandler,
    feedback_loss,
    parameters,
)

QUESTION = (
    "I have a flute, a piano, a trombone, four stoves, a violin, an accordion, a clarinet, "
    "a drum, two lamps, and a trumpet. How many musical instruments do I have?"
)
ANSWER = "8"


def local_chat_model(max_tokens: int) -> BaseChatModel:
    """``ChatOpenAI`` on the embedded model's server (started if none is running)."""
    from langchain_openai import ChatOpenAI

    from tg_core.local import ensure_server

    server = ensure_server()
    return ChatOpenAI(  # type: ignore[call-arg]
        base_url=server.base_url,
        api_key="EMPTY",  # type: ignore[arg-type]
        model=server.model_alias,
        max_tokens=max_tokens,
        temperature=0,
        extra_body={"max_tokens": max_tokens},  # the llama.cpp server reads this name
    )


def build_chain(model: BaseChatModel) -> Any:
    """Solve, then check the draft with the question in view."""
    solve = ChatPromptTemplate.from_messages(
        [("system", "Count the objects asked about. Be brief."), ("human", "{question}")]
    )
    check = ChatPromptTemplate.from_messages(
        [
            ("system", "Check the draft count and reply with only the final number."),
            ("human", "Question: {question}\nDraft: {draft}"),
        ]
    )
    draft = solve | model | StrOutputParser()
    return RunnablePassthrough.assign(draft=draft) | check | model | StrOutputParser()


def main(model: BaseChatModel | None = None, engine: Any = None) -> dict[str, str]:
    """Run once, backpropagate the verdict, print each prompt's feedback; return it."""
    model = model or local_chat_model(64)
    chain = build_chain(model)
    engine = engine or ChatModelEngine(model, extra_body={"max_tokens": 160})
    handler = TextGradCallbackHandler(chain)
    final = chain.invoke({"question": QUESTION}, config={"callbacks": [handler]})
    print(f"final answer: {final!r} (expected {ANSWER})")
    verdict = f"The final answer must be {ANSWER}; it was {final.strip()!r}."
    feedback_loss(handler.output(), verdict).backward(engine=engine)
    found = {}
    for param in parameters(chain):
        text = str(param.value)
        found[text] = param.get_gradient_text()
        print(f"\n--- prompt: {text}\nfeedback: {found[text] or '(none)'}")
    return found


if __name__ == "__main__":
    main()
