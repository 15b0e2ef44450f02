"""Benchmarks: the raw store baseline (bench.store) that the suite's end-to-end figures are compared against."""
