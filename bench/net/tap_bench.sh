#!/usr/bin/env bash
# tap_bench.sh MOTE_NET TAP_RELAY - mote on a TAP device against Linux, next
# to the ceiling of the TAP path measured in the same run, in two modes.
#
# Ceiling: two namespaces whose traffic crosses tap_relay (a plain userspace
# frame relay between two TAP devices); iperf3 -C cubic through it, both
# directions. mote: mote-net in a namespace on a TAP device; Linux (socat)
# sends MOTE_NET_BENCH_TAP_MIB (default 1024; MOTE_NET_BENCH_TAP_OFFLOAD_MIB,
# default 4096, in the offload mode, so that start-up weighs about as
# little as against iperf3's 5 s) MiB into mote's discard service, and mote
# puts as much to a Linux listener (socat into
# /dev/null); wall time from the start until the receiver has it all gives
# Gbit/s (for put: until the listener exits on mote's FIN, so mote-net's
# linger after its FIN is not counted; its start-up and handshake are).
# Both ends read the bytes from a sparse file on tmpfs (zeros) and socat
# moves 128 KiB per call, as iperf3 does; iperf3 makes its bytes in memory,
# so the mote runs carry one extra copy on the Linux side.
#
# Modes (MOTE_NET_BENCH_TAP_MODES, default "plain offload"):
#   plain    no offloads: plain TAP devices, 1500-byte frames, checksums
#            computed by every sender and receiver.
#   offload  IFF_VNET_HDR + TUNSETOFFLOAD (checksum, TSO/GSO): the relay
#            passes frames with their virtio-net headers through
#            (tap_relay --offload); mote-net runs with --offload (TCP
#            super-segments of up to 64 KiB out, GSO frames in).
# Prints Gbit/s and the ratios for each mode. Needs root, iperf3, socat;
# exits 77 otherwise. Nothing is asserted.
set -u
MOTE_NET=${1:?usage: tap_bench.sh mote-net tap_relay}
RELAY=${2:?usage: tap_bench.sh mote-net tap_relay}
MIB=${MOTE_NET_BENCH_TAP_MIB:-1024}
OMIB=${MOTE_NET_BENCH_TAP_OFFLOAD_MIB:-4096}
MODES=${MOTE_NET_BENCH_TAP_MODES:-plain offload}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in iperf3 socat ip python3; do command -v $p > /dev/null || { echo "SKIP: no $p"; exit 77; }; done

A=motebA$$ B=motebB$$ M=motebM$$
RA=mrA$$ RB=mrB$$
# a sparse file on tmpfs: its holes read as the shared zero page, at memory
# speed and without using memory (on a disk file system the first read of
# a hole allocates page cache and is slower than the network here)
SHM=/dev/shm
[ -d $SHM ] && [ -w $SHM ] || SHM=/tmp
SRC=$(mktemp $SHM/mote-tap-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
    wait 2> /dev/null
    for n in $A $B $M; do ip netns del $n 2> /dev/null; done
    rm -f "$SRC"
}
trap cleanup EXIT INT TERM

gbps() { python3 -c "print('%.2f' % ($1 * 8 / ($2) / 1e9))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2) if $2 > 0 else 'n/a')"; }
now() { date +%s.%N; }

run_mode() {
    local mode=$1 rflag="" mflag="" vh="" mib=$MIB
    if [ "$mode" = offload ]; then
        rflag=--offload mflag=--offload vh=vnet_hdr mib=$OMIB
    fi
    local bytes=$((mib * 1024 * 1024))
    truncate -s 0 "$SRC"
    truncate -s $bytes "$SRC"
    # ---- the relay ceiling ----
    ip netns add $A
    ip netns add $B
    "$RELAY" $rflag $RA $RB &
    local relay=$!
    PIDS+=("$relay")
    sleep 0.3
    ip link set $RA netns $A
    ip link set $RB netns $B
    ip -n $A addr add 10.81.0.1/24 dev $RA
    ip -n $B addr add 10.81.0.2/24 dev $RB
    ip -n $A link set $RA up
    ip -n $B link set $RB up
    ip netns exec $B iperf3 -s -D -B 10.81.0.2 -p 5201 > /dev/null 2>&1
    sleep 0.3
    iperf() {
        ip netns exec $A iperf3 -c 10.81.0.2 -p 5201 -C cubic -t 5 -J "$@" 2> /dev/null |
            python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
    }
    local relay_fwd relay_rev
    relay_fwd=$(iperf)
    relay_rev=$(iperf -R)
    ip netns pids $B | xargs -r kill 2> /dev/null
    kill $relay 2> /dev/null
    wait $relay 2> /dev/null
    ip netns del $A
    ip netns del $B

    # ---- mote on a TAP device ----
    ip netns add $M
    ip -n $M tuntap add dev mtap mode tap $vh
    ip -n $M addr add 10.82.0.1/24 dev mtap
    ip -n $M link set mtap up
    ip netns exec $M "$MOTE_NET" --tap mtap --addr 10.82.0.2/24 $mflag serve &
    local serve=$!
    PIDS+=("$serve")
    sleep 0.5
    local t0 t1 to_mote from_mote
    t0=$(now)
    ip netns exec $M socat -b 131072 -u OPEN:"$SRC" TCP:10.82.0.2:9
    t1=$(now)
    to_mote=$(gbps $bytes "$t1 - $t0")
    kill -TERM $serve
    wait $serve 2> /dev/null
    ip netns exec $M socat -b 131072 -u TCP-LISTEN:9100,reuseaddr OPEN:/dev/null &
    local l=$!
    sleep 0.3
    t0=$(now)
    ip netns exec $M "$MOTE_NET" --tap mtap --addr 10.82.0.3/24 $mflag put 10.82.0.1 9100 < "$SRC" &
    local put=$!
    wait $l 2> /dev/null
    t1=$(now)
    wait $put 2> /dev/null
    from_mote=$(gbps $bytes "$t1 - $t0")
    ip netns del $M
    echo "[$mode] relay ceiling (iperf3 -C cubic through tap_relay $rflag): $relay_fwd Gbit/s, reverse $relay_rev Gbit/s"
    echo "[$mode] mote-net $mflag on TAP, $mib MiB: Linux->mote $to_mote Gbit/s, mote->Linux $from_mote Gbit/s"
    echo "[$mode] ratio to the relay ceiling: Linux->mote $(ratio $to_mote $relay_fwd), mote->Linux $(ratio $from_mote $relay_rev)"
}

echo "load: $(uptime)"
for mode in $MODES; do
    run_mode $mode
done
