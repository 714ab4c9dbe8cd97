#!/bin/sh
# SPDX-License-Identifier: ISC
# Memory checks of the Check unit tests (issue 7, STYLE.md "Tests"):
#
#   1. an out-of-tree build with --enable-asan (AddressSanitizer + UBSan)
#      runs `make check`: every Check binary must pass;
#   2. an out-of-tree normal build, then every Check binary under valgrind
#      with CK_FORK=no (so the tests run in the process valgrind watches),
#      --leak-check=full, errors for definite and indirect leaks, exit
#      code 1 on any error; children (redis-server, ...) are not traced.
#
# Prints one line per check and "N passed, N failed" last; exits non-zero
# on any failure.  Logs stay in $MEMCHECK_BUILD.
#
#   tests/memcheck.sh [asan|valgrind]...      default: both
#
# MEMCHECK_BUILD  work directory (default /tmp/sandgate-memcheck-<hash of
#                 the tree's path>, so two checkouts never share one)
# MEMCHECK_JOBS   parallel jobs (default: CPUs)
# MEMCHECK_ONLY   space-separated Check binaries to run (default: all)
# MEMCHECK_REV    check a committed revision (e.g. HEAD) from git archive
#                 instead of the working tree
# VALGRIND_TIMEOUT seconds allowed per binary under valgrind (default 900)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
W=${MEMCHECK_BUILD:-/tmp/sandgate-memcheck-$(echo "$top" | cksum | cut -d' ' -f1)}
JOBS=${MEMCHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
VT=${VALGRIND_TIMEOUT:-900}
parts=${*:-asan valgrind}

mkdir -p "$W"
results="$W/results"
: >"$results"
start=$(date +%s)

note() {	# note NAME ok|FAIL DETAIL
	echo "$1 $2 ${3:-}" >>"$results"
	printf '%-34s %s %s\n' "$1" "$2" "${3:-}"
}

# A source tree that can be configured out of tree: the repository itself,
# unless someone configured it in place (test.sh does), in which case a
# copy of its files (tracked and new, not ignored) is made.
srcdir() {
	s="$W/src"
	if [ -n "${MEMCHECK_REV:-}" ]; then
		rm -rf "$s"
		mkdir -p "$s"
		(cd "$top" && git archive "$MEMCHECK_REV") | tar -x -C "$s" &&
		    (cd "$s" && ./autogen.sh) >"$W/autogen.log" 2>&1 || return 1
		echo "$s"
		return
	fi
	if [ ! -f "$top/config.status" ] && [ -x "$top/configure" ]; then
		echo "$top"
		return
	fi
	if [ ! -f "$top/config.status" ] && [ ! -x "$top/configure" ]; then
		(cd "$top" && ./autogen.sh) >"$W/autogen.log" 2>&1 && {
			echo "$top"
			return
		}
	fi
	rm -rf "$s"
	mkdir -p "$s"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 cp --parents -t "$s" 2>/dev/null)
	(cd "$s" && ./autogen.sh) >"$W/autogen.log" 2>&1 || return 1
	echo "$s"
}

# configure + build the check programs in DIR with FLAGS
build() {	# build DIR FLAGS...
	d=$1
	shift
	# a build dir belongs to one source tree
	if [ "$(cat "$d.srcdir" 2>/dev/null)" != "$SRC" ]; then
		rm -rf "$d"
		echo "$SRC" >"$d.srcdir"
	fi
	mkdir -p "$d"
	(cd "$d" && { [ -f Makefile ] && [ ! "$SRC/configure" -nt Makefile ] ||
	    "$SRC/configure" -q "$@"; } &&
	    make -j"$JOBS" >/dev/null &&
	    make -j"$JOBS" check TESTS= >/dev/null) >"$d.build.log" 2>&1
}

checks() {	# the Check binaries of build dir $1
	if [ -n "${MEMCHECK_ONLY:-}" ]; then
		for c in $MEMCHECK_ONLY; do
			echo "$1/tests/unit/${c#tests/unit/}"
		done
		return
	fi
	find "$SRC" -name local.mk -not -path '*/autom4te.cache/*' \
	    -exec sed -n 's/^check_PROGRAMS *+= *//p' {} + |
	    tr ' \t' '\n\n' | grep -v '^$' | sort -u |
	    while read -r p; do echo "$1/$p"; done
}

