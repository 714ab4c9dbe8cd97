#!/bin/sh
# SPDX-License-Identifier: ISC
# `make install` as README's install section says it, into a DESTDIR:
#  - the file list: services under $(pkglibexecdir), the CLI, units,
#    tmpfiles.d and sysusers.d files where configure put them, the
#    configuration once, templates under $(pkgdatadir), docs, man pages;
#  - the installed units start the installed programs (every path they
#    name under the prefix exists in DESTDIR) and none names the tree's
#    Debian paths when the prefix differs;
#  - sandgate(1) and sandgate(7) render with `man -l`, without warnings;
#  - `systemd-analyze verify` accepts the installed units (skipped, with
#    a note, where it cannot run offline);
#  - every installed service and the CLI: --version ("sandgate NAME
#    VERSION"), --help, a bad argument (64), --check-config on a good
#    configuration (0), on a bad one (78, every error named), with a
#    misspelled name (a warning naming the right one), with a proxy
#    named by host name (78); every service unit checks first
#    (ExecStartPre=... --check-config);
#  - a second install keeps an edited sandgate.env; `make uninstall`
#    removes every file but that edited one.
# Builds nothing: the tree in $SG_BUILD must be built.
. "$(dirname "$0")/lib.sh"
sg_setup

[ -f "$SG_BUILD/Makefile" ] || { echo "no Makefile in $SG_BUILD" >&2; exit 1; }
D=$T/root

# mkvar NAME: a make variable of the build, expanded.
mkvar()
{
	printf 'sg-print-var:\n\t@echo $(%s)\n' "$1" |
	    make -s -C "$SG_BUILD" -f Makefile -f - sg-print-var
}

sg_check "make install DESTDIR" 0 \
    "$(make -s -C "$SG_BUILD" install DESTDIR="$D" >"$T/install.log" 2>&1 &&
    echo 0 || echo $?)"

LIBEXEC=$(mkvar pkglibexecdir)
BINDIR=$(mkvar bindir)
SYSCONF=$(mkvar sysconfdir)
DATADIR=$(mkvar pkgdatadir)
DOCDIR=$(mkvar docdir)
MANDIR=$(mkvar mandir)
UNITDIR=$(mkvar systemdsystemunitdir)
TMPFILES=$(mkvar tmpfilesdir)
SYSUSERS=$(mkvar sysusersdir)
# The Apache module's directory (empty when configure found no apxs).
APACHEMOD=$(mkvar apachemoddir)
SERVICES="token-issuer token-verify session-query sandbox-create sandbox-destroy
    secret-broker"

# ---- the file list -----------------------------------------------------------
missing=""
for s in $SERVICES; do
	[ -x "$D$LIBEXEC/$s" ] || missing="$missing $LIBEXEC/$s"
done
[ -x "$D$BINDIR/sandgate" ] || missing="$missing $BINDIR/sandgate"
for u in sandgate.target sandgate-reap.service sandgate-reap.timer \
    sandgate-firewall.service apache2.service.d/sandgate.conf \
    sandgate-token-issuer.service sandgate-token-issuer.socket \
    sandgate-token-verify-api.service sandgate-token-verify-api.socket \
    sandgate-token-verify-egress.service sandgate-token-verify-egress.socket \
    sandgate-session-query.service sandgate-session-query.socket \
    sandgate-sandbox-create.service sandgate-sandbox-create.socket \
    sandgate-sandbox-destroy.service sandgate-sandbox-destroy.socket \
    sandgate-secret-broker.service sandgate-secret-broker.socket; do
	[ -f "$D$UNITDIR/$u" ] || missing="$missing $UNITDIR/$u"
