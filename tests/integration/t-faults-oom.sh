#!/bin/sh
# SPDX-License-Identifier: ISC
# Pins: a failed allocation reported as the client's fault (4xx), e.g.
# lib/json.c's "bad_json" when cJSON runs out of memory, verify.c's 407
# for crypto_failed; and guards that one never becomes an allow.
# Allocation failures under load (docs/security.md 4.4: "force each
# error branch ... OOM on malloc ... and assert the status"; a FastCGI
# reply without Status is a 200).  token-verify (egress and API),
# session-query and token-issuer run with an LD_PRELOAD that, once armed
# by SIGUSR2, makes malloc, calloc and realloc fail (ENOMEM) once in N
# calls (in sandgate, OpenSSL and cJSON; libfcgi and hiredis, which abort
# on a failed allocation, are spared).  Under wrk's mixed egress and API
# load at N = 2000, 200 and 20: never an allow where a denial is due,
# never a 2xx without its content, every answer the right one or a 5xx,
# and no worker dies.  Then N = 200 with nothing spared: the libraries
# abort, the workers die (multiwatch replaces them), and still no answer
# is an allow.  Disarmed, a strict run has zero wrong decisions and zero
# 5xx.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
t0=$(date +%s)
TH=4
NCHECK=0
NFAULT=0
command -v cc >/dev/null || { echo "cc missing (build-essential)" >&2; exit 1; }
if [ -z "${STK_SHLOOP:-}" ] && ! command -v multiwatch >/dev/null 2>&1; then
	echo "multiwatch missing (Debian package multiwatch)" >&2
	exit 1
fi

cat > "$T/oom.c" <<'EOF'
/*
 * Allocation failures on demand: SIGUSR2 arms (and disarms) it; armed,
 * malloc, calloc and realloc fail with ENOMEM once in $SG_OOM_RATE calls
 * (xorshift, seeded by the PID), except for allocations made by (or by
 * libc on behalf of) a library whose file name contains one of the
 * colon-separated $SG_OOM_SPARE fragments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <execinfo.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);

static volatile sig_atomic_t	 armed;
static unsigned long long	 state = 88172645463325252ULL;
static unsigned long		 rate = 100;

static void
toggle(int sig)
{
	(void)sig;
	armed = !armed;
}

__attribute__((constructor)) static void
oom_init(void)
{
	struct sigaction	 sa;
	const char		*r = getenv("SG_OOM_RATE");

	if (r != NULL && strtoul(r, NULL, 10) > 0)
		rate = strtoul(r, NULL, 10);
	state ^= (unsigned long long)getpid() * 2654435761ULL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = toggle;
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGUSR2, &sa, NULL);
	{
		/* backtrace() loads libgcc_s on first use: not while armed. */
		void	*bt[2];

		(void)backtrace(bt, 2);
	}
}

static __thread int	 inside;

