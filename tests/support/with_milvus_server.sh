#!/usr/bin/env bash
# Run a command next to a throwaway Milvus server (PyPI `milvus`, a real C++ Milvus standalone).
#
# That server binds every interface and has no listen-address option, so server and command run inside
# a private network namespace holding only `lo`; nothing is reachable from outside. The command gets
# MEMGRID_TEST_MILVUS_URI=http://127.0.0.1:19530. The namespace, the server and its data dir are removed
# afterwards, also on failure. Needs root (ip netns).
#
# Usage: with_milvus_server.sh COMMAND [ARG...]     (MILVUS_SERVER: the milvus-server executable;
#        MILVUS_EXTRA_CONFIG: more `key=value` server settings, space-separated, e.g. proxy.timeTickInterval=50)
set -euo pipefail

server_bin=${MILVUS_SERVER:-.venv-milvus/bin/milvus-server}
namespace="memgrid-milvus-$$-$RANDOM"
data_dir=$(mktemp -d -t memgrid-milvus.XXXXXX)
server_pid=""

cleanup() {
    local status=$?
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.25; done
    fi
    # Anything still alive in our namespace was started by us: stop it by pid.
    for pid in $(ip netns pids "$namespace" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$namespace" 2>/dev/null || true
    if [[ $status -ne 0 && -f $data_dir/server.log ]]; then tail -n 30 "$data_dir/server.log" >&2; fi
    rm -rf "$data_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$namespace"
ip -n "$namespace" link set lo up

# The interim IVF index Milvus builds on not-yet-indexed segments is approximate under filters (it
# returned 16% of the true top-10 for one user in 1,000); without it those segments are scanned exactly.
extra_config=(--extra-config queryNode.segcore.interimIndex.enableIndex=false)
for setting in ${MILVUS_EXTRA_CONFIG:-}; do extra_config+=(--extra-config "$setting"); done
ip netns exec "$namespace" "$server_bin" --data "$data_dir" "${extra_config[@]}" >"$data_dir/server.log" 2>&1 &
server_pid=$!

healthy() {
    ip netns exec "$namespace" bash -c '
        exec 3<>/dev/tcp/127.0.0.1/9091 || exit 1
        printf "GET /healthz HTTP/1.0\r\n\r\n" >&3
        grep -q "^OK" <&3' 2>/dev/null
}
started=$SECONDS
until healthy; do
    if ! kill -0 "$server_pid" 2>/dev/null; then echo "milvus-server exited during start-up" >&2; exit 1; fi
    if ((SECONDS - started > 120)); then echo "milvus-server not healthy after 120 s" >&2; exit 1; fi
    sleep 0.5
done
echo "milvus-server healthy in namespace $namespace after $((SECONDS - started)) s" >&2

ip netns exec "$namespace" env MEMGRID_TEST_MILVUS_URI=http://127.0.0.1:19530 "$@"
