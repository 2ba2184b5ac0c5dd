"""The application services: data, so a fifth service is a config change, not code."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.quantities import cpu_millicores, memory_bytes
from components.settings.base import (
    CpuQuantity,
    MemoryQuantity,
    PinnedImage,
    SettingsModel,
    cross_field_error,
)

# A variable name as shells and the Docker and Kubernetes APIs accept it.
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Set by the platform for every service (components/workloads.py): not settable per service.
RESERVED_ENV = re.compile(r"^(PORT|REDIS_[A-Z_]*)$")

# Who may call whom (NetworkPolicies): the CDN reaches the edge and the gateway, the edge
# (frontend) reaches the gateway, the gateway reaches the backends.
Tier = Literal["edge", "gateway", "backend"]


class ComputeQuantities(SettingsModel):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ComputeResources(SettingsModel):
    requests: ComputeQuantities
    limits: ComputeQuantities

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ComputeResources:
        if cpu_millicores(self.requests.cpu) > cpu_millicores(self.limits.cpu):
            raise cross_field_error(
                "requests.cpu", self.requests.cpu, f"must not exceed limits.cpu ({self.limits.cpu})"
            )
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise cross_field_error(
                "requests.memory",
                self.requests.memory,
                f"must not exceed limits.memory ({self.limits.memory})",
            )
        return self


class ProbePaths(SettingsModel):
    readiness: str = Field(default="/health/ready", pattern=r"^/")
    liveness: str = Field(default="/health/live", pattern=r"^/")

    @model_validator(mode="after")
    def _liveness_differs(self) -> ProbePaths:
        # A liveness probe that checks dependencies (like readiness does) restarts healthy
        # pods when a dependency is down: keep them different.
        if self.liveness == self.readiness:
            raise cross_field_error("liveness", self.liveness, "must differ from the readiness path")
        return self


class ServiceSettings(SettingsModel):
    image: PinnedImage
    port: int = Field(ge=1, le=65535)
    tier: Tier
    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1)
    resources: ComputeResources
    probes: ProbePaths = ProbePaths()
    uses_redis: bool = False
    # Plain settings for the service's own code (feature flags, log level). Never a secret:
    # credentials come from Secrets, and the policy pack refuses literal ones.
    env: dict[EnvName, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _env_leaves_platform_variables(self) -> ServiceSettings:
        reserved = sorted(name for name in self.env if RESERVED_ENV.match(name))
        if reserved:
            raise cross_field_error(
                f"env.{reserved[0]}", self.env[reserved[0]], "is set by the platform (PORT, REDIS_*)"
            )
        return self

    @model_validator(mode="after")
    def _min_not_above_max(self) -> ServiceSettings:
        if self.min_replicas > self.max_replicas:
            raise cross_field_error(
                "maxReplicas",
                self.max_replicas,
                f"must be >= minReplicas ({self.min_replicas})",
            )
        return self
