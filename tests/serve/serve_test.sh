#!/usr/bin/env bash
# serve_test.sh MOTE_SERVE [http|https|direct]: mote-serve against curl, raw
# sockets and openssl s_client: byte-exact files, ranges, conditional
# requests, listings, redirects, 404/403/405/400/416, traversal and symlink
# escapes, pipelining, concurrent and slow clients, and a graceful stop on
# SIGTERM.
#   http    kernel sockets on 127.0.0.1
#   https   the same over TLS 1.3 with a self-signed certificate that curl
#           is told to trust (the negotiated details are checked too), and
#           a TLS 1.2 fetch
#   https12 every check over TLS 1.2 (curl and s_client held to 1.2)
#   direct  mote's own TCP/IP stack (libmote-net) on a TAP device, inside a
#           network namespace this test makes and removes; Linux's stack in
#           the namespace is the client (needs root)
set -uo pipefail
serve=$1
mode=${2:-http}
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
tls=0 tlsver=() sclient_ver=()
case $mode in
    https) tls=1 ;;
    https12) tls=1 tlsver=(--tlsv1.2 --tls-max 1.2) sclient_ver=(-tls1_2) ;;
esac
if [ "$tls" = 1 ]; then
    command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }
fi
if [ "$mode" = direct ]; then
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: the direct-stack test needs root (netns, TAP)"; exit 77; }
    command -v ip >/dev/null || { echo "SKIP: iproute2 is not installed"; exit 77; }
    ns=mote-serve-$$
    ip netns del "$ns" 2>/dev/null
    ip netns add "$ns" || { echo "FAIL: cannot create network namespace"; exit 1; }
    trap 'ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns" 2>/dev/null' EXIT
    ip -n "$ns" link set lo up
    ip netns exec "$ns" "$0" "$serve" direct-inner
    exit $?
fi
tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    exec 3>&- 4>&- 5>&- 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
passes=0
check() { # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

root=$tmp/www
mkdir -p "$root/dir/sub" "$root/with space" "$tmp/outside"
head -c 3000000 /dev/urandom > "$root/big.bin"
echo "hello mote" > "$root/hello.txt"
echo "<h1>index</h1>" > "$root/dir/index.html"
echo "inside" > "$root/dir/sub/file.txt"
echo "spaced" > "$root/with space/a b.txt"
echo "secret" > "$tmp/outside/secret.txt"
ln -s "$tmp/outside/secret.txt" "$root/escape-link"
ln -s "$tmp/outside" "$root/escape-dir"
ln -s hello.txt "$root/inside-link"
mkfifo "$root/fifo"
touch -d '2020-01-02 03:04:05 UTC' "$root/hello.txt"

args=(-p 0 -b 127.0.0.1)
host=127.0.0.1
case $mode in
    https|https12) args+=(--self-signed localhost --cert-out "$tmp/cert.pem") ;;
    direct-inner)
        # mote's stack is 10.78.0.2 on the TAP; Linux takes 10.78.0.1 on it.
        tap=mtap$$
        host=10.78.0.2
        args=(--stack direct --tap "$tap" --ip 10.78.0.2/24 -p 8080) ;;