done
for f in "$TMPFILES/sandgate.conf" "$SYSUSERS/sandgate.conf" \
    "$SYSCONF/sandgate/sandgate.env" "$SYSCONF/sandgate/firewall.nft" \
    "$DATADIR/systemd/sandgate.env.example" \
    "$DATADIR/apache/httpd.conf.in" "$DATADIR/apache/sandgate-egress.conf.in" \
    "$DATADIR/lighttpd/sandgate-api.conf.in" \
    "$DATADIR/nginx/sandgate-api.conf.in" "$DATADIR/nginx/sg_params" \
    "$DATADIR/nginx/sg_auth_params" \
    "$DATADIR/lighttpd/50-sandgate.conf.in" \
    "$DATADIR/lighttpd/51-sandgate-tls.conf.in" \
    "$DATADIR/nginx/sandgate-site.conf.in" \
    "$DATADIR/apache/sandgate-instance.conf.in" \
    "$DATADIR/redis/sandgate-redis.conf.in" "$DATADIR/render-site.sh" \
    "$DATADIR/firewall/sandgate-proxy.nft.in" \
    "$DATADIR/firewall/sandgate-sandbox-net.nft.in" \
    "$DATADIR/firewall/sandgate-authorizer.nft.in" \
    "$DATADIR/firewall/sandgate-sandbox-bridge.nft.in" \
    "$DATADIR/firewall/sandgate-proxy-limits.nft.in" \
    "$DATADIR/lighttpd/errors/404.html" \
    "$DATADIR/image/Dockerfile" "$DATADIR/image/build.sh" \
    "$DATADIR/gvisor/register" "$DATADIR/gvisor/sandgate-runsc" \
    "$DOCDIR/README.md" "$DOCDIR/NEWS.md" "$DOCDIR/LICENSE" \
    "$DOCDIR/deploy.md" "$DOCDIR/upgrading.md" "$DOCDIR/operations.md" \
    "$DOCDIR/secrets.md" \
    "$MANDIR/man1/sandgate.1" "$MANDIR/man7/sandgate.7"; do
	[ -f "$D$f" ] || missing="$missing $f"
done
if [ -f "$SG_BUILD/deploy/apache/mod_sandgate_authz.so" ]; then
	[ -f "$D$APACHEMOD/mod_sandgate_authz.so" ] ||
	    missing="$missing $APACHEMOD/mod_sandgate_authz.so"
fi
sg_check "every file installed" "" "$missing"
sg_check "scripts executable" "" "$(for f in image/build.sh gvisor/register \
    gvisor/sandgate-runsc render-site.sh; do [ -x "$D$DATADIR/$f" ] || echo "$f"; done)"
# The installed renderer finds the installed templates (docs/deploy.md,
# "Debian's packaged servers"; t-debian-servers.sh checks what it makes).
for k in lighttpd nginx apache-instance; do
	"$D$DATADIR/render-site.sh" "$k" "$T/rendered-$k" 2>"$T/render.err" ||
	    echo "$k: $(cat "$T/render.err")" >> "$T/render.bad"
done
sg_check "the installed render-site.sh renders from the installed templates" "" \
    "$(cat "$T/render.bad" 2>/dev/null || true)"
sg_check "its lighttpd snippet holds the routes" 1 \
    "$(grep -c '"/v1/tokens"' "$T/rendered-lighttpd" 2>/dev/null || echo 0)"
sg_check "nothing outside DESTDIR's tree but what configure named" "" \
    "$(cd "$D" && find . -type f | sed 's|^\.||' | while read -r f; do
	case $f in
	"$LIBEXEC"/*|"$BINDIR"/*|"$SYSCONF"/*|"$DATADIR"/*|"$DOCDIR"/*|\
	"$MANDIR"/*|"$UNITDIR"/*|"$TMPFILES"/*|"$SYSUSERS"/*) ;;
	"$APACHEMOD"/mod_sandgate_authz.so) [ -n "$APACHEMOD" ] || echo "$f" ;;
	*) echo "$f" ;;
	esac
    done)"

# ---- the units start what was installed ---------------------------------------
# Every absolute path a unit names under the prefix's program,
# configuration and documentation directories must be a file this
# install put there -- except the keys, which the operator makes
# (sandgate keygen, docs/deploy.md).
bad=""
for u in "$D$UNITDIR"/sandgate*; do
	for p in $(grep -o "\($LIBEXEC\|$BINDIR\|$SYSCONF\|$DOCDIR\)/[A-Za-z0-9._/-]*" \
	    "$u" | sort -u); do
		case $p in
		"$SYSCONF"/sandgate/keys/*) continue ;;
		esac
		# A unit's own settings file is optional (EnvironmentFile=-).
		grep -qx "EnvironmentFile=-$p" "$u" && continue
		[ -e "$D$p" ] || bad="$bad ${u##*/}:$p"
	done
done
sg_check "units name only installed paths" "" "$bad"
sg_check_match "token-verify unit starts the installed binary" \
    "$LIBEXEC/token-verify\$" \
    "$(grep '^ExecStart=' "$D$UNITDIR/sandgate-token-verify-egress.service")"
sg_check_match "reap unit runs the installed CLI" "^ExecStart=$BINDIR/sandgate reap" \
    "$(grep '^ExecStart=' "$D$UNITDIR/sandgate-reap.service")"
if [ "$LIBEXEC" != /usr/libexec/sandgate ]; then
	sg_check "no unit keeps the tree's /usr/libexec/sandgate" "" \
	    "$(grep -l '/usr/libexec/sandgate' "$D$UNITDIR"/sandgate* || true)"
