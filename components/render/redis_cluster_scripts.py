"""Shell scripts of the Redis Cluster: a node's start and preStop, its readiness, the bootstrap Job.

POSIX sh with redis-cli, getent and awk (all in the Redis image), authenticating as the admin
user with the password in ``REDISCLI_AUTH``. Node addresses are rendered in: pod DNS names in
Kubernetes, names of a private hosts file in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.render.redis_scripts import Address, addresses, script_header

# Prints the first IPv4/IPv6 address the C library resolves for a name (as redis does).
RESOLVE_FUNCTION = """\
resolve() {
  # shellcheck disable=SC2046  # word-split getent's "address name..." answer
  set -- $(getent hosts "$1" 2>/dev/null)
  [ "$#" -gt 0 ] && echo "$1"
}
"""


def render_cluster_node_start_script(*, config_file: str, data_dir: str, resolve_seconds: int) -> str:
    """Starts a cluster node after pointing its saved peers at their current addresses.

    ``nodes.conf`` keeps each peer's IP next to its announced name, and the cluster bus
    connects to the IP only: after a restart in which pods got new IPs (every pod, on a
    full restart) no node would reach any other. Before the server starts, each peer's name
    is resolved again (waiting up to ``resolve_seconds`` in all for pods not yet in DNS) and
    its line rewritten; a peer still unresolved keeps its old address and is corrected by
    gossip from the nodes that reach it. The node list is not rendered in: adding masters
    changes nothing this script says, so existing pods do not roll for it.
    """
    header = script_header(
        "Starts a Redis Cluster node with its peers' current addresses in nodes.conf.",
        {
            "CONFIG_FILE": config_file,
            "NODES_CONF": f"{data_dir}/nodes.conf",
            "RESOLVE_SECONDS": resolve_seconds,
        },
    )
    body = """
deadline=$(( $(date +%s) + RESOLVE_SECONDS ))

