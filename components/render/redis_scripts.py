"""Shell scripts of the Sentinel group's pods, and what every Redis script shares (POSIX sh, redis-cli).

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


# Prints "host port" of the data node that serves as primary: the one that says role:master,
# and of several (an old primary restarted before the Sentinels converted it) the one with
# the most replicas attached; fails if no data node answers as master.
_SERVING_PRIMARY_FUNCTION = """\
serving_primary() {
  best=""; most=-1
  for node in $DATA_NODES; do
    info=$(cli "$node" INFO replication 2>/dev/null | tr -d '\\r') || continue
    printf '%s\\n' "$info" | grep -qx 'role:master' || continue
    replicas=$(printf '%s\\n' "$info" | sed -n 's/^connected_slaves://p')
    [ "${replicas:-0}" -gt "$most" ] && { most=${replicas:-0}; best="${node%:*} ${node##*:}"; }
  done
  [ -n "$best" ] && echo "$best"
}
"""

# The primary, from whoever knows best: the data nodes themselves, else the Sentinels, else
# nobody knows (the group's first start) and it is the first data node. Asking the data
# nodes first matters when every Sentinel restarts at once after a failover: none of them
# knows the primary any more, and a Sentinel that fell back to pod 0 (a replica by then)
# would have all of them agree on it, find it down and abort every failover.
_FIND_PRIMARY_FUNCTION = """\
find_primary() {
  serving_primary || current_primary || echo "$FIRST_NODE"
}
"""


def addresses(nodes: Sequence[Address]) -> str:
    """The ``host:port`` words of a script's node list."""
    return " ".join(f"{host}:{port}" for host, port in nodes)


def script_header(purpose: str, variables: dict[str, str | int]) -> str:
    """The shebang, the purpose, the quoted variables and the ``cli`` function."""
    variables = {"ADMIN_USER": ADMIN_USER, **variables}
    assignments = "\n".join(f"{name}={shlex.quote(str(value))}" for name, value in variables.items())
    return f"#!/bin/sh\n# {purpose}\nset -eu\n{assignments}\n{_CLI_FUNCTION}"


def _primary_finder(data_nodes: Sequence[Address], sentinels: Sequence[Address]) -> dict[str, str | int]:
    first_host, first_port = data_nodes[0]
    return {
        "DATA_NODES": addresses(data_nodes),
        "SENTINELS": addresses(sentinels),
        "FIRST_NODE": f"{first_host} {first_port}",
    }


_PRIMARY_FUNCTIONS = _SERVING_PRIMARY_FUNCTION + _CURRENT_PRIMARY_FUNCTION + _FIND_PRIMARY_FUNCTION


def render_data_node_start_script(
    *,
    master_name: str,
    sentinels: Sequence[Address],
    data_nodes: Sequence[Address],
    port: int,
    config_file: str,
) -> str:
    """Starts a data node of the Sentinel group as the primary or as a replica of it.

    The primary is the data node serving as one, else whom the Sentinels name, else (the
    group's first start) pod 0. ``ANNOUNCE_HOST`` is this pod's stable name, compared with
    the primary's and announced to the Sentinels.
    """
    header = script_header(
        f"Starts a data node of the Sentinel group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            **_primary_finder(data_nodes, sentinels),
            "PORT": port,
            "CONFIG_FILE": config_file,
        },
    )
    body = """
primary=$(find_primary)
set -- "$CONFIG_FILE" --replica-announce-ip "$ANNOUNCE_HOST"
if [ "$primary" = "$ANNOUNCE_HOST $PORT" ]; then
  echo "start: $ANNOUNCE_HOST is the primary"
  exec redis-server "$@"
fi
echo "start: replica of $primary"
# shellcheck disable=SC2086  # primary is "host port"
exec redis-server "$@" --replicaof $primary
"""
    return header + _PRIMARY_FUNCTIONS + body


# What a Sentinel learned and must keep across restarts: its identity, the epochs, the
# replicas and Sentinels it knows. Never the auth lines it also writes into its file.
_STATE_LINES = "^sentinel (myid|current-epoch|config-epoch|leader-epoch|known-replica|known-sentinel) "


