"""The Redis renderers: directives that matter, no password in config text, scripts that parse."""

from __future__ import annotations

import subprocess

import pytest

from components.kubernetes.redis_cluster import bootstrap_script, cluster_files, node_files
from components.kubernetes.redis_sentinel import sentinel_files
from components.redis_memory import redis_memory
from components.render.redis import (
    render_cluster_node_conf,
    render_redis_auth_conf,
    render_sentinel_data_conf,
)
from components.render.redis_layout import NodeLayout, RedisPasswords, config_string, password_hash
from components.render.sentinel import render_sentinel_auth_conf, render_sentinel_conf
from components.settings.redis import RedisClusterSettings, RedisSentinelSettings, RedisSettings

MEMORY = redis_memory(2**30)

PASSWORDS = RedisPasswords(admin="admin-Secret-1", app="app-Secret-2", metrics="metrics-Secret-3")


def directives(text: str) -> dict[str, str]:
    """First word -> rest of the line, for every non-comment line (last one wins)."""
    result = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" ")
            result[key] = value
    return result


def test_cluster_node_conf_has_cluster_persistence_memory_and_auth_include() -> None:
    settings = RedisClusterSettings(node_timeout_ms=7000, maxmemory_policy="allkeys-lfu")
    conf = directives(
        render_cluster_node_conf(settings, memory=MEMORY, persistence=True, layout=NodeLayout())
    )
    assert conf["cluster-enabled"] == "yes"
    assert conf["cluster-config-file"] == "nodes.conf"
    assert conf["dir"] == "/data"
    assert conf["cluster-node-timeout"] == "7000"
    assert conf["cluster-preferred-endpoint-type"] == "hostname"
    # A lost shard costs only its own keys (proven on real servers in the integration tests).
    assert conf["cluster-require-full-coverage"] == "no"
    assert conf["appendonly"] == "yes"
    assert conf["appendfsync"] == "everysec"
    assert conf["aof-use-rdb-preamble"] == "yes"
    # The AOF's RDB preamble is the snapshot: no save points forking under write load.
    assert conf["save"] == '""'
    assert conf["maxmemory"] == f"{MEMORY.maxmemory_mb}mb"
    assert (
        conf["client-output-buffer-limit"]
        == f"replica {MEMORY.replication_mb}mb {MEMORY.replication_mb // 2}mb 60"
    )
    assert conf["maxmemory-policy"] == "allkeys-lfu"
    assert conf["protected-mode"] == "yes"
    assert conf["masteruser"] == "admin"
    assert conf["include"] == "/etc/redis/secrets/redis-auth.conf"
    # In a pod the per-pod name comes on the command line; the shared text has none.
    assert "cluster-announce-hostname" not in conf


def test_layout_substitutes_only_addresses_and_paths() -> None:
    settings = RedisClusterSettings()
    default = render_cluster_node_conf(settings, memory=MEMORY, persistence=True, layout=NodeLayout())
    local = render_cluster_node_conf(
        settings,
        memory=MEMORY,
        persistence=True,
        layout=NodeLayout(
            port=7001, bus_port=17001, bind="127.0.0.1", data_dir="/tmp/n", secrets_dir="/tmp/s"
        ),
    )
    changed = {a for a, b in zip(default.splitlines(), local.splitlines(), strict=True) if a != b}
    assert {line.split()[0] for line in changed} == {"bind", "port", "dir", "cluster-port", "include"}


def test_persistence_off_disables_aof_and_snapshots() -> None:
    conf = directives(
        render_cluster_node_conf(
            RedisClusterSettings(), memory=MEMORY, persistence=False, layout=NodeLayout()
        )
    )
    assert conf["appendonly"] == "no"
    assert conf["save"] == '""'


def test_sentinel_data_conf_is_not_a_cluster_node_and_refuses_eviction() -> None:
    conf = directives(
        render_sentinel_data_conf(
            RedisSentinelSettings(), memory=MEMORY, persistence=True, layout=NodeLayout()
        )
    )
    assert "cluster-enabled" not in conf
    assert conf["maxmemory-policy"] == "noeviction"
    assert conf["repl-diskless-sync-max-replicas"] == "2"
    # A session the primary acknowledged is on a replica within 10 s, or the write is refused.
    assert conf["min-replicas-to-write"] == "1"
    assert conf["min-replicas-max-lag"] == "10"


