"""``CustomJsonFormatter``: log records as one JSON object per line (TextGrad's log format)."""

from __future__ import annotations

import json
import logging


class CustomJsonFormatter(logging.Formatter):
    """Format a log record as a JSON object of all its attributes, values as text.

    tg_core itself logs nowhere by default; attach this to a handler of the ``tg_core``
    logger to get TextGrad-style JSON lines.

    Example:
        >>> record = logging.LogRecord("tg_core", logging.INFO, "f.py", 1, "step %d", (3,), None)
        >>> json.loads(CustomJsonFormatter().format(record))["message"]
        'step 3'
    """

    def format(self, record: logging.LogRecord) -> str:
        super().format(record)
        return json.dumps({key: str(value) for key, value in record.__dict__.items()})