fi
sg_check_match "tmpfiles.d entry for the data root" '^d /var/lib/sandgate' \
    "$(cat "$D$TMPFILES/sandgate.conf")"
sg_check_match "sysusers.d makes the sandgate user" '^u sandgate' \
    "$(cat "$D$SYSUSERS/sandgate.conf")"

# ---- the service units tell systemd the truth (issue 20.4) --------------------
untrue=""
for s in token-issuer token-verify-api token-verify-egress session-query \
    sandbox-create sandbox-destroy secret-broker; do
	u=$D$UNITDIR/sandgate-$s.service
	for want in '^Type=notify$' '^NotifyAccess=all$' '^PartOf=sandgate.target$' \
	    '^ExecReload=/bin/kill -HUP \$MAINPID$' '^RestartPreventExitStatus=78$' \
	    "^EnvironmentFile=-$SYSCONF/sandgate/$s.env\$" \
	    '^ReadWritePaths=/run/sandgate/metrics$'; do
		grep -q "$want" "$u" || untrue="$untrue $s:$want"
	done
	# the shared file first, the unit's own after it
	order=$(sed -n 's/^EnvironmentFile=-*//p' "$u" | tr '\n' ' ')
	[ "$order" = "$SYSCONF/sandgate/sandgate.env $SYSCONF/sandgate/$s.env " ] ||
	    untrue="$untrue $s:order($order)"
	grep -q multiwatch "$u" && untrue="$untrue $s:multiwatch"
done
sg_check "service units: notify, reload, PartOf, own env file after the shared one, the metrics file writable" \
    "" "$untrue"
# A unit naming a group the host lacks does not start (a remote Redis,
# no group redis): the socket's group comes from the user's membership.
sg_check "no unit names a group but sandgate and docker" "" \
    "$(grep -h '^SupplementaryGroups=\|^Group=' "$D$UNITDIR"/sandgate-*.service |
    grep -v '=sandgate$\|=docker$' | sort -u | tr '\n' ' ')"

# ---- the firewall unit (issue 20.7) ------------------------------------------
FW=$D$UNITDIR/sandgate-firewall.service
sg_check "firewall: a oneshot that stays active" "oneshot yes" \
    "$(sed -n 's/^Type=//p' "$FW") $(sed -n 's/^RemainAfterExit=//p' "$FW")"
sg_check_match "firewall: before Docker and Apache" \
    'docker\.service.*apache2\.service|apache2\.service.*docker\.service' \
    "$(sed -n 's/^Before=//p' "$FW" | tr '\n' ' ')"
sg_check "firewall: loads the installed rule file" \
    "/usr/sbin/nft -f $SYSCONF/sandgate/firewall.nft" \
    "$(sed -n 's/^ExecStart=//p' "$FW")"
sg_check_match "firewall: at boot (sysinit.target)" '^WantedBy=sysinit.target' \
    "$(cat "$FW")"
sg_check_match "sandgate.target wants the firewall" \
    'Wants=.*sandgate-firewall.service' "$(cat "$D$UNITDIR/sandgate.target")"
sg_check_match "Apache after Docker and the firewall" \
    '^After=docker.service sandgate-firewall.service' \
    "$(cat "$D$UNITDIR/apache2.service.d/sandgate.conf")"
sg_check_match "firewall.nft includes firewall.d" \
    "^include \"$SYSCONF/sandgate/firewall.d/\\*.nft\"" \
    "$(cat "$D$SYSCONF/sandgate/firewall.nft")"
# The documented procedure: render a template into firewall.d, and nft
# accepts the whole file as the unit loads it (nft -c: checked, not
# loaded; needs CAP_NET_ADMIN).
if command -v nft >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$D$SYSCONF/sandgate/firewall.d"
	sed -e 's/@TABLE@/sg_t_install/g' -e 's/@PROXY_USER@/root/g' \
	    -e 's/@VERIFY_PORTS@/{ 9101 }/g' \
	    "$D$DATADIR/firewall/sandgate-authorizer.nft.in" \
	    > "$D$SYSCONF/sandgate/firewall.d/authorizer.nft"
	sed "s|$SYSCONF/sandgate/firewall.d|$D$SYSCONF/sandgate/firewall.d|" \
	    "$D$SYSCONF/sandgate/firewall.nft" > "$T/firewall.nft"
	sg_check "nft -c accepts firewall.nft with a rendered template" "" \
	    "$(nft -c -f "$T/firewall.nft" 2>&1)"
	rm -f "$D$SYSCONF/sandgate/firewall.d/authorizer.nft"