current_address() {
  until resolve "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# A line is "<id> <ip>:<port>@<bus port>,<name> <flags> ..."; only the ip changes.
repair_nodes_conf() {
  repaired="$NODES_CONF.repaired"
  : > "$repaired"
  while read -r id endpoint rest; do
    case "$endpoint" in
      *:*@*,?*)
        name=${endpoint##*,}; bus=${endpoint%%,*}; old=${bus%:*}
        if ip=$(current_address "$name"); then
          [ "$ip" = "$old" ] || echo "start: $name moved from ${old:-?} to $ip"
          endpoint="$ip:${bus##*:},$name"
        else
          echo "start: $name does not resolve; gossip will correct ${old:-its address}"
        fi ;;
    esac
    printf '%s %s %s\\n' "$id" "$endpoint" "$rest" >> "$repaired"
  done < "$NODES_CONF"
  mv "$repaired" "$NODES_CONF"
}

[ -s "$NODES_CONF" ] && repair_nodes_conf
exec redis-server "$CONFIG_FILE" --cluster-announce-hostname "$ANNOUNCE_HOST"
"""
    return header + RESOLVE_FUNCTION + body


# Parses CLUSTER NODES into one line per node:
#   master <id> <ip:port> <replicas> <slots: yes|no>   |   replica <id> <ip:port> <master id>
# Nodes flagged fail, handshake or noaddr are left out: they are not part of the cluster yet.
CLUSTER_VIEW_FUNCTION = """\
cluster_view() {
  cli "$1" CLUSTER NODES | tr -d '\\r' | awk '
    $3 ~ /fail|handshake|noaddr/ { next }
    { address = $2; sub(/@.*/, "", address) }
    $3 ~ /master/ { master[$1] = address; slots[$1] = (NF > 8) ? "yes" : "no"; next }
    $3 ~ /slave/ { replica[$1] = address; of[$1] = $4; count[$4]++ }
    END {
      for (id in master) print "master", id, master[id], count[id] + 0, slots[id]
      for (id in replica) print "replica", id, replica[id], of[id]
    }'
}
"""


def render_cluster_bootstrap_script(
    nodes: Sequence[Address], *, masters: int, replicas_per_master: int, wait_seconds: int
) -> str:
    """Forms the cluster, or completes it to ``masters`` masters with ``replicas_per_master`` each.

    Formed means what ``redis-cli --cluster check`` calls clean (every slot covered, nodes
    agree, nothing migrating) and the expected shape: that is the only state in which it
    exits 0 without acting. Otherwise: no node serves slots yet, so the cluster is created;
    or it completes what is there, whatever an earlier run or a change of ``masters`` left:
    a node that is not in the cluster is met, the missing masters are taken from the empty
    nodes and given slots (``rebalance --cluster-use-empty-masters``), every other empty
    node replicates the master with the fewest replicas, and a master with more replicas
    than expected hands one to a master with fewer. More masters serving slots than
    expected is refused: the drain Job (redis_cluster_drain.py) moves them away before pods go.
    """
    header = script_header(
        "Forms or completes the Redis Cluster; idempotent.",
        {
            "NODES": addresses(nodes),
            "MASTERS": masters,
            "REPLICAS": replicas_per_master,
            "WAIT_SECONDS": wait_seconds,
        },
    )
    body = """
deadline=$(( $(date +%s) + WAIT_SECONDS ))
give_up() { echo "bootstrap: $1" >&2; exit 1; }
before_deadline() { [ "$(date +%s)" -lt "$deadline" ] || give_up "$1"; sleep 0.5; }

endpoints=""
for node in $NODES; do
  until [ "$(cli "$node" PING 2>/dev/null)" = PONG ]; do before_deadline "$node does not answer"; done
  ip=$(resolve "${node%:*}") || give_up "${node%:*} does not resolve"
  endpoints="$endpoints $ip:${node##*:}"
done

has_slots() { cli "$1" CLUSTER INFO | tr -d '\\r' | grep -q '^cluster_slots_assigned:[1-9]'; }
myid() { cli "$1" CLUSTER MYID | tr -d '\\r'; }
bus_port() {
  port=$(cli "$1" CONFIG GET cluster-port | tr -d '\\r' | sed -n 2p)
  [ "${port:-0}" != 0 ] && echo "$port" || echo $(( ${1##*:} + 10000 ))
}

shape_ok() {
  view=$(cluster_view "$1")
  [ "$(printf '%s\\n' "$view" | grep -c '^master .* yes$')" -eq "$MASTERS" ] || return 1
  [ "$(printf '%s\\n' "$view" | grep -c '^replica ')" -eq $(( MASTERS * REPLICAS )) ] || return 1
  ! printf '%s\\n' "$view" | awk -v r="$REPLICAS" '$1 == "master" && ($5 == "no" || $4 != r)' | grep -q .
}

all_ok() {
  for endpoint in $endpoints; do
    cli "$endpoint" CLUSTER INFO | tr -d '\\r' | grep -qx 'cluster_state:ok' || return 1
  done
}

formed() {
  all_ok || return 1
  shape_ok "$1" || return 1
  check=$(redis-cli --no-auth-warning --user "$ADMIN_USER" --cluster check "$1" 2>&1) || return 1
  ! printf '%s\\n' "$check" | grep -q -e '^\\[ERR\\]' -e '^\\[WARNING\\]'
}

create() {
  for endpoint in $endpoints; do
    # A node that met others in an interrupted earlier run has no slots and no keys yet:
    # forget that, or --cluster create refuses it as "not empty".
    known=$(cli "$endpoint" CLUSTER INFO | tr -d '\\r' | sed -n 's/^cluster_known_nodes://p')
    [ "${known:-1}" = 1 ] || cli "$endpoint" CLUSTER RESET HARD > /dev/null
  done
  echo "bootstrap: no node serves slots; creating the cluster"
  # shellcheck disable=SC2086  # endpoints is a list of ip:port words
  timeout "$WAIT_SECONDS" redis-cli --no-auth-warning --user "$ADMIN_USER" \\
    --cluster create $endpoints --cluster-replicas "$REPLICAS" --cluster-yes
}

meet_strangers() {
  known=$(cluster_view "$1" | awk '{print $2}')
  for endpoint in $endpoints; do
    id=$(myid "$endpoint")
    printf '%s\\n' "$known" | grep -qx "$id" && continue
    echo "bootstrap: $endpoint ($id) is not in the cluster; meeting it"
    cli "$1" CLUSTER MEET "${endpoint%:*}" "${endpoint##*:}" "$(bus_port "$endpoint")" > /dev/null
    until cluster_view "$1" | awk '{print $2}' | grep -qx "$id"; do
      before_deadline "$endpoint never joined"
    done
  done
}

# The master (serving slots, or named in $2) with the fewest replicas, as a cluster_view line.
fewest_replicas() {
  cluster_view "$1" | awk -v also="$2" '$1 == "master" && ($5 == "yes" || index(also, $2))' \\
    | sort -k4,4n | head -n 1
}

replicate() {
  # $1 endpoint of the node, $2 master id: wait until the node knows the master, then follow it.
  until cli "$1" CLUSTER NODES | grep -q "^$2 "; do before_deadline "$1 never learned of $2"; done
  echo "bootstrap: $1 now replicates $2"
  reply=$(cli "$1" CLUSTER REPLICATE "$2" | tr -d '\\r')
  [ "$reply" = OK ] || give_up "$1 refused to replicate $2: $reply"
  # Wait until the reference sees it as a replica, so the next choice of the neediest master
  # counts it. Of whom: the cluster may already have migrated it to an orphaned master.
  node=$(myid "$1")
  until cluster_view "$reference" | grep -q "^replica $node "; do
    before_deadline "$reference never saw $1 become a replica"
  done
}

# What a node says of itself, never a peer's possibly older view of it.
owns_slots() { cli "$1" CLUSTER NODES | tr -d '\\r' | awk '$3 ~ /myself/ { exit (NF > 8) ? 0 : 1 }'; }
# A replica of a master that serves slots (not of one removed from the cluster).
follows_a_master() {
  master=$(cli "$1" CLUSTER NODES | tr -d '\\r' | awk '$3 ~ /myself/ && $3 ~ /slave/ {print $4}')
  [ -n "$master" ] && cluster_view "$reference" | grep -q "^master $master .* yes$"
}
knows_everyone() {
  for endpoint in $endpoints; do
    [ "$(cluster_view "$endpoint" | wc -l)" -ge "$(echo $endpoints | wc -w)" ] || return 1
  done
}

complete() {
  reference=$1
  meet_strangers "$reference"
  until knows_everyone; do before_deadline "the nodes do not all know each other"; done
  serving=0; empty=""
  for endpoint in $endpoints; do
    if owns_slots "$endpoint"; then serving=$(( serving + 1 ))
    elif ! follows_a_master "$endpoint"; then empty="$empty $endpoint"; fi
  done
  [ "$serving" -le "$MASTERS" ] || give_up "$serving masters serve slots, the settings want $MASTERS: \\
the drain Job moves their slots away first (README: Redis, adding and removing masters)"
  promoted=""; wanted=$(( MASTERS - serving ))
  for endpoint in $empty; do
    if [ "$wanted" -gt 0 ]; then
      promoted="$promoted $(myid "$endpoint")"; wanted=$(( wanted - 1 ))
      continue
    fi
    set -- $(fewest_replicas "$reference" "$promoted")
    replicate "$endpoint" "$2"
  done
  if [ -n "$promoted" ]; then
    # A node that just joined reports cluster_state:fail until it learned every slot's owner,
    # and refuses the first MIGRATE with CLUSTERDOWN: wait until every node serves.
    until all_ok; do before_deadline "not every node reports cluster_state:ok"; done
    echo "bootstrap: moving slots to the new masters:$promoted"
    redis-cli --no-auth-warning --user "$ADMIN_USER" --cluster rebalance "$reference" \\
      --cluster-use-empty-masters
  fi
}

# A master with more replicas than expected (an empty node given to it from a stale view, a
# replica the cluster migrated) hands one to a master with fewer. Views lag behind changes,
# so this runs on every round of the final wait until the cluster is formed.
balance_replicas() {
  view=$(cluster_view "$reference")
  crowded=$(printf '%s\\n' "$view" | awk -v r="$REPLICAS" '$1 == "master" && $4 > r {print $2; exit}')
  [ -n "$crowded" ] || return 0
  set -- $(printf '%s\\n' "$view" | awk '$1 == "master" && $5 == "yes"' | sort -k4,4n | head -n 1)
  [ "$4" -lt "$REPLICAS" ] || return 0
  spare=$(printf '%s\\n' "$view" | awk -v m="$crowded" '$1 == "replica" && $4 == m {print $3; exit}')
  replicate "$spare" "$2"
}

reference=""
for endpoint in $endpoints; do
  if has_slots "$endpoint"; then reference=$endpoint; break; fi
done
if [ -n "$reference" ] && formed "$reference"; then
  echo "bootstrap: cluster formed as expected ($MASTERS masters x $REPLICAS replicas); nothing to change"
  exit 0
fi
if [ -z "$reference" ]; then
  create
  set -- $endpoints; reference=$1
else
  echo "bootstrap: the cluster is not yet as expected; completing it"
  complete "$reference"
fi
until formed "$reference"; do
  balance_replicas
  before_deadline "the cluster is not formed as expected: $(cluster_view "$reference")"
done
echo "bootstrap: cluster formed ($MASTERS masters x $REPLICAS replicas, all slots covered)"
"""
    return header + RESOLVE_FUNCTION + CLUSTER_VIEW_FUNCTION + body


def render_cluster_prestop_script(*, port: int, wait_seconds: int) -> str:
    """Before a planned stop, a master hands its slots to a replica with ``CLUSTER FAILOVER``.

    The coordinated failover waits until the replica has every write the master took, so a
    rolling restart (a new password, a new image) loses nothing and clients see one MOVED
    instead of a node timeout's worth of errors. A replica, or a master without a linked
    replica, stops at once.
    """
    header = script_header(
        "preStop of a Redis Cluster node.", {"SELF": f"127.0.0.1:{port}", "WAIT_SECONDS": wait_seconds}
    )
    body = """
is_master() { cli "$SELF" ROLE 2>/dev/null | head -n 1 | tr -d '\\r' | grep -qx master; }

is_master || exit 0
replica=$(cli "$SELF" INFO replication | tr -d '\\r' \\
  | sed -n 's/^slave[0-9]*:ip=\\([^,]*\\),port=\\([0-9]*\\),state=online.*/\\1:\\2/p' | head -n 1)
[ -n "$replica" ] || { echo "prestop: no linked replica to hand over to"; exit 0; }
cli "$replica" CLUSTER FAILOVER > /dev/null
echo "prestop: $replica is taking over"
deadline=$(( $(date +%s) + WAIT_SECONDS ))
while is_master && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
"""
    return header + body


def render_cluster_readiness_script(*, port: int) -> str:
    """Ready only while the node serves a healthy cluster (cluster_state:ok).

    Before the bootstrap Job formed the cluster no node is ready, and nothing waits on that:
    the Job reaches the nodes through the headless Service, which publishes unready pods. A
    node that came back with an empty volume stays unready: visible, and out of the client
    Service, instead of answering clients with CLUSTERDOWN.
    """
    header = script_header("Readiness of a Redis Cluster node.", {"SELF": f"127.0.0.1:{port}"})
    body = """
cli "$SELF" CLUSTER INFO | tr -d '\\r' | grep -qx 'cluster_state:ok'
"""
    return header + body
