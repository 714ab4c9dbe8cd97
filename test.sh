#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what is missing, build, and run every test:
#
#   1. the Check unit tests (make check), one binary per module/service;
#   2. the same under AddressSanitizer+UBSan and under valgrind
#      (tests/memcheck.sh);
#   3. every libFuzzer target for a short bounded time, after replaying
#      the regression inputs (tests/fuzz/run-short);
#   4. the integration tests against real redis-server, dockerd, lighttpd,
#      Apache and nginx on loopback (tests/integration/run-all.sh).
#
#   ./test.sh              everything
#   ./test.sh --unit       1 only
#   SG_SKIP="fuzz memcheck" ./test.sh     leave parts out (unit, memcheck,
#                          fuzz, integration)
#   CONFIGURE_FLAGS=...    extra ./configure flags (CI: --enable-werror)
#   FUZZ_SECONDS=N         seconds per fuzz target (default 20)
set -eu
cd "$(dirname "$0")"
top=$(pwd)

skip=${SG_SKIP:-}
if [ "${1:-}" = "--unit" ]; then
	skip="memcheck fuzz integration"
fi
want()
{
	case " $skip " in
	*" $1 "*) return 1 ;;
	esac
	return 0
}

SG_TOP=$top
. "$top/deploy/lib/all.sh"
sg_install_deps
# The tools image's packages only when the integration tests (t-clients) run.
if want integration; then
	sg_install_deps "$SG_TOOLS_PACKAGES"
fi
# Flags given: configure again with them.
# shellcheck disable=SC2086
sg_build "$top" "$top" "$([ -n "${CONFIGURE_FLAGS:-}" ] && echo 1 || echo 0)" \
    ${CONFIGURE_FLAGS:-}

status=0
failed=""
part()
{
	name=$1
	shift
	echo
	echo "######## $name"
	t0=$(date +%s)
	if "$@"; then
		echo "######## $name: ok ($(( $(date +%s) - t0 )) s)"
	else
		echo "######## $name: FAILED ($(( $(date +%s) - t0 )) s)"
		status=1
		failed="$failed $name"
	fi
}

unit()
{
	# Every docs reference in the tree resolves inside it.
	sh "$top/tests/check-doc-refs.sh" || return 1
	# Every source file carries its SPDX licence line (77: no git).
	_rc=0
	sh "$top/tests/check-spdx.sh" || _rc=$?
	[ $_rc -eq 0 ] || [ $_rc -eq 77 ] || return 1
	# House limits: functions <= 120 lines, lib/ files <= 900.
	sh "$top/tests/check-layout.sh" || return 1
	if make -j"$(nproc)" check; then
		return 0
	fi
	for f in tests/unit/*.trs; do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "$f" 2>/dev/null &&
		    cat "${f%.trs}.log"
	done
	return 1
}

want unit && part unit unit
want memcheck && part memcheck "$top/tests/memcheck.sh"
want fuzz && part fuzz "$top/tests/fuzz/run-short"
want integration && part integration "$top/tests/integration/run-all.sh"

echo
if [ $status -eq 0 ]; then
	echo "test.sh: all parts passed"
else
	echo "test.sh: failed:$failed"
fi
exit $status
