#!/usr/bin/env bash
# test_cmd.sh MOTE_STORE: the mote-store command end to end, checked with git.
set -u
B="$1"
command -v git >/dev/null || { echo "SKIP: git is not installed"; exit 77; }
T=$(mktemp -d /tmp/mote-store-cmd-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "ok - $1"; else echo "not ok - $1: want [$2] got [$3]"; fails=$((fails+1)); fi
}
R="$T/r"
check init "initialized	$R" "$("$B" --root "$R" init)"
"$B" --root "$R" set a/b hello >/dev/null
printf 'from stdin\n' | "$B" --root "$R" -m "custom message" set c >/dev/null
check get "hello" "$("$B" --root "$R" get a/b)"
check get-stdin "from stdin" "$("$B" --root "$R" get c)"
check ls "$(printf 'tree\ta\nvalue\tc')" "$("$B" --root "$R" ls | cut -f1,3)"
check log-n "custom message" "$("$B" --root "$R" log -n 1 | cut -f4)"
check log-count "2" "$("$B" --root "$R" log | wc -l)"
check git-show "hello" "$(git -C "$R" show main:a/b)"
"$B" --root "$R" branch dev >/dev/null
"$B" --root "$R" --branch dev set n.counter 5 >/dev/null
"$B" --root "$R" set n.counter 7 >/dev/null
"$B" --root "$R" --branch dev merge main >/dev/null
check merge-counter "12" "$("$B" --root "$R" --branch dev get n.counter)"
check merge-parents "2" "$(git -C "$R" cat-file -p dev | grep -c '^parent')"
"$B" --root "$R" --branch dev set a/b dev-side >/dev/null
"$B" --root "$R" set a/b main-side >/dev/null
out=$("$B" --root "$R" --branch dev merge main 2>/dev/null); rc=$?
check conflict-rc "1" "$rc"
check conflict-out "conflict	a/b" "$(echo "$out" | cut -f1,2)"
check branches "$(printf 'dev\nmain')" "$("$B" --root "$R" branch | cut -f1)"
"$B" --root "$R" rm c >/dev/null
"$B" --root "$R" get c 2>/dev/null; check get-missing "1" "$?"
check get-missing-msg "mote-store: get: c: not found" "$("$B" --root "$R" get c 2>&1)"
"$B" --root "$R" bogus 2>/dev/null; check usage "2" "$?"
"$B" --root "$R" branch -d dev >/dev/null
check branch-deleted "main" "$("$B" --root "$R" branch | cut -f1)"
check fsck "0" "$(git -C "$R" fsck --strict >/dev/null 2>&1; echo $?)"
# push and pull with a Git remote (a path)
git clone -q --bare "$R" "$T/remote.git"
"$B" --root "$R" set pushed yes >/dev/null
"$B" --root "$R" push "$T/remote.git" >/dev/null
check push "yes" "$(git -C "$T/remote.git" show main:pushed)"
R2="$T/r2"
"$B" --root "$R2" init >/dev/null
"$B" --root "$R2" pull "$T/remote.git" >/dev/null
check pull "yes" "$("$B" --root "$R2" get pushed)"
# the memory backend syncs with a repository on disk
check mem-pull "hello" "$("$B" --mem pull "$R" >/dev/null && echo hello)"
# snapshots
"$B" --root "$R" snapshot > "$T/snap"
check snapshot "$("$B" --root "$R" log -n 1 | cut -f1)" "$("$B" --mem import "$T/snap")"
# watch sees a write made by another process
"$B" --root "$R" watch a -n 2 > "$T/watch.out" &
wpid=$!
sleep 0.5
"$B" --root "$R" set a/new 1 >/dev/null
"$B" --root "$R" rm a/b >/dev/null
for _ in $(seq 50); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
# polling reports the net change since the last poll, in tree order
check watch "$(printf 'added\tmain\ta/new\nremoved\tmain\ta/b')" "$(sort "$T/watch.out")"
# batch: lines from stdin, a commit each, the branch moved once
before=$(git -C "$R" rev-list --count main)
head=$(printf 'set\tb/one\t1\nset\tb/two\ttwo words\there\nrm\ta/new\n\nset\tb/one\t3\n' \
    | "$B" --root "$R" batch)
check batch-head "$(git -C "$R" rev-parse main)" "$head"
check batch-commits "$((before + 4))" "$(git -C "$R" rev-list --count main)"
check batch-value "two words	here" "$(git -C "$R" show main:b/two)"
check batch-last "3" "$("$B" --root "$R" get b/one)"
"$B" --root "$R" get a/new 2>/dev/null; check batch-rm "1" "$?"
check batch-fsck "0" "$(git -C "$R" fsck --strict >/dev/null 2>&1; echo $?)"
# a bad line: nothing moves, the line is named
out=$(printf 'set\tb/x\t1\nbogus\tb/y\n' | "$B" --root "$R" batch 2>&1); rc=$?
check batch-bad-rc "1" "$rc"
check batch-bad-msg "mote-store: batch: line 2: invalid argument" "$out"
check batch-bad-head "$head" "$(git -C "$R" rev-parse main)"
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
