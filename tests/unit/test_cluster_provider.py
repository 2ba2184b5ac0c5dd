"""The stack's own Kubernetes provider: named cluster, server-side apply, used by every object (finding 6)."""

from __future__ import annotations

import json

import pytest
import yaml

from components.settings import SettingsError, load_settings
from components.settings.stack_file import config_path
from preview.synth import Synthesis
from tests.support.stacks import STACKS, stack_config

PROVIDER_TYPE = "pulumi:providers:kubernetes"


def the_provider(synthesis: Synthesis) -> tuple[str, dict[str, object]]:
    (provider,) = synthesis.of_type(PROVIDER_TYPE)
    return provider.urn, provider.inputs


def test_every_kubernetes_resource_goes_through_the_stacks_provider(any_synthesis: Synthesis) -> None:
    urn, _ = the_provider(any_synthesis)
    objects = [r for r in any_synthesis.resources if r.is_kubernetes and r.custom]
    assert len(objects) > 40
    # A provider reference is "<provider urn>::<provider id>".
    assert {r.provider.rsplit("::", 1)[0] for r in objects} == {urn}


def test_other_packages_keep_their_own_providers(synthesis: Synthesis) -> None:
    urn, _ = the_provider(synthesis)
    others = [r for r in synthesis.resources if r.custom and r.type.startswith(("cloudflare:", "random:"))]
    assert others and all(not r.provider.startswith(urn) for r in others)


def test_the_provider_targets_the_stacks_context_with_server_side_apply(synthesis: Synthesis) -> None:
    _, inputs = the_provider(synthesis)
    assert inputs["context"] == f"technovastore-{synthesis.stack}"
    assert inputs["enableServerSideApply"] == "true"
    # Never take over an object another stack created (pulumi-kubernetes >= 4.29 fails with AlreadyExists).
    assert inputs["upsertExistingObjects"] == "false"
    assert inputs["namespace"] == synthesis.outputs["namespace"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_files_name_their_cluster_and_turn_the_default_provider_off(stack: str) -> None:
    config = yaml.safe_load(config_path(stack).read_text())["config"]
    assert config["kubernetes:context"] == f"technovastore-{stack}"
    assert config["pulumi:disable-default-providers"] == ["kubernetes"]


def test_a_real_deployment_without_a_named_cluster_is_refused() -> None:
    config = {
        key: value for key, value in stack_config("staging").items() if not key.startswith("kubernetes:")
    }
    load_settings(config, "staging")  # offline (the preview) it is fine
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "staging", require_cluster=True)
    message = str(raised.value)
    assert "kubernetes:context: is required: name the cluster this stack deploys to" in message
    assert "pulumi config set kubernetes:context <context> --stack staging" in message


def test_a_kubeconfig_path_is_enough_and_inline_contents_must_be_a_secret() -> None:
    by_path = {"kubernetes:kubeconfig": "/etc/technovastore/kubeconfig"}
    assert load_settings(by_path, "staging", require_cluster=True).cluster.named
    contents = {"kubernetes:kubeconfig": json.dumps({"apiVersion": "v1", "kind": "Config"}) + "\n"}
    with pytest.raises(SettingsError, match="kubernetes:kubeconfig: holds credentials: must be a secret"):
        load_settings(contents, "staging")
    secret = load_settings(contents, "staging", secret_keys={"kubernetes:kubeconfig"})
    assert secret.cluster.kubeconfig is not None and "Config" not in repr(secret.cluster)


def test_kubernetes_keys_the_provider_would_ignore_are_refused() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"kubernetes:namespace": "default", "kubernetes:context": "x"}, "staging")
    assert [str(problem) for problem in raised.value.problems] == [
        "kubernetes:namespace: is not read: the program's Kubernetes provider takes only "
        "kubernetes:context and kubernetes:kubeconfig"
    ]
