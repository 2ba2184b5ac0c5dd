"""The drain Job's script: before pods are removed (fewer masters), their slots and nodes go.

Runs before the StatefulSet is changed (the StatefulSet depends on this Job), so lowering
``masters`` moves every slot off the pods that are about to go while they still serve, and
only then are they removed. POSIX sh with redis-cli, authenticating as the admin user with
``REDISCLI_AUTH``.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.render.redis_cluster_scripts import RESOLVE_FUNCTION
from components.render.redis_scripts import Address, addresses, script_header


def render_cluster_drain_script(nodes: Sequence[Address], *, wait_seconds: int) -> str:
    """Empties and removes every cluster node whose announced name is not in ``nodes``.

    ``nodes`` are the pods that stay. The leaving masters give all their slots to the others
    (``rebalance --cluster-weight <id>=0``: keys move with MIGRATE while clients keep working,
    following ``ASK``/``MOVED``), then every leaving node is removed (``del-node``). Nothing
    leaves on a first deployment (no node answers yet) or when ``masters`` grows: then it
    changes nothing and exits 0, and the bootstrap Job adds what is new.
    """
    header = script_header(
        "Drains the cluster nodes that are about to be removed; idempotent.",
        {"NODES": addresses(nodes), "WAIT_SECONDS": wait_seconds},
    )
    body = """
admin_cli() { timeout "$WAIT_SECONDS" redis-cli --no-auth-warning --user "$ADMIN_USER" "$@"; }

names=""; reference=""
for node in $NODES; do
  names="$names ${node%:*}"
  [ -z "$reference" ] || continue
  ip=$(resolve "${node%:*}") || continue
  cli "$ip:${node##*:}" CLUSTER INFO 2>/dev/null | tr -d '\\r' | grep -qx 'cluster_state:ok' \\
    && reference="$ip:${node##*:}"
done
if [ -z "$reference" ]; then
  echo "drain: no node of a formed cluster answers (first deployment); nothing to drain"
  exit 0
fi

# "<id> slots|empty" for every node whose announced name is not one of the staying pods.
leaving=$(cli "$reference" CLUSTER NODES | tr -d '\\r' | awk -v names=" $names " '
  { name = $2; sub(/^[^,]*,?/, "", name) }
  name != "" && index(names, " " name " ") == 0 { print $1, (NF > 8) ? "slots" : "empty" }')
if [ -z "$leaving" ]; then
  echo "drain: every node of the cluster stays; nothing to drain"
  exit 0
fi

weights=$(printf '%s\\n' "$leaving" | awk '$2 == "slots" {print $1 "=0"}')
if [ -n "$weights" ]; then
  echo "drain: moving every slot off the leaving masters:" $weights
  # shellcheck disable=SC2086  # one id=0 word per leaving master
  admin_cli --cluster rebalance "$reference" --cluster-weight $weights
fi
for id in $(printf '%s\\n' "$leaving" | awk '{print $1}'); do
  echo "drain: removing $id from the cluster"
  admin_cli --cluster del-node "$reference" "$id"
done
echo "drain: done"
"""
    return header + RESOLVE_FUNCTION + body
