#!/bin/sh
# install_test.sh BUILD_DIR SRC_DIR: `meson install` into a temporary
# DESTDIR, then compile and link an outside program against mote-core with
# `pkg-config --cflags --libs`, both shared and static, and run it.
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

meson install -C "$build" --no-rebuild --destdir "$tmp/root" >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"; echo "meson install failed"; exit 1; }

pcdir=$(find "$tmp/root" -name mote-core.pc -printf '%h\n' | head -n1)
[ -n "$pcdir" ] || { echo "mote-core.pc was not installed"; exit 1; }
for h in core.h bytes.h device.h error.h; do
    find "$tmp/root" -path "*/include/mote/$h" | grep -q . || { echo "header mote/$h not installed"; exit 1; }
done

export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cflags=$(pkg-config --cflags mote-core)
libs=$(pkg-config --libs mote-core)
# pkg-config already puts the sysroot in front of variables.
libdir=$(pkg-config --variable=libdir mote-core)
san=""
if [ -n "${MOTE_SANITIZE:-}" ] && [ "$MOTE_SANITIZE" != none ]; then
    san="-fsanitize=$MOTE_SANITIZE"
fi
cc=${CC:-cc}

# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Wpedantic -Werror $san $cflags -o "$tmp/outside" "$src/outside.c" $libs
LD_LIBRARY_PATH="$libdir" "$tmp/outside"
# The static library, through pkg-config --static.
slibs=$(pkg-config --libs --static mote-core)
# shellcheck disable=SC2086
$cc -std=c11 $san $cflags -o "$tmp/outside-static" "$src/outside.c" \
    -Wl,-Bstatic $slibs -Wl,-Bdynamic
"$tmp/outside-static"
if ldd "$tmp/outside-static" | grep -q libmote; then
    echo "static build still links a shared libmote"; exit 1
fi
echo "install test: shared and static outside programs built with pkg-config and ran"
