# SPDX-License-Identifier: ISC
# deploy/: what `make install` puts on a host besides the programs.
#
# The systemd units in deploy/systemd name the Debian paths
# (/usr/libexec/sandgate, /usr/bin/sandgate, /etc/sandgate) so that they
# work, and `systemd-analyze verify` checks them, as they stand in the tree.
# Installing rewrites those three paths to this build's $(pkglibexecdir),
# $(bindir) and $(sysconfdir), so a --prefix=/usr/local install starts the
# binaries it installed.

SG_UNITS = \
	deploy/systemd/sandgate.target \
	deploy/systemd/sandgate-firewall.service \
	deploy/systemd/sandgate-reap.service \
	deploy/systemd/sandgate-reap.timer \
	deploy/systemd/sandgate-sandbox-create.service \
	deploy/systemd/sandgate-sandbox-create.socket \
	deploy/systemd/sandgate-sandbox-destroy.service \
	deploy/systemd/sandgate-sandbox-destroy.socket \
	deploy/systemd/sandgate-session-query.service \
	deploy/systemd/sandgate-session-query.socket \
	deploy/systemd/sandgate-token-issuer.service \
	deploy/systemd/sandgate-token-issuer.socket \
	deploy/systemd/sandgate-token-verify-api.service \
	deploy/systemd/sandgate-token-verify-api.socket \
	deploy/systemd/sandgate-token-verify-egress.service \
	deploy/systemd/sandgate-token-verify-egress.socket \
	deploy/systemd/sandgate-secret-broker.service \
	deploy/systemd/sandgate-secret-broker.socket

SG_PATH_SED = sed -e 's|/usr/libexec/sandgate|$(pkglibexecdir)|g' \
	-e 's|/usr/bin/sandgate|$(bindir)/sandgate|g' \
	-e 's|/etc/sandgate|$(sysconfdir)/sandgate|g' \
	-e 's|/usr/share/doc/sandgate|$(docdir)|g'

# Templates the operator copies and fills in (docs/deploy.md).
sgapachedir = $(pkgdatadir)/apache
sgapache_DATA = deploy/apache/httpd.conf.in deploy/apache/sandgate-egress.conf.in \
	deploy/apache/sandgate-instance.conf.in
# The egress authorizer module of Apache (kept FastCGI connections to
# token-verify; docs/performance.md), in Debian's module directory under
# this prefix.  Not libtool: one shared object, Apache's headers only.
EXTRA_DIST += deploy/apache/mod_sandgate_authz.c deploy/apache/sga_share.c \
	deploy/apache/sga_share.h deploy/apache/sga_cache.c \
	deploy/apache/sga_cache.h deploy/apache/sga_broker.c \
	deploy/apache/sga_broker.h
if HAVE_APXS
apachemoddir = $(libdir)/apache2/modules
apachemod_DATA = deploy/apache/mod_sandgate_authz.so
CLEANFILES += deploy/apache/mod_sandgate_authz.so
deploy/apache/mod_sandgate_authz.so: $(srcdir)/deploy/apache/mod_sandgate_authz.c \
	    $(srcdir)/deploy/apache/sga_share.c $(srcdir)/deploy/apache/sga_share.h \
	    $(srcdir)/deploy/apache/sga_cache.c $(srcdir)/deploy/apache/sga_cache.h \
	    $(srcdir)/deploy/apache/sga_broker.c $(srcdir)/deploy/apache/sga_broker.h \
	    $(srcdir)/lib/relay.c $(srcdir)/lib/relay.h
	@$(MKDIR_P) deploy/apache
	$(CC) -shared -fPIC $(APXS_CFLAGS) $(SG_CFLAGS) -I$(srcdir)/lib \
	    -Wno-unused-parameter -o $@ $(srcdir)/deploy/apache/mod_sandgate_authz.c \
	    $(srcdir)/deploy/apache/sga_share.c \
	    $(srcdir)/deploy/apache/sga_cache.c \
	    $(srcdir)/deploy/apache/sga_broker.c $(srcdir)/lib/relay.c \
	    $(CURL_CFLAGS) $(CURL_LIBS) -lcrypto -lpthread
endif
sglighttpddir = $(pkgdatadir)/lighttpd
sglighttpd_DATA = deploy/lighttpd/sandgate-api.conf.in \
	deploy/lighttpd/50-sandgate.conf.in deploy/lighttpd/51-sandgate-tls.conf.in
sglighttpderrorsdir = $(pkgdatadir)/lighttpd/errors
sglighttpderrors_DATA = deploy/lighttpd/errors/404.html
sgnginxdir = $(pkgdatadir)/nginx
sgnginx_DATA = deploy/nginx/sandgate-api.conf.in deploy/nginx/sg_auth_params \
	deploy/nginx/sg_params deploy/nginx/sandgate-site.conf.in
# The snippets for Debian's packaged servers, rendered from the templates
# beside it (docs/deploy.md).
sgredisdir = $(pkgdatadir)/redis
sgredis_DATA = deploy/redis/sandgate-redis.conf.in
sgrenderdir = $(pkgdatadir)
sgrender_SCRIPTS = deploy/render-site.sh
sgfirewalldir = $(pkgdatadir)/firewall
sgfirewall_DATA = deploy/firewall/sandgate-proxy.nft.in \
	deploy/firewall/sandgate-sandbox-net.nft.in \
	deploy/firewall/sandgate-authorizer.nft.in \
	deploy/firewall/sandgate-sandbox-bridge.nft.in \
	deploy/firewall/sandgate-proxy-limits.nft.in