def render_sentinel_start_script(
    *,
    master_name: str,
    quorum: int,
    sentinels: Sequence[Address],
    data_nodes: Sequence[Address],
    template_file: str,
    runtime_file: str,
    state_file: str,
) -> str:
    """Starts a Sentinel that monitors the current primary, with what it learned before.

    Sentinel rewrites its config file, passwords included (the included auth file's lines
    are written back into it), so that file lives in memory at ``runtime_file``, copied
    from the rendered one. Its state lines (id, epochs, known replicas and Sentinels) are
    copied every few seconds to ``state_file`` on the persistent volume and put back at the
    next start, so a restarted Sentinel keeps its identity and epochs; no password reaches
    the disk. The monitored primary is found afresh: the data node serving as primary,
    else whom the other Sentinels name, else pod 0.
    """
    header = script_header(
        f"Starts a Sentinel of the group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            "QUORUM": quorum,
            **_primary_finder(data_nodes, sentinels),
            "TEMPLATE_FILE": template_file,
            "RUNTIME_FILE": runtime_file,
            "STATE_FILE": state_file,
            "STATE_LINES": _STATE_LINES,
        },
    )
    body = """
primary=$(find_primary)
echo "start: monitoring $primary as primary"
sed "s/^sentinel monitor $MASTER_NAME .*/sentinel monitor $MASTER_NAME $primary $QUORUM/" \\
  "$TEMPLATE_FILE" > "$RUNTIME_FILE"
if [ -s "$STATE_FILE" ]; then
  echo "start: restoring the state saved in $STATE_FILE"
  # The primary is no replica of itself, whatever the saved state remembers.
  grep -E "$STATE_LINES" "$STATE_FILE" | grep -vx "sentinel known-replica $MASTER_NAME $primary" \\
    >> "$RUNTIME_FILE" || true
fi
echo "sentinel announce-ip $ANNOUNCE_HOST" >> "$RUNTIME_FILE"

save_state() {
  while sleep 2; do
    grep -E "$STATE_LINES" "$RUNTIME_FILE" > "$STATE_FILE.tmp" && mv "$STATE_FILE.tmp" "$STATE_FILE"
  done
}
save_state &
exec redis-sentinel "$RUNTIME_FILE"
"""
    return header + _PRIMARY_FUNCTIONS + body


def render_data_node_prestop_script(
    *, master_name: str, sentinels: Sequence[Address], port: int, wait_seconds: int
) -> str:
    """Before a planned stop, a primary asks the Sentinels to fail over and waits for it.

    It waits until the Sentinels name another primary (clients follow from then on), not
    until it is itself converted to a replica, which Sentinel does only after some INFO
    periods: the pod stops as soon as nobody is sent to it any more.
    """
    header = script_header(
        f"preStop of a data node of the Sentinel group {master_name!r}.",
        {
            "MASTER_NAME": master_name,
            "SENTINELS": addresses(sentinels),
            "SELF": f"127.0.0.1:{port}",
            "PORT": port,
            "WAIT_SECONDS": wait_seconds,
        },
    )
    body = """
is_primary() { cli "$SELF" ROLE 2>/dev/null | head -n 1 | tr -d '\\r' | grep -qx master; }

is_primary || exit 0
deadline=$(( $(date +%s) + WAIT_SECONDS ))
# A replica restarted moments ago (a roll restarts them first) is not yet a candidate for the
# Sentinels ("NOGOODSLAVE") until they refreshed its INFO: ask again until one accepts.
started=""
while [ -z "$started" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  for sentinel in $SENTINELS; do
    if cli "$sentinel" SENTINEL FAILOVER "$MASTER_NAME" 2>/dev/null | grep -q OK; then
      echo "prestop: $sentinel started a failover"
      started=yes
      break
    fi
  done
  [ -n "$started" ] || sleep 1
done
while [ "$(current_primary)" = "$ANNOUNCE_HOST $PORT" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 0.2
done
"""
    return header + _CURRENT_PRIMARY_FUNCTION + body


def render_liveness_script(*, port: int) -> str:
    """Alive while the server answers PING, also while it is still loading its data."""
    header = script_header("Liveness: the server answers.", {"SELF": f"127.0.0.1:{port}"})
    body = """
reply=$(cli "$SELF" PING 2>&1 | tr -d '\\r') || true
case "$reply" in PONG|LOADING*) exit 0 ;; esac
echo "liveness: $reply" >&2
exit 1
"""
    return header + body


def render_data_node_readiness_script(*, port: int) -> str:
    """Ready as primary, or as a replica whose link to the primary is up."""
    header = script_header("Readiness of a Sentinel-group data node.", {"SELF": f"127.0.0.1:{port}"})
    body = """
info=$(cli "$SELF" INFO replication | tr -d '\\r') || exit 1
if printf '%s\\n' "$info" | grep -qx 'role:master'; then exit 0; fi
printf '%s\\n' "$info" | grep -qx 'master_link_status:up'
"""
    return header + body


def render_sentinel_readiness_script(*, master_name: str, port: int) -> str:
    """Ready while this Sentinel monitors the group and can name its primary."""
    header = script_header(
        "Readiness of a Sentinel.", {"SELF": f"127.0.0.1:{port}", "MASTER_NAME": master_name}
    )
    body = """
reply=$(cli "$SELF" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME" | tr -d '\\r') || exit 1
[ "$(printf '%s\\n' "$reply" | grep -c .)" -eq 2 ]
"""
    return header + body
