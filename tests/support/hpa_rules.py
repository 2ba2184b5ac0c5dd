"""horizontal_test.go's ``generateScalingRules``, for the tests that port its cases."""

from __future__ import annotations

from autoscaler.spec import ScalingPolicy, ScalingRules


def generate_scaling_rules(
    pods: int, pods_period: int, percent: int, percent_period: int, window: int
) -> ScalingRules:
    """Max of a Pods and a Percent policy (either left out when 0) and a stabilization window."""
    policies = []
    if pods:
        policies.append(ScalingPolicy("Pods", pods, pods_period))
    if percent:
        policies.append(ScalingPolicy("Percent", percent, percent_period))
    return ScalingRules(window, "Max", tuple(policies))
