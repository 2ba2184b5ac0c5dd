"""Compliant Redis, CDN and Cloudflare resources in the shapes those components declare."""

from __future__ import annotations

from typing import Any

from components.kubernetes.conventions import REDIS_CLIENT_LABEL, TIER_LABEL, selector_labels
from preview.synth import DeclaredResource
from tests.policies.builders import container, kube, pdb, pod_labels, pod_spec, resource

REDIS_IMAGE = "redis:7.2.5"
REDIS_CONF = """\
# cache data: sharded cluster
port 6379
cluster-enabled yes
cluster-config-file /data/nodes.conf
appendonly yes
appendfsync everysec
save 900 1
masteruser admin
include /etc/redis/secrets/auth.conf
"""
BOOTSTRAP = """\
#!/bin/sh
set -eu
NODES='redis-cluster-0:6379 redis-cluster-1:6379'
REPLICAS=1
redis-cli --no-auth-warning --cluster create $NODES --cluster-replicas "$REPLICAS" --cluster-yes
"""
SENTINEL_CONF = """\
port 26379
sentinel monitor sessions redis-sessions-0.redis-sessions 6379 2
sentinel down-after-milliseconds sessions 5000
include /etc/redis/secrets/sentinel-auth.conf
"""


def redis_container(name: str = "redis", command: list[str] | None = None) -> dict[str, Any]:
    c = container(name, image=REDIS_IMAGE, port=6379)
    c["command"] = command or ["redis-server", "/etc/redis/redis.conf"]
    c["readinessProbe"] = {"exec": {"command": ["sh", "-c", "redis-cli cluster info | grep -q state:ok"]}}
    c["livenessProbe"] = {"exec": {"command": ["redis-cli", "ping"]}}
    c["volumeMounts"] = [
        {"name": "config", "mountPath": "/etc/redis"},
        {"name": "auth", "mountPath": "/etc/redis/secrets", "readOnly": True},
        {"name": "data", "mountPath": "/data"},
    ]
    return c


def redis_statefulset(
    name: str = "redis-cluster",
    *,
    replicas: int = 6,
    configmap: str = "redis-cluster",
    main: dict[str, Any] | None = None,
) -> DeclaredResource:
    spec = pod_spec(main or redis_container(), name=name)
    spec["volumes"] = [
        {"name": "config", "configMap": {"name": configmap}},
        {"name": "auth", "secret": {"secretName": "redis-auth"}},
    ]
    return kube(
        "StatefulSet",
        name,
        {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": selector_labels(name)},
            "template": {"metadata": {"labels": pod_labels(name, "data")}, "spec": spec},
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "10Gi"}}}}
            ],
        },
    )


def redis_network_policy(name: str = "redis-cluster") -> DeclaredResource:
    return kube(
        "NetworkPolicy",
        f"{name}-ingress",
        {
            "podSelector": {"matchLabels": selector_labels(name)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {REDIS_CLIENT_LABEL: "true"}}}],
                    "ports": [{"port": 6379}],
                },
                {
                    "from": [{"podSelector": {"matchLabels": {TIER_LABEL: "data"}}}],
                    "ports": [{"port": 16379}],
                },
            ],
        },
    )


def redis_cluster(
    *, name: str = "redis-cluster", replicas: int = 6, conf: str = REDIS_CONF, bootstrap: str = BOOTSTRAP
) -> list[DeclaredResource]:
    """A Redis Cluster; pass another ``name`` to add one next to a program's own."""
    return [
        kube("ConfigMap", name, None, data={"redis.conf": conf, "bootstrap.sh": bootstrap}),
        redis_statefulset(name, replicas=replicas, configmap=name),
        kube(
            "Service",
            name,
            {
                "clusterIP": "None",
                "selector": selector_labels(name),
                "ports": [{"name": "redis", "port": 6379, "targetPort": 6379}],
            },
        ),
        pdb(name),
        redis_network_policy(name),
    ]


