#!/usr/bin/env bash
# openssl_interop.sh MOTE_X509: chains made with `openssl req`, `openssl x509`
# and `openssl ca` (RSA and ECDSA roots, intermediates with pathlen, name
# constraints, EKU; expired, not-yet-valid and wrong-name leaves) must verify
# the same way with `mote-x509 verify` as with `openssl verify`; and mote's
# own certificates must verify with `openssl verify`.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
MOTE=$(realpath "${1:?usage: openssl_interop.sh path/to/mote-x509}")
[ -x "$MOTE" ] || { echo "no executable $MOTE" >&2; exit 2; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
pass=0
OPOL=

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat > ext.cnf <<'CNF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ica]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ica0]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[icanc]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical, permitted;DNS:example.com, excluded;DNS:bad.example.com
[icaeku]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[icapol]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.3.6.1.4.1.55555.1
[icaany]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 2.5.29.32.0
[icamap]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.3.6.1.4.1.55555.1
policyMappings = 1.3.6.1.4.1.55555.1:1.3.6.1.4.1.55555.9
[icainhibit]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 2.5.29.32.0
inhibitAnyPolicy = critical, 0
[icarequire]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.3.6.1.4.1.55555.1
policyConstraints = critical, requireExplicitPolicy:0
[leafany]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.com
certificatePolicies = 2.5.29.32.0
[leafpol]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.com
certificatePolicies = 1.3.6.1.4.1.55555.1
[leafpol9]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.com
certificatePolicies = 1.3.6.1.4.1.55555.9
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.com, DNS:*.api.example.com, IP:192.0.2.10, email:Ops@Example.com
[leafbad]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.bad.example.com
[leafclient]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.com
CNF

# Roots: ECDSA P-256 and RSA 2048 (the only RSA key).
ec root-ec.key
openssl req -new -x509 -key root-ec.key -subj "/O=mote interop/CN=EC Root" -days 3650 \
    -config /dev/null -extensions root -extfile ext.cnf -out root-ec.pem 2>/dev/null \
  || openssl req -new -x509 -key root-ec.key -subj "/O=mote interop/CN=EC Root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out root-ec.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root-rsa.key 2>/dev/null
openssl req -new -x509 -key root-rsa.key -subj "/O=mote interop/CN=RSA Root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out root-rsa.pem

# issue NAME SUBJECT ISSUER SECTION: a new EC key and a certificate signed by ISSUER.
issue() {
    ec "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 365 \
        -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
}

issue ica-ec "/O=mote interop/CN=EC Intermediate" root-ec ica
issue ica-rsa "/O=mote interop/CN=RSA Intermediate" root-rsa ica0
issue leaf-ec "/CN=www.example.com" ica-ec leaf
issue leaf-rsa "/CN=www.example.com" ica-rsa leaf
# pathlen: root -> ica0 (pathlen 0) -> ica2 -> leaf
issue ica0 "/O=mote interop/CN=Pathlen0" root-ec ica0
issue ica2 "/O=mote interop/CN=Below Pathlen0" ica0 ica
issue leaf-deep "/CN=www.example.com" ica2 leaf
cat ica0.pem ica2.pem > chain-deep.pem
# name constraints
issue icanc "/O=mote interop/CN=Constrained" root-ec icanc
issue leaf-nc-ok "/CN=www.example.com" icanc leaf
issue leaf-nc-bad "/CN=www.bad.example.com" icanc leafbad
# EKU: a client-only leaf, and a server leaf under a client-only intermediate
issue leaf-client "/CN=www.example.com" ica-ec leafclient
issue icaeku "/O=mote interop/CN=Client CA" root-ec icaeku
issue leaf-under-client "/CN=www.example.com" icaeku leaf

# certificate policies (RFC 5280 6.1): a policy, anyPolicy, a mapping
issue icapol "/O=mote interop/CN=Policy CA" root-ec icapol
issue leaf-pol "/CN=www.example.com" icapol leafpol
issue icaany "/O=mote interop/CN=Any Policy CA" root-ec icaany
issue leaf-pol-any "/CN=www.example.com" icaany leafpol
issue leaf-nopol "/CN=www.example.com" icapol leaf
issue icamap "/O=mote interop/CN=Mapping CA" root-ec icamap
issue leaf-mapped "/CN=www.example.com" icamap leafpol9
issue icainhibit "/O=mote interop/CN=Inhibit Any CA" root-ec icainhibit
issue leaf-any-inhibited "/CN=www.example.com" icainhibit leafany
issue leaf-pol-inhibit "/CN=www.example.com" icainhibit leafpol
issue icarequire "/O=mote interop/CN=Require Explicit CA" root-ec icarequire
issue leaf-req-nopol "/CN=www.example.com" icarequire leaf
issue leaf-req-pol "/CN=www.example.com" icarequire leafpol

# openssl ca: expired and not-yet-valid leaves from the EC intermediate
mkdir -p ca/new && : > ca/index.txt && echo 1000 > ca/serial
cat > ca.cnf <<CNF
[ca]
default_ca = myca
[myca]
dir = $T/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $T/ica-ec.pem
private_key = $T/ica-ec.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
CNF
for w in expired future; do
    ec "leaf-$w.key"
    openssl req -new -key "leaf-$w.key" -subj "/CN=www.example.com" -out "leaf-$w.csr"
done
openssl ca -batch -config ca.cnf -extfile ext.cnf -extensions leaf -startdate 20200101000000Z \
    -enddate 20210101000000Z -in leaf-expired.csr -out leaf-expired.pem >/dev/null 2>&1
openssl ca -batch -config ca.cnf -extfile ext.cnf -extensions leaf -startdate 20400101000000Z \
    -enddate 20410101000000Z -in leaf-future.csr -out leaf-future.pem >/dev/null 2>&1

# check NAME EXPECT ROOT UNTRUSTED LEAF [HOST|IP:addr] [REASON] [MOTE ARGS...]: both
# tools must give EXPECT (ok/fail); a failing mote must name REASON (the check).
check() {
    local name=$1 expect=$2 root=$3 untrusted=$4 leaf=$5 host=${6:-} reason=${7:-}
    shift 7 2>/dev/null || shift $#
    local oargs=(-purpose sslserver $OPOL) margs=(--roots "$root" "$@")
    if [ -d "$root" ]; then oargs+=(-CApath "$root"); else oargs+=(-CAfile "$root"); fi
    if [ -n "$untrusted" ]; then oargs+=(-untrusted "$untrusted"); margs+=(--untrusted "$untrusted"); fi
    case "$host" in
        IP:*) oargs+=(-verify_ip "${host#IP:}"); margs+=(--ip "${host#IP:}") ;;
        EMAIL:*) oargs+=(-verify_email "${host#EMAIL:}"); margs+=(--email "${host#EMAIL:}") ;;
        ?*) oargs+=(-verify_hostname "$host"); margs+=(--host "$host") ;;
    esac
    local o m
    if openssl verify "${oargs[@]}" "$leaf" >/dev/null 2>&1; then o=ok; else o=fail; fi
    local out
    if out=$("$MOTE" verify "${margs[@]}" "$leaf" 2>&1); then m=ok; else m=fail; fi
    if [ "$o" = "$expect" ] && [ "$m" = "$expect" ] &&
       { [ -z "$reason" ] || printf '%s' "$out" | grep -q "($reason)"; }; then
        pass=$((pass + 1))
        echo "PASS $name: openssl $o, mote $m${reason:+ ($reason)}"
    else
        fail=$((fail + 1))
        echo "FAIL $name: expected $expect${reason:+ ($reason)}, openssl $o, mote $m: $out"
    fi
}

