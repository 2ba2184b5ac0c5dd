"""How the services scale: the seed's thresholds and the HPA behavior that applies them."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.hpa_behavior import seconds_to_reach_max
from components.settings.base import SettingsModel, cross_field_error


class Thresholds(SettingsModel):
    cpu_percent: int = Field(ge=1, le=100)
    memory_percent: int = Field(ge=1, le=100)
    response_time_ms: int = Field(gt=0)


class ScalingRate(SettingsModel):
    """One direction of an HPA behavior: a stabilization window and two rate policies.

    The HPA takes the larger (scale-up) or smaller (scale-down) of the two policies.
    """

    stabilization_window_seconds: int = Field(ge=0, le=3600)
    percent: int = Field(ge=1, le=1000)
    pods: int = Field(ge=1)
    period_seconds: int = Field(ge=1, le=1800)


class ScalingSettings(SettingsModel):
    # The HPA targets: a service adds pods when its average rises above these.
    scale_up: Thresholds = Thresholds(cpu_percent=70, memory_percent=80, response_time_ms=2000)
    # Where scaling down may start; below the targets so the HPA has hysteresis.
    scale_down: Thresholds = Thresholds(cpu_percent=30, memory_percent=40, response_time_ms=500)
    # Scale up fast (window 0 s: react at once; double or +4 pods every 15 s) ...
    scale_up_behavior: ScalingRate = ScalingRate(
        stabilization_window_seconds=0, percent=100, pods=4, period_seconds=15
    )
    # ... and down calmly (5 min window, then at most 10 % or 1 pod a minute, whichever is less).
    scale_down_behavior: ScalingRate = ScalingRate(
        stabilization_window_seconds=300, percent=10, pods=1, period_seconds=60
    )
    # Every service must be able to go from min to max replicas within this many seconds.
    max_scale_up_seconds: int = Field(default=60, ge=15)
    # Scale on response time too (needs prometheus-adapter serving the per-pod metric).
    custom_metrics: bool = False
    response_time_metric: str = "http_request_duration_p95_milliseconds"

    @model_validator(mode="after")
    def _scale_down_below_scale_up(self) -> ScalingSettings:
        for field, info in Thresholds.model_fields.items():
            down, up = getattr(self.scale_down, field), getattr(self.scale_up, field)
            if down >= up:
                raise cross_field_error(
                    f"scaleDown.{info.alias}",
                    down,
                    f"must be below scaleUp.{info.alias} ({up}) so scaling has hysteresis",
                )
        return self

    def seconds_to_reach_max(self, min_replicas: int, max_replicas: int) -> int:
        """Worst-case seconds for a service to go from min to max replicas with this scale-up."""
        behavior = self.scale_up_behavior
        return seconds_to_reach_max(
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            stabilization_window_seconds=behavior.stabilization_window_seconds,
            percent=behavior.percent,
            pods=behavior.pods,
            period_seconds=behavior.period_seconds,
        )