if ! SRC=$(srcdir); then
	note setup FAIL "autogen failed: $W/autogen.log"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "source: $SRC   work: $W   jobs: $JOBS"

# ---- 1. ASan + UBSan: make check --------------------------------------------
case " $parts " in *" asan "*)
	t0=$(date +%s)
	A="$W/asan"
	if ! build "$A" --enable-asan; then
		note asan:build FAIL "$A.build.log"
	else
		# halt on the first UBSan report; leaks are errors too
		only=""
		[ -n "${MEMCHECK_ONLY:-}" ] && only=$(for c in $MEMCHECK_ONLY; do
			printf 'tests/unit/%s ' "${c#tests/unit/}"; done)
		(cd "$A" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
		    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		    make -j"$JOBS" -k check ${only:+TESTS="$only"}) \
		    >"$A.check.log" 2>&1
		for c in $(checks "$A"); do
			n=$(basename "$c")
			trs="$c.trs"
			if [ ! -f "$trs" ]; then
				note "asan:$n" FAIL "not run (see $A.check.log)"
			elif grep -q '^:test-result: PASS' "$trs" &&
			    ! grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs"; then
				note "asan:$n" ok
			else
				note "asan:$n" FAIL "$c.log"
			fi
		done
	fi
	echo "asan part: $(( $(date +%s) - t0 )) s"
	;;
esac

# ---- 2. valgrind, CK_FORK=no ------------------------------------------------
case " $parts " in *" valgrind "*)
	t0=$(date +%s)
	V="$W/plain"
	if ! command -v valgrind >/dev/null 2>&1; then
		note valgrind:setup FAIL "valgrind is not installed"
	elif ! build "$V"; then
		note valgrind:build FAIL "$V.build.log"
	else
		mkdir -p "$W/valgrind"
		rm -f "$W/valgrind"/*.status
		# run the binaries JOBS at a time; each leaves NAME.status
		checks "$V" | xargs -P "$JOBS" -I{} sh -c '
			c={}; n=$(basename "$c"); L="'"$W"'/valgrind/$n"
			cd "$(dirname "$c")" || exit 0
			t=$(date +%s)
			CK_FORK=no CK_VERBOSITY=normal timeout -k 10 '"$VT"' \
			    valgrind -q --error-exitcode=99 --leak-check=full \
			    --show-leak-kinds=definite,indirect \
			    --errors-for-leak-kinds=definite,indirect \
			    --trace-children=no --child-silent-after-fork=yes \
			    --num-callers=40 --log-file="$L.vg" \
			    "$c" >"$L.out" 2>&1
			echo $? $(( $(date +%s) - t )) >"$L.status"'
		for c in $(checks "$V"); do
			n=$(basename "$c")
			L="$W/valgrind/$n"
			set -- $(cat "$L.status" 2>/dev/null || echo none -)
			st=$1
			secs="${2}s"
			errs=$(grep -cE '(definitely|indirectly) lost in loss record|Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param' \
			    "$L.vg" 2>/dev/null)
			# Check's summary: failed tests leak what they held
			failed=$(sed -n 's/.*Checks: [0-9]*, Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p' \
			    "$L.out" | awk '{ s += $1 + $2 } END { print s + 0 }')
			case $st in
			0)	note "valgrind:$n" ok "$secs" ;;
			99)	if [ "$failed" -gt 0 ]; then
					note "valgrind:$n" FAIL "$secs, $failed test(s) failed under valgrind and $errs memory error(s) (often leaks of the failed test): $L.out $L.vg"
				else
					note "valgrind:$n" FAIL "$secs, $errs memory error(s): $L.vg"
				fi ;;
			124|137) note "valgrind:$n" FAIL "timed out after $VT s: $L.out" ;;
			none)	note "valgrind:$n" FAIL "not run" ;;
			*)	note "valgrind:$n" FAIL "$secs, tests failed (exit $st): $L.out" ;;
			esac
		done
	fi
	echo "valgrind part: $(( $(date +%s) - t0 )) s"
	;;
esac

pass=$(awk '$2 == "ok"' "$results" | wc -l)
fail=$(awk '$2 != "ok"' "$results" | wc -l)
echo "memcheck: $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