def sentinel_group(
    *, name: str = "redis-sentinel", sentinels: int = 3, conf: str = SENTINEL_CONF
) -> list[DeclaredResource]:
    main = redis_container("sentinel", ["redis-sentinel", "/etc/redis/sentinel.conf"])
    main["volumeMounts"] = main["volumeMounts"][:2]
    workload = redis_statefulset(name, replicas=sentinels, configmap=name, main=main)
    return [kube("ConfigMap", name, None, data={"sentinel.conf": conf}), workload]


NGINX_CONF = """\
worker_processes auto;
events { worker_connections 1024; }
http {
  server_tokens off;
  proxy_cache_path /var/cache/nginx levels=1:2 keys_zone=cdn:64m max_size=1g inactive=7d use_temp_path=off;
  limit_req_zone $binary_remote_addr zone=per_ip:10m rate=50r/s;
  limit_req_status 429;
  limit_conn_zone $binary_remote_addr zone=conn:10m;
  limit_conn_status 429;
  include security_headers.conf;
  server {
    listen 8080;
    location / {
      limit_req zone=per_ip burst=100 nodelay;
      limit_conn conn 50;
      proxy_cache cdn;
      proxy_cache_lock on;
      proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
      proxy_pass http://frontend:3000;
    }
    location /assets/ {
      proxy_cache cdn;
      include security_headers.conf;
      add_header Cache-Control "public, max-age=31536000, immutable";
      proxy_pass http://frontend:3000;
    }
  }
}
"""
SECURITY_HEADERS = """\
add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
add_header X-Content-Type-Options "nosniff" always;
add_header X-Frame-Options "DENY" always;
add_header Referrer-Policy "strict-origin-when-cross-origin" always;
"""


def cdn_config(nginx_conf: str = NGINX_CONF, headers: str = SECURITY_HEADERS) -> DeclaredResource:
    return kube(
        "ConfigMap", "cdn-nginx", None, data={"nginx.conf": nginx_conf, "security_headers.conf": headers}
    )


ZONE = "0123456789abcdef0123456789abcdef"
HSTS = {
    "strict_transport_security": {
        "enabled": True,
        "max_age": 31536000,
        "include_subdomains": True,
        "nosniff": True,
    }
}
ZONE_SETTINGS: dict[str, Any] = {
    "ssl": "strict",
    "min_tls_version": "1.2",
    "tls_1_3": "on",
    "always_use_https": "on",
    "security_header": HSTS,
    "security_level": "medium",
    "browser_check": "on",
}
MANAGED_WAF_RULE = {
    "ref": "execute_cloudflare_managed",
    "expression": "true",
    "action": "execute",
    "actionParameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"},
    "enabled": True,
}


def zone_setting(setting_id: str, value: Any) -> DeclaredResource:
    return resource(
        "cloudflare:index/zoneSetting:ZoneSetting",
        f"edge-{setting_id}",
        {"zoneId": ZONE, "settingId": setting_id, "value": value},
    )


def rate_limit_rule(**overrides: Any) -> dict[str, Any]:
    rule = {
        "ref": "api_rate_limit",
        "expression": 'starts_with(http.request.uri.path, "/api/")',
        "action": "block",
        "ratelimit": {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": 60,
            "requestsPerPeriod": 600,
            "mitigationTimeout": 600,
        },
        "enabled": True,
    }
    rule.update(overrides)
    return rule


def ruleset(phase: str, rules: list[dict[str, Any]]) -> DeclaredResource:
    return resource(
        "cloudflare:index/ruleset:Ruleset",
        f"edge-{phase}",
        {"zoneId": ZONE, "name": phase, "kind": "zone", "phase": phase, "rules": rules},
    )


WAF_RULE = {
    "ref": "block_probes",
    "expression": 'http.request.uri.path contains "/.env"',
    "action": "block",
    "enabled": True,
}


