"""Benchmarks of tg_core side by side with TextGrad 0.1.8; run ``python -m benchmarks.run``."""
