#!/bin/sh
# SPDX-License-Identifier: ISC
# Build the libFuzzer targets of tests/fuzz/ with clang, ASan and UBSan,
# outside the Autotools build (libFuzzer needs -fsanitize=fuzzer, which
# gcc lacks), and generate their seed corpora.
#
#   tests/fuzz/build.sh [TARGET...]       default: every fuzz_*.c
#
# FUZZ_BUILD  build directory (default /tmp/sandgate-fuzz-<hash of the
#             tree's path>, as run-short)
# CC          clang (default: clang-14 if present, else clang)
#
# Layout of $FUZZ_BUILD: obj/ (library objects), bin/fuzz_<name>,
# seeds/<name>/ (generated each build), corpus/<name>/ (what the fuzzer
# found; kept between runs), config.h (written here: the library only
# needs _GNU_SOURCE and the strlcpy/explicit_bzero probes).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${FUZZ_BUILD:-/tmp/sandgate-fuzz-$(echo "$here" | cksum | cut -d' ' -f1)}
if [ -z "${CC:-}" ]; then
	if command -v clang-14 >/dev/null 2>&1; then CC=clang-14; else CC=clang; fi
fi
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

mkdir -p "$B/obj" "$B/bin" "$B/seeds" "$B/corpus"

PKGS="fcgi libcrypto libcjson hiredis libcurl libpsl libcares"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS=$(pkg-config --libs $PKGS)

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra \
 -Wno-unused-parameter -DSG_TESTDATA=\"$top/tests/data\" \
 -DSG_FUZZDIR=\"$here\" -I$B -I$top/lib -I$top/services/token-verify \
 -I$top/services/sandbox-create -I$top/services/token-issuer -I$here \
 $PKG_CFLAGS"

# config.h: what configure would find on this system.
probe() {	# probe NAME CODE
	printf '#include <string.h>\nint main(void){%s return 0;}\n' "$2" \
	    >"$B/probe.c"
	if $CC -Werror=implicit-function-declaration -o "$B/probe" \
	    "$B/probe.c" >/dev/null 2>&1; then
		echo "#define $1 1"
	fi
}
{
	echo "/* written by tests/fuzz/build.sh */"
	echo "#define _GNU_SOURCE 1"
	echo "#define PACKAGE_VERSION \"fuzz\""
	echo "#define SG_VERSION PACKAGE_VERSION"
	probe HAVE_STRLCPY 'char b[2]; strlcpy(b, "x", 2);'
	probe HAVE_STRLCAT 'char b[2] = ""; strlcat(b, "x", 2);'
	probe HAVE_EXPLICIT_BZERO 'char b[2]; explicit_bzero(b, 2);'
} >"$B/config.h.new"
if ! cmp -s "$B/config.h.new" "$B/config.h" 2>/dev/null; then
	mv "$B/config.h.new" "$B/config.h"
	rm -f "$B"/obj/*.o
else
	rm -f "$B/config.h.new"
fi
rm -f "$B/probe" "$B/probe.c"

# Compile one source to an object unless the object is newer than the
# source and every header it may include.
newest_h=$(ls -t "$top"/lib/*.h "$top"/services/*/*.h "$here"/*.h \
    "$B/config.h" | head -n 1)
compile() {	# compile SRC OBJ FLAGS...
	src=$1 obj=$2
	shift 2
	if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$newest_h" ] &&
	    [ "$obj" -nt "$0" ]; then
		return 0
	fi
	echo "  CC $(basename "$src")"
	$CC $CFLAGS "$@" -c "$src" -o "$obj"
}

# The library and the service sources some targets need, with coverage
# instrumentation but without libFuzzer's main.
LIBSRC="$top/lib/compat/strlcpy.c $(ls "$top"/lib/*.c)"
# A service's sources are all its .c files but the programs: main.c,
# tv-mint.c and budget-log.c (each has a main).
svc_src() {	# svc_src DIR
	for f in "$top/services/$1"/*.c; do
		case ${f##*/} in main.c|tv-mint.c|budget-log.c) ;; *) echo "$f" ;; esac
	done
}
SVCSRC="$(svc_src token-verify) $(svc_src sandbox-create)
 $top/services/token-issuer/issuer.c"
