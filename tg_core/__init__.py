"""tg_core: textual autograd (TextGrad's API), async-first, on litellm engines.

Swap ``import textgrad as tg`` for ``import tg_core as tg``. Importing this package reads no
file, writes no file and touches no network.
"""

import logging
from pathlib import Path

from . import autograd
from . import optimizer as _optimizer_module
from .autograd import aggregate, sum
from .config import SingletonBackwardEngine
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
from .json_log import CustomJsonFormatter
from .loss import ImageQALoss, MultiFieldEvaluation, MultiFieldTokenParsedEvaluation, TextLoss
from .model import BlackboxLLM
from .optimizer import TGD, TextualGradientDescent, TextualGradientDescentwithMomentum
from .optimizer_base import Optimizer, ParamUpdate, StepReport
from .reduce import gradient_budget, set_gradient_token_budget
from .variable import Variable
from .visualize import GraphView

# TextGrad's ``optimizer`` is a package (``textgrad.optimizer.optimizer`` ...); tg_core's is a
# module, given a search path so the same submodule imports work.
vars(_optimizer_module)["__path__"] = [str(Path(__file__).with_name("_optimizer_submodules"))]

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
    "CustomJsonFormatter",
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
    "SingletonBackwardEngine",
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
