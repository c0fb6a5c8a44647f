#!/usr/bin/env bash
# interop.sh MOTE_NET - libmote-net against the Linux kernel's stack.
#
# Creates a network namespace holding a TAP device (10.77.0.1/24 on the
# Linux side); mote-net runs inside the namespace on that TAP with its own
# addresses. Checks: Linux pings mote; socat connects to mote's TCP echo
# and discard services and its UDP echo; mote gets from and puts to Linux
# listeners; every byte stream is compared by SHA-256; the pcap that
# mote-net wrote is read back with tcpdump. Everything is removed on exit.
#
# MOTE_NET_INTEROP_MIB sets the stream size (default 16; the issue's soak
# is 1024); MOTE_NET_INTEROP_LOSSY_MIB the size through 5% loss (default
# 16; the soak is 1024: about a minute per stream). Through loss, both
# stacks are set for a LAN with an RTT of 0.1 ms: Linux's route to mote
# gets rto_min 5ms and quickack, mote --rto-min 5 (the defaults, a 200 ms
# minimum RTO, and Linux's delayed ACKs, make every loss that only a
# timeout repairs a 200 ms stall); MOTE_NET_INTEROP_TUNE=0 keeps them.
# Needs root, ip, socat, sha256sum; exits 77 (skip) otherwise. Interrupted
# (INT, TERM: meson's timeout) it stops its processes and removes the
# namespaces, and with them the TAPs, bridge, veths and nftables table.
set -u
MOTE_NET=${1:?usage: interop.sh path/to/mote-net}
MIB=${MOTE_NET_INTEROP_MIB:-16}
LMIB=${MOTE_NET_INTEROP_LOSSY_MIB:-16}
TUNE=${MOTE_NET_INTEROP_TUNE:-1}
LTIME=$((120 + LMIB)) # seconds allowed per lossy stream

. "$(dirname "${BASH_SOURCE[0]}")/nslib.sh"
ns_require

