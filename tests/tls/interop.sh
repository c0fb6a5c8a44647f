#!/bin/bash
# interop.sh MOTE_TLS - libmote-tls (through the mote-tls command) against
# real peers from Debian: openssl s_server / s_client, gnutls-serv /
# gnutls-cli and curl, on 127.0.0.1. Every case checks what a user would
# see: the negotiated parameters, the bytes that came back, the alert of a
# refusal. Set MOTE_TLS_BIG=1 for 100 MiB transfers (default 8 MiB).
set -u
MOTE=$(readlink -f "$1")
for p in openssl gnutls-serv gnutls-cli curl sha256sum ss; do
    if ! command -v $p >/dev/null; then
        echo "SKIP: $p is not installed"
        exit 77
    fi
done

D=$(mktemp -d /tmp/mote-tls-interop-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
cd "$D"

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $*"
}
check() { # check NAME COMMAND... : passes if COMMAND succeeds
    local name=$1
    shift
    if "$@"; then ok; else bad "$name"; fi
}

# ---- certificates: a CA, leaves of every key type, an expired leaf, an
# ---- untrusted CA, a client certificate, and a second name for SNI.
gen_key() {
    case $2 in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out $1 ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $1 ;;
    ed25519) openssl genpkey -algorithm ed25519 -out $1 ;;
    esac 2>/dev/null
}
make_ca() { # make_ca NAME
    gen_key $1.key p256
    openssl req -x509 -new -key $1.key -out $1.crt -days 30 -subj "/CN=$1" 2>/dev/null
}
make_leaf() { # make_leaf NAME KEYTYPE DNSNAME DAYS [CA]
    local ca=${5:-ca}
    gen_key $1.key $2
    openssl req -new -key $1.key -subj "/CN=$3" -out $1.csr 2>/dev/null
    printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >$1.ext
    openssl x509 -req -in $1.csr -CA $ca.crt -CAkey $ca.key -CAcreateserial -days $4 \
        -extfile $1.ext -out $1.crt 2>/dev/null
}
make_ca ca
make_ca evilca
for k in p256 p384 rsa ed25519; do make_leaf $k $k localhost 30; done
make_leaf expired p256 localhost -1
make_leaf alt ed25519 alt.test 30
make_leaf client p256 client.test 30
make_leaf rogue p256 localhost 30 evilca

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        ss -tanH "sport = :$p" 2>/dev/null | grep -q . || {
            echo $p
            return
        }
    done
}
wait_port() {
    for _ in $(seq 1 100); do
        # Look, do not touch: a probe connection would use up an accept.
        ss -ltnH "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

printf 'HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\nhello, curl!\r\n' >resp.txt

# ---- mote client against openssl s_server ----------------------------------
signame() {
    case $1 in p256) echo ecdsa_secp256r1_sha256 ;; p384) echo ecdsa_secp384r1_sha384 ;;
    rsa) echo rsa_pss_rsae_sha256 ;; ed25519) echo ed25519 ;; esac
}
ossl_group() {
    case $1 in x25519) echo X25519 ;; secp256r1) echo P-256 ;; secp384r1) echo P-384 ;; esac
}
s_server() { # s_server PORT CERTNAME EXTRA... ; sets SPID
    openssl s_server -accept 127.0.0.1:$1 -cert $2.crt -key $2.key -quiet "${@:3}" \
        >s_server.log 2>&1 &
    SPID=$!
    PIDS+=($SPID)
    wait_port $1
}
client_case() { # client_case NAME EXPECT-REGEX MOTE-ARGS...
    local name=$1 want=$2
    shift 2
    local out
    out=$(echo "hello mote" | timeout 10 $MOTE client --cafile ca.crt $PROFILE "$@" 2>&1)
    if echo "$out" | grep -q "etom olleh" && echo "$out" | grep -qE "$want"; then
        ok
    else
        bad "$name: $out"
    fi
}