esac
"$serve" "${args[@]}" --idle-timeout 3 --access-log "$tmp/access.log" "$root" 2>"$tmp/err.log" &
pid=$!
port=""
for _ in $(seq 1 50); do
    port=$(sed -n 's/.*:\([0-9][0-9]*\)\/.*/\1/p' "$tmp/err.log" | head -n1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: mote-serve did not start"; cat "$tmp/err.log"; exit 1; }
if [ "$mode" = direct-inner ]; then
    ip addr add 10.78.0.1/24 dev "$tap" && ip link set "$tap" up ||
        { echo "FAIL: cannot configure $tap"; exit 1; }
    check "Linux pings mote's stack" ping -c1 -W2 "$host"
fi
if [ "$tls" = 1 ]; then
    base="https://localhost:$port"
    curl() { command curl "${tlsver[@]}" --cacert "$tmp/cert.pem" --resolve "localhost:$port:127.0.0.1" "$@"; }
    # raw REQUEST-TEXT: sends the bytes over TLS, prints what comes back.
    raw() { printf "$1" | timeout 5 openssl s_client "${sclient_ver[@]}" -quiet -ign_eof -connect "127.0.0.1:$port" -servername localhost 2>/dev/null; }
else
    base="http://$host:$port"
    raw() {
        exec 3<>"/dev/tcp/$host/$port"
        printf "$1" >&3
        timeout 5 cat <&3
        exec 3>&-
    }
fi

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

if [ "$mode" = https12 ]; then
    details=$(curl -sv -o /dev/null "$base/hello.txt" 2>&1)
    check "TLS 1.2 (ECDHE-ECDSA, AEAD)" grep -q 'SSL connection using TLSv1.2 / ECDHE-ECDSA-AES128-GCM-SHA256' <<<"$details"
    check "ALPN http/1.1" grep -q 'ALPN: server accepted http/1.1' <<<"$details"
fi
if [ "$mode" = https ]; then
    details=$(curl -sv -o /dev/null "$base/hello.txt" 2>&1)
    check "TLS 1.3" grep -q 'SSL connection using TLSv1.3' <<<"$details"
    check "ALPN http/1.1" grep -q 'ALPN: server accepted http/1.1' <<<"$details"
    check "certificate verified" grep -q 'subjectAltName: host "localhost" matched' <<<"$details"
    details12=$(curl -sv --tlsv1.2 --tls-max 1.2 -o /dev/null "$base/hello.txt" 2>&1)
    check "TLS 1.2 (ECDHE-ECDSA, AEAD)" grep -q 'SSL connection using TLSv1.2 / ECDHE-ECDSA-AES128-GCM-SHA256' <<<"$details12"
    check "TLS 1.2 body" test "$(curl -s --tlsv1.2 --tls-max 1.2 "$base/hello.txt")" = "hello mote"
    check "untrusted certificate refused" sh -c "! command curl -s 'https://localhost:$port/' --resolve 'localhost:$port:127.0.0.1' -o /dev/null"
fi

# Files, byte-exact.
curl -s "$base/big.bin" -o "$tmp/big.out"
check "big file byte-exact" cmp -s "$root/big.bin" "$tmp/big.out"
check "small file" test "$(curl -s "$base/hello.txt")" = "hello mote"
check "percent-encoded name" test "$(curl -s "$base/with%20space/a%20b.txt")" = "spaced"
check "content-type" test "$(curl -s -o /dev/null -w '%{content_type}' "$base/hello.txt")" = "text/plain; charset=utf-8"
check "HEAD has no body" test "$(curl -s -I "$base/big.bin" | tr -d '\r' | grep -i '^content-length:' | awk '{print $2}')" = 3000000

# Ranges.
curl -s -r 1000-1999 "$base/big.bin" -o "$tmp/range.out"
dd if="$root/big.bin" of="$tmp/range.want" bs=1 skip=1000 count=1000 2>/dev/null
check "range 1000-1999" cmp -s "$tmp/range.want" "$tmp/range.out"
check "range status 206" test "$(code -r 0-0 "$base/hello.txt")" = 206
check "suffix range" test "$(curl -s -r -5 "$base/hello.txt")" = "mote"
check "unsatisfiable range 416" test "$(code -r 5000-6000 "$base/hello.txt")" = 416
check "416 has Content-Range" grep -qi '^content-range: bytes \*/11$' <<<"$(curl -s -D - -o /dev/null -r 5000- "$base/hello.txt" | tr -d '\r')"
check "multi-range serves whole" test "$(code -r 0-1,3-4 "$base/hello.txt")" = 200

# Conditional requests.
etag=$(curl -s -D - -o /dev/null "$base/hello.txt" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
check "etag present" test -n "$etag"
check "If-None-Match 304" test "$(code -H "If-None-Match: $etag" "$base/hello.txt")" = 304
check "If-None-Match other 200" test "$(code -H 'If-None-Match: "nope"' "$base/hello.txt")" = 200
check "If-Modified-Since later 304" test "$(code -H 'If-Modified-Since: Sat, 01 Jan 2022 00:00:00 GMT' "$base/hello.txt")" = 304
check "If-Modified-Since earlier 200" test "$(code -H 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT' "$base/hello.txt")" = 200
check "Last-Modified" grep -q '^Last-Modified: Thu, 02 Jan 2020 03:04:05 GMT$' <<<"$(curl -s -D - -o /dev/null "$base/hello.txt" | tr -d '\r')"

# Directories.
check "index.html" test "$(curl -s "$base/dir/")" = "<h1>index</h1>"
check "redirect to slash" test "$(code "$base/dir")" = 301
check "listing" grep -q 'href="file.txt"' <<<"$(curl -s "$base/dir/sub/")"
check "listing escapes" grep -q 'href="with%20space/"' <<<"$(curl -s "$base/")"

# Errors.
check "404" test "$(code "$base/missing")" = 404
check "405 POST" test "$(code -X POST -d x "$base/hello.txt")" = 405
check "405 Allow" grep -q '^Allow: GET, HEAD$' <<<"$(curl -s -D - -o /dev/null -X DELETE "$base/hello.txt" | tr -d '\r')"
check "fifo refused" test "$(code "$base/fifo")" = 403

# Traversal and symlink escapes.
check "dot-dot" test "$(code --path-as-is "$base/../../etc/passwd")" = 403
check "encoded dot-dot" test "$(code --path-as-is "$base/%2e%2e/%2e%2e/etc/passwd")" = 403
check "encoded slash" test "$(code --path-as-is "$base/..%2f..%2fetc/passwd")" = 400
check "symlink escape file" test "$(code "$base/escape-link")" = 403
check "symlink escape dir" test "$(code "$base/escape-dir/secret.txt")" = 403
check "symlink inside ok" test "$(curl -s "$base/inside-link")" = "hello mote"

# Malformed requests get 400 and the server stays up.
check "smuggling 400" sh -c "head -n1 | grep -q '^HTTP/1.1 400'" <<<"$(raw 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n')"
check "garbage 400" sh -c "head -n1 | grep -q '^HTTP/1.1 400'" <<<"$(raw 'GARBAGE\n\n')"
check "body too large 413" sh -c "head -n1 | grep -q '^HTTP/1.1 413'" <<<"$(raw 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n')"
check "request line too long 414" sh -c "head -n1 | grep -q '^HTTP/1.1 414'" <<<"$(raw "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: a\r\n\r\n")"
check "up after bad requests" test "$(curl -s "$base/hello.txt")" = "hello mote"

# Pipelining: two requests in one write, answered in order.
raw 'GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /dir/sub/file.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' > "$tmp/pipe.out"
check "pipelined both answered" test "$(grep -c '^HTTP/1.1 200' "$tmp/pipe.out")" = 2
check "pipelined order" sh -c "grep -a -n -e 'hello mote' -e 'inside' '$tmp/pipe.out' | head -n1 | grep -q 'hello mote'"

# Slow and half-open clients do not hold up others; the idle timeout closes them.
exec 4<>"/dev/tcp/$host/$port"
# over TLS the stalled client sends nothing at all: the handshake itself stalls
[ "$mode" = http ] && printf 'GET /hello.txt HTTP/1.1\r\nHo' >&4
exec 5<>"/dev/tcp/$host/$port"
check "served while a client stalls" test "$(curl -s -m 5 "$base/hello.txt")" = "hello mote"
start=$(date +%s)
timeout 10 cat <&4 >/dev/null
check "idle client closed by timeout" test $(( $(date +%s) - start )) -le 6
exec 4>&- 5>&-

# Concurrent clients.
for i in $(seq 1 20); do
    curl -s "$base/big.bin" -o "$tmp/c$i.out" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
ok=1
for i in $(seq 1 20); do cmp -s "$root/big.bin" "$tmp/c$i.out" || ok=0; done
check "20 concurrent byte-exact" test $ok = 1

# The access log.
check "access log" grep -q '"GET /hello.txt HTTP/1.1" 200 11' "$tmp/access.log"
check "access log 404" grep -q '"GET /missing HTTP/1.1" 404' "$tmp/access.log"

# Graceful stop.
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
st=$?
pid=""
check "SIGTERM exit 0" test "$st" = 0

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