else
	echo "note: no nft or not root, firewall.nft not checked"
fi

# ---- man pages -----------------------------------------------------------------
if command -v man >/dev/null 2>&1; then
	for m in man1/sandgate.1 man7/sandgate.7; do
		out=$(MANWIDTH=80 man --warnings -l "$D$MANDIR/$m" \
		    2>"$T/man.err" || true)
		sg_check_match "man -l $m renders" '^NAME' "$out"
		sg_check "man -l $m: no warnings" "" "$(cat "$T/man.err")"
	done
	sg_check_match "sandgate(7) lists SANDGATE_PROXY_URL" \
	    'SANDGATE_PROXY_URL' \
	    "$(MANWIDTH=80 man -l "$D$MANDIR/man7/sandgate.7" 2>/dev/null)"
else
	echo "note: no man(1) (package man-db), pages not rendered"
fi

# ---- systemd-analyze verify ------------------------------------------------------
# The units name paths under the prefix, not under DESTDIR: verify copies
# whose paths point into DESTDIR, so it checks the installed programs.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$T/units"
	for u in "$D$UNITDIR"/sandgate*; do
		sed -e "s|$LIBEXEC/|$D$LIBEXEC/|g" -e "s|$BINDIR/sandgate|$D$BINDIR/sandgate|g" \
		    -e "s|$SYSCONF/sandgate|$D$SYSCONF/sandgate|g" "$u" \
		    > "$T/units/${u##*/}"
	done
	if systemd-analyze verify "$T/units"/sandgate*.service \
	    "$T/units"/sandgate*.socket "$T/units"/sandgate*.timer \
	    "$T/units"/sandgate.target >"$T/verify.log" 2>&1; then
		sg_check "systemd-analyze verify" "" "$(cat "$T/verify.log")"
	elif grep -qi 'bus\|connect\|not been booted' "$T/verify.log"; then
		echo "note: systemd-analyze verify cannot run offline here:" \
		    "$(head -n 1 "$T/verify.log")"
	else
		sg_check "systemd-analyze verify" "" "$(cat "$T/verify.log")"
	fi
else
	echo "note: no systemd-analyze, units not verified"
fi

# ---- --help, --version, --check-config on what was installed -------------------
VERSION=$(mkvar PACKAGE_VERSION)
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
# run CMD...: stdout in $T/out, stderr in $T/err, the status printed.
run()
{
	"$@" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}
"$D$BINDIR/sandgate" keygen "$T/keys" >/dev/null
openssl rand -hex 32 >"$T/keys/secret.key"
GOOD="SANDGATE_SIGNING_KEY=$T/keys/private-key.pem
SANDGATE_VERIFY_KEYS=$T/keys/jwks.json
SANDGATE_SECRET_KEYS=$T/keys/secret.key"
for s in $SERVICES sandgate; do
	if [ "$s" = sandgate ]; then
		b=$D$BINDIR/sandgate n=cli
	else
		b=$D$LIBEXEC/$s n=$s
	fi
	sg_check "$s --version" 0 "$(run "$b" --version)"
	sg_check "$s --version text" "sandgate $n $VERSION" "$(cat "$T/out")"
	sg_check "$s --help" 0 "$(run "$b" --help)"
	sg_check_match "$s --help text" "usage: $s " "$(cat "$T/out")"
	if [ "$s" != sandgate ]; then
		sg_check "$s bad argument" 64 "$(run "$b" --frobnicate)"
		sg_check_match "$s bad argument: usage" "usage: $s" "$(cat "$T/err")"
	fi
	# shellcheck disable=SC2086
	sg_check "$s --check-config good" 0 \
	    "$(run env $GOOD "$b" --check-config)"
	sg_check "$s --check-config good: says so" "$s: configuration ok" \
	    "$(cat "$T/out")"
	sg_check "$s --check-config good: quiet" "" "$(cat "$T/err")"
	# shellcheck disable=SC2086
	sg_check "$s --check-config bad" 78 \
	    "$(run env $GOOD SANDGATE_LEEWAY=soon SANDGATE_REDIS=http://r \
	    SANDGATE_CPUS=many "$b" --check-config)"
	sg_check "$s --check-config: every error reported" \
	    "SANDGATE_REDIS SANDGATE_LEEWAY SANDGATE_CPUS" \
	    "$(sed -n 's/^[a-z-]*: error: \(SANDGATE_[A-Z_]*\): .*/\1/p' "$T/err" |
	    tr '\n' ' ' | sed 's/ $//')"
	sg_check "$s --check-config: no value echoed" 0 \
	    "$(grep -c 'soon\|many\|http://r' "$T/err" || true)"
	sg_check "$s --check-config: nothing served" "" "$(cat "$T/out")"
	# shellcheck disable=SC2086
	sg_check "$s --check-config misspelled name" 0 \
	    "$(run env $GOOD SANDGATE_REDIS_TIMOUT_MS=100 "$b" --check-config)"
	sg_check "$s: the misspelling named, with the right name" \
	    "$s: warning: SANDGATE_REDIS_TIMOUT_MS is not a sandgate variable (did you mean SANDGATE_REDIS_TIMEOUT_MS?)" \
	    "$(cat "$T/err")"
	# shellcheck disable=SC2086
	sg_check "$s --check-config proxy by name" 78 \
	    "$(run env $GOOD SANDGATE_PROXY_URL=http://sandgate-proxy:8443 \
	    "$b" --check-config)"
	sg_check_match "$s: the proxy name refused clearly" \
	    'SANDGATE_PROXY_URL: the host must be an IP address, not a name: a sandbox has no DNS' \
	    "$(cat "$T/err")"
