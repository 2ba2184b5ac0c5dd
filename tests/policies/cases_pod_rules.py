"""Compliant and violating pods for the rules that close the gap to Polaris and kube-score, on
every kind that runs pods, and the neighbours of each finding of the parity review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from preview.synth import DeclaredResource
from tests.policies.builders import (
    deployment,
    edited,
    hpa,
    kube,
    service,
)
from tests.policies.case_recorder import CaseRecorder
from tests.policies.kinds import (
    on_container,
    on_pod,
    workload,
)

RECORDER = CaseRecorder()
ok, bad = RECORDER.ok, RECORDER.bad
Resources = list[DeclaredResource]


def context(**fields: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda container: container["securityContext"].update(fields)


def env(name: str, value: str) -> Callable[[dict[str, Any]], Any]:
    return lambda container: container["env"].append({"name": name, "value": value})


def anti_affinity_on(app: str) -> Callable[[dict[str, Any]], Any]:
    """Replace the pod's spread constraints by a required anti-affinity on pods named ``app``."""
    term = {
        "topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
    }

    def edit(pod: dict[str, Any]) -> None:
        pod.pop("topologySpreadConstraints")
        pod["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}

    return edit


# --- pod hardening ---------------------------------------------------------------------------
ok("k8s-no-host-process", "linux", on_pod("Pod", lambda p: None))
bad(
    "k8s-no-host-process",
    "pod",
    on_pod("Pod", lambda p: p["securityContext"].update(windowsOptions={"hostProcess": True})),
)
bad(
    "k8s-no-host-process", "container", on_container("CronJob", context(windowsOptions={"hostProcess": True}))
)
ok("k8s-default-proc-mount", "explicit-default", on_container("Job", context(procMount="Default")))
bad("k8s-default-proc-mount", "unmasked", on_container("DaemonSet", context(procMount="Unmasked")))
bad(
    "k8s-run-as-non-root",
    "low-group",
    on_pod("Deployment", lambda p: p["securityContext"].update(runAsGroup=1000)),
)
bad("k8s-run-as-non-root", "bare-pod-root", on_container("Pod", context(runAsUser=0)))
ok(
    "k8s-run-as-non-root",
    "lower-floor",
    on_pod("Pod", lambda p: p["securityContext"].update(runAsUser=1000, runAsGroup=1000)),
    minimumId=1000,
)
bad(
    "k8s-drop-all-capabilities", "lowercase-all", on_container("Pod", context(capabilities={"drop": ["all"]}))
)
bad(
    "k8s-seccomp-runtime-default",
    "annotation-only",
    [
        edited(
            workload(
                "Deployment",
                edit_pod=lambda p: (
                    p["securityContext"].pop("seccompProfile"),
                    p["containers"][0]["securityContext"].pop("seccompProfile"),
                ),
            ),
            lambda i: i["spec"]["template"]["metadata"].update(
                annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}
            ),
        )
    ],
)
bad("k8s-no-privilege-escalation", "cronjob", on_container("CronJob", context(allowPrivilegeEscalation=True)))

# --- pods --------------------------------------------------------------------------------------
ok("k8s-env-no-duplicates", "distinct", on_pod("Pod", lambda p: None))
bad("k8s-env-no-duplicates", "twice", on_container("Job", env("PORT", "9090")))
ok("k8s-container-ports-valid", "named", on_pod("Deployment", lambda p: None))
bad(
    "k8s-container-ports-valid",
    "long-name",
    on_container("Pod", lambda c: c["ports"][0].update(name="a-very-long-port-name")),
)
bad(
    "k8s-container-ports-valid",
    "no-port",
    on_container("StatefulSet", lambda c: c["ports"].append({"name": "metrics"})),
)
bad(
    "k8s-container-ports-valid",
    "same-name",
    on_container("Deployment", lambda c: c["ports"].append({"name": "http", "containerPort": 9090})),
)
ok(
    "k8s-empty-dir-size-limit",
    "sized",
    on_pod("Pod", lambda p: p.update(volumes=[{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}])),
)
bad(
    "k8s-empty-dir-size-limit",
    "unbounded",
    on_pod("ReplicaSet", lambda p: p.update(volumes=[{"name": "tmp", "emptyDir": {}}])),
)
bad(
    "k8s-resource-requests-and-limits",
    "zero-cpu-limit",
    on_container("Pod", lambda c: c["resources"]["limits"].update(cpu="0")),
)
bad(
    "k8s-resource-requests-and-limits",
    "not-a-quantity",
    on_container("CronJob", lambda c: c["resources"]["requests"].update(memory="lots")),
)
ok(
    "k8s-resource-requests-and-limits",
    "cpu-limit-not-required",
    on_container("Deployment", lambda c: c["resources"]["limits"].pop("cpu")),
    limits=["memory"],
)
bad("k8s-readiness-and-liveness-probes", "bare-pod", on_container("Pod", lambda c: c.pop("readinessProbe")))
ok(
    "k8s-readiness-and-liveness-probes",
    "job-needs-none",
    on_container("Job", lambda c: c.pop("readinessProbe")),
)
bad(
    "k8s-liveness-differs-from-readiness",
    "named-and-numbered-port",
    on_container(
        "Pod",
        lambda c: c.update(
            livenessProbe={**c["readinessProbe"], "httpGet": {"path": "/health/ready", "port": 8080}}
        ),
    ),
)

