"""Test helpers: a simulated OpenAI-compatible server for benchmarks, fault and load tests."""
