#!/usr/bin/env bash
# tap_relay.sh RELAY: the TAP path of libmote-posix, measured with iperf3
# between two network namespaces, next to the kernel's own path in the
# same run:
#   kernel veth pair (the peer: no userspace on the way)
#   bench-posix-relay between two TAPs, plain frames
#   bench-posix-relay between two TAPs, offloads (virtio-net passthrough)
# Prints Gbit/s both ways and the ratio relay / veth. Needs root and iperf3;
# otherwise prints SKIP and exits 77. MOTE_BENCH_SECS sets each run (5 s).
# Only addresses in 10.88.0.0/24 inside the two namespaces are used.
set -euo pipefail
relay=$1
secs=${MOTE_BENCH_SECS:-5}

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the TAP relay benchmark needs root"; exit 77; fi
for p in ip iperf3 python3; do
    command -v $p >/dev/null || { echo "SKIP: $p is needed"; exit 77; }
done

a=mote-relay-$$-a
b=mote-relay-$$-b
ta=mra$$
tb=mrb$$
relay_pid=""
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
    ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
# Stale namespaces of runs whose process is gone.
for ns in $(ip netns list | awk '/^mote-relay-/ {print $1}'); do
    pid=${ns#mote-relay-}; pid=${pid%-*}
    kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
done

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link set lo up
ip -n "$b" link set lo up

# iperf3 from a to b, forward or reverse (-R); prints Gbit/s received.
measure() {
    ip netns exec "$b" iperf3 -s -1 -B 10.88.0.2 >/dev/null 2>&1 &
    local srv=$!
    local out=""
    for _ in $(seq 50); do
        if out=$(ip netns exec "$a" iperf3 -c 10.88.0.2 -t "$secs" -J "$@" 2>/dev/null); then
            break
        fi
        out=""
        sleep 0.1
    done
    wait "$srv" 2>/dev/null || true
    if [ -z "$out" ]; then echo "0"; return; fi
    printf '%s' "$out" | python3 -c \
        'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}

addr() { # dev in a, dev in b
    ip -n "$a" addr add 10.88.0.1/24 dev "$1"
    ip -n "$b" addr add 10.88.0.2/24 dev "$2"
    ip -n "$a" link set "$1" up
    ip -n "$b" link set "$2" up
}

declare -A fwd rev

# 1. the kernel's own path: a veth pair.
ip link add "$ta" type veth peer name "$tb"
ip link set "$ta" netns "$a"
ip link set "$tb" netns "$b"
addr "$ta" "$tb"
fwd[veth]=$(measure)
rev[veth]=$(measure -R)
ip -n "$a" link del "$ta"

# 2, 3. the relay, plain and with offloads.
for mode in plain offload; do
    flag=""
    [ "$mode" = offload ] && flag=--offload
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    "$relay" $flag "$ta" "$tb" >"$fifo" 2>/dev/null &
    relay_pid=$!
    read -r line <"$fifo"
    rm -f "$fifo"
    [ "$line" = ready ] || { echo "relay did not start"; exit 1; }
    ip link set "$ta" netns "$a"
    ip link set "$tb" netns "$b"
    addr "$ta" "$tb"
    fwd[$mode]=$(measure)
    rev[$mode]=$(measure -R)
    kill "$relay_pid"
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
done

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b if b else 0))" "$1" "$2"; }
echo "posix bench: TAP path, iperf3 (TCP, cubic) between two namespaces, ${secs} s per run"
printf '  %-34s %10s %10s %8s %8s\n' path "a->b Gb/s" "b->a Gb/s" ratio ratio
printf '  %-34s %10s %10s\n' "kernel veth pair (peer)" "${fwd[veth]}" "${rev[veth]}"
for mode in plain offload; do
    printf '  %-34s %10s %10s %8s %8s\n' "mote posix relay, $mode TAP" "${fwd[$mode]}" "${rev[$mode]}" \
        "$(ratio "${fwd[$mode]}" "${fwd[veth]}")" "$(ratio "${rev[$mode]}" "${rev[veth]}")"
done
