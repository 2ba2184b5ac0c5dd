"""Benchmarks: ``python -m tests.bench`` (``make bench``) runs every module here with a ``run()``."""
