#!/usr/bin/env bash
# offload.sh MOTE_NET - libmote-net with the TAP's offloads against Linux.
#
# A network namespace holds a TAP device (10.78.0.1/24 on the Linux side);
# mote-net runs inside it with --offload: IFF_VNET_HDR with TUNSETOFFLOAD
# (checksum, TSO4) and the virtio-net header passed through to the stack,
# so mote sends TCP super-segments of up to 64 KiB for the kernel to cut
# and takes Linux's large (GSO) frames whole. Checks, all by SHA-256:
# MOTE_NET_OFFLOAD_MIB (default 64) MiB through mote's echo (both ways at
# once), into its discard service, from a Linux listener (get) and to one
# (put); that mote really sent super-frames (its counters) and Linux really
# sent it large frames; ping and UDP echo still work; the pcap mote wrote
# holds only wire-sized frames with good checksums (tcpdump -vv). The
# namespace and everything in it go on exit, also on failure.
# Needs root, ip, socat, sha256sum, timeout; exits 77 (skip) otherwise.
set -u
MOTE_NET=${1:?usage: offload.sh path/to/mote-net}
MIB=${MOTE_NET_OFFLOAD_MIB:-64}

. "$(dirname "${BASH_SOURCE[0]}")/nslib.sh"
ns_require

NS=moteoff$$
ns_begin mote-net-offload "$NS"

counter() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

ns_tap "$NS" otap 10.78.0.1/24 vnet_hdr

head -c $((MIB * 1024 * 1024)) /dev/urandom > "$WORK/in"
want=$(sha256sum < "$WORK/in" | cut -d' ' -f1)

# ---- mote serves with offloads ----
ip netns exec "$NS" "$MOTE_NET" --tap otap --addr 10.78.0.2/24 --offload --pcap "$WORK/serve.pcap" --stats serve \
    2> "$WORK/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
sleep 0.5

if inns ping -c 2 -i 0.2 -W 2 10.78.0.2 > "$WORK/ping" 2>&1; then
    ok "Linux pings mote (offloads on)"
else
    bad "ping: $(tail -2 "$WORK/ping")"
fi

inns timeout 120 socat -t 5 - TCP:10.78.0.2:7 < "$WORK/in" > "$WORK/echo"
got=$(sha256sum < "$WORK/echo" | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "TCP echo of $MIB MiB, byte-exact" ||
    bad "TCP echo: $(stat -c %s "$WORK/echo") bytes back, hash differs"

if inns timeout 120 socat -u - TCP:10.78.0.2:9 < "$WORK/in"; then
    ok "TCP discard took $MIB MiB"
else
    bad "TCP discard"
fi

reply=$(echo "offload datagram" | inns timeout 5 socat -t 2 - UDP:10.78.0.2:7)
[ "$reply" = "offload datagram" ] && ok "UDP echo" || bad "UDP echo: '$reply'"

kill -TERM $SERVE
wait $SERVE 2>/dev/null
tso=$(counter eth.tso_out "$WORK/serve.err")
gin=$(counter eth.gso_in "$WORK/serve.err")
[ "${tso:-0}" -gt 0 ] && ok "mote handed the kernel $tso TSO super-frames" ||
    bad "no TSO super-frames sent (eth.tso_out ${tso:-missing})"
[ "${gin:-0}" -gt 0 ] && ok "Linux handed mote $gin GSO frames" ||
    bad "no GSO frames received (eth.gso_in ${gin:-missing})"
bad_csum=$(counter tcp.drop_checksum "$WORK/serve.err")
[ "${bad_csum:-1}" -eq 0 ] && ok "no TCP checksum drops" || bad "tcp.drop_checksum ${bad_csum:-missing}"

if command -v tcpdump >/dev/null; then
    inns tcpdump -nn -vv -r "$WORK/serve.pcap" > "$WORK/dump" 2> "$WORK/dump.err"
    n=$(grep -c 'IP (' "$WORK/dump")
    badsum=$(grep -c 'incorrect' "$WORK/dump")
    big=$(awk '/length [0-9]+\)/ { for (i = 1; i <= NF; i++) if ($i == "length") { v = $(i + 1); gsub(/[^0-9]/, "", v); if (v + 0 > 1500) c++ } } END { print c + 0 }' "$WORK/dump")
    if [ "$n" -gt 1000 ] && [ "$badsum" -eq 0 ] && [ "$big" -eq 0 ]; then
        ok "pcap: $n IP frames, all at most 1500 bytes of IP, no bad checksum"
    else
        bad "pcap: $n frames, $badsum bad checksums, $big above 1500 bytes"
    fi
else
    echo "note: tcpdump not installed; pcap not checked"
fi

# ---- mote as a client: get from and put to Linux listeners ----
ip netns exec "$NS" timeout 120 socat -u FILE:"$WORK/in" TCP-LISTEN:9301,reuseaddr &
L=$!
PIDS+=("$L")
sleep 0.3
inns timeout 120 "$MOTE_NET" --tap otap --addr 10.78.0.3/24 --offload --stats get 10.78.0.1 9301 \
    > "$WORK/got" 2> "$WORK/get.err"
wait $L 2>/dev/null
got=$(sha256sum < "$WORK/got" | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "get $MIB MiB from Linux, byte-exact" ||
    bad "get: $(stat -c %s "$WORK/got") bytes, hash differs ($(tail -1 "$WORK/get.err"))"

ip netns exec "$NS" timeout 120 socat -u TCP-LISTEN:9302,reuseaddr CREATE:"$WORK/put" &
L=$!
PIDS+=("$L")
sleep 0.3
inns timeout 120 "$MOTE_NET" --tap otap --addr 10.78.0.4/24 --offload --stats put 10.78.0.1 9302 \
    < "$WORK/in" 2> "$WORK/put.err"
wait $L 2>/dev/null
got=$(sha256sum < "$WORK/put" | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "put $MIB MiB to Linux, byte-exact" ||
    bad "put: $(stat -c %s "$WORK/put" 2>/dev/null) bytes, hash differs ($(tail -1 "$WORK/put.err"))"
tso=$(counter eth.tso_out "$WORK/put.err")
[ "${tso:-0}" -gt 0 ] && ok "put used $tso TSO super-frames" || bad "put sent no TSO super-frames"

echo "offload: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
