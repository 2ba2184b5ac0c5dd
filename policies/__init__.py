"""The TechNovaStore CrossGuard policy pack: rules, per-stack config and an offline runner.

``policies/__main__.py`` is the pack *program* the Pulumi CLI runs; it blocks serving gRPC,
so nothing imports it. Tools and tests use :mod:`policies.offline` instead.
"""
