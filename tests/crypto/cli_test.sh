#!/usr/bin/env bash
# shellcheck disable=SC2086  # word splitting of $spec, $pss and file names is intended
# cli_test.sh MOTE_CRYPTO - the mote-crypto command against openssl: hashes
# match, keys it makes are read by openssl (and openssl's by it), signatures
# cross-verify both ways, a tampered message fails, bad input exits 2.
set -u
mc="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
command -v openssl >/dev/null || { echo "SKIP: openssl command not found"; exit 77; }
dir=$(mktemp -d /tmp/mote-crypto-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fails=0
check() { # description, command...
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
check_not() {
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then echo "FAIL $what"; fails=$((fails + 1)); else echo "ok   $what"; fi
}

head -c 100000 /dev/urandom > msg.bin
for h in sha256 sha384 sha512; do
    m=$("$mc" hash $h msg.bin | cut -d' ' -f1)
    o=$(openssl dgst -$h -r msg.bin | cut -d' ' -f1)
    check "hash $h matches openssl" test "$m" = "$o"
done

for spec in "p256 ecdsa_sha256 -sha256" "p384 ecdsa_sha384 -sha384" "rsa:2048 rsa_pss_rsae_sha256 -sha256" "ed25519 ed25519 -"; do
    set -- $spec
    kt=$1 alg=$2 dg=$3
    n=${kt%%:*}
    check "$n: genkey" sh -c "'$mc' genkey $kt > $n.pem"
    check "$n: openssl reads the key" openssl pkey -in $n.pem -noout
    openssl pkey -in $n.pem -pubout -out $n.opub.pem 2>/dev/null
    "$mc" pubkey $n.pem > $n.pub.pem
    check "$n: public key equals openssl's" cmp $n.pub.pem $n.opub.pem
    check "$n: convert to DER and back" sh -c "'$mc' convert $n.pem pkcs8 der > $n.der && '$mc' convert $n.der pkcs8 pem | cmp - $n.pem"
    check "$n: sign" sh -c "'$mc' sign $alg $n.pem msg.bin > $n.sig"
    if [ "$n" = ed25519 ]; then
        check "$n: openssl verifies mote" openssl pkeyutl -verify -pubin -inkey $n.pub.pem -rawin -in msg.bin -sigfile $n.sig
        openssl pkeyutl -sign -inkey $n.pem -rawin -in msg.bin -out $n.osig
    elif [ "$n" = rsa ]; then
        pss="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"
        check "$n: openssl verifies mote" openssl dgst $dg $pss -verify $n.pub.pem -signature $n.sig msg.bin
        openssl dgst $dg $pss -sign $n.pem -out $n.osig msg.bin
    else
        check "$n: openssl verifies mote" openssl dgst $dg -verify $n.pub.pem -signature $n.sig msg.bin
        openssl dgst $dg -sign $n.pem -out $n.osig msg.bin
    fi
    check "$n: mote verifies openssl" "$mc" verify $alg $n.pub.pem msg.bin $n.osig
    printf x >> msg2.bin; cat msg.bin >> msg2.bin
    "$mc" verify $alg $n.pub.pem msg2.bin $n.osig >/dev/null 2>&1
    check "$n: a changed message fails (exit 1)" test $? -eq 1
    rm -f msg2.bin
done

echo garbage > bad.pem
"$mc" pubkey bad.pem >/dev/null 2>&1
check "garbage key exits 2" test $? -eq 2
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-128-cbc -pass pass:x -out enc.pem 2>/dev/null
check "encrypted key is refused clearly" sh -c "'$mc' pubkey enc.pem 2>&1 | grep -q 'not supported\|unsupported\|not offer'"
"$mc" pubkey enc.pem 2>&1 | head -1

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
