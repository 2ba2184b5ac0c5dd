"""Shell scripts the Redis pods and the bootstrap Job run (POSIX sh, redis-cli).

Every script authenticates as the admin user with the password in ``REDISCLI_AUTH`` (set
from the Secret), so no password is ever on a command line. Addresses are rendered in:
pod DNS names in Kubernetes, loopback ports in the tests.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from components.render.redis_layout import ADMIN_USER

Address = tuple[str, int]

# Runs redis-cli against "host:port" as the admin user, never hanging on a dead peer.
_CLI_FUNCTION = """\
cli() {
  node="$1"; shift
  timeout 5 redis-cli --no-auth-warning --user "$ADMIN_USER" -h "${node%:*}" -p "${node##*:}" "$@"
}
"""

# Prints "host port" of the primary named by the answering Sentinel with the newest
# configuration (highest config-epoch); fails if none answers. Right after a failover only
# the leader names the promoted replica, the others still name the old primary until its
# hello message reaches them: the first answer can be stale, and a restarted old primary
# that believed it would come back as a second primary. The epoch is read before the
# address, so the address is never older than the epoch it is ranked by.
_CURRENT_PRIMARY_FUNCTION = """\
current_primary() {
  best_epoch=-1; best=""
  for sentinel in $SENTINELS; do
    epoch=$(cli "$sentinel" SENTINEL MASTER "$MASTER_NAME" 2>/dev/null | tr -d '\\r' \\
      | sed -n '/^config-epoch$/{n;p;}') || continue
    case "$epoch" in ''|*[!0-9]*) continue ;; esac
    reply=$(cli "$sentinel" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME" 2>/dev/null) || continue
    reply=$(printf '%s\\n' "$reply" | tr -d '\\r')
    host=$(printf '%s\\n' "$reply" | sed -n 1p)
    port=$(printf '%s\\n' "$reply" | sed -n 2p)
    case "$port" in ''|*[!0-9]*) continue ;; esac
    [ -n "$host" ] && [ "$epoch" -gt "$best_epoch" ] && { best_epoch=$epoch; best="$host $port"; }
  done
  [ -n "$best" ] && echo "$best"
}
"""


def _addresses(addresses: Sequence[Address]) -> str:
    return " ".join(f"{host}:{port}" for host, port in addresses)


def _header(purpose: str, variables: dict[str, str | int]) -> str:
    variables = {"ADMIN_USER": ADMIN_USER, **variables}
    assignments = "\n".join(f"{name}={shlex.quote(str(value))}" for name, value in variables.items())
    return f"#!/bin/sh\n# {purpose}\nset -eu\n{assignments}\n{_CLI_FUNCTION}"


def render_cluster_bootstrap_script(
    nodes: Sequence[Address], *, replicas_per_master: int, wait_seconds: int
) -> str:
    """Forms the cluster when no node serves slots yet; otherwise changes nothing.

    Safe to re-run after any restart: once formed, every node keeps its slots in nodes.conf.
    """
    header = _header(
        "Forms the Redis Cluster once; idempotent.",
        {"NODES": _addresses(nodes), "REPLICAS": replicas_per_master, "WAIT_SECONDS": wait_seconds},
    )
    body = """
deadline=$(( $(date +%s) + WAIT_SECONDS ))
give_up() { echo "bootstrap: $1" >&2; exit 1; }

for node in $NODES; do
  until [ "$(cli "$node" PING 2>/dev/null)" = PONG ]; do
    [ "$(date +%s)" -lt "$deadline" ] || give_up "$node does not answer after $WAIT_SECONDS s"
    sleep 0.5
  done
done

for node in $NODES; do
  assigned=$(cli "$node" CLUSTER INFO | tr -d '\\r' | sed -n 's/^cluster_slots_assigned://p')
  if [ "${assigned:-0}" != 0 ]; then
    echo "bootstrap: cluster already formed ($node knows $assigned assigned slots); nothing to change"
    exit 0
  fi
done

echo "bootstrap: no node serves slots; creating the cluster"
# shellcheck disable=SC2086  # NODES is a list of host:port words
timeout "$WAIT_SECONDS" redis-cli --no-auth-warning --user "$ADMIN_USER" \\
  --cluster create $NODES --cluster-replicas "$REPLICAS" --cluster-yes

for node in $NODES; do
  until cli "$node" CLUSTER INFO | grep -q '^cluster_state:ok'; do
    [ "$(date +%s)" -lt "$deadline" ] || give_up "$node does not report cluster_state:ok"
    sleep 0.5
  done
done
echo "bootstrap: cluster formed"
"""
    return header + body


def render_data_node_start_script(
    *,
    master_name: str,
    sentinels: Sequence[Address],
    first_node: Address,
    port: int,
    config_file: str,
) -> str:
    """Starts a data node of the Sentinel group as the primary or as a replica of it.

    The primary is whoever the Sentinels name; when none answers (first start of the
    group), pod 0 is the primary and the others replicate it. ``ANNOUNCE_HOST`` is this
    pod's stable name, compared with the primary's and announced to the Sentinels.
    """
    header = _header(
        f"Starts a data node of the Sentinel group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            "SENTINELS": _addresses(sentinels),
            "FIRST_NODE": f"{first_node[0]} {first_node[1]}",
            "PORT": port,
            "CONFIG_FILE": config_file,
        },
    )
    body = """