# --- controllers -------------------------------------------------------------------------------
ok("k8s-rolling-update", "default", [deployment()])
bad(
    "k8s-rolling-update",
    "recreate",
    [edited(deployment(), lambda i: i["spec"].update(strategy={"type": "Recreate"}))],
)
ok("k8s-job-restart-policy", "cronjob-never", [workload("CronJob")])
bad("k8s-job-restart-policy", "job-unset", on_pod("Job", lambda p: p.pop("restartPolicy")))
bad("k8s-job-restart-policy", "cronjob-always", on_pod("CronJob", lambda p: p.update(restartPolicy="Always")))
ok("k8s-cronjob-starting-deadline", "set", [workload("CronJob")])
bad(
    "k8s-cronjob-starting-deadline",
    "unset",
    [edited(workload("CronJob"), lambda i: i["spec"].pop("startingDeadlineSeconds"))],
)
ok("k8s-topology-spread", "anti-affinity-on-own-pods", on_pod("StatefulSet", anti_affinity_on("web")))
bad("k8s-topology-spread", "anti-affinity-on-other-pods", on_pod("StatefulSet", anti_affinity_on("db")))
bad(
    "k8s-topology-spread",
    "list-topology-key",
    on_pod(
        "Deployment",
        lambda p: p["topologySpreadConstraints"][0].update(topologyKey=["kubernetes.io/hostname"]),
    ),
)
bad(
    "k8s-topology-spread",
    "zero-skew",
    on_pod("Pod", lambda p: p["topologySpreadConstraints"][0].update(maxSkew=0)),
)
bad(
    "k8s-topology-spread",
    "replicas-omitted",
    [
        edited(
            workload("Deployment", edit_pod=lambda p: p.pop("topologySpreadConstraints")),
            lambda i: i["spec"].pop("replicas"),
        )
    ],
)
ok(
    "k8s-topology-spread",
    "one-replica",
    [
        edited(
            workload("Deployment", edit_pod=lambda p: p.pop("topologySpreadConstraints")),
            lambda i: i["spec"].update(replicas=1),
        )
    ],
)

# --- metadata ----------------------------------------------------------------------------------
bad(
    "k8s-recommended-labels",
    "instance-mismatch",
    [edited(deployment(), lambda i: i["metadata"]["labels"].update({"app.kubernetes.io/instance": "other"}))],
)
ok("k8s-label-values-valid", "recommended", [deployment(), service()])
bad(
    "k8s-label-values-valid",
    "space",
    [edited(service(), lambda i: i["metadata"]["labels"].update(team="web shop"))],
)
bad(
    "k8s-label-values-valid",
    "boolean",
    [edited(deployment(), lambda i: i["spec"]["template"]["metadata"]["labels"].update(canary=True))],
)
bad(
    "k8s-label-values-valid",
    "long-value",
    [edited(service(), lambda i: i["metadata"]["labels"].update(owner="x" * 64))],
)
ok("k8s-stable-api-version", "current", [deployment(), hpa()])
bad(
    "k8s-stable-api-version",
    "hpa-v2beta2",
    [edited(hpa(), lambda i: i.update(apiVersion="autoscaling/v2beta2"))],
)
ok(
    "k8s-stable-api-version",
    "old-target",
    [edited(hpa(), lambda i: i.update(apiVersion="autoscaling/v2beta2"))],
    kubernetesVersion="1.22",
)

# --- secrets -----------------------------------------------------------------------------------
bad("k8s-no-literal-secrets-in-env", "azure-key", on_container("Pod", env("AZURE_BATCH_KEY", "c2VjcmV0")))
bad(
    "k8s-no-literal-secrets-in-env",
    "oci-key-content",
    on_container("CronJob", env("OCI_CLI_KEY_CONTENT", "abc")),
)
bad(
    "k8s-no-literal-secrets-in-env",
    "private-key-value",
    on_container("Job", env("SSH_CONFIG", "---BEGIN OPENSSH PRIVATE KEY---\nxx\n")),
)
ok(
    "k8s-no-literal-secrets-in-env",
    "public-key-and-key-id",
    on_container(
        "Pod", lambda c: (env("PUBLIC_KEY", "ssh-ed25519 AAAA")(c), env("AWS_ACCESS_KEY_ID", "AKIA")(c))
    ),
)
bad(
    "k8s-no-secrets-in-configmap",
    "azure-key",
    [kube("ConfigMap", "app", None, data={"AZURE_STORAGE_KEY": "x"})],
)


POD_RULE_CASES = RECORDER.cases
