# bench
#
# crypto engineer: ES256 throughput next to `openssl speed` (bench/es256.sh).
noinst_PROGRAMS += bench/bench_es256
bench_bench_es256_SOURCES = bench/bench_es256.c
bench_bench_es256_LDADD = $(SG_LIBS)
EXTRA_DIST += bench/es256.sh
