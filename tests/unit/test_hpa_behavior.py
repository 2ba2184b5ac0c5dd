import pytest

from components.hpa_behavior import HPA_SYNC_PERIOD_SECONDS, seconds_to_reach_max
from components.settings import load_settings
from tests.support.stacks import STACKS, stack_config

FAST = {"stabilization_window_seconds": 0, "percent": 100, "pods": 4, "period_seconds": 15}


def test_already_at_max_takes_no_time() -> None:
    assert seconds_to_reach_max(min_replicas=3, max_replicas=3, **FAST) == 0


def test_doubling_or_four_pods_per_step_takes_the_larger() -> None:
    # 2 -> 6 (+4 beats +100 %) -> 12 (+100 % beats +4): two steps after one sync of detection.
    assert seconds_to_reach_max(min_replicas=2, max_replicas=10, **FAST) == HPA_SYNC_PERIOD_SECONDS + 2 * 15


def test_stabilization_window_delays_the_first_step() -> None:
    slow = {**FAST, "stabilization_window_seconds": 120}
    assert seconds_to_reach_max(min_replicas=2, max_replicas=6, **slow) == 15 + 120 + 15


def test_periods_shorter_than_the_sync_period_count_as_a_sync_period() -> None:
    assert (
        seconds_to_reach_max(
            min_replicas=1,
            max_replicas=3,
            stabilization_window_seconds=0,
            percent=1,
            pods=1,
            period_seconds=5,
        )
        == 15 + 2 * 15
    )


def test_one_pod_per_minute_is_slow() -> None:
    calm = {"stabilization_window_seconds": 0, "percent": 1, "pods": 1, "period_seconds": 60}
    assert seconds_to_reach_max(min_replicas=2, max_replicas=10, **calm) == 15 + 8 * 60


def test_rejects_min_above_max() -> None:
    with pytest.raises(ValueError, match="min_replicas"):
        seconds_to_reach_max(min_replicas=5, max_replicas=2, **FAST)


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_of_every_stack_reaches_max_within_60_seconds(stack: str) -> None:
    settings = load_settings(stack_config(stack), stack)
    for service in settings.services.values():
        assert settings.scaling.seconds_to_reach_max(service.min_replicas, service.max_replicas) <= 60


def test_the_settings_time_services_with_their_own_scale_up_behavior() -> None:
    settings = load_settings(stack_config("production"), "production")
    gateway = settings.services["api-gateway"]
    assert (gateway.min_replicas, gateway.max_replicas) == (2, 10)
    # One sync to notice, then +4 pods (more than +100 % of 2) and +100 % of 6: 2 -> 6 -> 10.
    assert settings.scaling.seconds_to_reach_max(2, 10) == 15 + 2 * 15
    calmer = settings.scaling.scale_up_behavior.model_copy(update={"pods": 1, "percent": 50})
    slower = settings.scaling.model_copy(update={"scale_up_behavior": calmer})
    assert slower.seconds_to_reach_max(2, 10) == 15 + 4 * 15  # 2 -> 3 -> 5 -> 8 -> 12


def test_a_longer_sync_period_slows_detection_and_every_short_step() -> None:
    # kube-controller-manager may run with a longer --horizontal-pod-autoscaler-sync-period.
    assert (
        seconds_to_reach_max(min_replicas=2, max_replicas=10, sync_period_seconds=30, **FAST) == 30 + 2 * 30
    )


def test_rejects_no_replicas_at_the_start() -> None:
    with pytest.raises(ValueError, match=r"need 1 <= min_replicas <= max_replicas, got 0\.\.4"):
        seconds_to_reach_max(min_replicas=0, max_replicas=4, **FAST)
