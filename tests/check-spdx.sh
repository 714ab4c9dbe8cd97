#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/check-spdx.sh: fail, listing them, if tracked source files lack
# the "SPDX-License-Identifier:" line tools/add-spdx.sh adds (line 1, or
# line 2 after a "#!").  The file list is add-spdx.sh's own (its -n mode
# lists what it would change), so the two cannot drift.  Needs a git
# checkout; skipped (exit 77) without.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "check-spdx: not a git checkout, skipped"
	exit 77
fi
missing=$(sh tools/add-spdx.sh -n)
if [ -n "$missing" ]; then
	echo "check-spdx: no SPDX-License-Identifier line (run tools/add-spdx.sh):"
	printf '  %s\n' $missing
	exit 1
fi
echo "check-spdx: every source file carries the identifier"