check ec-chain ok root-ec.pem ica-ec.pem leaf-ec.pem www.example.com
check ec-chain-wildcard ok root-ec.pem ica-ec.pem leaf-ec.pem v2.api.example.com
check ec-chain-ip ok root-ec.pem ica-ec.pem leaf-ec.pem IP:192.0.2.10
check ec-chain-wrong-ip fail root-ec.pem ica-ec.pem leaf-ec.pem IP:192.0.2.11 "peer name"
check ec-chain-email ok root-ec.pem ica-ec.pem leaf-ec.pem EMAIL:Ops@example.COM
check ec-chain-wrong-email fail root-ec.pem ica-ec.pem leaf-ec.pem EMAIL:ops@example.com "peer name"
check ec-chain-wrong-name fail root-ec.pem ica-ec.pem leaf-ec.pem other.example.com "peer name"
check ec-wildcard-two-labels fail root-ec.pem ica-ec.pem leaf-ec.pem a.b.api.example.com "peer name"
check rsa-root-chain ok root-rsa.pem ica-rsa.pem leaf-rsa.pem www.example.com
check wrong-root fail root-rsa.pem ica-ec.pem leaf-ec.pem www.example.com "no path"
check missing-intermediate fail root-ec.pem "" leaf-ec.pem www.example.com "no path"
check pathlen-violation fail root-ec.pem chain-deep.pem leaf-deep.pem www.example.com "path length"
check nc-permitted ok root-ec.pem icanc.pem leaf-nc-ok.pem www.example.com
check nc-excluded fail root-ec.pem icanc.pem leaf-nc-bad.pem www.bad.example.com "name constraints"
check eku-client-leaf fail root-ec.pem ica-ec.pem leaf-client.pem www.example.com "extended key usage"
check eku-client-intermediate fail root-ec.pem icaeku.pem leaf-under-client.pem www.example.com "extended key usage"
check expired-leaf fail root-ec.pem ica-ec.pem leaf-expired.pem www.example.com validity
check not-yet-valid-leaf fail root-ec.pem ica-ec.pem leaf-future.pem www.example.com validity