echo "building library objects in $B/obj"
for s in $LIBSRC $SVCSRC; do
	echo "$s $B/obj/$(basename "$(dirname "$s")")_$(basename "$s" .c).o"
done >"$B/objects.txt"
# parallel compile (the variables go through the environment so that the
# quotes inside CFLAGS survive)
export CC CFLAGS SAN newest_h top
self=$0
export self
fail=0
xargs -P "$JOBS" -L 1 sh -c '
	src=$0 obj=$1
	if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$newest_h" ] &&
	    [ "$obj" -nt "$self" ]; then exit 0; fi
	echo "  CC ${src#$top/}"
	exec $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
' <"$B/objects.txt" || fail=1
[ $fail -eq 0 ] || { echo "build.sh: library compile failed" >&2; exit 1; }

LIBOBJ=""
SVCOBJ=""
while read -r s o; do
	case $s in
	*/services/*) SVCOBJ="$SVCOBJ $o" ;;
	*) LIBOBJ="$LIBOBJ $o" ;;
	esac
done <"$B/objects.txt"
obj_of() {	# obj_of services/x/y.c
	echo "$B/obj/$(basename "$(dirname "$1")")_$(basename "$1" .c).o"
}
objs_of() {	# objs_of DIR: the objects of svc_src DIR
	for f in $(svc_src "$1"); do obj_of "$f"; done
}

# Extra objects and link flags of each target.
extra_of() {
	case $1 in
	fuzz_verify)
		echo $(objs_of token-verify) \
		    "-Wl,--wrap=sg_session_get,--wrap=getaddrinfo,--wrap=freeaddrinfo" ;;
	fuzz_docker_inspect|fuzz_create_spec)
		echo $(objs_of sandbox-create) ;;
	fuzz_issuer)
		echo "$(obj_of services/token-issuer/issuer.c)" ;;
	fuzz_docker_reply|fuzz_redis_reply)
		echo "$B/obj/fuzz_fakesrv.o -lpthread" ;;
	esac
}

compile "$here/fakesrv.c" "$B/obj/fuzz_fakesrv.o" $SAN -fsanitize=fuzzer-no-link

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')
fi
for t in $targets; do
	t=${t%.c}
	compile "$here/$t.c" "$B/obj/$t.o" $SAN -fsanitize=fuzzer-no-link
	bin="$B/bin/$t"
	need=0
	[ -x "$bin" ] || need=1
	for o in "$B/obj/$t.o" $LIBOBJ $(extra_of "$t"); do
		case $o in -*) continue ;; esac
		[ "$o" -nt "$bin" ] && need=1
	done
	if [ $need -eq 1 ]; then
		echo "  LD $t"
		$CC $SAN -fsanitize=fuzzer -o "$bin" "$B/obj/$t.o" \
		    $(extra_of "$t") $LIBOBJ $PKG_LIBS -lm
	fi
done

# gen-tokens: mints the signed seeds (valid at the fixed clock) with the
# library itself; a normal program, so the same objects minus fuzzing.
compile "$here/gen-tokens.c" "$B/obj/gen-tokens.o" $SAN -fsanitize=fuzzer-no-link
gt="$B/bin/gen-tokens"
if [ ! -x "$gt" ] || [ "$B/obj/gen-tokens.o" -nt "$gt" ]; then
	echo "  LD gen-tokens"
	$CC $SAN -fsanitize=fuzzer-no-link -o "$gt" "$B/obj/gen-tokens.o" \
	    $LIBOBJ $PKG_LIBS -lm
fi

echo "generating seeds in $B/seeds"
rm -rf "$B/seeds"
mkdir -p "$B/seeds"
"$gt" "$B/seeds"
python3 "$here/gen-seeds.py" "$top" "$B/seeds"
for t in $targets; do
	mkdir -p "$B/corpus/${t#fuzz_}" "$B/seeds/${t#fuzz_}"
done
echo "build.sh: $(echo $targets | wc -w) targets in $B/bin"
