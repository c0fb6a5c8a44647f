#!/usr/bin/env bash
# test.sh: installs what is missing, builds, and runs every test: once
# plainly, once under AddressSanitizer and UndefinedBehaviorSanitizer, and
# the libFuzzer targets over their seed corpora. Warnings are errors.
# Exits non-zero if anything fails. Build folders live under _build/.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh test

jobs=$(nproc)
setup() { # setup DIR ARGS...: configures quietly, shows meson's output on failure
    local dir=$1; shift
    local how=()
    [ -f "$dir/build.ninja" ] && how=(--reconfigure)
    mkdir -p _build
    if ! meson setup "${how[@]}" "$dir" "$@" >"_build/setup-$(basename "$dir").log" 2>&1; then
        cat "_build/setup-$(basename "$dir").log"
        echo "test.sh: meson setup of $dir failed"
        exit 1
    fi
}

status=0
run_suite() { # run_suite NAME DIR
    echo "== $1: building"
    ninja -C "$2" >/dev/null || { ninja -C "$2"; status=1; return; }
    echo "== $1: meson test"
    meson test -C "$2" --print-errorlogs --num-processes "$jobs" || status=1
}

setup _build/plain -Dwerror=true -Dlibs=all
run_suite plain _build/plain

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
setup _build/sanitize -Dwerror=true -Dlibs=all -Db_sanitize=address,undefined
run_suite sanitized _build/sanitize

if ls fuzz/*/meson.build >/dev/null 2>&1; then
    CC=clang setup _build/fuzz -Dwerror=true -Dlibs=all -Dfuzz=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false
    run_suite fuzz-corpora _build/fuzz
fi

# The README's main demonstration must keep working: ./run.sh --once
# builds _build/run, serves docs/ over HTTPS and checks what curl fetched.
echo "== demonstration: ./run.sh --once"
demo_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
demo=OK
if PORT=$demo_port ./run.sh --once >_build/run-demo.log 2>&1; then
    echo "demonstration: ok"
else
    demo=FAIL
    cat _build/run-demo.log
    echo "demonstration: FAILED"
    status=1
fi

# One closing tally over every meson test of every build above.
DEMO=$demo python3 - _build/plain _build/sanitize _build/fuzz <<'PY' || status=1
import json, os, sys
count = {"OK": 0, "FAIL": 0, "SKIP": 0}
count[os.environ.get("DEMO", "OK")] += 1  # the demonstration counts as one test
for d in sys.argv[1:]:
    path = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line).get("result", "FAIL")
        key = r if r in count else ("OK" if r == "EXPECTEDFAIL" else "FAIL")
        count[key] += 1
print(f"test.sh: {count['OK']} passed, {count['FAIL']} failed, {count['SKIP']} skipped")
PY
exit $status
