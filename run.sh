#!/usr/bin/env bash
# run.sh: installs what is missing, builds mote, and runs the demonstration:
# mote-asn1 decodes a real root certificate from /etc/ssl/certs, then
# rejects, with --strict, an encoding that BER allows and DER forbids.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh run

# The demonstration needs libmote-asn1 and its command only.
build=_build/run
opts=(-Dlibs=asn1 -Dtests=false)
if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" "${opts[@]}" >/dev/null
else
    meson setup "$build" "${opts[@]}" >/dev/null
fi
echo "building mote in $build ..."
ninja -C "$build" >/dev/null || ninja -C "$build"
asn1="$build/apps/asn1/mote-asn1"

bold="" dim="" off=""
if [ -t 1 ]; then
    bold=$(tput bold 2>/dev/null || true)
    dim=$(tput dim 2>/dev/null || true)
    off=$(tput sgr0 2>/dev/null || true)
fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; }

cert=/etc/ssl/certs/ISRG_Root_X1.pem
if [ ! -f "$cert" ]; then
    cert=$(find /etc/ssl/certs -maxdepth 1 -name '*.pem' | sort | head -1)
fi
if [ -z "$cert" ] || [ ! -f "$cert" ]; then
    echo "no certificate found in /etc/ssl/certs (is ca-certificates installed?)" >&2
    exit 1
fi

step "1. Decode a real root certificate with mote-asn1"
echo "   $cert ($(wc -c <"$cert") bytes of PEM) is read, its base64 checked strictly, and"
echo "   every element decoded by libmote-asn1's strict DER reader: offsets, depth (d=),"
echo "   header (hl=) and content (l=) lengths, tags and values. DER carried inside"
echo "   BIT STRINGs and OCTET STRINGs (the public key, extensions) is shown too."
show "$asn1 dump --strict $cert"
"$asn1" dump --strict "$cert"

step "2. Look up object identifiers"
show "$asn1 oid 1.2.840.113549.1.1.11 commonName 1.3.101.112"
"$asn1" oid 1.2.840.113549.1.1.11 commonName 1.3.101.112

step "3. Reject what DER forbids"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# SEQUENCE { INTEGER 5 }, but with the length written as 0x81 0x03: legal
# BER, forbidden by DER (lengths below 128 take one octet).
printf '\x30\x81\x03\x02\x01\x05' >"$tmp/nonminimal.der"
echo "   $tmp/nonminimal.der holds SEQUENCE { INTEGER 5 } with its length written in"
echo "   two octets (81 03) where DER allows only one (03):"
show "od -An -tx1 $tmp/nonminimal.der"
od -An -tx1 "$tmp/nonminimal.der"
echo "   Without --strict, mote-asn1 shows the tree and flags the violation:"
show "$asn1 dump $tmp/nonminimal.der"
"$asn1" dump "$tmp/nonminimal.der"
echo "   With --strict it refuses the input, naming the offset and the reason:"
show "$asn1 dump --strict $tmp/nonminimal.der"
status=0
"$asn1" dump --strict "$tmp/nonminimal.der" || status=$?
echo "   (exit status $status)"
if [ "$status" -eq 0 ]; then
    echo "unexpected: --strict accepted a non-minimal length" >&2
    exit 1
fi

# An INTEGER with a redundant leading zero octet, then a BOOLEAN that is
# neither 0x00 nor 0xFF: both BER, both refused by DER.
printf '\x30\x07\x02\x02\x00\x05\x01\x01\x01' >"$tmp/padded.der"
show "$asn1 dump --strict $tmp/padded.der   # INTEGER 00 05, BOOLEAN 01"
status=0
"$asn1" dump --strict "$tmp/padded.der" || status=$?
echo "   (exit status $status)"

printf '\n%sdone.%s The library, its tests (./test.sh) and docs/asn1.md say more.\n' "$bold" "$off"
