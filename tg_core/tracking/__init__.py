"""Experiment tracking for fit runs: callbacks that log a run to a tracking service.

Example:
    >>> from tg_core.tracking import MlflowCallback
"""

from .mlflow import MlflowCallback, TrackingUnavailable

__all__ = ["MlflowCallback", "TrackingUnavailable"]