# Ed25519 leaves are outside the CA/B Forum profile: those cases validate
# with the RFC 5280 profile.
PROFILE=
for cert in p256 p384 rsa ed25519; do
    [ $cert = ed25519 ] && PROFILE=--rfc5280
    for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
        for group in x25519 secp256r1 secp384r1; do
            port=$(free_port)
            s_server $port $cert -rev -ciphersuites $suite -groups $(ossl_group $group)
            client_case "client $cert $suite $group vs openssl" \
                "suite $suite, group $group, signature $(signame $cert)" localhost:$port
            stop $SPID
        done
    done
done
PROFILE=

# HelloRetryRequest: the server wants P-384, the client's first share is X25519.
port=$(free_port)
s_server $port p256 -rev -groups P-384
client_case "client HRR vs openssl" "group secp384r1.*after HelloRetryRequest" \
    --groups x25519,secp384r1 localhost:$port
stop $SPID

# ALPN
port=$(free_port)
s_server $port p256 -rev -alpn http/1.1
client_case "client ALPN vs openssl" "ALPN http/1.1" --alpn h2,http/1.1 localhost:$port
stop $SPID

# KeyUpdate asked of the server (it must answer and keep talking).
port=$(free_port)
s_server $port p256 -rev
client_case "client KeyUpdate vs openssl" "connected" --key-update localhost:$port
stop $SPID

# Resumption with a ticket from s_server (psk_dhe_ke).
port=$(free_port)
s_server $port p256 -rev
rm -f mote.sess
out1=$( (
    echo "first"
    sleep 0.3
) | timeout 10 $MOTE client --cafile ca.crt --session mote.sess localhost:$port 2>&1)
out2=$( (
    echo "second"
    sleep 0.3
) | timeout 10 $MOTE client --cafile ca.crt --session mote.sess localhost:$port 2>&1)
if [ -s mote.sess ] && ! echo "$out1" | grep -q resumed && echo "$out2" | grep -q "resumed" &&
    echo "$out2" | grep -q "dnoces"; then
    ok
else bad "client resumption vs openssl: $out1 / $out2"; fi
stop $SPID

# Client certificates from the mote client (TLS 1.3 and 1.2), s_server -Verify.
for v in --tls1.3 --tls1.2; do
    port=$(free_port)
    s_server $port p256 -rev -Verify 1 -CAfile ca.crt -verify_return_error
    client_case "client certificate $v vs openssl" "connected" $v --cert client.crt \
        --key client.key localhost:$port
    stop $SPID
done

# TLS 1.2 resumption with an RFC 5077 ticket from s_server.
port=$(free_port)
s_server $port p256 -rev -tls1_2
rm -f mote12.sess
out1=$( (
    echo "first"
    sleep 0.3
) | timeout 10 $MOTE client --cafile ca.crt --tls1.2 --session mote12.sess localhost:$port 2>&1)
out2=$( (
    echo "second"
    sleep 0.3
) | timeout 10 $MOTE client --cafile ca.crt --tls1.2 --session mote12.sess localhost:$port 2>&1)
if [ -s mote12.sess ] && ! echo "$out1" | grep -q resumed &&
    echo "$out2" | grep -q "TLS 1.2.*resumed" && echo "$out2" | grep -q "dnoces"; then
    ok
else bad "client TLS 1.2 resumption vs openssl: $out1 / $out2"; fi
stop $SPID

# Refusals: wrong name, untrusted, expired, TLS 1.2-only server.
refuse_case() { # refuse_case NAME CERT ALERT-REGEX MOTE-ARGS... (server: s_server CERT)
    local name=$1 cert=$2 want=$3
    shift 3
    port=$(free_port)
    s_server $port $cert -rev ${SRV_EXTRA:-}
    local out
    out=$(echo hi | timeout 10 $MOTE client --cafile ca.crt "$@" 127.0.0.1:$port 2>&1)
    local rc=$?
    if [ $rc -ne 0 ] && echo "$out" | grep -qE "$want"; then ok; else bad "$name (rc $rc): $out"; fi
    stop $SPID
}
refuse_case "refuse wrong name" p256 "bad_certificate.*(name|NAME)" --servername wrong.test
refuse_case "refuse untrusted" rogue "unknown_ca"
refuse_case "refuse expired" expired "certificate_expired"
SRV_EXTRA=-tls1_2 refuse_case "refuse TLS 1.2-only server (client --tls1.3)" p256 \
    "protocol_version" --tls1.3