primary=$(current_primary) || primary="$FIRST_NODE"
set -- "$CONFIG_FILE" --replica-announce-ip "$ANNOUNCE_HOST"
if [ "$primary" = "$ANNOUNCE_HOST $PORT" ]; then
  echo "start: $ANNOUNCE_HOST is the primary"
  exec redis-server "$@"
fi
echo "start: replica of $primary"
# shellcheck disable=SC2086  # primary is "host port"
exec redis-server "$@" --replicaof $primary
"""
    return header + _CURRENT_PRIMARY_FUNCTION + body


def render_sentinel_start_script(
    *,
    master_name: str,
    quorum: int,
    sentinels: Sequence[Address],
    template_file: str,
    runtime_file: str,
) -> str:
    """Starts a Sentinel that monitors the current primary (pod 0 when nobody knows one).

    Sentinel rewrites its config file, so the rendered one is copied to ``runtime_file``.
    """
    header = _header(
        f"Starts a Sentinel of the group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            "QUORUM": quorum,
            "SENTINELS": _addresses(sentinels),
            "TEMPLATE_FILE": template_file,
            "RUNTIME_FILE": runtime_file,
        },
    )
    body = """
if primary=$(current_primary); then
  echo "start: the Sentinels name $primary as primary"
  sed "s/^sentinel monitor $MASTER_NAME .*/sentinel monitor $MASTER_NAME $primary $QUORUM/" \\
    "$TEMPLATE_FILE" > "$RUNTIME_FILE"
else
  echo "start: no Sentinel answers; monitoring the group's first node"
  # Not cp: it would copy the mounted template's read-only mode, and Sentinel (a non-root
  # user) must append below and rewrite the file later.
  cat "$TEMPLATE_FILE" > "$RUNTIME_FILE"
fi
echo "sentinel announce-ip $ANNOUNCE_HOST" >> "$RUNTIME_FILE"
exec redis-sentinel "$RUNTIME_FILE"
"""
    return header + _CURRENT_PRIMARY_FUNCTION + body


def render_data_node_prestop_script(
    *, master_name: str, sentinels: Sequence[Address], port: int, wait_seconds: int
) -> str:
    """Before a planned stop, a primary asks the Sentinels to fail over and waits for it."""
    header = _header(
        f"preStop of a data node of the Sentinel group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            "SENTINELS": _addresses(sentinels),
            "SELF": f"127.0.0.1:{port}",
            "WAIT_SECONDS": wait_seconds,
        },
    )
    body = """
is_primary() { cli "$SELF" ROLE 2>/dev/null | head -n 1 | tr -d '\\r' | grep -qx master; }

is_primary || exit 0
for sentinel in $SENTINELS; do
  if cli "$sentinel" SENTINEL FAILOVER "$MASTER_NAME" 2>/dev/null | grep -q OK; then
    echo "prestop: $sentinel started a failover"
    break
  fi
done
deadline=$(( $(date +%s) + WAIT_SECONDS ))
while is_primary && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
"""
    return header + body


def render_liveness_script(*, port: int) -> str:
    """Alive while the server answers PING, also while it is still loading its data."""
    header = _header("Liveness: the server answers.", {"SELF": f"127.0.0.1:{port}"})
    body = """
reply=$(cli "$SELF" PING 2>&1 | tr -d '\\r') || true
case "$reply" in PONG|LOADING*) exit 0 ;; esac
echo "liveness: $reply" >&2
exit 1
"""
    return header + body


def render_cluster_readiness_script(*, port: int) -> str:
    """Ready only while the node serves a healthy cluster (cluster_state:ok).

    Before the bootstrap Job formed the cluster no node is ready, and nothing waits on that:
    the Job reaches the nodes through the headless Service, which publishes unready pods. A
    node that came back with an empty volume stays unready: visible, and out of the client
    Service, instead of answering clients with CLUSTERDOWN.
    """
    header = _header("Readiness of a Redis Cluster node.", {"SELF": f"127.0.0.1:{port}"})
    body = """
cli "$SELF" CLUSTER INFO | tr -d '\\r' | grep -qx 'cluster_state:ok'
"""
    return header + body


def render_data_node_readiness_script(*, port: int) -> str:
    """Ready as primary, or as a replica whose link to the primary is up."""
    header = _header("Readiness of a Sentinel-group data node.", {"SELF": f"127.0.0.1:{port}"})
    body = """
info=$(cli "$SELF" INFO replication | tr -d '\\r') || exit 1
if printf '%s\\n' "$info" | grep -qx 'role:master'; then exit 0; fi
printf '%s\\n' "$info" | grep -qx 'master_link_status:up'
"""
    return header + body


def render_sentinel_readiness_script(*, master_name: str, port: int) -> str:
    """Ready while this Sentinel monitors the group and can name its primary."""
    header = _header("Readiness of a Sentinel.", {"SELF": f"127.0.0.1:{port}", "MASTER_NAME": master_name})
    body = """
reply=$(cli "$SELF" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME" | tr -d '\\r') || exit 1
[ "$(printf '%s\\n' "$reply" | grep -c .)" -eq 2 ]
"""
    return header + body