NS=motenet$$
NS2=motelnx$$
ns_begin mote-net-interop "$NS" "$NS2"
# Seconds since the epoch, with fractions; Mbit/s of N MiB in S seconds.
now() { date +%s.%N; }
rate() { awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN { t = b - a; printf "%.1f s, %.0f Mbit/s", t, m * 8.388608 / t }'; }

ns_tap "$NS" mtap 10.77.0.1/24

head -c $((MIB * 1024 * 1024)) /dev/urandom > "$WORK/in"
want=$(sha256sum < "$WORK/in" | cut -d' ' -f1)
if [ "$LMIB" -le "$MIB" ]; then
    head -c $((LMIB * 1024 * 1024)) "$WORK/in" > "$WORK/lin"
else
    head -c $((LMIB * 1024 * 1024)) /dev/urandom > "$WORK/lin"
fi
lwant=$(sha256sum < "$WORK/lin" | cut -d' ' -f1)

# ---- mote serves: ping, TCP echo and discard, UDP echo ----
ip netns exec "$NS" "$MOTE_NET" --tap mtap --addr 10.77.0.2/24 --pcap "$WORK/serve.pcap" --stats serve \
    2> "$WORK/serve.err" &
SERVE=$!
PIDS+=($SERVE)
sleep 0.5

if inns ping -c 3 -i 0.2 -W 2 10.77.0.2 > "$WORK/ping" 2>&1; then
    ok "Linux pings mote"
else
    bad "ping: $(tail -2 "$WORK/ping")"
fi
if inns ping -c 2 -s 4000 -W 2 10.77.0.2 > "$WORK/ping2" 2>&1; then
    ok "Linux pings mote with fragmented 4000-byte echoes"
else
    bad "fragmented ping"
fi

run ip netns exec "$NS" timeout 120 socat -t 5 - TCP:10.77.0.2:7 < "$WORK/in" > "$WORK/echo"
got=$(sha256sum < "$WORK/echo" | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "TCP echo of $MIB MiB from Linux, byte-exact" ||
    bad "TCP echo: $(stat -c %s "$WORK/echo") bytes back, hash differs"

if run ip netns exec "$NS" timeout 120 socat -u - TCP:10.77.0.2:9 < "$WORK/in"; then
    ok "TCP discard took $MIB MiB"
else
    bad "TCP discard"
fi

echo "udp datagram" | inns timeout 5 socat -t 1 - UDP:10.77.0.2:7 > "$WORK/udp"
[ "$(cat "$WORK/udp")" = "udp datagram" ] && ok "UDP echo" || bad "UDP echo"

kill -TERM $SERVE
wait $SERVE 2>/dev/null
grep -q '^tcp.passive_opens [1-9]' "$WORK/serve.err" && ok "counters printed" ||
    bad "counters missing"
if command -v tcpdump >/dev/null; then
    n=$(tcpdump -nn -r "$WORK/serve.pcap" 2>/dev/null | grep -c 'ICMP echo request')
    [ "$n" -ge 3 ] && ok "pcap readable by tcpdump ($n echo requests)" || bad "pcap: $n requests"
fi

# ---- mote gets from a Linux listener ----
ip netns exec "$NS" timeout 120 socat -u FILE:"$WORK/in" TCP-LISTEN:9000,reuseaddr &
L=$!
PIDS+=($L)
sleep 0.3
run ip netns exec "$NS" timeout 120 "$MOTE_NET" --tap mtap --addr 10.77.0.3/24 get 10.77.0.1 9000 \
    > "$WORK/got"
rc=$?
wait $L 2>/dev/null
got=$(sha256sum < "$WORK/got" | cut -d' ' -f1)
[ $rc -eq 0 ] && [ "$got" = "$want" ] && ok "mote got $MIB MiB from Linux, byte-exact" ||
    bad "get: rc $rc, $(stat -c %s "$WORK/got") bytes"

# ---- mote puts to a Linux listener ----
ip netns exec "$NS" timeout 120 socat -u TCP-LISTEN:9001,reuseaddr OPEN:"$WORK/put",creat,trunc &
L=$!
PIDS+=($L)
sleep 0.3
run ip netns exec "$NS" timeout 120 "$MOTE_NET" --tap mtap --addr 10.77.0.4/24 put 10.77.0.1 9001 \
    < "$WORK/in"
rc=$?
wait $L 2>/dev/null
got=$(sha256sum < "$WORK/put" | cut -d' ' -f1)
[ $rc -eq 0 ] && [ "$got" = "$want" ] && ok "mote put $MIB MiB to Linux, byte-exact" ||
    bad "put: rc $rc, $(stat -c %s "$WORK/put") bytes"

# ---- a refused connection ----
inns timeout 20 "$MOTE_NET" --tap mtap --addr 10.77.0.5/24 get 10.77.0.1 9999 > /dev/null \
    2> "$WORK/refused"
grep -q 'refused' "$WORK/refused" && ok "connection to a closed Linux port is refused" ||
    bad "refused: $(cat "$WORK/refused")"

# ---- DHCP: dnsmasq leases mote an address; Linux pings it ----
if command -v dnsmasq >/dev/null; then
    ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
        --interface=mtap --bind-interfaces --dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,2m \
        --dhcp-option=3,10.77.0.1 --dhcp-leasefile="$WORK/leases" --pid-file="$WORK/dnsmasq.pid" \
        --log-dhcp --log-facility="$WORK/dnsmasq.log" 2> /dev/null &
    D=$!
    PIDS+=($D)
    sleep 0.5
    ip netns exec "$NS" "$MOTE_NET" --tap mtap --dhcp serve 2> "$WORK/dhcp.err" &
    M=$!
    PIDS+=($M)
    leased=""
    for _ in $(seq 1 100); do
        leased=$(sed -n 's/^mote-net: bound \([0-9.]*\) .*/\1/p' "$WORK/dhcp.err")
        [ -n "$leased" ] && break
        sleep 0.1
    done
    if [ -n "$leased" ] && grep -q "router 10.77.0.1 lease 120s" "$WORK/dhcp.err"; then
        ok "dnsmasq leased $leased to mote"
        if inns ping -c 2 -i 0.2 -W 2 "$leased" > /dev/null 2>&1; then
            ok "Linux pings mote at its leased address"
        else
            bad "ping $leased"
        fi
    else
        bad "no DHCP lease: $(cat "$WORK/dhcp.err")"
    fi
    kill -TERM $M
    wait $M 2>/dev/null
    sleep 0.3
    grep -q "DHCPRELEASE" "$WORK/dnsmasq.log" && ok "mote released its lease" ||
        bad "no DHCPRELEASE seen by dnsmasq"
    kill $D 2>/dev/null
    wait $D 2>/dev/null
else
    echo "SKIP (part): dnsmasq not installed"
fi

# ---- 5% loss both ways: nftables drops on a bridge between mote and Linux ----
# mote's TAP and a veth share a bridge in $NS; the veth's peer, with Linux's
# address, is in $NS2. Drops in the bridge's forward hook are real losses
# for both ends (drops in Linux's own output path would only be retried).
if command -v nft >/dev/null && ip netns add "$NS2" 2>/dev/null; then
    ip -n "$NS" tuntap add dev ltap mode tap
    ip -n "$NS" link add br0 type bridge
    ip -n "$NS" link add veth0 type veth peer name veth1 netns "$NS2"
    ip -n "$NS" link set ltap master br0
    ip -n "$NS" link set veth0 master br0
    for l in ltap veth0 br0; do ip -n "$NS" link set $l up; done
    ip -n "$NS2" link set lo up
    ip -n "$NS2" addr add 10.78.0.1/24 dev veth1
    ip -n "$NS2" link set veth1 up
    ip netns exec "$NS" nft -f - <<'NFT'
table bridge motelossy {
    chain forward {
        type filter hook forward priority 0; policy accept;
        numgen random mod 100 < 5 counter drop
    }
}
NFT
    MTUNE=()
    if [ "$TUNE" = 1 ]; then
        ip -n "$NS2" route replace 10.78.0.0/24 dev veth1 proto kernel scope link src 10.78.0.1 \
            rto_min 5ms quickack 1
        MTUNE=(--rto-min 5)
    fi
    echo "lossy: $LMIB MiB per stream, mote ${MTUNE[*]:-defaults}," \
        "Linux route: $(ip -n "$NS2" route show 10.78.0.0/24)"
    ip netns exec "$NS" "$MOTE_NET" --tap ltap --addr 10.78.0.2/24 "${MTUNE[@]}" --stats serve \
        2> "$WORK/lossy.err" &
    M=$!
    PIDS+=($M)
    sleep 0.5
    t0=$(now)
    run ip netns exec "$NS2" timeout $LTIME socat -t 10 - TCP:10.78.0.2:7 < "$WORK/lin" \
        > "$WORK/lossy_echo"
    t1=$(now)
    got=$(sha256sum < "$WORK/lossy_echo" | cut -d' ' -f1)
    [ "$got" = "$lwant" ] &&
        ok "TCP echo of $LMIB MiB through 5% loss both ways, byte-exact ($(rate $LMIB $t0 $t1) each way)" ||
        bad "lossy echo: $(stat -c %s "$WORK/lossy_echo") bytes back"
    kill -TERM $M
    wait $M 2>/dev/null
    grep -E '^tcp\.(retransmits|rto|fast_retransmits|tail_probes|rack_losses|dsacks_in|undos) ' \
        "$WORK/lossy.err" | tr '\n' ' ' | sed 's/^/lossy echo, mote: /; s/$/\n/'
    ip netns exec "$NS2" timeout $LTIME socat -u FILE:"$WORK/lin" TCP-LISTEN:9002,reuseaddr &
    L=$!
    PIDS+=($L)
    sleep 0.3
    t0=$(now)
    run ip netns exec "$NS" timeout $LTIME "$MOTE_NET" --tap ltap --addr 10.78.0.3/24 "${MTUNE[@]}" \
        get 10.78.0.1 9002 > "$WORK/lossy_get"
    rc=$?
    t1=$(now)
    wait $L 2>/dev/null
    got=$(sha256sum < "$WORK/lossy_get" | cut -d' ' -f1)
    [ $rc -eq 0 ] && [ "$got" = "$lwant" ] &&
        ok "mote got $LMIB MiB from Linux through 5% loss ($(rate $LMIB $t0 $t1))" ||
        bad "lossy get: rc $rc, $(stat -c %s "$WORK/lossy_get") bytes"
    ip netns exec "$NS2" timeout $LTIME socat -u TCP-LISTEN:9003,reuseaddr \
        OPEN:"$WORK/lossy_put",creat,trunc &
    L=$!
    PIDS+=($L)
    sleep 0.3
    t0=$(now)
    run ip netns exec "$NS" timeout $LTIME "$MOTE_NET" --tap ltap --addr 10.78.0.4/24 "${MTUNE[@]}" --stats \
        put 10.78.0.1 9003 < "$WORK/lin" 2> "$WORK/lossy_put.err"
    rc=$?
    t1=$(now)
    wait $L 2>/dev/null
    got=$(sha256sum < "$WORK/lossy_put" | cut -d' ' -f1)
    [ $rc -eq 0 ] && [ "$got" = "$lwant" ] &&
        ok "mote put $LMIB MiB to Linux through 5% loss ($(rate $LMIB $t0 $t1))" ||
        bad "lossy put: rc $rc, $(stat -c %s "$WORK/lossy_put") bytes"
    grep -E '^tcp\.(retransmits|rto|fast_retransmits|tail_probes|rack_losses|dsacks_in|undos) ' \
        "$WORK/lossy_put.err" | tr '\n' ' ' | sed 's/^/lossy put, mote: /; s/$/\n/'
    dropped=$(ip netns exec "$NS" nft list table bridge motelossy | sed -n 's/.*packets \([0-9]*\).*/\1/p')
    [ "${dropped:-0}" -gt 100 ] && ok "the bridge dropped $dropped frames" ||
        bad "the bridge dropped ${dropped:-0} frames"
else
    echo "SKIP (part): nft missing or no second namespace"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
