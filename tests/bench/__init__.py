"""Benchmarks: ``python -m tests.bench [name ...]``; figures go to build/bench/<name>.json."""
