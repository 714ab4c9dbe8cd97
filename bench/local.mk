# SPDX-License-Identifier: ISC
# bench
#
# crypto engineer: ES256 throughput next to `openssl speed` (bench/es256.sh).
noinst_PROGRAMS += bench/bench_es256
bench_bench_es256_SOURCES = bench/bench_es256.c
bench_bench_es256_LDADD = $(SG_LIBS)
EXTRA_DIST += bench/es256.sh

# ops engineer: what metrics and the audit trail add to a decision line
# (bench/python-ref.sh and bench/run call it), and the Python reference.
noinst_PROGRAMS += bench/ops_cost
bench_ops_cost_SOURCES = bench/ops-cost.c
bench_ops_cost_LDADD = $(SG_LIBS)
EXTRA_DIST += bench/run bench/python-ref.sh bench/pyref/app.py \
	bench/report.py bench/chart.gp bench/create.sh bench/tenant.sh \
	bench/destroy.sh bench/secrets.sh
