"""What only a Docker Swarm stack has: endpoint and publish modes, placement, the overlay network.

The defaults are right for a real multi-node Swarm: virtual IPs, the ingress routing mesh
and an encrypted overlay. Engines without IPVS (see the README's "Docker Swarm" section)
use ``dnsrr`` and ``host`` publishing instead; both are real Swarm options.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings.autoscaler import SwarmAutoscalerSettings
from components.settings.base import SettingsModel, cross_field_error

# `node.role == manager`, `node.labels.zone != eu-1`, `engine.labels.os==linux`: the forms
# `docker service create --constraint` accepts (an attribute, == or !=, a value).
_CONSTRAINT = re.compile(
    r"^(node\.(id|hostname|role|platform\.os|platform\.arch)|(node|engine)\.labels\.[A-Za-z0-9._-]+)"
    r"\s*(==|!=)\s*[A-Za-z0-9._-]+$"
)
# A spread preference names a node or engine label (`--placement-pref spread=node.labels.zone`).
_SPREAD = re.compile(r"^(node|engine)\.labels\.[A-Za-z0-9._-]+$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


def _constraint(value: str) -> str:
    if not _CONSTRAINT.match(value):
        raise ValueError(
            "must be a placement constraint '<attribute> == <value>' or '!=' (attributes: node.id, "
            "node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name>, "
            "engine.labels.<name>)"
        )
    return value


def _spread(value: str) -> str:
    if not _SPREAD.match(value):
        raise ValueError("must name a node or engine label to spread over, like 'node.labels.zone'")
    return value


def _label(value: str) -> str:
    if not _LABEL.match(value):
        raise ValueError("must be a node label name: lowercase letters, digits, '.' and '-'")
    return value


Constraint = Annotated[str, AfterValidator(_constraint)]
SpreadPreference = Annotated[str, AfterValidator(_spread)]
NodeLabel = Annotated[str, AfterValidator(_label)]


class SwarmSettings(SettingsModel):
    # vip: one virtual IP per service, load-balanced by IPVS. dnsrr: the service name resolves
    # to every task's address (clients and NGINX's resolver spread the load).
    endpoint_mode: Literal["vip", "dnsrr"] = "vip"
    # ingress: the routing mesh publishes the CDN on every node. host: only on the nodes that
    # run a CDN task (put a load balancer in front of those).
    publish_mode: Literal["ingress", "host"] = "ingress"
    # The CDN's port on the Swarm's nodes (what Cloudflare or the load balancer connects to).
    cdn_published_port: int = Field(default=80, ge=1, le=65535)
    # Placement of the app services and the CDN (every task of them).
    placement_constraints: list[Constraint] = Field(default_factory=list)
    # Spread tasks over groups of nodes (Swarm already spreads over nodes by itself).
    spread_preferences: list[SpreadPreference] = Field(default_factory=lambda: ["node.labels.zone"])
    # Redis keeps its data on local volumes: run it only on nodes labelled `<label>=true`
    # (`docker node update --label-add <label>=true <node>`). None: on any node.
    redis_node_label: NodeLabel | None = "technovastore.redis"
    # Encrypt the overlay network's traffic between nodes (IPsec).
    encrypted_network: bool = True
    # After each task of a rolling update: how long a failure still rolls the service back
    # (`docker service update --update-monitor`). `pulumi up` waits this long after the last task.
    update_monitor_seconds: int = Field(default=30, ge=0, le=3600)
    # The autoscaler service (HPA semantics from the same scaling settings as Kubernetes).
    autoscaler: SwarmAutoscalerSettings = SwarmAutoscalerSettings()

    @model_validator(mode="after")
    def _dnsrr_publishes_on_hosts(self) -> SwarmSettings:
        # Swarm refuses ingress-published ports on a dnsrr service (the mesh needs a VIP).
        if self.endpoint_mode == "dnsrr" and self.publish_mode == "ingress":
            raise cross_field_error(
                "publishMode", self.publish_mode, "must be 'host' with endpointMode dnsrr"
            )
        return self
