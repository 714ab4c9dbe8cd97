#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tools/add-spdx.sh: give every tracked source file one
# "SPDX-License-Identifier: ISC" line (https://spdx.dev/ids/), as the
# first line, or the second after a "#!" line.  Idempotent: a file that
# already has the identifier there is left alone, so it can be run after
# every merge.  tests/check-spdx.sh runs it with -n.
#
#   tools/add-spdx.sh [-n]     (-n: only list what would change)
#
# Source files: C, shell, Python, Autotools input, the deploy
# configuration (units, tmpfiles/sysusers, server templates, nft, the
# image's Dockerfile), gnuplot, the manual pages, and any tracked
# extension-less "#!" script.  Data (JSON, PEM, test vectors, PNG) and
# Markdown carry no comment syntax worth forcing and are left out.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dry=0
[ "${1:-}" = "-n" ] && dry=1

sg_spdx_files()
{
	git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.in' '*.am' '*.mk' \
	    '*.ac' '*.gp' '*.conf' '*.service' '*.socket' '*.timer' \
	    '*.target' '*.example' '*.1' '*.7' '*Dockerfile' \
	    'deploy/nginx/sg_*params'
	# Extension-less scripts (bench/run, tests/fuzz/run-*, ...).
	git ls-files | while IFS= read -r _f; do
		case ${_f##*/} in
		*.*) continue ;;
		esac
		[ -f "$_f" ] && head -c 2 "$_f" | grep -q '^#!' &&
		    printf '%s\n' "$_f"
	done
	return 0
}

# Files that are not ours to license: tests/interop keeps the original
# Python AuthService's token code as it was, so its licence is its
# authors' to state, not an ISC line added here.
sg_spdx_foreign()
{
	case $1 in
	tests/interop/original_authservice.py) return 0 ;;
	esac
	return 1
}

# has_spdx FILE: the identifier on line 1, or on line 2 after a shebang.
has_spdx()
{
	_l1=$(sed -n 1p "$1")
	case $_l1 in
	*SPDX-License-Identifier:*) return 0 ;;
	'#!'*) sed -n 2p "$1" | grep -q 'SPDX-License-Identifier:' ;;
	*) return 1 ;;
	esac
}

sg_spdx_files | sort -u | while IFS= read -r f; do
	[ -f "$f" ] || continue
	sg_spdx_foreign "$f" && continue
	has_spdx "$f" && continue
	case $f in
	*.c|*.h) line='/* SPDX-License-Identifier: ISC */' ;;
	*.1|*.7) line='.\" SPDX-License-Identifier: ISC' ;;
	*) line='# SPDX-License-Identifier: ISC' ;;
	esac
	echo "$f"
	[ $dry -eq 1 ] && continue
	tmp="$f.spdx.$$"
	if sed -n 1p "$f" | grep -q '^#!'; then
		{ sed -n 1p "$f"; printf '%s\n' "$line"; sed 1d "$f"; } > "$tmp"
	else
		{ printf '%s\n' "$line"; cat "$f"; } > "$tmp"
	fi
	# Keep the mode (scripts stay executable).
	chmod "$(stat -c %a "$f")" "$tmp"
	mv "$tmp" "$f"
done
