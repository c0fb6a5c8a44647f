#!/usr/bin/env bash
# deps.sh [test|run|bench]: installs, with apt-get, the Debian 12 packages
# that mote needs for that job and that are not installed yet. Every script
# of the project calls it first, so a fresh machine needs nothing by hand.
set -euo pipefail

build_pkgs=(gcc meson ninja-build pkg-config check libuv1-dev libsodium-dev
            nettle-dev libgmp-dev libgit2-dev ca-certificates)
# Test-only: fuzzers and sanitizers with clang, JSON for the vector runners,
# and the real peers the interop tests talk to.
test_pkgs=(clang libclang-rt-14-dev llvm libjansson-dev openssl gnutls-bin curl
           iproute2 socat netcat-openbsd git dnsmasq-base nftables tcpdump
           python3 iputils-ping valgrind)
bench_pkgs=(libssl-dev iperf3 wrk nginx-light hyperfine)

# The demonstration fetches a page with curl and shows the certificate with openssl.
run_pkgs=(curl openssl)

want=("${build_pkgs[@]}")
case "${1:-run}" in
    run) want+=("${run_pkgs[@]}") ;;
    test) want+=("${test_pkgs[@]}") ;;
    bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "usage: $0 [run|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
