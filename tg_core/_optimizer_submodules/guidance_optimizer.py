"""TextGrad's ``optimizer.guidance_optimizer`` path: guided decoding is not offered."""

from __future__ import annotations

from typing import Any

from tg_core.engine.guidance import GuidanceEngine
from tg_core.errors import UserError
from tg_core.optimizer import TextualGradientDescent

__all__ = ["GuidedTextualGradientDescent"]


class GuidedTextualGradientDescent(TextualGradientDescent):
    """TGD driven by a :class:`~tg_core.engine.guidance.GuidanceEngine`, which tg_core does not
    offer; plain :class:`~tg_core.optimizer.TextualGradientDescent` parses the tagged answer
    strictly and asks again when the tags are missing, so use it instead.

    Raises:
        UserError: the engine is not a GuidanceEngine (none can be made).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> GuidedTextualGradientDescent([], engine=FakeEngine())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: GuidedTextualGradientDescent needs a GuidanceEngine...
    """

    def __init__(
        self, parameters: Any, verbose: int = 0, engine: Any = None, **kwargs: Any
    ) -> None:
        if not isinstance(engine, GuidanceEngine):
            raise UserError(
                "GuidedTextualGradientDescent needs a GuidanceEngine, which tg_core does not "
                "offer; use tg.TGD(parameters=..., engine=...) instead"
            )
        super().__init__(parameters, verbose=verbose, engine=engine, **kwargs)
