#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 20, item 10: the services' lines in the journal at the priority of
# their level, so that `journalctl -p warning` (docs/operations.md,
# section 4) shows warnings and errors.  A real systemd-journald, in a
# mount namespace of the test's own (tmpfs over /run and
# /var/log/journal, its own journald.conf: volatile, no kernel messages,
# nothing forwarded), so the host's journal is never touched; systemd-cat
# connects the service's stderr to it, and JOURNAL_STREAM is set to that
# stream's device and inode as systemd sets it for a unit.  The service is
# token-issuer starting without a socket: a warning (an unknown SANDGATE_
# name), info lines, an error (serve_failed).
#  - JOURNAL_STREAM naming the stream: PRIORITY 6, 4, 6, 6, 3 for the JSON
#    lines; MESSAGE is the JSON object alone (no "<N>");
#    journalctl -p warning gives the warning and the error;
#  - JOURNAL_STREAM unset, or naming another file (stderr redirected by a
#    wrapper): every line at the stream's default (6), JSON intact.
. "$(dirname "$0")/lib.sh"

sg_setup
[ "$(id -u)" -eq 0 ] || { echo "t-journal needs root (unshare -m)" >&2; exit 1; }
JD=/lib/systemd/systemd-journald
for c in unshare journalctl systemd-cat jq "$JD"; do
	command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] ||
	    { echo "missing $c" >&2; exit 1; }
done
ISSUER=$SG_BUILD/services/token-issuer/token-issuer
[ -x "$ISSUER" ] || { echo "missing $ISSUER (build first)" >&2; exit 1; }
cp "$SG_DATA/test-key-1.pem" "$T/signing.pem"
chmod 600 "$T/signing.pem"
cat > "$T/journald.conf" <<'EOF'
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
EOF

# run TAG MODE: token-issuer under systemd-cat as TAG; MODE "stream" sets
# JOURNAL_STREAM to stderr's device and inode, "other" to another
# file's, "unset" leaves it out.
cat > "$T/run-one.sh" <<'EOF'
tag=$1 mode=$2 issuer=$3 key=$4 other=$5
exec systemd-cat -t "$tag" sh -c '
	case $1 in
	stream) JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); export JOURNAL_STREAM ;;
	other) JOURNAL_STREAM=$(stat -L -c %d:%i "$4"); export JOURNAL_STREAM ;;
	*) unset JOURNAL_STREAM ;;
	esac
	exec env -i PATH="$PATH" ${JOURNAL_STREAM:+JOURNAL_STREAM=$JOURNAL_STREAM} \
	    SANDGATE_SIGNING_KEY="$3" SANDGATE_ISSUER=sgtest \
	    SANDGATE_LOG_LEVL=debug "$2" </dev/null' sh "$mode" "$issuer" "$key" "$other"
EOF
# Inside the namespace: journald, the three runs, the journal's view.
cat > "$T/inner.sh" <<EOF
set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/log/journal 2>/dev/null || true
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$T/journald.conf" /etc/systemd/journald.conf
"$JD" >"$T/journald.log" 2>&1 &
jd=\$!
i=0
while [ ! -S /run/systemd/journal/stdout ] && [ \$i -lt 100 ]; do
	sleep 0.1
	i=\$((i + 1))
done
for m in stream other unset; do
	sh "$T/run-one.sh" "sgtest-\$m" "\$m" "$ISSUER" "$T/signing.pem" \
	    "$T/signing.pem" || true
done
sleep 0.5
journalctl --sync 2>/dev/null || sleep 1
for m in stream other unset; do
	journalctl -D /run/log/journal -t "sgtest-\$m" -o json --no-pager \
	    > "$T/j-\$m.json" || true
	journalctl -D /run/log/journal -t "sgtest-\$m" -p warning -o cat \
	    --no-pager > "$T/w-\$m.txt" || true
done
kill \$jd
wait \$jd || true
EOF
timeout 60 unshare -m sh "$T/inner.sh" >"$T/inner.log" 2>&1 && rc=0 || rc=$?
sg_check "journald in the test's namespace ran" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$T/inner.log" "$T/journald.log"

# prio MODE: "PRIORITY event" for each JSON line of that run, in order
prio()
{
	jq -r 'select(.MESSAGE | startswith("{")) |
	    "\(.PRIORITY) \(.MESSAGE | fromjson | .event)"' "$T/j-$1.json" |
	    tr '\n' ' ' | sed 's/ $//'
}
WANT_EVENTS="version config_unknown_variable public_suffix_list start serve_failed"
sg_check "on the journal: each line at its level's priority" \
    "6 version 4 config_unknown_variable 6 public_suffix_list 6 start 3 serve_failed" \
    "$(prio stream)"
sg_check "on the journal: MESSAGE is the JSON line alone" 0 \
    "$(jq -r .MESSAGE "$T/j-stream.json" | grep -c '^<[0-9]>' || true)"
sg_check "journalctl -p warning: the warning and the error" \
    "config_unknown_variable serve_failed" \
    "$(jq -r .event "$T/w-stream.txt" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
sg_check "JOURNAL_STREAM of another file: no prefix, all at 6" \
    "$(echo "$WANT_EVENTS" | sed 's/\([a-z_]*\)/6 \1/g')" "$(prio other)"
sg_check "JOURNAL_STREAM unset: no prefix, all at 6" \
    "$(echo "$WANT_EVENTS" | sed 's/\([a-z_]*\)/6 \1/g')" "$(prio unset)"
sg_check "without the stream, -p warning shows nothing" "" \
    "$(cat "$T/w-other.txt" "$T/w-unset.txt")"

sg_done
