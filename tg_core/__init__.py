"""tg_core: textual autograd (TextGrad's API), async-first, on litellm engines.

Swap ``import textgrad as tg`` for ``import tg_core as tg``. Importing this package reads no
file, writes no file and touches no network.
"""

import logging

from . import autograd
from .autograd import aggregate, sum
from .engine import (
    Budget,
    EngineLM,
    Usage,
    backward_engine,
    get_backward_engine,
    get_engine,
    override_engines,
    process_usage,
    set_backward_engine,
    track_usage,
)
from .engine.limits import concurrency, set_max_concurrency
from .errors import (
    BindingRejected,
    BudgetExceeded,
    EngineError,
    ProposalError,
    ProposalRejectedWarning,
    TgCoreError,
    UserError,
)
from .graph import BackwardError, no_grad
from .loss import ImageQALoss, MultiFieldEvaluation, MultiFieldTokenParsedEvaluation, TextLoss
from .model import BlackboxLLM
from .optimizer import TGD, TextualGradientDescent, TextualGradientDescentwithMomentum
from .optimizer_base import Optimizer, ParamUpdate, StepReport
from .reduce import gradient_budget, set_gradient_token_budget
from .variable import Variable
from .visualize import GraphView

logger = logging.getLogger("tg_core")
logger.addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "TGD",
    "BackwardError",
    "BindingRejected",
    "BlackboxLLM",
    "Budget",
    "BudgetExceeded",
    "EngineError",
    "EngineLM",
    "GraphView",
    "ImageQALoss",
    "MultiFieldEvaluation",
    "MultiFieldTokenParsedEvaluation",
    "Optimizer",
    "ParamUpdate",
    "ProposalError",
    "ProposalRejectedWarning",
    "StepReport",
    "TextLoss",
    "TextualGradientDescent",
    "TextualGradientDescentwithMomentum",
    "TgCoreError",
    "Usage",
    "UserError",
    "Variable",
    "aggregate",
    "autograd",
    "backward_engine",
    "concurrency",
    "get_backward_engine",
    "get_engine",
    "gradient_budget",
    "logger",
    "no_grad",
    "override_engines",
    "process_usage",
    "set_backward_engine",
    "set_gradient_token_budget",
    "set_max_concurrency",
    "sum",
    "track_usage",
]
