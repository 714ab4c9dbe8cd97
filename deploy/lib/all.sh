# SPDX-License-Identifier: ISC
# The shell library of sandgate's scripts: run.sh, test.sh and the
# integration tests source it.  One file per concern, each function once:
#
#   proc.sh         PID table, sg_kill_wait (signal, bounded wait, KILL),
#                   sg_wait_tcp, sg_wait_file
#   deps.sh         Debian packages, the build
#   config.sh       the SG_* settings, messages, run directory, environment
#   keys.sh         signing key, operator token
#   redis.sh        redis-server
#   gvisor.sh       gVisor (runsc) registered with an engine
#   dockerd.sh      the Docker engine (system or private)
#   sandbox-net.sh  runtime, sandbox image, internal network, firewall
#   services.sh     the FastCGI services under spawn-fcgi
#   web.sh          Apache (egress proxy), lighttpd or nginx (API gateway)
#   demo.sh         demo target, API calls, demo sandbox, summary
#   stack.sh        start, stop, status of the whole stack
#
# Usage: SG_TOP=<source tree>; . "$SG_TOP/deploy/lib/all.sh"
for _sg_lib in proc deps config keys redis gvisor dockerd sandbox-net services \
    web demo stack; do
	. "$SG_TOP/deploy/lib/$_sg_lib.sh"
done
unset _sg_lib