done
# A service's own checks run too: token-verify without keys.
sg_check "token-verify --check-config without keys" 78 \
    "$(run "$D$LIBEXEC/token-verify" --check-config)"
sg_check_match "token-verify: names SANDGATE_VERIFY_KEYS" 'SANDGATE_VERIFY_KEYS' \
    "$(cat "$T/err")"
sg_check "sandbox-create --check-config without a key" 78 \
    "$(run "$D$LIBEXEC/sandbox-create" --check-config)"
sg_check_match "sandbox-create: SANDGATE_SIGNING_KEY not set" \
    'SANDGATE_SIGNING_KEY: not set' "$(cat "$T/err")"
# A normal start with a bad configuration: the log names the release and
# the misspelling before the service stops with EX_CONFIG.
sg_check "token-verify start, bad configuration" 78 \
    "$(run env SANDGATE_VERIFY_KEYS="$T/keys/jwks.json" SANDGATE_LEEWAY=soon \
    SANDGATE_EGRES_MODE=report "$D$LIBEXEC/token-verify")"
sg_check_match "start: the release logged" \
    "\"service\":\"token-verify\",\"level\":\"info\",\"event\":\"version\",\"version\":\"$VERSION\"" \
    "$(cat "$T/err")"
sg_check_match "start: the misspelling logged with the right name" \
    '"event":"config_unknown_variable","variable":"SANDGATE_EGRES_MODE","closest":"SANDGATE_EGRESS_MODE"' \
    "$(cat "$T/err")"
sg_check_match "start: the bad value named" 'SANDGATE_LEEWAY: ' "$(cat "$T/err")"
# Every service unit checks its configuration before it starts.
nopre=""
for u in "$D$UNITDIR"/sandgate-*.service; do
	# the firewall is nft, not a sandgate program
	[ "${u##*/}" = sandgate-firewall.service ] && continue
	# the last word of ExecStart=, but the CLI of "sandgate reap"
	prog=$(sed -n -e 's|^ExecStart=\([^ ]*/sandgate\) reap\( .*\)*$|\1|p' -e t \
	    -e 's|^ExecStart=.* \([^ ]*\)$|\1|p' -e t \
	    -e 's|^ExecStart=\([^ ]*\)$|\1|p' "$u")
	grep -qx "ExecStartPre=$prog --check-config" "$u" || nopre="$nopre ${u##*/}"
done
sg_check "every service unit runs --check-config first" "" "$nopre"

# ---- upgrade and uninstall --------------------------------------------------------
echo "SANDGATE_LOG_LEVEL=debug" >> "$D$SYSCONF/sandgate/sandgate.env"
cp "$D$SYSCONF/sandgate/sandgate.env" "$T/edited.env"
make -s -C "$SG_BUILD" install DESTDIR="$D" >>"$T/install.log" 2>&1
sg_check "reinstall keeps the edited sandgate.env" "" \
    "$(cmp "$T/edited.env" "$D$SYSCONF/sandgate/sandgate.env" 2>&1 || true)"
sg_check "make uninstall DESTDIR" 0 \
    "$(make -s -C "$SG_BUILD" uninstall DESTDIR="$D" >>"$T/install.log" 2>&1 &&
    echo 0 || echo $?)"
sg_check "uninstall leaves only the edited configuration" \
    "$SYSCONF/sandgate/sandgate.env" \
    "$(cd "$D" && find . -type f | sed 's|^\.||')"

sg_done