SRV_EXTRA="-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA" refuse_case "refuse CBC-only server" p256 \
    "handshake_failure"

# TLS 1.2: mote client against s_server -tls1_2 for each AEAD suite.
for c in "p256 ECDHE-ECDSA-AES128-GCM-SHA256 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" \
    "p384 ECDHE-ECDSA-AES256-GCM-SHA384 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" \
    "p256 ECDHE-ECDSA-CHACHA20-POLY1305 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" \
    "rsa ECDHE-RSA-AES128-GCM-SHA256 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" \
    "rsa ECDHE-RSA-AES256-GCM-SHA384 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" \
    "rsa ECDHE-RSA-CHACHA20-POLY1305 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"; do
    set -- $c
    for group in x25519 secp256r1 secp384r1; do
        port=$(free_port)
        s_server $port $1 -rev -tls1_2 -cipher $2 -groups $(ossl_group $group)
        client_case "client TLS 1.2 $2 $group vs openssl" "TLS 1.2, suite $3, group $group" \
            localhost:$port
        stop $SPID
    done
done
port=$(free_port)
s_server $port p256 -rev -tls1_2 -alpn http/1.1
client_case "client TLS 1.2 ALPN vs openssl" "TLS 1.2.*ALPN http/1.1" --alpn h2,http/1.1 \
    localhost:$port
stop $SPID

# Bulk: a file over s_server -WWW, compared by hash.
if [ "${MOTE_TLS_BIG:-0}" = 1 ]; then MIB=100; else MIB=8; fi
head -c $((MIB * 1048576)) /dev/urandom >big.bin
port=$(free_port)
s_server $port p256 -WWW
printf 'GET /big.bin HTTP/1.0\r\n\r\n' |
    timeout 60 $MOTE client --cafile ca.crt --quiet localhost:$port >big.resp 2>big.err
body_hash=$(python3 -c 'import sys
d=open(sys.argv[1],"rb").read(); i=d.find(b"\r\n\r\n"); sys.stdout.write(__import__("hashlib").sha256(d[i+4:]).hexdigest())' big.resp 2>/dev/null ||
    (sed -n '/^\r$/,$p' big.resp | tail -c +3 | sha256sum | cut -d' ' -f1))
want_hash=$(sha256sum big.bin | cut -d' ' -f1)
check "client ${MIB} MiB from openssl -WWW" [ "$body_hash" = "$want_hash" ]
stop $SPID

# ---- mote client against gnutls-serv -----------------------------------------
for cert in p256 rsa ed25519; do
    port=$(free_port)
    gnutls-serv --echo -p $port --x509certfile $cert.crt --x509keyfile $cert.key \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" >gnutls-serv.log 2>&1 &
    GPID=$!
    PIDS+=($GPID)
    wait_port $port
    out=$(
        (
            echo "hello gnutls"
            sleep 0.3
        ) | timeout 10 $MOTE client --cafile ca.crt --rfc5280 localhost:$port 2>&1
    )
    if echo "$out" | grep -q "hello gnutls" && echo "$out" | grep -q "signature $(signame $cert)"; then
        ok
    else
        bad "client $cert vs gnutls-serv: $out"
    fi
    stop $GPID
done
for cert in p256 rsa; do
    port=$(free_port)
    gnutls-serv --echo -p $port --x509certfile $cert.crt --x509keyfile $cert.key \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2" >gnutls-serv.log 2>&1 &
    GPID=$!
    PIDS+=($GPID)
    wait_port $port
    out=$( (
        echo "hello gnutls 1.2"
        sleep 0.3
    ) | timeout 10 $MOTE client --cafile ca.crt localhost:$port 2>&1)
    if echo "$out" | grep -q "^hello gnutls 1.2" && echo "$out" | grep -q "TLS 1.2"; then
        ok
    else
        bad "client TLS 1.2 $cert vs gnutls-serv: $out"
    fi
    stop $GPID