sgimagedir = $(pkgdatadir)/image
sgimage_DATA = deploy/image/Dockerfile
sgimage_SCRIPTS = deploy/image/build.sh
# gVisor for Debian 12 (docs/deploy.md): the runsc wrapper and the script
# that registers it with dockerd, side by side (register finds the
# wrapper next to itself).
sggvisordir = $(pkgdatadir)/gvisor
sggvisor_SCRIPTS = deploy/gvisor/register deploy/gvisor/sandgate-runsc
sgsystemddir = $(pkgdatadir)/systemd
sgsystemd_DATA = deploy/systemd/sandgate.env.example

doc_DATA = README.md NEWS.md LICENSE docs/deploy.md docs/operations.md \
	docs/reliability.md docs/upgrading.md docs/security.md \
	docs/web-servers.md docs/secrets.md

dist_man_MANS = docs/man/sandgate.1 docs/man/sandgate.7

install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(systemdsystemunitdir)' \
	    '$(DESTDIR)$(tmpfilesdir)' '$(DESTDIR)$(sysusersdir)' \
	    '$(DESTDIR)$(sysconfdir)/sandgate'
	for u in $(SG_UNITS); do \
		$(SG_PATH_SED) "$(srcdir)/$$u" > "$(DESTDIR)$(systemdsystemunitdir)/$${u##*/}" \
		    && chmod 644 "$(DESTDIR)$(systemdsystemunitdir)/$${u##*/}" || exit 1; \
	done
	$(SG_PATH_SED) '$(srcdir)/deploy/systemd/sandgate.tmpfiles.conf' \
	    > '$(DESTDIR)$(tmpfilesdir)/sandgate.conf'
	chmod 644 '$(DESTDIR)$(tmpfilesdir)/sandgate.conf'
	$(INSTALL_DATA) '$(srcdir)/deploy/systemd/sandgate.sysusers.conf' \
	    '$(DESTDIR)$(sysusersdir)/sandgate.conf'
# Apache after Docker and the firewall (its egress site listens on the
# sandbox network's gateway address).
	$(MKDIR_P) '$(DESTDIR)$(systemdsystemunitdir)/apache2.service.d'
	$(SG_PATH_SED) '$(srcdir)/deploy/systemd/apache2.service.d/sandgate.conf' \
	    > '$(DESTDIR)$(systemdsystemunitdir)/apache2.service.d/sandgate.conf'
	chmod 644 '$(DESTDIR)$(systemdsystemunitdir)/apache2.service.d/sandgate.conf'
# The firewall's rule files (sandgate-firewall.service), like the
# configuration: installed once, never overwritten.
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)/sandgate/firewall.d'
	if test ! -e '$(DESTDIR)$(sysconfdir)/sandgate/firewall.nft'; then \
		$(SG_PATH_SED) '$(srcdir)/deploy/systemd/firewall.nft' \
		    > '$(DESTDIR)$(sysconfdir)/sandgate/firewall.nft' && \
		chmod 644 '$(DESTDIR)$(sysconfdir)/sandgate/firewall.nft'; \
	fi
# The live configuration: installed once, never overwritten (an upgrade
# keeps the operator's settings; the example stays in $(sgsystemddir)).
	if test ! -e '$(DESTDIR)$(sysconfdir)/sandgate/sandgate.env'; then \
		$(INSTALL_DATA) '$(srcdir)/deploy/systemd/sandgate.env.example' \
		    '$(DESTDIR)$(sysconfdir)/sandgate/sandgate.env'; \
	fi

uninstall-local:
	for u in $(SG_UNITS); do \
		rm -f "$(DESTDIR)$(systemdsystemunitdir)/$${u##*/}"; \
	done
	rm -f '$(DESTDIR)$(tmpfilesdir)/sandgate.conf' \
	    '$(DESTDIR)$(sysusersdir)/sandgate.conf' \
	    '$(DESTDIR)$(systemdsystemunitdir)/apache2.service.d/sandgate.conf'
	-rmdir '$(DESTDIR)$(systemdsystemunitdir)/apache2.service.d' 2>/dev/null
	$(SG_PATH_SED) '$(srcdir)/deploy/systemd/firewall.nft' > firewall.nft.sg-tmp
	if cmp -s firewall.nft.sg-tmp '$(DESTDIR)$(sysconfdir)/sandgate/firewall.nft'; then \
		rm -f '$(DESTDIR)$(sysconfdir)/sandgate/firewall.nft'; \
	fi
	rm -f firewall.nft.sg-tmp
	-rmdir '$(DESTDIR)$(sysconfdir)/sandgate/firewall.d' 2>/dev/null
# Only an unedited configuration goes; an operator's edits stay.
	if cmp -s '$(srcdir)/deploy/systemd/sandgate.env.example' \
	    '$(DESTDIR)$(sysconfdir)/sandgate/sandgate.env'; then \
		rm -f '$(DESTDIR)$(sysconfdir)/sandgate/sandgate.env'; \
	fi

# `make distcheck` installs as an ordinary user into its own prefix.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${prefix}/lib/systemd/system' \
	--with-tmpfilesdir='$${prefix}/lib/tmpfiles.d' \
	--with-sysusersdir='$${prefix}/lib/sysusers.d'
