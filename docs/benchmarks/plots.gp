set terminal pngcairo size 960,540 font 'sans,10' noenhanced
set datafile missing '?'
set key outside right top box opaque
set grid ytics
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set xtics rotate by -20
set yrange [0:*]
set output 'docs/benchmarks/requests.png'
set title 'Ping-pong 64 B: requests per second (higher is better)'
set ylabel 'req/s'
plot 'docs/benchmarks/requests.dat' using 2:3:4:xtic(1) title '1 connection', 'docs/benchmarks/requests.dat' using 5:6:7 title '50 connections', 'docs/benchmarks/requests.dat' using 8:9:10 title '500 connections'
set output 'docs/benchmarks/cpu.png'
set title 'Ping-pong 64 B: server CPU per request (lower is better)'
set ylabel 'server CPU us / request'
plot 'docs/benchmarks/cpu.dat' using 2:3:4:xtic(1) title '1 connection', 'docs/benchmarks/cpu.dat' using 5:6:7 title '50 connections', 'docs/benchmarks/cpu.dat' using 8:9:10 title '500 connections'
set output 'docs/benchmarks/latency.png'
set title 'Ping-pong 64 B x 50 connections: latency percentiles'
set ylabel 'us (log scale)'
set logscale y
set yrange [*:*]
plot 'docs/benchmarks/latency.dat' using 2:3:4:xtic(1) title 'p50', '' using 5:6:7 title 'p90', '' using 8:9:10 title 'p99', '' using 11:12:13 title 'p99.9'
unset logscale y
set yrange [0:*]
set style data yerrorlines
set xtics norotate
set logscale x
set xrange [0.7:*]
set xtics ('0' 1, '100' 100, '1k' 1000, '10k' 10000, '19k' 19886)
set xlabel 'idle connections held open (log scale)'
set output 'docs/benchmarks/idle.png'
set title 'Ping-pong 64 B x 50 next to idle connections: server CPU per request (lower is better)'
set ylabel 'server CPU us / request'
plot 'docs/benchmarks/idle.dat' index 0 using 1:2:3:4 title 'asio', 'docs/benchmarks/idle.dat' index 1 using 1:2:3:4 title 'epoll-level', 'docs/benchmarks/idle.dat' index 2 using 1:2:3:4 title 'epoll-edge', 'docs/benchmarks/idle.dat' index 3 using 1:2:3:4 title 'poll', 'docs/benchmarks/idle.dat' index 4 using 1:2:3:4 title 'select', 'docs/benchmarks/idle.dat' index 5 using 1:2:3:4 title 'io_uring', 'docs/benchmarks/idle.dat' index 6 using 1:2:3:4 title 'reference-c-epoll'
set output 'docs/benchmarks/idle-rps.png'
set title 'Ping-pong 64 B x 50 next to idle connections: requests per second (higher is better)'
set ylabel 'req/s'
plot 'docs/benchmarks/idle.dat' index 0 using 1:5:6:7 title 'asio', 'docs/benchmarks/idle.dat' index 1 using 1:5:6:7 title 'epoll-level', 'docs/benchmarks/idle.dat' index 2 using 1:5:6:7 title 'epoll-edge', 'docs/benchmarks/idle.dat' index 3 using 1:5:6:7 title 'poll', 'docs/benchmarks/idle.dat' index 4 using 1:5:6:7 title 'select', 'docs/benchmarks/idle.dat' index 5 using 1:5:6:7 title 'io_uring', 'docs/benchmarks/idle.dat' index 6 using 1:5:6:7 title 'reference-c-epoll'
unset logscale x
set xrange [*:*]
set xtics autofreq
set logscale y
set yrange [*:*]
set output 'docs/benchmarks/rate.png'
set title 'Latency vs offered rate, ping-pong 64 B x 50 (open loop; solid p50, dashed p99)'
set xlabel 'achieved requests per second'
set ylabel 'latency us (log scale)'
plot 'docs/benchmarks/rate.dat' index 0 using 1:2:3:4 lc 1 dt 1 title 'asio p50', '' index 0 using 1:5:6:7 lc 1 dt 2 title 'asio p99', 'docs/benchmarks/rate.dat' index 1 using 1:2:3:4 lc 2 dt 1 title 'epoll-level p50', '' index 1 using 1:5:6:7 lc 2 dt 2 title 'epoll-level p99', 'docs/benchmarks/rate.dat' index 2 using 1:2:3:4 lc 3 dt 1 title 'epoll-edge p50', '' index 2 using 1:5:6:7 lc 3 dt 2 title 'epoll-edge p99', 'docs/benchmarks/rate.dat' index 3 using 1:2:3:4 lc 4 dt 1 title 'poll p50', '' index 3 using 1:5:6:7 lc 4 dt 2 title 'poll p99', 'docs/benchmarks/rate.dat' index 4 using 1:2:3:4 lc 5 dt 1 title 'select p50', '' index 4 using 1:5:6:7 lc 5 dt 2 title 'select p99', 'docs/benchmarks/rate.dat' index 5 using 1:2:3:4 lc 6 dt 1 title 'io_uring p50', '' index 5 using 1:5:6:7 lc 6 dt 2 title 'io_uring p99', 'docs/benchmarks/rate.dat' index 6 using 1:2:3:4 lc 7 dt 1 title 'reference-c-epoll p50', '' index 6 using 1:5:6:7 lc 7 dt 2 title 'reference-c-epoll p99'