/* Whether the file name of the object holding addr names a spared one. */
static int
spared_at(void *addr, const char *list)
{
	Dl_info		 di;
	const char	*p = list, *q;
	char		 one[64];
	size_t		 n;

	if (dladdr(addr, &di) == 0 || di.dli_fname == NULL)
		return 0;
	while (*p != '\0') {
		q = strchr(p, ':');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n > 0 && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (strstr(di.dli_fname, one) != NULL)
				return 1;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The caller, or one of a few frames above it (strdup is libc's). */
static int
spared(void *caller)
{
	const char	*list = getenv("SG_OOM_SPARE");
	void		*bt[6];
	int		 i, n, r = 0;

	if (list == NULL || *list == '\0')
		return 0;
	inside = 1;
	r = spared_at(caller, list);
	n = backtrace(bt, 6);
	for (i = 0; i < n && r == 0; i++)
		r = spared_at(bt[i], list);
	inside = 0;
	return r;
}

static int
fail(void *caller)
{
	if (!armed || inside)
		return 0;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	if (state % rate != 0 || spared(caller))
		return 0;
	errno = ENOMEM;
	return 1;
}

void *
malloc(size_t n)
{
	return fail(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	return fail(__builtin_return_address(0)) ? NULL : __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	return fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
EOF
cc -shared -fPIC -O2 -Wall -Wextra -o "$T/oom.so" "$T/oom.c" ||
    { echo "cannot build the allocation-failure library" >&2; exit 1; }

stk_init
STK_MW_RETRY=100000
STK_SUPERVISE="token-verify-egress token-verify-api session-query token-issuer"
STK_PRELOAD=$T/oom.so
SVC=$STK_SUPERVISE
stk_start
echo "# supervisor: $STK_SUP"
stk_sessions
stk_plan_egress "$T/egress.plan"
stk_plan_api "$T/api.plan"

strict()
{
	stk_wrk_start "$1_e" "$STK_PROXY" "$T/egress.plan" "$2" $TH 60
	stk_wrk_start "$1_a" "$STK_API" "$T/api.plan" "$2" $TH 60
	stk_wrk_wait "$1_e"
	stk_wrk_wait "$1_a"
	for w in e:egress a:api; do
		stk_judge "$1_${w%%:*}" "$T/${w#*:}.plan" strict
		sg_check "$1 ${w#*:}: zero wrong decisions" 0 "$STK_WRONG"
		sg_check "$1 ${w#*:}: zero 5xx" 0 "$STK_5XX"
		NCHECK=$((NCHECK + STK_N))
	done
}

# arm_all: SIGUSR2 to every worker not armed yet (a replaced worker
# starts disarmed); the PIDs armed are kept in $T/armed.
arm_all()
{
	for s in $SVC; do
		for p in $(stk_workers "$s"); do
			grep -q -x "$p" "$T/armed" 2>/dev/null && continue
			kill -USR2 "$p" 2>/dev/null && echo "$p" >> "$T/armed"
		done
	done
}

# disarm_all: SIGUSR2 again to the armed workers still alive.
disarm_all()
{
	for p in $(cat "$T/armed"); do
		kill -0 "$p" 2>/dev/null && kill -USR2 "$p"
	done
	: > "$T/armed"
}

all_workers()
{
	for s in $SVC; do
		stk_workers "$s"
		echo
	done | tr -s ' \n' '\n' | sed '/^$/d' | sort -n
}

strict before 2000

# phase RATE SPARE: malloc fails once in RATE calls in every worker
# (sparing the libraries named in SPARE) for 5 s under load.
phase()
{
	rate=$1
	spare=$2
	name=oom$rate${spare:+s}
	echo "# malloc fails once in $rate calls${spare:+ (not in ${spare})}, under load"
	# Each worker reads SG_OOM_* at start: new supervisors with them.
	for s in $SVC; do
		sg_run_kill "$s"
	done
	export SG_OOM_RATE=$rate SG_OOM_SPARE="$spare" LD_PRELOAD="$STK_PRELOAD"
	for s in $SVC; do
		case $s in
		token-verify-egress)
			stk_spawn_supervised "$s" \
			    "$SG_BUILD/services/token-verify/token-verify" \
			    "tcp:$SG_VERIFY_PORT" ;;
		token-verify-api)
			stk_spawn_supervised "$s" \
			    "$SG_BUILD/services/token-verify/token-verify" unix ;;
		*)
			stk_spawn_supervised "$s" "$SG_BUILD/services/$s/$s" unix ;;
		esac
	done
	unset LD_PRELOAD
	for s in $SVC; do
		stk_wait_workers "$s" "$SG_PROCS" 10 ||
		    { echo "$s: workers did not start" >&2; exit 1; }
	done
	sleep 0.3
	W0=$(all_workers)
	: > "$T/armed"
	stk_wrk_start "${name}_e" "$STK_PROXY" "$T/egress.plan" 1000000 $TH 60
	stk_wrk_start "${name}_a" "$STK_API" "$T/api.plan" 1000000 $TH 60
	sleep 0.5
	i=0
	while [ $i -lt 20 ]; do
		arm_all
		sleep 0.25
		i=$((i + 1))
	done
	disarm_all
	stk_wrk_stop "${name}_e"
	stk_wrk_stop "${name}_a"
	NFAULT=$((NFAULT + 1))
	W1=$(all_workers)
	GONE=$(printf '%s\n' "$W0" | while read -r p; do
		printf '%s\n' "$W1" | grep -q -x "$p" || echo "$p"; done |
	    wc -l | tr -d ' ')
	echo "# 1/$rate: $GONE of $(echo "$W0" | wc -l | tr -d ' ') first workers died (the supervisor replaced them)"
	for w in e:egress a:api; do
		stk_judge "${name}_${w%%:*}" "$T/${w#*:}.plan" fault
		sg_check "1/$rate${spare:+s} ${w#*:}: zero allows that should be denials" 0 "$STK_WRONG_ALLOW"
		sg_check "1/$rate${spare:+s} ${w#*:}: every answer right or 5xx" 0 "$STK_WRONG"
		NCHECK=$((NCHECK + STK_N))
	done
	sg_check "1/$rate${spare:+s}: nothing reached the leak witness" 0 "$(stk_leaks)"
	for s in $SVC; do
		stk_wait_workers "$s" "$SG_PROCS" 10 || true
	done
	strict "after_$name" 1000
}

# libfcgi and hiredis 0.14 abort() when an allocation fails (fcgiapp.c
# Malloc's assert; hiredis's OOM handler): spared, so that sandgate's own
# handling of every other failed allocation is what is tested, and no
# worker may die of it.
for rate in 2000 200 20; do
	phase $rate libfcgi:libhiredis
	sg_check "1/$rate (libraries spared): no worker died" 0 "$GONE"
done
# Nothing spared: the libraries abort, the worker dies mid-request, the
# web server answers 5xx: still never an allow.
phase 200 ""
grep -h -o '"event":"[a-z_]*"' "$T"/token-verify-*.log "$T"/session-query.log \
    "$T"/token-issuer.log 2>/dev/null | sort | uniq -c | sort -rn | head -n 12 |
    sed 's/^/#   log: /'

echo "# t-faults-oom: $NCHECK decisions checked, $NFAULT phases of allocation failures, took $(( $(date +%s) - t0 )) s"
sg_done