def test_sentinel_conf_monitors_with_quorum_and_hostnames() -> None:
    settings = RedisSentinelSettings(down_after_ms=4000, failover_timeout_ms=20000)
    text = render_sentinel_conf(
        settings,
        primary_host="redis-sessions-0.h",
        primary_port=6379,
        work_dir="/run/s",
        secrets_dir="/etc/s",
    )
    lines = text.splitlines()
    assert "sentinel monitor sessions redis-sessions-0.h 6379 2" in lines
    assert "sentinel down-after-milliseconds sessions 4000" in lines
    assert "sentinel failover-timeout sessions 20000" in lines
    assert "sentinel parallel-syncs sessions 1" in lines
    assert "sentinel auth-user sessions admin" in lines
    # Hostnames must be resolvable before the monitor line is read.
    assert lines.index("sentinel resolve-hostnames yes") < lines.index(
        "sentinel monitor sessions redis-sessions-0.h 6379 2"
    )
    assert "sentinel announce-hostnames yes" in lines
    assert lines[-1] == "include /etc/s/sentinel-auth.conf"


def test_no_password_in_any_config_map_file() -> None:
    settings = RedisSettings()
    files = {
        **cluster_files(settings, ["n0", "n1", "n2", "n3", "n4", "n5"]),
        **sentinel_files(settings, ["d0", "d1", "d2"], ["s0", "s1", "s2"]),
    }
    everything = "\n".join(files.values())
    # The renderers never see a password; what could put one here is a directive that takes it.
    assert (
        "masterauth" not in everything and "auth-pass" not in everything and "requirepass" not in everything
    )


def test_auth_conf_keeps_user_passwords_hashed() -> None:
    text = render_redis_auth_conf(PASSWORDS)
    assert "user default off" in text.splitlines()
    for password in (PASSWORDS.app, PASSWORDS.metrics):
        assert password not in text
        assert f"#{password_hash(password)}" in text
    app_line = next(line for line in text.splitlines() if line.startswith("user app "))
    assert app_line.endswith("+@all -@dangerous")
    # Replication needs the admin password itself; it lives only in this Secret file.
    assert f'masterauth "{PASSWORDS.admin}"' in text.splitlines()


def test_sentinel_auth_conf_carries_the_group_passwords() -> None:
    lines = render_sentinel_auth_conf(PASSWORDS, master_name="sessions").splitlines()
    assert f'sentinel auth-pass sessions "{PASSWORDS.admin}"' in lines
    assert f'sentinel sentinel-pass "{PASSWORDS.admin}"' in lines
    assert "user default off" in lines


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", '"plain"'),
        ('q"uote', '"q\\"uote"'),
        ("back\\slash", '"back\\\\slash"'),
        ("sp ace", '"sp ace"'),
    ],
)
def test_config_string_quotes_every_character_redis_would_split_on(value: str, quoted: str) -> None:
    assert config_string(value) == quoted


def test_every_rendered_script_is_valid_posix_shell() -> None:
    settings = RedisSettings()
    both = [
        cluster_files(settings, ["n0", "n1", "n2"]),
        sentinel_files(settings, ["d0", "d1"], ["s0", "s1", "s2"]),
    ]
    scripts = [(name, text) for files in both for name, text in files.items() if name.endswith(".sh")]
    assert len(scripts) == 13
    for name, text in scripts:
        assert text.startswith("#!/bin/sh\n"), name
        result = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_adding_masters_changes_only_the_bootstrap_script_not_what_the_pods_run() -> None:
    three, four = RedisSettings(), RedisSettings.model_validate({"cluster": {"masters": 4}})
    hosts = [f"n{index}" for index in range(8)]
    # The pod checksum covers node_files only: the six existing pods do not roll.
    assert node_files(three) == node_files(four)
    assert bootstrap_script(three, hosts[:6]) != bootstrap_script(four, hosts)
    assert "MASTERS=4" in bootstrap_script(four, hosts)
