#!/usr/bin/env bash
# cmd_test.sh MOTE_VCHAN: the mote-vchan command between two processes:
# a file each way, through in-page rings and through large rings; a
# client with no server; bad usage.
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

head -c 5000000 /dev/urandom > "$tmp/in"
name="cmdtest-$$"

one_way() { # $1 = listen args, $2 = which side sends (listen|connect)
    rm -f "$tmp/out"
    if [ "$2" = listen ]; then
        "$bin" listen $1 "$name" < "$tmp/in" &
        pids+=($!)
        local lp=$!
        sleep 0.2
        timeout 60 "$bin" connect --recv-only "$name" > "$tmp/out"
        wait "$lp"
    else
        "$bin" listen $1 --recv-only "$name" > "$tmp/out" < /dev/null &
        pids+=($!)
        local lp=$!
        sleep 0.2
        timeout 60 "$bin" connect "$name" < "$tmp/in"
        wait "$lp"
    fi
    cmp "$tmp/in" "$tmp/out"
}

one_way "" connect
one_way "" listen
one_way "--order 10" connect
one_way "--read-order 10 --write-order 11" listen
one_way "--order 20 --spin 0" connect
# a socket path instead of an abstract name
name="$tmp/sock"
one_way "--order 12" connect
[ ! -e "$tmp/sock" ]

# no server there: a clear error, status 1
set +e
"$bin" connect "nobody-$$" < /dev/null 2> "$tmp/err"
st=$?
set -e
[ "$st" = 1 ]
grep -q "not found" "$tmp/err"
# bad usage: status 2
set +e
"$bin" listen --order 9 x < /dev/null 2>/dev/null; st1=$?
"$bin" frobnicate x 2>/dev/null; st2=$?
set -e
[ "$st1" = 2 ] && [ "$st2" = 2 ]
echo "mote-vchan command: ok"