P1=1.3.6.1.4.1.55555.1
OPOL="-policy $P1 -explicit_policy"
check policy-match ok root-ec.pem icapol.pem leaf-pol.pem www.example.com "" --policy $P1
check policy-via-anypolicy ok root-ec.pem icaany.pem leaf-pol-any.pem www.example.com "" --policy $P1
check policy-leaf-without fail root-ec.pem icapol.pem leaf-nopol.pem www.example.com policy --policy $P1
check policy-mapped ok root-ec.pem icamap.pem leaf-mapped.pem www.example.com "" --policy $P1
OPOL="-policy 1.3.6.1.4.1.55555.2 -explicit_policy"
check policy-other fail root-ec.pem icapol.pem leaf-pol.pem www.example.com policy \
    --policy 1.3.6.1.4.1.55555.2
# inhibitAnyPolicy 0: the peer's own anyPolicy no longer counts (6.1.3 (d)(2)),
# a named policy still matches the CA's anyPolicy node.
OPOL="-policy $P1 -explicit_policy"
check inhibit-any-leaf-any fail root-ec.pem icainhibit.pem leaf-any-inhibited.pem www.example.com \
    policy --policy $P1
OPOL="-policy $P1 -explicit_policy"
check inhibit-any-leaf-named ok root-ec.pem icainhibit.pem leaf-pol-inhibit.pem www.example.com "" \
    --policy $P1
# requireExplicitPolicy 0 in a CA: policies become mandatory without the caller asking.
# (openssl's user-initial-policy-set is empty unless given; RFC 5280 6.1.1 (c)
# makes it any-policy, which mote uses by default, so openssl is told so.)
OPOL="-policy_check -policy 2.5.29.32.0"
check require-explicit-leaf-without fail root-ec.pem icarequire.pem leaf-req-nopol.pem \
    www.example.com policy
check require-explicit-leaf-with ok root-ec.pem icarequire.pem leaf-req-pol.pem www.example.com
OPOL=""

# The other way round: certificates made by mote-x509 verify with openssl.
"$MOTE" key gen p256 -o m-root.key && "$MOTE" key gen p384 -o m-ica.key && \
"$MOTE" key gen p256 -o m-leaf.key && "$MOTE" key gen ed25519 -o m-ed.key && \
"$MOTE" selfsign --key m-root.key --subject "CN=Mote Root,O=mote" --ca --days 30 -o m-root.pem && \
"$MOTE" csr --key m-ica.key --subject "CN=Mote Intermediate,O=mote" -o m-ica.csr && \
"$MOTE" sign --ca-cert m-root.pem --ca-key m-root.key --csr m-ica.csr --ca --pathlen 0 \
    --nc-permit example.com --policy 2.23.140.1.2.1 -o m-ica.pem && \
"$MOTE" csr --key m-leaf.key --subject "CN=www.example.com" --host www.example.com -o m-leaf.csr && \
"$MOTE" sign --ca-cert m-ica.pem --ca-key m-ica.key --csr m-leaf.csr --eku server \
    --policy 2.23.140.1.2.1 -o m-leaf.pem && \
"$MOTE" csr --key m-ed.key --subject "CN=ed.example.com" --host ed.example.com -o m-ed.csr && \
"$MOTE" sign --ca-cert m-ica.pem --ca-key m-ica.key --csr m-ed.csr --eku server -o m-ed.pem && \
"$MOTE" csr --key m-ed.key --subject "CN=ed.example.org" --host ed.example.org -o m-out.csr && \
"$MOTE" sign --ca-cert m-ica.pem --ca-key m-ica.key --csr m-out.csr --eku server -o m-out.pem
if [ $? -ne 0 ]; then
    fail=$((fail + 1)); echo "FAIL mote generation"
