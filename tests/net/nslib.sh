# nslib.sh - sourced by interop.sh and offload.sh: what both need to run
# mote-net against Linux in network namespaces and to leave nothing behind.
#
#   ns_require            skips (exit 77) without root, ip, socat,
#                         sha256sum, timeout or /dev/net/tun
#   ns_begin NAME NS...   makes $WORK (/tmp/NAME.XXXXXX) and sets the traps:
#                         on exit, INT or TERM (meson's timeout) the
#                         processes in PIDS are stopped, the namespaces NS...
#                         deleted (with their TAPs, bridges, veths and nft
#                         tables) and $WORK removed
#   ns_tap NS DEV ADDR [vnet_hdr]
#                         a namespace holding a TAP device at ADDR, up
#   run CMD...            runs CMD in the background and waits for it, so
#                         a signal is handled at once (bash defers traps
#                         while a foreground command runs)
#   ok/bad MSG            count a check; inns CMD runs CMD in $NS

skip() {
    echo "SKIP: $*"
    exit 77
}

ns_require() {
    [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces and TAP devices"
    local p
    for p in ip socat sha256sum timeout; do
        command -v $p >/dev/null || skip "$p not installed"
    done
    [ -c /dev/net/tun ] || skip "/dev/net/tun missing"
}

PIDS=()
NS_ALL=()
cleanup() {
    trap - EXIT INT TERM
    local p n
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    for n in "${NS_ALL[@]}"; do ip netns del "$n" 2>/dev/null; done
    [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

ns_begin() {
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    shift
    NS_ALL=("$@")
    trap cleanup EXIT
    trap 'echo "interrupted"; cleanup; exit 130' INT TERM
}

ns_tap() {
    ip netns add "$1" || skip "cannot create a network namespace"
    ip -n "$1" link set lo up
    ip -n "$1" tuntap add dev "$2" mode tap ${4:+"$4"} || skip "cannot create a TAP device"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$1" link set "$2" up
}

run() {
    "$@" <&0 &
    local p=$!
    PIDS+=($p)
    wait $p
}

fails=0 passes=0
ok() {
    echo "ok: $*"
    passes=$((passes + 1))
}
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
inns() { ip netns exec "$NS" "$@"; }
