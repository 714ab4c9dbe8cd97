#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/check-spdx.sh: fail, listing them, if tracked source files lack
# the "SPDX-License-Identifier:" line tools/add-spdx.sh adds (line 1, or
# line 2 after a "#!").  Needs a git checkout; skipped (exit 77) without.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "check-spdx: not a git checkout, skipped"
	exit 77
fi
missing=$(git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.in' '*.am' \
    '*.mk' '*.ac' | while IFS= read -r f; do
	[ -f "$f" ] || continue
	l1=$(sed -n 1p "$f")
	case $l1 in
	*SPDX-License-Identifier:*) continue ;;
	'#!'*) sed -n 2p "$f" | grep -q 'SPDX-License-Identifier:' &&
	    continue ;;
	esac
	echo "$f"
done)
if [ -n "$missing" ]; then
	echo "check-spdx: no SPDX-License-Identifier line (run tools/add-spdx.sh):"
	printf '  %s\n' $missing
	exit 1
fi
echo "check-spdx: $(git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.in' \
    '*.am' '*.mk' '*.ac' | wc -l) files carry the identifier"
