#!/bin/sh
# SPDX-License-Identifier: ISC
# One-shot rewrite of the old background-note paths to the project's own
# docs, in every tracked text file: docs/web-servers.md and
# docs/security.md (with or without a leading directory such as
# /work/shared/) become docs/web-servers.md and docs/security.md.  Section
# numbers and case IDs are unchanged, since docs/ keeps the notes'
# numbering.  Run it once from inside the checkout, then
# tests/check-doc-refs.sh.  The patterns are spelt so that neither this
# script nor check-doc-refs.sh is rewritten by it.

top=$(git rev-parse --show-toplevel 2>/dev/null) || {
	echo "fix-doc-refs: not inside a git checkout" >&2
	exit 2
}
cd "$top" || exit 2

git grep -lIE 'note[s]/(web-servers|security)\.md' -- . |
while IFS= read -r f; do
	tmp="$f.fix-doc-refs.$$"
	sed -e 's#[A-Za-z0-9_./-]*note[s]/web-servers\.md#docs/web-servers.md#g' \
	    -e 's#[A-Za-z0-9_./-]*note[s]/security\.md#docs/security.md#g' \
	    "$f" >"$tmp" && cat "$tmp" >"$f"	# cat keeps mode and links
	rm -f "$tmp"
	echo "fixed $f"
done
