"""redis.conf for Redis Cluster nodes and Sentinel-group data nodes, and their ACL file."""

from __future__ import annotations

from components.redis_memory import RedisMemory
from components.render.redis_layout import (
    ADMIN_USER,
    APP_USER,
    METRICS_USER,
    REDIS_AUTH_FILE,
    NodeLayout,
    RedisPasswords,
    config_string,
    password_hash,
)
from components.settings.redis import RedisClusterSettings, RedisSentinelSettings

# Commands redis_exporter needs; nothing that reads or writes a key's value.
METRICS_COMMANDS = (
    "+@connection +ping +info +dbsize +select +config|get +cluster|info +cluster|nodes "
    "+slowlog|get +slowlog|len +latency|latest +client|list +memory|stats"
)


def _network(layout: NodeLayout) -> list[str]:
    source = [f"bind-source-addr {layout.source_address}"] if layout.source_address else []
    return [
        f"bind {layout.bind}",
        *source,
        f"port {layout.port}",
        # Refuses outside clients if auth were ever missing; the default user is disabled anyway.
        "protected-mode yes",
        "tcp-keepalive 60",
        "daemonize no",
        'logfile ""',
        f"dir {layout.data_dir}",
    ]


def _persistence(enabled: bool) -> list[str]:
    if not enabled:
        return ["appendonly no", 'save ""']
    return [
        # AOF for at most one second of loss, with an RDB preamble so restarts load fast.
        "appendonly yes",
        'appendfilename "appendonly.aof"',
        'appenddirname "appendonlydir"',
        "appendfsync everysec",
        "aof-use-rdb-preamble yes",
        # No RDB save points: the AOF's base file already is an RDB snapshot (the preamble),
        # full syncs stream diskless, and each save point would fork about once a minute
        # under write load, doubling the copy-on-write the AOF rewrites already cost.
        'save ""',
    ]


def _auth(layout: NodeLayout) -> list[str]:
    # Users and masterauth come from a file mounted from the Secret: no password in this text.
    return [f"masteruser {ADMIN_USER}", f"include {layout.secrets_dir}/{REDIS_AUTH_FILE}"]


def _diskless_sync(replicas: int) -> list[str]:
    # Stream full syncs straight to the socket, and start as soon as every replica asked,
    # rather than always waiting out the delay for late-comers.
    return [
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 5",
        f"repl-diskless-sync-max-replicas {replicas}",
    ]


def _memory(settings: RedisClusterSettings | RedisSentinelSettings, memory: RedisMemory) -> list[str]:
    # Sized by components/redis_memory.py from the container's limit.
    replication = memory.replication_mb
    return [
        f"maxmemory {memory.maxmemory_mb}mb",
        f"maxmemory-policy {settings.maxmemory_policy}",
        # A replica that falls this far behind is cut off (and resyncs) rather than grow the
        # shared replication buffer past its share of the container.
        f"client-output-buffer-limit replica {replication}mb {replication // 2}mb 60",
        f"repl-backlog-size {memory.backlog_mb}mb",
    ]


def _node_conf(
    title: str,
    role: list[str],
    settings: RedisClusterSettings | RedisSentinelSettings,
    *,
    memory: RedisMemory,
    persistence: bool,
    layout: NodeLayout,
) -> str:
    sections = [_network(layout), role, _persistence(persistence), _memory(settings, memory), _auth(layout)]
    return _join(title, sections)


def render_cluster_node_conf(
    settings: RedisClusterSettings, *, memory: RedisMemory, persistence: bool, layout: NodeLayout
) -> str:
    """redis.conf of a Redis Cluster node (every node of the cluster runs the same text)."""
    cluster = [
        "cluster-enabled yes",
        # On the data volume, so a restarted pod keeps its identity, slots and epoch.
        "cluster-config-file nodes.conf",
        f"cluster-node-timeout {settings.node_timeout_ms}",
        f"cluster-port {layout.bus_port}",
        # Nodes announce a stable name: a pod that returns with a new IP still rejoins.
        "cluster-preferred-endpoint-type hostname",
        # A cache: while one shard has no master (the seconds until its replica takes over,
        # or until an operator acts when it has none), the other shards keep serving their
        # keys; only the lost shard's keys fail. With "yes" every node would answer
        # CLUSTERDOWN to every command for that time, a whole-cache outage for one lost node.
        # The trade-off: a client can read and write a partial cache, which is what a cache
        # is for; no data that must be complete lives here (sessions are in the Sentinel
        # group, which has no shards).
        "cluster-require-full-coverage no",
        "cluster-replica-validity-factor 10",
        "cluster-migration-barrier 1",
        *_diskless_sync(settings.replicas_per_master),
    ]
    if layout.announce_host:
        cluster.append(f"cluster-announce-hostname {layout.announce_host}")
    return _node_conf(
        "Redis Cluster node", cluster, settings, memory=memory, persistence=persistence, layout=layout
    )


def render_sentinel_data_conf(
    settings: RedisSentinelSettings, *, memory: RedisMemory, persistence: bool, layout: NodeLayout
) -> str:
    """redis.conf of a data node in the Sentinel group; whom it replicates is decided at start."""
    replication = [
        # A replica keeps serving (possibly stale) reads while its primary is away.
        "replica-serve-stale-data yes",
        "replica-read-only yes",
        # A session written only to the primary is lost if it dies before replicating: refuse
        # writes while no replica is within 10 s. Trade-off: with every replica down, session
        # writes fail (NOREPLICAS) until one returns, rather than being silently at risk.
        "min-replicas-to-write 1",
        "min-replicas-max-lag 10",
        *_diskless_sync(settings.data_nodes - 1),
    ]
    if layout.announce_host:
        replication.append(f"replica-announce-ip {layout.announce_host}")
    title = f"data node of the Sentinel group {settings.master_name!r}"
    return _node_conf(title, replication, settings, memory=memory, persistence=persistence, layout=layout)


def render_redis_auth_conf(passwords: RedisPasswords) -> str:
    """The included auth file (lives only in the Secret): ACL users and replication auth."""
    lines = [
        "# Nobody connects anonymously.",
        "user default off",
        f"user {ADMIN_USER} on {passwords.admin_hashes} ~* &* +@all",
        # The services' user: data commands only; no FLUSHALL, CONFIG, DEBUG, KEYS, ...
        f"user {APP_USER} on #{password_hash(passwords.app)} ~* &* +@all -@dangerous",
        f"user {METRICS_USER} on #{password_hash(passwords.metrics)} resetkeys -@all {METRICS_COMMANDS}",
        f"masterauth {config_string(passwords.admin)}",
    ]
    return "\n".join(lines) + "\n"


def _join(title: str, sections: list[list[str]]) -> str:
    lines = [f"# {title}: rendered by the technovastore-scaling program; do not edit."]
    for section in sections:
        lines.append("")
        lines.extend(section)
    return "\n".join(lines) + "\n"
