#!/bin/sh
# SPDX-License-Identifier: ISC
# sandgate, the whole stack on one machine, with one command (as root, on
# Debian 12):
#
#   ./run.sh          install what is missing, build, start everything, and
#                     show from inside a demo sandbox that egress works
#   ./run.sh stop     stop everything run.sh started, remove the demo sandbox
#   ./run.sh status   what runs, where it listens
#
# Everything lives under ./run/ (keys, sockets, logs, PIDs).  Running it
# twice is safe: what already runs is kept.  Settings (environment):
#
#   SG_PROCS=2             FastCGI processes per service
#   SG_API_SERVER=lighttpd the API gateway: lighttpd or nginx
#   SG_API_PORT=8080       API gateway on 127.0.0.1
#   SG_PROXY_PORT=8443     egress proxy on the sandbox network's gateway
#   SG_SUBNET=172.30.99.0/24, SG_NETWORK=sandgate-egress,
#   SG_BRIDGE=sg-egress0   the internal Docker network for sandboxes
#   SG_RUNDIR=./run        state directory
#   SG_RUNTIME=runsc       sandbox runtime: gVisor, registered with the
#                          engine here (deploy/gvisor); runc only if asked
#   SG_RUNSC_PLATFORM=auto gVisor platform: auto (KVM if it works), ptrace
#   SG_RUNSC_PIDS_LIMIT=4096  host pids limit under gVisor (docs/deploy.md 5)
#   SG_NO_BUILD=1          use the binaries already built (in SG_BUILD)
#
# The steps are functions of deploy/lib/ (see all.sh there), which the
# integration tests use too, with their own directory and ports.
set -eu
SG_TOP=$(cd "$(dirname "$0")" && pwd)
. "$SG_TOP/deploy/lib/all.sh"
sg_run_config

case ${1:-start} in
start)
	[ "$(id -u)" -eq 0 ] || sg_run_die "run as root (Docker, nftables, Apache as www-data)"
	_t0=$(date +%s)
	sg_install_deps
	[ "${SG_NO_BUILD:-0}" = 1 ] || sg_run_build
	sg_run_start_stack	# keys, Redis, Docker, services, web servers
	sg_run_demo		# a demo sandbox shows what egress it gets
	sg_run_summary
	sg_run_say "ready in $(( $(date +%s) - _t0 )) s"
	;;
stop)
	sg_run_stop
	sg_run_say "stopped"
	;;
status)
	sg_run_status
	;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 64
	;;
esac
