#!/bin/sh
# SPDX-License-Identifier: ISC
# Documentation references must stay inside the project and resolve.
#
# (a) No tracked file outside docs/ may point at the old background notes
#     (a directory called "notes" holding the old copies) or at the shared
#     directory one level up: the project carries its own copy in docs/.
# (b) Every reference to a project doc followed by a section number or a
#     case ID resolves: "docs/security.md 3.5", "docs/security.md S8",
#     "docs/web-servers.md, section 4", "docs/security.md §4.4",
#     "docs/security.md 3.6 (T1-T8)", "docs/security.md 4.4, 6.5".  Lists
#     and ranges are followed (both ends of a range are checked); "#N"
#     items after a number are skipped.  The bare form "security.md X9" is
#     checked too when docs/security.md exists.  A number resolves when the
#     doc has a heading with exactly that number ("## 2.", "### 3.5 ...")
#     or a table row whose first cell is it; a case ID when a table row's
#     first cell (or a heading) is that ID.  A "docs/<name>.md" that does
#     not exist is unresolved whatever follows it.
#
# (c) The contract is docs/contract.md: no tracked file may cite the old
#     out-of-tree contract file (DESIGN dot md, at the top of a shared
#     directory); cite "docs/contract.md §N" instead, which (b) checks.
#
# Prints "file:line: ref" for each problem and exits 1 if there is any.
# Usage: sh tests/check-doc-refs.sh   (from anywhere inside the checkout)

top=$(git rev-parse --show-toplevel 2>/dev/null) || {
	echo "check-doc-refs: not inside a git checkout" >&2
	exit 2
}
cd "$top" || exit 2

bad=0

# (a) The patterns are spelt so that this script does not match itself.
out=$(git grep -nIoE -e '(^|[^A-Za-z0-9_.-])note[s]/[A-Za-z0-9_./-]*' \
    -e '[A-Za-z0-9_./-]*\.\.[/]shared[A-Za-z0-9_./-]*' -- . ':!docs/' \
    2>/dev/null)
if [ -n "$out" ]; then
	# git grep -o prints file:line:match; the match may start with the
	# character before the path.
	printf '%s\n' "$out" |
	    sed 's/^\([^:]*:[0-9]*\):[^A-Za-z0-9_./-]*/\1: /'
	bad=1
fi

# (c) Spelt so that this script does not match itself.
out=$(git grep -nIoE -e 'DESIGN[.]md' -- . 2>/dev/null)
if [ -n "$out" ]; then
	printf '%s\n' "$out" | sed 's/^\([^:]*:[0-9]*\):/\1: /'
	bad=1
fi

# (b) Every doc the references may name.
docs=$(ls docs/*.md 2>/dev/null | tr '\n' ' ')

git grep -nIE '[A-Za-z0-9_-]+\.md' -- . 2>/dev/null |
awk -v docs="$docs" '
BEGIN {
	nd = split(docs, dl, " ")
	for (i = 1; i <= nd; i++) {
		f = dl[i]
		have[f] = 1
		while ((getline l < f) > 0) {
			key = ""
			if (l ~ /^#+[ \t]/) {
				sub(/^#+[ \t]+/, "", l)
				key = l
				sub(/[ \t].*$/, "", key)
				sub(/\.$/, "", key)
			} else if (l ~ /^\|/) {
				key = l
				sub(/^\|[ \t]*/, "", key)
				sub(/[ \t]*\|.*$/, "", key)
			}
			if (key != "")
				def[f, key] = 1
		}
		close(f)
	}
	bad = 0
}
function report(where, ref) {
	print where ": " ref
	bad = 1
}
{
	# file:line:text (file names have no colon in this tree)
	p = index($0, ":")
	file = substr($0, 1, p - 1)
	rest = substr($0, p + 1)
	p = index(rest, ":")
	where = file ":" substr(rest, 1, p - 1)
	text = substr(rest, p + 1)
	pre = ""
	while (match(text, /[A-Za-z0-9_\/.-]*[A-Za-z0-9_-]+\.md/)) {
		name = substr(text, RSTART, RLENGTH)
		before = (RSTART > 1) ? substr(text, RSTART - 1, 1) : ""
		text = substr(text, RSTART + RLENGTH)
		if (name ~ /^docs\/[A-Za-z0-9_-]+\.md$/) {
			doc = name
			if (!(doc in have)) {
				report(where, name)
				continue
			}
		} else if (name ~ /^[A-Za-z0-9_-]+\.md$/ && before !~ /[A-Za-z0-9_.\/-]/ &&
		    (("docs/" name) in have)) {
			doc = "docs/" name
		} else
			continue
		# what follows the name
		t = text
		sub(/^[`)\]"*\047]*/, "", t)
		if (match(t, /^[:,]?[ \t]*/))
			t = substr(t, RLENGTH + 1)
		if (match(t, /^(§|[Ss]ections?[ \t]+)[ \t]*/))
			t = substr(t, RLENGTH + 1)
		for (;;) {
			if (match(t, /^[0-9]+(\.[0-9]+)*/) ||
			    match(t, /^[A-Z][0-9]+/)) {
				tok = substr(t, 1, RLENGTH)
				nx = substr(t, RLENGTH + 1, 1)
				if (nx ~ /[A-Za-z0-9_]/)
					break
				if (!((doc, tok) in def))
					report(where, doc " " tok)
				t = substr(t, RLENGTH + 1)
			} else
				break
			while (match(t, /^[ \t]+#[0-9]+/))
				t = substr(t, RLENGTH + 1)
			if (match(t, /^[ \t]*(,|\/|-|–|and|&)[ \t]*\(?[ \t]*(§[ \t]*)?/) ||
			    match(t, /^[ \t]+\([ \t]*/))
				t = substr(t, RLENGTH + 1)
			else
				break
		}
	}
}
END { exit bad }
' || bad=1

exit $bad
