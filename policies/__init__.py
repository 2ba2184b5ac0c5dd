"""The TechNovaStore CrossGuard policy pack: rules, per-stack config, an offline runner and a linter.

``policies/__main__.py`` is the pack *program* the Pulumi CLI runs; it blocks serving gRPC,
so nothing imports it. Tools and tests use :mod:`policies.offline`; ``python -m policies.scan``
runs the same rules over any Kubernetes YAML.
"""
