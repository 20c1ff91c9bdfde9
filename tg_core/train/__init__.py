"""Training: a validation-gated fit loop with checkpoints, budgets, progress and hooks."""

from .callbacks import FitCallback
from .checkpoint import load_checkpoint, save_checkpoint, scrub
from .config import FitConfig
from .estimate import RunEstimate, estimate_run
from .events import (
    CandidateJudged,
    FitEvent,
    PhaseStarted,
    RunEnded,
    RunFailed,
    RunStarted,
    StepEnded,
)
from .loop import afit, batch_indices, fit
from .records import CandidateRecord, FitResult, Proposal, StepRecord
from .samples import Sample
from .search.guard import OverfitGuard
from .search.pool import Candidate, CandidatePool
from .trainer import Trainer

__all__ = [
    "Candidate",
    "CandidateJudged",
    "CandidatePool",
    "CandidateRecord",
    "FitCallback",
    "FitConfig",
    "FitEvent",
    "FitResult",
    "OverfitGuard",
    "PhaseStarted",
    "Proposal",
    "RunEnded",
    "RunEstimate",
    "RunFailed",
    "RunStarted",
    "Sample",
    "StepEnded",
    "StepRecord",
    "Trainer",
    "afit",
    "batch_indices",
    "estimate_run",
    "fit",
    "load_checkpoint",
    "save_checkpoint",
    "scrub",
]
