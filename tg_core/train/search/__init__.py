"""Search over candidate values: the pool, the overfit guard, worked examples, the step."""
