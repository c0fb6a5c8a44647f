#!/usr/bin/env bash
# cli_test.sh MOTE_ASN1: checks the mote-asn1 command as a user runs it: a
# real certificate, DER and PEM input, garbage, BER-only encodings with and
# without --strict, OID lookups, PEM <-> DER, and the tree's offsets and
# lengths against `openssl asn1parse` for every certificate in
# /etc/ssl/certs.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME WANT_STATUS ARGS... : runs the command, keeps out/err, checks status.
run() {
    local name=$1 want=$2
    shift 2
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit $got, want $want"; sed 's/^/  | /' "$tmp/err" | head -5
        return 1
    fi
    if [ "$got" -gt 2 ]; then
        fail "$name: crashed (status $got)"
        return 1
    fi
    return 0
}
expect_in() { # FILE PATTERN NAME
    if grep -q -- "$2" "$1"; then pass "$3"; else fail "$3: '$2' not in output"; sed 's/^/  | /' "$1" | head -5; fi
}

cert=/etc/ssl/certs/ISRG_Root_X1.pem
[ -f "$cert" ] || cert=$(ls /etc/ssl/certs/*.pem 2>/dev/null | head -1)
if [ -z "$cert" ] || [ ! -f "$cert" ]; then
    echo "SKIP: no certificate in /etc/ssl/certs (install ca-certificates)"
    exit 77
fi

run "dump PEM" 0 dump "$cert" && {
    expect_in "$tmp/out" "cons: SEQUENCE" "dump shows the SEQUENCE"
    expect_in "$tmp/out" "OBJECT IDENTIFIER .*:commonName (2.5.4.3)" "dump names OIDs"
    expect_in "$tmp/out" "UTCTime\|GeneralizedTime" "dump shows times"
    expect_in "$tmp/out" "BEGIN CERTIFICATE" "dump reports the PEM block"
}
cp "$tmp/out" "$tmp/pem-dump"

run "der from PEM" 0 der "$cert" && cp "$tmp/out" "$tmp/cert.der"
run "dump DER" 0 dump "$tmp/cert.der" && {
    if diff <(grep 'd=' "$tmp/pem-dump") <(grep 'd=' "$tmp/out") >/dev/null; then
        pass "DER and PEM dumps agree"
    else
        fail "DER and PEM dumps differ"
    fi
}
run "strict on a good cert" 0 dump --strict "$tmp/cert.der"
run "pem from DER" 0 pem CERTIFICATE "$tmp/cert.der" && {
    cp "$tmp/out" "$tmp/again.pem"
    run "der of our PEM" 0 der "$tmp/again.pem" && cmp -s "$tmp/out" "$tmp/cert.der" &&
        pass "PEM round trip" || fail "PEM round trip"
}
run "stdin" 0 dump - <"$tmp/cert.der"
{ echo "Explanatory text before the block (RFC 7468 allows it)"; cat "$cert"; cat "$cert"; } >"$tmp/text.pem"
run "PEM after text, two blocks" 0 dump --strict "$tmp/text.pem" && {
    [ "$(grep -c 'BEGIN CERTIFICATE' "$tmp/out")" -eq 2 ] && pass "two blocks dumped" || fail "two blocks dumped"
}

# Garbage, empty, missing, truncated: an error message and status 1 or 2.
printf '\xff\xfe\xfd\x00garbage\x13\x37' >"$tmp/garbage"
run "garbage" 1 dump "$tmp/garbage" && expect_in "$tmp/err" "offset" "garbage error names an offset"
: >"$tmp/empty"
run "empty file" 1 dump "$tmp/empty" && expect_in "$tmp/err" "empty" "empty file message"
run "missing file" 2 dump "$tmp/does-not-exist" && expect_in "$tmp/err" "cannot open" "missing file message"
head -c 700 "$tmp/cert.der" >"$tmp/truncated"
run "truncated DER" 1 dump "$tmp/truncated" && expect_in "$tmp/err" "offset 1: length runs past" "truncated names offset 1"
printf -- '-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n' >"$tmp/badpem"
run "bad base64 in PEM" 1 dump "$tmp/badpem" && expect_in "$tmp/err" "base64" "bad PEM message"
cat "$cert" >"$tmp/trail.der"
cat "$tmp/cert.der" <(printf '\x00') >"$tmp/trail.der"
run "trailing byte" 1 dump "$tmp/trail.der" && expect_in "$tmp/err" "trailing" "trailing byte message"
head -c 4096 /dev/urandom >"$tmp/random"
"$bin" dump "$tmp/random" >/dev/null 2>&1
st=$?
if [ $st -le 2 ]; then pass "random bytes: status $st, no crash"; else fail "random bytes: status $st"; fi

# BER that is not DER: a non-minimal length (0x81 0x03), accepted with a
# warning in lax mode, rejected with --strict.
printf '\x30\x81\x03\x02\x01\x05' >"$tmp/ber-len"
run "BER length, lax" 0 dump "$tmp/ber-len" && expect_in "$tmp/out" "DER violation: non-minimal length" "lax mode warns"
run "BER length, --strict" 1 dump --strict "$tmp/ber-len" &&
    expect_in "$tmp/err" "offset 1: non-minimal length encoding" "strict names offset and reason"
printf '\x30\x03\x01\x01\x01' >"$tmp/ber-bool"
run "BER BOOLEAN, lax" 0 dump "$tmp/ber-bool"
run "BER BOOLEAN, --strict" 1 dump --strict "$tmp/ber-bool" &&
    expect_in "$tmp/err" "offset 4: BOOLEAN" "strict rejects BOOLEAN 0x01 at offset 4"
printf '\x30\x80\x02\x01\x05\x00\x00' >"$tmp/ber-indef"
run "indefinite length, --strict" 1 dump --strict "$tmp/ber-indef" &&
    expect_in "$tmp/err" "offset 1: indefinite length" "strict rejects indefinite length"
printf '\x02\x02\x00\x05' >"$tmp/ber-int"
run "padded INTEGER, --strict" 1 dump --strict "$tmp/ber-int" &&
    expect_in "$tmp/err" "redundant leading octet" "strict rejects padded INTEGER"

# Strings cannot drive the terminal: ESC and C1 controls are escaped.
printf '\x30\x0c\x0c\x0a\x41\xc2\x9b\x31\x6d\x1b\x5b\x33\x31\x6d' >"$tmp/ansi.der"
run "control characters" 0 dump "$tmp/ansi.der" && {
    expect_in "$tmp/out" "'A.u009b1m.x1b\[31m'" "controls escaped"
    if LC_ALL=C grep -q $'\x1b' "$tmp/out"; then fail "raw ESC in output"; else pass "no raw ESC in output"; fi
}

# OIDs.
run "oid dotted" 0 oid 1.2.840.113549.1.1.11 && expect_in "$tmp/out" "sha256WithRSAEncryption" "oid dotted -> name"
run "oid name" 0 oid commonName && expect_in "$tmp/out" "^2.5.4.3 " "oid name -> dotted"
run "oid unknown dotted" 0 oid 2.999.1 && expect_in "$tmp/out" "06 03 88 37 01" "oid DER bytes"
run "oid bad" 1 oid 1.2.x && expect_in "$tmp/err" "not a valid" "bad oid message"
run "oid list" 0 oid --list && expect_in "$tmp/out" "ecdsa-with-SHA256" "oid list"
run "help" 0 --help && expect_in "$tmp/out" "usage" "help text"
run "unknown command" 2 frobnicate

# Every system certificate: strict dump succeeds, and every element line of
# `openssl asn1parse` (offset, depth, header and content length) appears,
# in order, in mote-asn1's tree (mote also shows encapsulated DER).
if command -v openssl >/dev/null && command -v python3 >/dev/null; then
    n=0
    bad=0
    mkdir -p "$tmp/cmp"
    for f in /etc/ssl/certs/*.pem; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        if ! "$bin" dump --strict "$f" >"$tmp/cmp/$n.mote" 2>"$tmp/me"; then
            bad=$((bad + 1)); echo "  strict dump failed: $f"; head -2 "$tmp/me"; continue
        fi
        openssl asn1parse -i -in "$f" >"$tmp/cmp/$n.openssl" 2>/dev/null || { bad=$((bad + 1)); continue; }
        echo "$f" >"$tmp/cmp/$n.name"
    done
    python3 - "$tmp/cmp" <<'PY2' || bad=$((bad + 1))
import glob, os, re, sys
pat = re.compile(r'^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)')
def rows(path):
    return [m.groups() for m in map(pat.match, open(path, errors='replace')) if m]
bad = 0
for o in glob.glob(os.path.join(sys.argv[1], '*.openssl')):
    want, have = rows(o), rows(o[:-len('openssl')] + 'mote')
    it = iter(have)
    if not want or not all(w in it for w in want):
        bad += 1
        print('  tree differs from openssl:', open(o[:-len('openssl')] + 'name').read().strip())
sys.exit(1 if bad else 0)
PY2
    if [ $bad -eq 0 ] && [ $n -gt 0 ]; then
        pass "$n certificates: strict dump ok, tree matches openssl asn1parse"
    else
        fail "$bad of $n certificates: dump or openssl comparison failed"
    fi
else
    echo "note: openssl or python3 missing; skipped the asn1parse comparison"
fi

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all mote-asn1 checks passed"
