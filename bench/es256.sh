#!/bin/sh
# SPDX-License-Identifier: ISC
# ES256 throughput of sandgate's library next to `openssl speed ecdsap256`,
# in the same run, with the ratios (target: the raw primitive at >= 0.9 of
# OpenSSL for both sign and verify).  Writes bench/results/es256.json.
#
#   bench/es256.sh                 3 s per measurement, 2 rounds
#   SECONDS_EACH=1 ROUNDS=1 bench/es256.sh
#   SG_BUILD=/tmp/build bench/es256.sh   (where bench/bench_es256 was built)
#
# Rounds alternate `openssl speed` and bench_es256 and keep the best figure
# of each, so that a burst of other load on the machine hurts neither side
# more than the other.  Both divide by user CPU time (openssl speed's
# default), so load that steals the CPU does not count against either.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SG_BUILD:-$top}
bin=$build/bench/bench_es256
secs=${SECONDS_EACH:-3}
rounds=${ROUNDS:-2}
results=${SG_RESULTS:-$top/bench/results}

[ -x "$bin" ] || { echo "es256.sh: $bin not built (make bench/bench_es256)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "es256.sh: openssl not found" >&2; exit 1; }
case $secs in ''|*[!0-9]*) echo "es256.sh: SECONDS_EACH must be an integer" >&2; exit 2 ;; esac
case $rounds in ''|*[!0-9]*|0) echo "es256.sh: ROUNDS must be a positive integer" >&2; exit 2 ;; esac
mkdir -p "$results"

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

os=0; ov=0; ss=0; sv=0; js=0; jv=0; tb=0; ws=0; wv=0; wjs=0; wjv=0
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	# " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  38758.4  12870.1"
	line=$(openssl speed -seconds "$secs" ecdsap256 2>/dev/null |
	    grep 'ecdsa (nistp256)' | tail -n 1)
	[ -n "$line" ] || { echo "es256.sh: no result from openssl speed" >&2; exit 1; }
	set -- $line
	shift $(($# - 2))
	os=$(max "$os" "$1"); ov=$(max "$ov" "$2")
	echo "round $i: openssl speed ecdsap256: sign/s $1 verify/s $2"

	line=$("$bin" -q -s "$secs" | grep '^RESULT ')
	set -- $line
	shift
	ss=$(max "$ss" "$1"); sv=$(max "$sv" "$2")
	js=$(max "$js" "$3"); jv=$(max "$jv" "$4"); tb=$5
	ws=$(max "$ws" "$6"); wv=$(max "$wv" "$7")
	wjs=$(max "$wjs" "$8"); wjv=$(max "$wjv" "$9")
	echo "round $i: sg_es256 sign/s $1 verify/s $2; sg_jwt sign/s $3 verify/s $4"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
rs=$(ratio "$ss" "$os"); rv=$(ratio "$sv" "$ov")
rjs=$(ratio "$js" "$os"); rjv=$(ratio "$jv" "$ov")
pass=$(awk -v a="$rs" -v b="$rv" 'BEGIN { print (a >= 0.9 && b >= 0.9) ? "true" : "false" }')
ver=$(openssl version | tr -d '"\\')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
out=$results/es256.json

cat >"$out" <<EOF
{
  "bench": "es256",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "openssl_version": "$ver",
  "cpus": $(getconf _NPROCESSORS_ONLN),
  "load_average": "$load",
  "seconds_per_measurement": $secs,
  "rounds": $rounds,
  "method": "best of the rounds; rates per second of user CPU time, as openssl speed computes them",
  "openssl_speed_ecdsap256": { "sign_per_s": $os, "verify_per_s": $ov },
  "sandgate": {
    "es256_sign_per_s": $ss, "es256_verify_per_s": $sv,
    "jwt_sign_per_s": $js, "jwt_verify_per_s": $jv,
    "es256_message_bytes": 20, "token_bytes": $tb,
    "wall_clock": { "es256_sign_per_s": $ws, "es256_verify_per_s": $wv,
      "jwt_sign_per_s": $wjs, "jwt_verify_per_s": $wjv }
  },
  "ratio_to_openssl": {
    "es256_sign": $rs, "es256_verify": $rv,
    "jwt_sign": $rjs, "jwt_verify": $rjv
  },
  "target_ratio": 0.9,
  "primitive_meets_target": $pass
}
EOF

printf '\n%-26s %12s %12s\n' "" "sign/s" "verify/s"
printf '%-26s %12s %12s\n' "openssl speed ecdsap256" "$os" "$ov"
printf '%-26s %12s %12s\n' "sg_es256_sign/verify" "$ss" "$sv"
printf '%-26s %12s %12s\n' "sg_jwt_sign/verify" "$js" "$jv"
printf '%-26s %12s %12s\n' "ratio primitive/openssl" "$rs" "$rv"
printf '%-26s %12s %12s\n' "ratio token/openssl" "$rjs" "$rjv"
echo "target >= 0.9 for the primitive: $pass"
echo "wrote $out"