def dns_record(
    host: str = "www.technovastore.com", content: str = "34.120.0.10", type_: str = "A", proxied: bool = True
) -> DeclaredResource:
    return resource(
        "cloudflare:index/dnsRecord:DnsRecord",
        f"edge-{host}",
        {"zoneId": ZONE, "name": host, "type": type_, "content": content, "ttl": 1, "proxied": proxied},
    )


def zone_dnssec(status: str = "active") -> DeclaredResource:
    return resource(
        "cloudflare:index/zoneDnssec:ZoneDnssec", "edge-dnssec", {"zoneId": ZONE, "status": status}
    )


def bot_management(**inputs: Any) -> DeclaredResource:
    chosen = inputs or {"sbfmDefinitelyAutomated": "managed_challenge", "enableJs": True}
    return resource("cloudflare:index/botManagement:BotManagement", "edge-bots", {"zoneId": ZONE, **chosen})


def cloudflare_edge(settings: dict[str, Any] | None = None) -> list[DeclaredResource]:
    chosen = ZONE_SETTINGS if settings is None else settings
    return [
        *(zone_setting(k, v) for k, v in chosen.items()),
        ruleset("http_ratelimit", [rate_limit_rule()]),
        ruleset("http_request_firewall_custom", [WAF_RULE]),
        ruleset("http_request_firewall_managed", [MANAGED_WAF_RULE]),
        zone_dnssec(),
        bot_management(),
        dns_record(),
    ]


# --- Docker Swarm (pulumi_docker Service inputs, wire names, as components/swarm/ declares) ---
SWARM_SERVICE = "docker:index/service:Service"


def swarm_service(name: str = "frontend", *, replicas: int = 2, lo: int = 2, hi: int = 6) -> DeclaredResource:
    """A compliant app service: secrets as files, limits, health check, rolling update, bounds."""
    update = {
        "parallelism": 1,
        "delay": "5s",
        "failureAction": "rollback",
        "monitor": "30s",
        "order": "start-first",
    }
    return resource(
        SWARM_SERVICE,
        name,
        {
            "name": f"technovastore-{name}",
            "labels": [
                {"label": "technovastore.io/min-replicas", "value": str(lo)},
                {"label": "technovastore.io/max-replicas", "value": str(hi)},
            ],
            "taskSpec": {
                "containerSpec": {
                    "image": "ghcr.io/technovastore/frontend:3.0.1",
                    "env": {"PORT": "3000", "REDIS_PASSWORD_FILE": "/run/secrets/app-password"},
                    "secrets": [
                        {
                            "secretId": "s",
                            "secretName": "app-password",
                            "fileName": "/run/secrets/app-password",
                        }
                    ],
                    "healthcheck": {
                        "tests": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/health/live"]
                    },
                },
                "resources": {
                    "limits": {"nanoCpus": 500_000_000, "memoryBytes": 512 * 2**20},
                    "reservation": {"nanoCpus": 250_000_000, "memoryBytes": 256 * 2**20},
                },
                "restartPolicy": {
                    "condition": "on-failure",
                    "delay": "5s",
                    "maxAttempts": 0,
                    "window": "120s",
                },
            },
            "mode": {"replicated": {"replicas": replicas}},
            "updateConfig": update,
            "rollbackConfig": {**update, "failureAction": "pause"},
            "endpointSpec": {"mode": "vip", "ports": [{"targetPort": 3000, "publishedPort": 8080}]},
        },
    )


def swarm_bootstrap() -> DeclaredResource:
    """A one-shot service (restart condition none): no health check, no update policy."""
    service = swarm_service("redis-cluster-bootstrap", replicas=1)
    inputs = service.inputs
    inputs["taskSpec"]["restartPolicy"] = {"condition": "none"}
    for key in ("updateConfig", "rollbackConfig", "labels"):
        inputs.pop(key)
    inputs["taskSpec"]["containerSpec"].pop("healthcheck")
    return service
