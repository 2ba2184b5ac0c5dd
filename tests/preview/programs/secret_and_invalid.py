"""A tiny Pulumi program for the preview's own tests: a secret from config, and an invalid object.

``invalidReplicas`` (config) makes the Deployment's ``spec.replicas`` a string, which the
Kubernetes schema rejects.
"""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config("technovastore-scaling")
password = config.require_secret("redisPassword")
replicas = config.get("invalidReplicas") or 2
labels = {"app": "web"}

k8s.core.v1.Secret(
    "redis-auth",
    metadata={"name": "redis-auth", "namespace": "demo"},
    string_data={"password": password},
)
k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "web", "namespace": "demo"},
    spec={
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27.2",
                        "env": [
                            {
                                "name": "REDIS_PASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "password"}},
                            }
                        ],
                    }
                ]
            },
        },
    },
)
pulumi.export("password", password)
