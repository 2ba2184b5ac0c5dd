"""Swarm secrets' names, and what the swarm stack guards, under the mock runtime."""

from __future__ import annotations

import base64
import hashlib
import json

from components.swarm.files import SECRET_SUFFIX_BYTES
from preview.synth import DeclaredResource, Synthesis, is_secret
from tests.preview.conftest import diff_of
from tests.support.stacks import synthesize_deployment, synthesize_stack
from tests.unit.test_swarm_components import SECRET, VOLUME, of_type

RANDOM_ID = "random:index/randomId:RandomId"
PASSWORD = "random:index/randomPassword:RandomPassword"
CHOSEN = "Chosen-Redis-Passw0rd"


def admin_secret(synthesis: Synthesis) -> DeclaredResource:
    (found,) = [r for r in of_type(synthesis, SECRET) if r.name == "redis-credentials-admin-password"]
    return found


def suffix_of(synthesis: Synthesis, secret: DeclaredResource) -> DeclaredResource:
    (found,) = [r for r in of_type(synthesis, RANDOM_ID) if r.name == f"{secret.name}-name"]
    return found


def test_a_secrets_name_is_its_prefix_and_a_random_suffix_whose_keeper_is_the_value() -> None:
    synthesis = synthesize_stack("swarm", redisPassword=CHOSEN)
    secret = admin_secret(synthesis)
    suffix = suffix_of(synthesis, secret)
    assert suffix.inputs["byteLength"] == SECRET_SUFFIX_BYTES
    assert secret.inputs["name"] == f"technovastore-{secret.name}-{suffix.inputs['hex']}"
    # The keeper holds the value, and holds it as a secret (encrypted in the state).
    keepers = suffix.inputs["keepers"]
    assert is_secret(keepers) and json.dumps(keepers).count(CHOSEN) == 1
    # The name carries nothing computed from the value: no digest of it, in any encoding.
    digest = hashlib.sha256(CHOSEN.encode()).digest()
    for encoded in (
        digest.hex(),
        base64.b64encode(digest).decode(),
        base64.urlsafe_b64encode(digest).decode(),
    ):
        for start in range(len(encoded) - 6):
            assert encoded[start : start + 6] not in secret.inputs["name"]


def test_every_swarm_secret_gets_its_own_random_suffix() -> None:
    synthesis = synthesize_stack("swarm")
    secrets = of_type(synthesis, SECRET)
    # The Redis credentials' five, the Redis exporter's password file, Grafana's admin password.
    assert len(secrets) == 7
    assert {suffix_of(synthesis, secret).name for secret in secrets} == {f"{s.name}-name" for s in secrets}
    # Besides the suffixes' keepers, the value reaches no resource but the secret itself.
    assert all(is_secret(secret.inputs["data"]) for secret in secrets)


def test_a_new_password_draws_a_new_suffix_so_the_services_roll() -> None:
    diff = diff_of("swarm", redisPassword=CHOSEN)
    ops = {(c.op, c.type, c.name) for c in diff.changes}
    assert ("replace", RANDOM_ID, "redis-credentials-admin-password-name") in ops
    assert ("replace", SECRET, "redis-credentials-admin-password") in ops
    # The app's own password did not change: neither did its secret's name.
    assert not any(name == "redis-credentials-app-password" for _, _, name in ops)
    # Every service that mounts the admin password rolls onto the new secret.
    services = {name for op, type_, name in ops if type_ == "docker:index/service:Service"}
    assert {op for op, type_, _ in ops if type_ == "docker:index/service:Service"} == {"update"}
    assert "redis-cluster-0" in services and "redis-sessions-sentinel-0" in services


def test_a_deployments_suffix_stays_while_the_value_stays() -> None:
    passwords = {"redis-credentials-admin": "A" * 32, "redis-credentials-app": "B" * 32}
    values = {**passwords, "redis-credentials-metrics": "C" * 32, "grafana-admin": "E" * 32}
    first = synthesize_deployment("swarm", {}, passwords=values.__getitem__)
    again = synthesize_deployment("swarm", {}, passwords=values.__getitem__)
    rotated = synthesize_deployment(
        "swarm", {}, passwords={**values, "redis-credentials-app": "D" * 32}.__getitem__
    )

    def names(synthesis: Synthesis) -> dict[str, str]:
        return {r.name: r.inputs["name"] for r in of_type(synthesis, SECRET)}

    assert names(first) == names(again)
    changed = {key for key, name in names(rotated).items() if names(first)[key] != name}
    # The app password and the auth files rendered from it, nothing else.
    assert changed == {
        "redis-credentials-app-password",
        "redis-credentials-redis-auth-conf",
        "redis-credentials-sentinel-auth-conf",
    }


def test_production_on_swarm_guards_its_data_and_passwords_but_not_what_rotates() -> None:
    synthesis = synthesize_stack("swarm")
    guarded = [*of_type(synthesis, VOLUME), *of_type(synthesis, PASSWORD)]
    # Twelve Redis volumes, Prometheus' and Grafana's; three Redis passwords and Grafana's admin one.
    assert len(guarded) == 18 and all(r.protect and r.retain_on_delete for r in guarded)
    # Secrets and their suffixes are replaced by every rotation: protected, none could be.
    rotating = [*of_type(synthesis, SECRET), *of_type(synthesis, RANDOM_ID)]
    assert not any(r.protect or r.retain_on_delete for r in rotating)


def test_unprotected_swarm_data_is_still_kept_on_destroy() -> None:
    synthesis = synthesize_stack("swarm", protection={"protect": False})
    volumes = of_type(synthesis, VOLUME)
    assert len(volumes) == 14 and all(v.retain_on_delete and not v.protect for v in volumes)
