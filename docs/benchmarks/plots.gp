set terminal pngcairo size 960,540 font 'sans,10' noenhanced
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set grid ytics
set xtics rotate by -20
set output 'docs/benchmarks/requests.png'
set title 'Ping-pong 64 B: requests per second (higher is better)'
set ylabel 'req/s'
plot for [i=2:4] 'docs/benchmarks/requests.dat' using i:xtic(1) title columnheader(i)
set output 'docs/benchmarks/cpu.png'
set title 'Ping-pong 64 B: server CPU per request (lower is better)'
set ylabel 'server CPU us / request'
plot for [i=2:4] 'docs/benchmarks/cpu.dat' using i:xtic(1) title columnheader(i)
set output 'docs/benchmarks/latency.png'
set title 'Ping-pong 64 B x 50 connections: latency percentiles'
set ylabel 'us'
set logscale y
set yrange [*:*]
plot for [i=2:5] 'docs/benchmarks/latency.dat' using i:xtic(1) title columnheader(i)
unset logscale y
set yrange [0:*]
set style data linespoints
set xtics norotate
set xlabel 'idle connections held open'
set output 'docs/benchmarks/idle.png'
set title 'Ping-pong 64 B x 50 with idle connections: server CPU per request'
set ylabel 'server CPU us / request'
plot for [i=0:5] 'docs/benchmarks/idle.dat' using 1:(column(3+2*i)) title columnheader(3+2*i)
