"""Seconds to import one module in this fresh process (nothing else imported first)."""

from __future__ import annotations

import importlib
import sys
import time

if __name__ == "__main__":
    module = sys.argv[2] if len(sys.argv) > 2 else "tg_core"
    started = time.perf_counter()
    importlib.import_module(module)
    seconds = time.perf_counter() - started
    from common import emit

    emit({"module": module, "import_s": seconds, "modules_loaded": len(sys.modules)})
