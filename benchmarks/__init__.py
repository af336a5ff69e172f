"""Reproducible benchmarks that print ratios, not timed tests. `python -m benchmarks` runs all."""
