#!/usr/bin/env bash
# tap_bench.sh MOTE_NET TAP_RELAY - mote on a TAP device against Linux, next
# to the ceiling of the TAP path measured in the same run.
#
# Ceiling: two namespaces whose traffic crosses tap_relay (a plain userspace
# frame relay between two TAP devices); iperf3 -C cubic through it, both
# directions. mote: mote-net in a namespace on a TAP device; Linux sends
# MOTE_NET_BENCH_TAP_MIB (default 512) MiB into mote's discard service, and
# mote puts as much to a Linux listener; wall time gives Gbit/s. Prints
# Gbit/s and the ratios. No offloads in either path (plain TAP, 1500 MTU).
# Needs root, iperf3, socat; exits 77 otherwise. Nothing is asserted.
set -u
MOTE_NET=${1:?usage: tap_bench.sh mote-net tap_relay}
RELAY=${2:?usage: tap_bench.sh mote-net tap_relay}
MIB=${MOTE_NET_BENCH_TAP_MIB:-512}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in iperf3 socat ip; do command -v $p > /dev/null || { echo "SKIP: no $p"; exit 77; }; done

A=motebA$$ B=motebB$$ M=motebM$$
RA=mrA$$ RB=mrB$$
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
    wait 2> /dev/null
    for n in $A $B $M; do ip netns del $n 2> /dev/null; done
}
trap cleanup EXIT INT TERM

gbps() { python3 -c "print('%.2f' % ($1 * 8 / ($2) / 1e9))"; }
now() { date +%s.%N; }

# ---- the relay ceiling ----
ip netns add $A
ip netns add $B
"$RELAY" $RA $RB &
PIDS+=($!)
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
relay_fwd=$(iperf)
relay_rev=$(iperf -R)
echo "relay ceiling (iperf3 -C cubic through a userspace TAP relay): $relay_fwd Gbit/s, reverse $relay_rev Gbit/s"

# ---- mote on a TAP device ----
ip netns add $M
ip -n $M tuntap add dev mtap mode tap
ip -n $M addr add 10.82.0.1/24 dev mtap
ip -n $M link set mtap up
ip netns exec $M "$MOTE_NET" --tap mtap --addr 10.82.0.2/24 serve &
SERVE=$!
PIDS+=($SERVE)
sleep 0.5
bytes=$((MIB * 1024 * 1024))
t0=$(now)
head -c $bytes /dev/zero | ip netns exec $M socat -u - TCP:10.82.0.2:9
t1=$(now)
to_mote=$(gbps $bytes "$t1 - $t0")
kill -TERM $SERVE
wait $SERVE 2> /dev/null
ip netns exec $M socat -u TCP-LISTEN:9100,reuseaddr OPEN:/dev/null &
L=$!
sleep 0.3
t0=$(now)
head -c $bytes /dev/zero | ip netns exec $M "$MOTE_NET" --tap mtap --addr 10.82.0.3/24 put 10.82.0.1 9100
t1=$(now)
wait $L 2> /dev/null
from_mote=$(gbps $bytes "$t1 - $t0")
echo "mote on TAP, $MIB MiB: Linux->mote $to_mote Gbit/s, mote->Linux $from_mote Gbit/s"
echo "ratio to the relay ceiling: Linux->mote $(python3 -c "print('%.2f' % ($to_mote / $relay_fwd))"), mote->Linux $(python3 -c "print('%.2f' % ($from_mote / $relay_rev))")"
