#!/bin/sh
# Install what is missing, build, and run every test: the Check unit tests
# (make check) and the integration tests against real servers.
#
#   ./test.sh              build in ./ and run everything
#   ./test.sh --unit       unit tests only
#   CONFIGURE_FLAGS=...    extra ./configure flags (CI: --enable-werror)
set -eu
cd "$(dirname "$0")"
top=$(pwd)

only_unit=0
[ "${1:-}" = "--unit" ] && only_unit=1

. "$top/tests/deps.sh"
sg_install_deps

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	./autogen.sh
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ -n "${CONFIGURE_FLAGS:-}" ]; then
	./configure ${CONFIGURE_FLAGS:-}
fi
make -j"$(nproc)"

status=0
make -j"$(nproc)" check || status=1
if [ $status -ne 0 ]; then
	for f in tests/unit/*.log; do
		grep -q '^FAIL\|^ERROR' "${f%.log}.trs" 2>/dev/null && cat "$f"
	done
fi

if [ $only_unit -eq 0 ]; then
	"$top/tests/integration/run-all.sh" || status=1
fi
exit $status