else
    openssl req -in m-ica.csr -verify -noout >/dev/null 2>&1 || { fail=$((fail + 1)); echo "FAIL openssl rejects mote CSR"; }
    check mote-made-chain ok m-root.pem m-ica.pem m-leaf.pem www.example.com
    OPOL="-policy 2.23.140.1.2.1 -explicit_policy"
    check mote-made-chain-policy ok m-root.pem m-ica.pem m-leaf.pem www.example.com "" \
        --policy 2.23.140.1.2.1
    OPOL="-policy 2.23.140.1.2.2 -explicit_policy"
    check mote-made-chain-other-policy fail m-root.pem m-ica.pem m-leaf.pem www.example.com \
        policy --policy 2.23.140.1.2.2
    OPOL=""
    # A request made by openssl (RSA key), signed by mote.
    openssl req -new -key root-rsa.key -subj "/CN=rsa.example.com/O=interop" \
        -addext "subjectAltName=DNS:rsa.example.com" -out o-rsa.csr 2>/dev/null
    "$MOTE" sign --ca-cert m-ica.pem --ca-key m-ica.key --csr o-rsa.csr --eku server \
        -o o-rsa.pem
    check openssl-csr-mote-signed ok m-root.pem m-ica.pem o-rsa.pem rsa.example.com
    # A self-signed server certificate trusted as itself (pinned).
    "$MOTE" selfsign --key m-leaf.key --host self.example.com -o m-self.pem
    check mote-self-signed-pinned ok m-self.pem "" m-self.pem self.example.com
    check mote-self-signed-pinned-wrong-name fail m-self.pem "" m-self.pem other.example.com \
        "peer name"
    check mote-self-signed-not-trusted fail m-root.pem "" m-self.pem self.example.com "no path"
    check mote-made-chain-nc fail m-root.pem m-ica.pem m-leaf.pem www.example.org "peer name"
    # Ed25519 leaves: outside the Baseline Requirements, accepted by the RFC 5280 profile.
    check mote-made-ed25519 ok m-root.pem m-ica.pem m-ed.pem ed.example.com "" --profile rfc5280
    # (openssl has no web PKI profile: mote alone refuses it there.)
    if out=$("$MOTE" verify --roots m-root.pem --untrusted m-ica.pem --host ed.example.com \
            m-ed.pem 2>&1) || ! printf '%s' "$out" | grep -q "(algorithm)"; then
        fail=$((fail + 1)); echo "FAIL webpki accepted an Ed25519 leaf: $out"
    else
        pass=$((pass + 1)); echo "PASS mote-made-ed25519 refused by the web PKI profile"
    fi
    # The intermediate's nameConstraints (permitted example.com) rule out example.org.
    check mote-made-outside-nc fail m-root.pem m-ica.pem m-out.pem ed.example.org \
        "name constraints" --profile rfc5280
    "$MOTE" show m-ica.pem | grep -q "DNS:example.com" || { fail=$((fail + 1)); echo "FAIL show"; }
fi

# Real server chains (x509-limbo's online:: cases, saved with their time)
# against the whole system store as a directory: mote and openssl agree.
LIMBO=${MOTE_SHARED_DIR:-$HERE/../../../shared}/vectors/x509-limbo/limbo.json
if [ -d /etc/ssl/certs ] && [ -f "$LIMBO" ] && command -v python3 >/dev/null; then
    python3 - "$LIMBO" <<'PY'
import json, sys
for t in json.load(open(sys.argv[1]))["testcases"]:
    if not t["id"].startswith("online::"):
        continue
    name = t["id"].split("::")[1]
    open(f"web-{name}-leaf.pem", "w").write(t["peer_certificate"])
    open(f"web-{name}-chain.pem", "w").write("".join(t["untrusted_intermediates"]))
    open(f"web-{name}-time", "w").write(t["validation_time"])
PY
    for leaf in web-*-leaf.pem; do
        name=${leaf#web-}; name=${name%-leaf.pem}
        when=$(cat "web-$name-time")
        epoch=$(date -d "$when" +%s)
        OPOL="-attime $epoch"
        check "system-store-$name" ok /etc/ssl/certs "web-$name-chain.pem" "$leaf" "$name" "" \
            --time "$when"
        check "system-store-$name-wrong-host" fail /etc/ssl/certs "web-$name-chain.pem" "$leaf" \
            "$name.invalid" "peer name" --time "$when"
    done
    OPOL=""
else
    echo "(no limbo vectors or python3: real chains skipped)"
fi

# Every root of the system store loads as trust anchors.
if [ -d /etc/ssl/certs ]; then
    n=$(ls /etc/ssl/certs/*.pem 2>/dev/null | wc -l)
    bad=0
    for f in /etc/ssl/certs/*.pem; do
        "$MOTE" show "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); echo "FAIL parse $f"; }
    done
    if [ "$bad" -eq 0 ]; then pass=$((pass + 1)); echo "PASS all $n roots under /etc/ssl/certs parse"; else fail=$((fail + 1)); fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