done

# ---- openssl s_client, gnutls-cli and curl against the mote server ------------
m_server() { # m_server CERT EXTRA... ; sets MPID and MPORT
    rm -f m_server.log # else the old port may be read before the new log starts
    $MOTE server --cert $1.crt --key $1.key --addr 127.0.0.1 --port 0 "${@:2}" \
        <"${MSTDIN:-/dev/null}" >m_server.out 2>m_server.log &
    MPID=$!
    PIDS+=($MPID)
    for _ in $(seq 1 100); do
        MPORT=$(sed -n 's/.*listening on .* port \([0-9]*\).*/\1/p' m_server.log)
        [ -n "$MPORT" ] && break
        sleep 0.05
    done
}

for cert in p256 p384 rsa ed25519; do
    m_server $cert
    for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
        for group in X25519 P-256 P-384; do
            out=$(
                (
                    echo "echo me"
                    sleep 0.2
                ) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt \
                    -verify_return_error -servername localhost -ciphersuites $suite \
                    -groups $group 2>&1
            )
            if echo "$out" | grep -q "^echo me" && echo "$out" | grep -q "Cipher is $suite" &&
                echo "$out" | grep -q "Verify return code: 0"; then
                ok
            else
                bad "s_client $cert $suite $group vs mote server: $(echo "$out" | tail -5)"
            fi
        done
    done
    # gnutls-cli
    out=$(
        (
            echo "hello from gnutls"
            sleep 0.3
        ) | timeout 10 gnutls-cli --x509cafile ca.crt -p $MPORT localhost 2>&1
    )
    if echo "$out" | grep -q "^hello from gnutls" && echo "$out" | grep -q "TLS1.3"; then
        ok
    else
        bad "gnutls-cli vs mote server ($cert): $(echo "$out" | tail -5)"
    fi
    stop $MPID
done

