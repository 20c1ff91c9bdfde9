"""Engines: the EngineLM protocol, litellm engine, local model, fakes, cache, usage and budgets."""

from .base import CachedEngine, EngineLM
from .multimodal import validate_multimodal_engine
from .registry import (
    backward_engine,
    get_backward_engine,
    get_engine,
    override_engines,
    resolve_engine,
    set_backward_engine,
)
from .usage import Budget, Usage, process_usage, track_usage

__all__ = [
    "Budget",
    "CachedEngine",
    "EngineLM",
    "Usage",
    "backward_engine",
    "get_backward_engine",
    "get_engine",
    "override_engines",
    "process_usage",
    "resolve_engine",
    "set_backward_engine",
    "track_usage",
    "validate_multimodal_engine",
]
