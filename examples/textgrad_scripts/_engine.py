"""The engine every script uses: the OpenAI-compatible server at ``$TG_SCRIPT_BASE_URL``."""

import os

from openai import OpenAI

from tg_core.engine.local_model_openai_api import ChatExternalClient


def script_engine(**kwargs):
    """A ChatExternalClient on the configured server (``is_multimodal=True`` for images)."""
    client = OpenAI(
        base_url=os.environ.get("TG_SCRIPT_BASE_URL", "http://127.0.0.1:8000/v1"),
        api_key=os.environ.get("TG_SCRIPT_API_KEY", "EMPTY"),
    )
    model = os.environ.get("TG_SCRIPT_MODEL", "sim-model")
    return ChatExternalClient(client=client, model_string=model, **kwargs)