# TLS 1.2 clients against the mote server.
groups12() { # the group under test first, and both NIST curves for the certificate
    case $1 in x25519) echo X25519:P-256:P-384 ;; secp256r1) echo P-256:P-384 ;;
    secp384r1) echo P-384:P-256 ;; esac
}
for c in "p256 ECDHE-ECDSA-AES128-GCM-SHA256" "p384 ECDHE-ECDSA-AES256-GCM-SHA384" \
    "p256 ECDHE-ECDSA-CHACHA20-POLY1305" "rsa ECDHE-RSA-AES128-GCM-SHA256" \
    "rsa ECDHE-RSA-AES256-GCM-SHA384" "rsa ECDHE-RSA-CHACHA20-POLY1305"; do
    set -- $c
    # In TLS 1.2 the client's groups also bound the ECDSA certificate's
    # curve (RFC 8422), so s_client lists both; the mote server is held to
    # the group under test.
    for group in x25519 secp256r1 secp384r1; do
        m_server $1 --groups $group
        out=$( (
            echo "twelve"
            sleep 0.2
        ) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -tls1_2 \
            -cipher $2 -groups $(groups12 $group) -verify_return_error 2>&1)
        if echo "$out" | grep -q "^twelve" && echo "$out" | grep -q "Cipher is $2" &&
            echo "$out" | grep -q "Extended master secret: yes" &&
            grep -q "TLS 1.2, suite .*, group $group" m_server.log; then
            ok
        else bad "s_client TLS 1.2 $2 $group vs mote server: $(echo "$out" | tail -4)"; fi
        stop $MPID
    done
    m_server $1
    out=$( (
        echo "gnutls twelve"
        sleep 0.3
    ) | timeout 10 gnutls-cli --x509cafile ca.crt -p $MPORT \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2" localhost 2>&1)
    if echo "$out" | grep -q "^gnutls twelve" && echo "$out" | grep -q "TLS1.2"; then
        ok
    else bad "gnutls-cli TLS 1.2 vs mote server ($1): $(echo "$out" | tail -3)"; fi
    stop $MPID
done
# record_size_limit (RFC 8449) to gnutls-cli --recordsize=512, TLS 1.2 and
# 1.3: the mote server answers the extension (gnutls parses it in the
# ServerHello / EncryptedExtensions) and sends records of exactly the
# limit (1.2: 512 bytes of data; 1.3: 511 and the content type), and all
# 20000 lines arrive.
seq 1 20000 >lines.txt
for prio in "NORMAL:-VERS-ALL:+VERS-TLS1.2" "NORMAL:-VERS-ALL:+VERS-TLS1.3"; do
    MSTDIN=lines.txt m_server p256 --stdin --once
    (sleep 1) | timeout 10 gnutls-cli -d 5 --x509cafile ca.crt -p $MPORT --recordsize=512 \
        --priority "$prio" localhost >g_rsl.out 2>g_rsl.err
    most=$(sed -n 's/.*Decrypted Packet.*Application Data(23) with length: \([0-9]*\).*/\1/p' \
        g_rsl.err | sort -n | tail -1)
    if [ "$(grep -c '^[0-9]' g_rsl.out)" = 20000 ] && [ "$most" = 512 ] &&
        grep -q "Parsing extension 'Record Size Limit/28'" g_rsl.err; then
        ok
    else bad "record_size_limit 512 to gnutls-cli ($prio): largest record $most, $(grep -c '^[0-9]' g_rsl.out) lines"; fi
    stop $MPID
done
MSTDIN=resp.txt m_server p256 --alpn http/1.1 --stdin --once
out=$(timeout 10 curl -sS --tlsv1.2 --tls-max 1.2 --cacert ca.crt https://localhost:$MPORT/ 2>&1)
if [ "$out" = "$(printf 'hello, curl!\r')" ] && grep -q "TLS 1.2.*ALPN http/1.1" m_server.log; then
    ok
else bad "curl TLS 1.2 vs mote server: $out / $(cat m_server.log)"; fi
stop $MPID

# HelloRetryRequest from the mote server: it wants P-384 only.
m_server p256 --groups secp384r1
out=$( (
    echo "retry"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -groups X25519:P-384 2>&1)
if echo "$out" | grep -q "^retry" && grep -q "after HelloRetryRequest" m_server.log; then
    ok
else bad "s_client HRR vs mote server: $(tail -3 m_server.log)"; fi
stop $MPID

# Resumption: s_client keeps the mote server's ticket and comes back.
m_server p256
(
    echo "one"
    sleep 0.3
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -sess_out ossl.sess \
    >/dev/null 2>&1
out=$( (
    echo "two"
    sleep 0.3
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -sess_in ossl.sess 2>&1)
if echo "$out" | grep -q "^Reused, TLSv1.3" && echo "$out" | grep -q "^two" &&
    [ "$(grep -c ', resumed' m_server.log)" = 1 ]; then
    ok
else bad "s_client resumption vs mote server: $(echo "$out" | grep -E 'Reused|New' | head -2) / $(cat m_server.log)"; fi
stop $MPID

# TLS 1.2 resumption: s_client keeps the mote server's RFC 5077 ticket.
m_server p256
(
    echo "one"
    sleep 0.3
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -tls1_2 \
    -sess_out ossl12.sess >/dev/null 2>&1
out=$( (
    echo "two"
    sleep 0.3
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -tls1_2 \
    -sess_in ossl12.sess 2>&1)
if echo "$out" | grep -q "^Reused, TLSv1.2" && echo "$out" | grep -q "^two" &&
    grep -q "TLS 1.2.*, resumed" m_server.log; then
    ok
else bad "s_client TLS 1.2 resumption vs mote server: $(echo "$out" | grep -E 'Reused|New' | head -2) / $(cat m_server.log)"; fi
stop $MPID

# KeyUpdate from s_client ("K": update and ask for one back), data after it.
m_server p256
out=$( (
    echo "before"
    sleep 0.3
    echo "K"
    sleep 0.3
    echo "after"
    sleep 0.3
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt 2>&1)
sleep 0.2
if echo "$out" | grep -q "^after" && echo "$out" | grep -q "KEYUPDATE" &&
    grep -q "1 KeyUpdate(s) received" m_server.log; then
    ok
else bad "s_client KeyUpdate vs mote server: $(echo "$out" | tail -4) / $(tail -2 m_server.log)"; fi
stop $MPID

# SNI: two certificates, chosen by name.
rm -f m_server.log
$MOTE server --cert p256.crt --key p256.key --cert alt.crt --key alt.key --names alt.test \
    --addr 127.0.0.1 --port 0 >m_server.out 2>m_server.log &
MPID=$!
PIDS+=($MPID)
for _ in $(seq 1 100); do
    MPORT=$(sed -n 's/.*listening on .* port \([0-9]*\).*/\1/p' m_server.log)
    [ -n "$MPORT" ] && break
    sleep 0.05
done
for name in alt.test localhost; do
    out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -servername $name \
        -CAfile ca.crt -verify_hostname $name -verify_return_error 2>&1)
    if echo "$out" | grep -q "subject=CN = $name" && echo "$out" | grep -q "Verify return code: 0"; then
        ok
    else bad "SNI $name: $(echo "$out" | grep -E 'subject|Verify' | head -3)"; fi
done
stop $MPID

# Certificate signatures: two certificates for localhost, a P-256 leaf signed
# by an RSA CA (rsa_pkcs1_sha256) first and an RSA leaf signed by the P-256
# CA (ecdsa_secp256r1_sha256) second. OpenSSL 3.0's s_client sends no
# signature_algorithms_cert (and s_client / s_server have no option for it),
# so the mote server judges chains by signature_algorithms (RFC 8446 4.2.3):
# without rsa_pkcs1_sha256 it must send the RSA leaf; with it, the first.
make_ca_rsa() {
    gen_key $1.key rsa
    openssl req -x509 -new -key $1.key -out $1.crt -days 30 -subj "/CN=$1" 2>/dev/null
}
make_ca_rsa rsaca
make_leaf ecrsa p256 localhost 30 rsaca
make_leaf rsaec rsa localhost 30 ca
cat ca.crt rsaca.crt >cas.crt
rm -f m_server.log
$MOTE server --cert ecrsa.crt --key ecrsa.key --names localhost --cert rsaec.crt --key rsaec.key \
    --names localhost --addr 127.0.0.1 --port 0 >m_server.out 2>m_server.log &
MPID=$!
PIDS+=($MPID)
for _ in $(seq 1 100); do
    MPORT=$(sed -n 's/.*listening on .* port \([0-9]*\).*/\1/p' m_server.log)
    [ -n "$MPORT" ] && break
    sleep 0.05
done
for c in "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256 rsaec issuer=CN = ca" \
    "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pkcs1_sha256 ecrsa issuer=CN = rsaca"; do
    read -r sigalgs _ issuer <<<"$c"
    out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -servername localhost \
        -CAfile cas.crt -verify_return_error -sigalgs $sigalgs 2>&1)
    if echo "$out" | grep -q "^$issuer\$" && echo "$out" | grep -q "Verify return code: 0"; then
        ok
    else bad "certificate by signature algorithm ($sigalgs): $(echo "$out" | grep -E 'issuer|Verify|error' | head -3)"; fi
done
stop $MPID

# ALPN and curl: the mote server serves an HTTP response from stdin.
MSTDIN=resp.txt m_server p256 --alpn http/1.1 --stdin --once
out=$(timeout 10 curl -sS --cacert ca.crt https://localhost:$MPORT/ 2>&1)
if [ "$out" = "$(printf 'hello, curl!\r')" ] && grep -q "ALPN http/1.1" m_server.log; then
    ok
else bad "curl vs mote server: $out / $(cat m_server.log)"; fi
stop $MPID

# X25519MLKEM768 (no Debian peer has it): mote client against mote server
# over kernel sockets.
m_server p256 --groups X25519MLKEM768,x25519
out=$( (
    echo "post-quantum"
    sleep 0.2
) | timeout 10 $MOTE client --cafile ca.crt --groups X25519MLKEM768 localhost:$MPORT 2>&1)
if echo "$out" | grep -q "group X25519MLKEM768" && echo "$out" | grep -q "^post-quantum"; then
    ok
else bad "X25519MLKEM768 mote to mote: $out"; fi
stop $MPID

# OCSP stapling: a response made by `openssl ocsp`, asked for by s_client -status.
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" \
    "$(openssl x509 -in p256.crt -noout -serial | cut -d= -f2)" \
    "$(openssl x509 -in p256.crt -noout -subject -nameopt compat | sed 's/^subject=//')" >index.txt
openssl ocsp -issuer ca.crt -cert p256.crt -reqout ocsp.req -no_nonce >/dev/null 2>&1
openssl ocsp -index index.txt -rsigner ca.crt -rkey ca.key -CA ca.crt -reqin ocsp.req \
    -respout ocsp.der >/dev/null 2>&1
m_server p256 --ocsp ocsp.der
out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -status 2>&1)
if echo "$out" | grep -q "OCSP Response Status: successful" && echo "$out" | grep -q "Cert Status: good"; then
    ok
else bad "OCSP staple to s_client -status: $(echo "$out" | grep -i ocsp | head -3)"; fi
out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt 2>&1)
if ! echo "$out" | grep -q "OCSP Response Status"; then ok; else bad "OCSP sent unasked"; fi
stop $MPID

# Bulk to s_client, compared by hash.
MSTDIN=big.bin m_server p256 --stdin --once
timeout 60 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -quiet </dev/null \
    >big.out 2>/dev/null
check "mote server ${MIB} MiB to s_client ($(stat -c %s big.out) bytes)" [ "$(sha256sum <big.out | cut -d' ' -f1)" = "$want_hash" ]
stop $MPID

# Client certificates: required and checked against the CA.
m_server p256 --verify-client ca.crt
out=$( (
    echo "with cert"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -cert client.crt \
    -key client.key 2>&1)
if echo "$out" | grep -q "^with cert"; then ok; else bad "client cert accepted: $(echo "$out" | tail -3)"; fi
out=$( (
    echo "no cert"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt 2>&1)
if ! echo "$out" | grep -q "^no cert" && echo "$out" | grep -q "certificate required"; then
    ok
else bad "missing client cert refused: $(echo "$out" | tail -3)"; fi
out=$( (
    echo "rogue"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -cert rogue.crt \
    -key rogue.key 2>&1)
if ! echo "$out" | grep -q "^rogue" && echo "$out" | grep -q "unknown ca"; then
    ok
else bad "untrusted client cert refused: $(echo "$out" | tail -3)"; fi
out=$( (
    echo "old"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -tls1_2 -cert client.crt \
    -key client.key 2>&1)
if echo "$out" | grep -q "^old"; then
    ok
else bad "TLS 1.2 client certificate accepted: $(echo "$out" | tail -3)"; fi
out=$( (
    echo "old, no cert"
    sleep 0.2
) | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -CAfile ca.crt -tls1_2 2>&1)
if ! echo "$out" | grep -q "^old, no cert" && echo "$out" | grep -q "handshake failure"; then
    ok
else bad "TLS 1.2 client without a certificate refused: $(echo "$out" | tail -3)"; fi
stop $MPID

# Refusals by the mote server: TLS 1.1 only, CBC suites only, and TLS 1.2
# when the server is 1.3-only.
m_server p256
for args in "-tls1_1 -cipher DEFAULT@SECLEVEL=0" "-tls1_2 -cipher AES128-SHA"; do
    out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT $args 2>&1)
    if echo "$out" | grep -qE "protocol version|alert number 70|no protocols available|handshake failure"; then
        ok
    else bad "refuse s_client $args: $(echo "$out" | tail -3)"; fi
done
grep -q "sent alert protocol_version" m_server.log && ok || bad "server log names protocol_version"
grep -q "sent alert handshake_failure: no TLS 1.2 cipher suite" m_server.log && ok ||
    bad "server log names handshake_failure for CBC only"
stop $MPID
m_server p256 --tls1.3
out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$MPORT -tls1_2 2>&1)
if echo "$out" | grep -qE "protocol version|alert number 70"; then ok; else bad "refuse 1.2 at --tls1.3 server"; fi
stop $MPID

echo "interop: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
