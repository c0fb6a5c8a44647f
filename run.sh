#!/usr/bin/env bash
# run.sh [--once] [--direct]: installs what is missing, builds mote, and runs
# the demonstration: mote-serve serves docs/ over HTTPS with a certificate
# it makes itself (libmote-x509 and libmote-crypto), TLS 1.3 from libmote-tls,
# HTTP/1.1 from libmote-http; curl fetches a page and shows the TLS details;
# then mote-serve keeps serving until Ctrl-C (--once stops after the fetch).
# --direct runs it on mote's own TCP/IP stack (libmote-net) on a TAP device
# inside a fresh network namespace, and fetches from the namespace's Linux
# side (needs root).
set -euo pipefail
cd "$(dirname "$0")"
once=0
direct=0
for arg in "$@"; do
    case $arg in
        --once) once=1 ;;
        --direct)
            direct=1
            [ "$(id -u)" -eq 0 ] || { echo "run.sh --direct needs root (network namespace, TAP device)" >&2; exit 2; } ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--once] [--direct]" >&2; exit 2 ;;
    esac
done
./scripts/deps.sh run

build=_build/run
opts=(-Dtests=false -Dlibs=asn1,crypto,x509,tls,net,http,posix,vchan,conduit)
mkdir -p _build
if ! meson setup $([ -f "$build/build.ninja" ] && echo --reconfigure) "$build" "${opts[@]}" \
        >_build/run-setup.log 2>&1; then
    cat _build/run-setup.log; exit 1
fi
echo "building mote in $build ..."
ninja -C "$build" >/dev/null || ninja -C "$build"
serve="$build/apps/serve/mote-serve"

bold="" dim="" off=""
if [ -t 1 ]; then
    bold=$(tput bold 2>/dev/null || true)
    dim=$(tput dim 2>/dev/null || true)
    off=$(tput sgr0 2>/dev/null || true)
fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; }

port=${PORT:-8443}
tmp=$(mktemp -d)
pid=""
ns=""
cleanup() {
    if [ -n "$ns" ]; then
        # `ip netns exec` runs mote-serve as its child: signal what runs in
        # the namespace, give it time to stop gracefully, then remove it all.
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
        for _ in $(seq 1 60); do
            [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
            sleep 0.1
        done
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    fi
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; exit 0' INT TERM

# client: runs a command where the client lives (the namespace with --direct).
client() { "$@"; }
host=localhost
addr=127.0.0.1
if [ "$direct" -eq 1 ]; then
    ns=mote-demo-$$
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    client() { ip netns exec "$ns" "$@"; }
    host=10.79.0.2
    addr=10.79.0.2
    step "1. Start mote-serve on mote's own TCP/IP stack, on a TAP device in namespace $ns"
    echo "   mote's stack answers at $addr on TAP motedemo0; Linux in the namespace is 10.79.0.1."
    show "ip netns exec $ns $serve --stack direct --tap motedemo0 --ip $addr/24 --self-signed $addr --cert-out $tmp/cert.pem -p $port docs"
    client "$serve" --stack direct --tap motedemo0 --ip "$addr/24" --self-signed "$addr" \
        --cert-out "$tmp/cert.pem" -p "$port" docs &
    pid=$!
    for _ in $(seq 1 50); do
        ip -n "$ns" link show motedemo0 >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { echo "mote-serve did not start"; exit 1; }
        sleep 0.1
    done
    ip -n "$ns" addr add 10.79.0.1/24 dev motedemo0
    ip -n "$ns" link set motedemo0 up
    show "ip netns exec $ns ping -c 2 $addr"
    client ping -c 2 -W 2 "$addr" | sed 's/^/   /'
else
    step "1. Start mote-serve on docs/ with a self-signed certificate"
    show "$serve --self-signed localhost --cert-out $tmp/cert.pem -p $port -b 127.0.0.1 docs"
    "$serve" --self-signed localhost --cert-out "$tmp/cert.pem" -p "$port" -b 127.0.0.1 docs &
    pid=$!
fi
for _ in $(seq 1 50); do
    [ -s "$tmp/cert.pem" ] && client bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "mote-serve did not start (port $port busy? PORT=... ./run.sh)"; exit 1; }
    sleep 0.1
done

step "2. The certificate mote made (libmote-x509), as openssl sees it"
show "openssl x509 -in $tmp/cert.pem -noout -subject -ext subjectAltName -dates"
openssl x509 -in "$tmp/cert.pem" -noout -subject -ext subjectAltName -dates 2>/dev/null ||
    grep -c CERTIFICATE "$tmp/cert.pem"

step "3. Fetch a page with curl over TLS, trusting that certificate"
url="https://$host:$port/architecture.md"
show "curl -v --cacert $tmp/cert.pem $url"
client curl -sS -v --cacert "$tmp/cert.pem" --resolve "$host:$port:$addr" "$url" \
    -o "$tmp/page" 2>"$tmp/curl.log"
grep -E '^\* (SSL connection|ALPN: server|Server certificate|  subject|  subjectAltName|  expire)|^< HTTP|^< (Content-Type|Content-Length|ETag)' \
    "$tmp/curl.log" | sed 's/^/   /'
echo "   first lines of the page:"
head -n 5 "$tmp/page" | sed 's/^/   | /'
if cmp -s "$tmp/page" docs/architecture.md; then
    echo "   the $(wc -c <"$tmp/page") bytes received are identical to docs/architecture.md"
else
    echo "unexpected: the page differs from docs/architecture.md" >&2
    exit 1
fi

step "4. A range, a conditional request and a refused traversal"
show "curl -r 0-17 ...; curl -H 'If-None-Match: <etag>' ...; curl --path-as-is .../../etc/passwd"
c() { client curl -s --cacert "$tmp/cert.pem" --resolve "$host:$port:$addr" "$@"; }
echo "   range 0-17:     '$(c -r 0-17 "$url")'"
etag=$(c -D - -o /dev/null "$url" | tr -d '\r' | sed -n 's/^ETag: //p')
echo "   If-None-Match:  $(c -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")"
echo "   ../etc/passwd:  $(c -o /dev/null -w '%{http_code}' --path-as-is "https://$host:$port/../etc/passwd")"

if [ "$once" -eq 1 ]; then
    printf '\n%sdone.%s\n' "$bold" "$off"
    exit 0
fi
if [ "$direct" -eq 1 ]; then
    step "mote-serve keeps serving https://$addr:$port/ inside namespace $ns (ip netns exec $ns curl --cacert $tmp/cert.pem ...); Ctrl-C stops it"
else
    step "mote-serve keeps serving https://localhost:$port/ (trust $tmp/cert.pem); Ctrl-C stops it"
fi
wait "$pid"
