"""Training: a validation-gated fit loop with checkpoints, budgets, progress and hooks."""

from .callbacks import FitCallback
from .checkpoint import load_checkpoint, save_checkpoint, scrub
from .estimate import RunEstimate, estimate_run
from .loop import afit, batch_indices, fit
from .records import FitResult, Proposal, StepRecord

__all__ = [
    "FitCallback",
    "FitResult",
    "Proposal",
    "RunEstimate",
    "StepRecord",
    "afit",
    "batch_indices",
    "estimate_run",
    "fit",
    "load_checkpoint",
    "save_checkpoint",
    "scrub",
]
