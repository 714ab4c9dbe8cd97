# SPDX-License-Identifier: ISC
# Throughput and latency side by side, from the data file bench/report.py
# writes (one row per run: label, requests/s, p50 ms, p99 ms, and the
# requests/s of an earlier run or NaN).  With before='<its date>' the
# throughput plot puts that run's bar next to this one's.
#   gnuplot -e "data='bench/results.dat'; out='bench/results.png'; \
#       title='...'" bench/chart.gp
if (!exists("data")) data = "bench/results.dat"
if (!exists("out")) out = "bench/results.png"
if (!exists("title")) title = "sandgate benchmarks"

set terminal pngcairo size 1600,820 font "DejaVu Sans,10" noenhanced
set output out
set datafile separator "\t"
set multiplot layout 1,2 title title font ",13"

set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.8
set grid ytics lc rgb "#dddddd"
set xtics rotate by -40 scale 0 font ",9"
set key top right
set bmargin 14
set rmargin 4

set title "Throughput (requests/s, higher is better)"
set ylabel "requests/s"
set yrange [0:*]
if (exists("before")) {
	set style histogram clustered gap 1
	plot data using 5:xtic(1) title before lc rgb "#b0b0b0", \
	     "" using 2 title "now" lc rgb "#3a78b5"
} else {
	set style histogram rowstacked
	plot data using 2:xtic(1) title "" lc rgb "#3a78b5"
}

set title "Latency under load (ms, lower is better, log scale)"
# room for the last rotated label
set rmargin 16
set ylabel "ms"
set logscale y
set yrange [*:*]
set style histogram clustered gap 1
plot data using 3:xtic(1) title "p50" lc rgb "#5aa05a", \
     "" using 4 title "p99" lc rgb "#d0704a"

unset multiplot
