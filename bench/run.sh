#!/bin/bash
# `make bench`: what taskprof costs, measured side by side in one run.
# Every figure is a median over RUNS runs. Nothing here passes or fails.
# usage: bench/run.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
T=$B/bench/bench_target
TX=$B/bench/bench_target_cxx
FLOOR=$B/bench/bench_floor
TP=$B/taskprof
RUNS=${RUNS:-5}
WORK=$(mktemp -d /var/tmp/taskprof-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root to load BPF: run make bench as root" >&2
	exit 1
fi

median() { sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "nan"}'; }
# last number a command prints on stdout (the target's ns per call)
num() { "$@" 2>/dev/null | grep -E '^[0-9.]+$' | tail -1; }
med() { for _ in $(seq "$RUNS"); do num "$@"; done | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

tp_record() { "$TP" record --db "$WORK/b.db" "$@"; rm -f "$WORK"/b.db*; }

HAVE_BPFTRACE=0
command -v bpftrace >/dev/null && HAVE_BPFTRACE=1

echo "taskprof bench: $(uname -r), $(nproc) CPUs, median of $RUNS runs"
echo
echo "1. Cost per task invocation on the profiled thread (ns per call)"
echo "   Each row runs its configurations one after another, RUNS times over, and takes"
echo "   each one's median: this VM's speed drifts, so only figures of one row compare."
echo "   mechanism: how taskprof sees the returns (record -v says it); floor: empty BPF"
echo "   programs on the same probes; naive: uprobe + uretprobe at the symbol, where stock"
echo "   tracers put them; bpftrace: its funclatency script on the same function"
printf '   %-9s %-8s %9s %9s %9s %9s %9s %8s %8s %9s %8s\n' shape mechanism untraced naive \
	floor taskprof --allocs tp/floor bpftrace tp/bt
# a row: its shape, the task's symbol, calls a run, the floor's mode, the binary,
# the mechanism taskprof chooses there, and record's options for it
row() {
	local shape=$1 sym=$2 n=$3 mode=$4 bin=$5 mech=$6 opt=("${@:7}") b=() nv=() fl=() tp=() tpa=() bt=()
	local script="uprobe:$bin:$sym { @s[tid] = nsecs; }
		uretprobe:$bin:$sym /@s[tid]/ { @ns = hist(nsecs - @s[tid]); delete(@s[tid]); }"
	for _ in $(seq "$RUNS"); do
		b+=("$(num "$bin" "$shape" "$n")")
		nv+=("$(num "$FLOOR" naive "$bin" "$sym" -- "$bin" "$shape" "$n")")
		fl+=("$(num "$FLOOR" "$mode" "$bin" "$sym" -- "$bin" "$shape" "$n")")
		tp+=("$(num tp_record "${opt[@]}" -t "$sym" -- "$bin" "$shape" "$n")")
		tpa+=("$(num tp_record "${opt[@]}" --allocs -t "$sym" -- "$bin" "$shape" "$n")")
		# the stock way to time a function with bpftrace (funclatency)
		[ $HAVE_BPFTRACE = 1 ] && bt+=("$(num bpftrace -e "$script" -c "$bin $shape $n")")
	done
	local mb mf mt mbt
	mb=$(printf '%s\n' "${b[@]}" | median)
	mf=$(printf '%s\n' "${fl[@]}" | median)
	mt=$(printf '%s\n' "${tp[@]}" | median)
	mbt=$([ $HAVE_BPFTRACE = 1 ] && printf '%s\n' "${bt[@]}" | median || echo -)
	printf '   %-9s %-8s %9.1f %9.1f %9.1f %9.1f %9.1f %8s %8s %9s\n' "$shape" "$mech" "$mb" \
		"$(printf '%s\n' "${nv[@]}" | median)" "$mf" "$mt" \
		"$(printf '%s\n' "${tpa[@]}" | median)" "$(ratio "$mt" "$mf")" "$mbt" \
		"$(ratio "$mt" "$mbt")"
}
# plain C: nothing looks at the stack, so a uretprobe
row push shape_push 200000 placed "$T" uretprobe
row endbr64 shape_endbr 200000 placed "$T" uretprobe
row lea shape_lea 200000 placed "$T" uretprobe
row mov_leaf shape_mov_leaf 20000 placed "$T" uretprobe
# C++, exceptions enabled: a leaf by uretprobe, the rest at the callers' return sites
row cxx shape_cxx 20000 sites "$TX" sites
row cxx_leaf cxx_leaf 20000 placed "$TX" uretprobe
row cxx_tail cxx_tail 20000 sites "$TX" sites
# the previous release's C++ mechanism, on the same non-leaf
row cxx shape_cxx 20000 rets "$TX" ret-insn --returns insn
gr=$(med "$T" getrusage 200000)
pio=$(med "$T" procio 20000)
base=$(med "$T" push 200000)
echo "   in-process alternatives around the same call, as a decorator would do it:"
printf '   %-34s %9.1f\n' "getrusage(RUSAGE_THREAD) x2" "$(awk -v a="$gr" -v b="$base" 'BEGIN{print a-b}')"
printf '   %-34s %9.1f\n' "read /proc/thread-self/io x2" "$(awk -v a="$pio" -v b="$base" 'BEGIN{print a-b}')"

echo
echo "2. Collector throughput (invocations reaching SQLite)"
agg=$("$B/bench/agg_bench" "$WORK/agg.db" 1000000)
echo "   handler + SQLite alone, 1,000,000 synthetic records: $agg"
for rate in 250000 500000; do
	n=$((rate * 4))
	out=$("$TP" record -v --db "$WORK/t.db" -t shape_push -- "$T" push "$n" 1 "$rate" 2>&1)
	stored=$(sqlite3 "$WORK/t.db" "select count(*) from profiles")
	lost=$(sqlite3 "$WORK/t.db" "select events_lost from sessions")
	cpu=$(sed -n 's/.*collector CPU: .*, \([0-9]*\) ns per invocation/\1/p' <<<"$out")
	rm -f "$WORK"/t.db*
	printf '   target %7d calls/s for 4 s: %8d stored, %d lost, collector %s ns CPU per invocation\n' \
		"$rate" "$stored" "$lost" "$cpu"
done
out=$("$TP" record -v --ringbuf-mb 1 --db "$WORK/t.db" -t shape_push -- "$T" push 1000000 2 2>&1)
stored=$(sqlite3 "$WORK/t.db" "select count(*) from profiles")
detail=$(sqlite3 "$WORK/t.db" "select events_lost || ' lost (' || loss_detail || ')' from sessions")
rm -f "$WORK"/t.db*
echo "   above that: 2 threads flat out, 1 MiB ring buffer: $stored stored, $detail"

echo
echo "3. Ambient cost: unrelated, unprofiled processes while a collector runs"
# label, workload (ns per operation), then how to start the collector
ambient() {
	local label=$1 work=$2
	shift 2
	without=() with=()
	for _ in $(seq "$RUNS"); do
		without+=("$(num $work)")
		"$@" >/dev/null 2>"$WORK/a.err" &
		rec=$!
		while ! grep -q -e recording -e attached "$WORK/a.err" 2>/dev/null; do sleep 0.05; done
		with+=("$(num $work)")
		# record stops on SIGINT but waits for a command that goes on
		pkill -INT -P $rec -f "bench_target" 2>/dev/null
		kill -INT $rec 2>/dev/null
		wait $rec 2>/dev/null
		[ -f "$WORK/idle.pid" ] && kill "$(cat "$WORK/idle.pid")" 2>/dev/null
		rm -f "$WORK"/a.db* "$WORK/idle.pid"
	done
	w0=$(printf '%s\n' "${without[@]}" | median)
	w1=$(printf '%s\n' "${with[@]}" | median)
	printf '   %-52s %8.1f ns without, %8.1f with: ratio %s\n' "$label" "$w0" "$w1" \
		"$(ratio "$w1" "$w0")"
}
# the collector launched an idle C++ target: its hooks are in libgcc_s and
# libc for every process, its tracepoints run for every fork, exit and RSS change
launched() { exec "$TP" record -v --db "$WORK/a.db" -t shape_cxx -- "$TX" idle 3600; }
ambient "pipe ping-pong, 2 context switches a round trip" "$T pingpong 200000" launched
ambient "page faults on fresh memory (rss_stat), per page" "$T faults 400000" launched
ambient "C++ throw and catch (hook in libgcc_s), per throw" "$TX throw 200000" launched
# -p on a process started while delayacct was off: sched_switch counts its IO wait
pidmode() {
	echo 0 > /proc/sys/kernel/task_delayacct
	"$T" idle 3600 >/dev/null &
	echo $! >"$WORK/idle.pid"
	sleep 0.1
	exec "$TP" record --db "$WORK/a.db" -t shape_push -p "$(cat "$WORK/idle.pid")"
}
ambient "ping-pong, -p on a process older than delayacct" "$T pingpong 200000" pidmode
echo
echo "4. End to end: the demo pipeline (8 rounds), its own processing time"
P=$B/examples/pipeline
mkdir -p "$WORK/demo"
plain=() prof=()
for _ in $(seq "$RUNS"); do
	plain+=("$("$P" "$WORK/demo" 8 | sed -n 's/.* in \([0-9.]*\) s$/\1/p')")
	prof+=("$("$TP" record --db "$WORK/d.db" -t extract_records -t transform_records \
		-t compress_block -t load_block -t publish_block -- "$P" "$WORK/demo" 8 2>/dev/null |
		sed -n 's/.* in \([0-9.]*\) s$/\1/p')")
	rm -f "$WORK"/d.db*
done
p0=$(printf '%s\n' "${plain[@]}" | median)
p1=$(printf '%s\n' "${prof[@]}" | median)
printf '   %.4f s without profiling, %.4f s profiled: ratio %s\n' "$p0" "$p1" "$(ratio "$p1" "$p0")"

echo
echo "5. Process trees: 1,000 children one after another, each calls a task once"
plain=() prof=() lag=()
for _ in $(seq "$RUNS"); do
	plain+=("$(num "$T" forks 1000)")
	prof+=("$(BENCH_END_FILE=$WORK/end tp_record -t shape_push -- "$T" forks 1000 |
		grep -E '^[0-9.]+$')")
	# the collector's exit, after the target's (the clock of both: CLOCK_REALTIME)
	lag+=("$(awk -v e="$(cat "$WORK/end")" -v n="$(date +%s.%N)" 'BEGIN{printf "%.3f", n - e}')")
done
f0=$(printf '%s\n' "${plain[@]}" | median)
f1=$(printf '%s\n' "${prof[@]}" | median)
printf '   %.1f us per child without, %.1f profiled: ratio %s\n' "$(awk -v a="$f0" 'BEGIN{print a/1000}')" \
	"$(awk -v a="$f1" 'BEGIN{print a/1000}')" "$(ratio "$f1" "$f0")"
printf '   record exits %s s after the target (median; it then has 1,000 rows stored)\n' \
	"$(printf '%s\n' "${lag[@]}" | median)"


echo
echo "6. The always-on collector (taskprof collect) running, its tasks (in the demo"
echo "   pipeline) never called: unrelated processes with and without it, alternating."
echo "   wall: the workload's own time per operation; cpu: its CPU time and its children's"
echo "   (perf's task-clock), where the collector's BPF programs run; each the median of the"
echo "   pairs' ratios [lowest..highest]. BPF: the collector's programs' run time per"
echo "   operation, from the kernel's BPF statistics (a run of its own)"
printf '[collector]\ndatabase = %s\n' "$WORK/c.db" >"$WORK/c.conf"
for t in extract:extract_records load:load_block; do
	printf '[task %s]\nbinary = %s\nsymbol = %s\n' "${t%%:*}" "$B/examples/pipeline" \
		"${t#*:}" >>"$WORK/c.conf"
done
# a mixed, real workload: gcc forks, execs, faults, reads and writes
SRC=$(cd "$(dirname "$0")/.." && pwd)
cat >"$WORK/compile" <<EOF
#!/bin/bash
s=\$(date +%s%N)
for _ in 1 2 3; do gcc -O2 -c -o "$WORK/t.o" "$SRC/bench/target.c"; done
echo \$(((\$(date +%s%N) - s) / 3))
EOF
chmod +x "$WORK/compile"
collector_start() {
	"$TP" collect --config "$WORK/c.conf" 2>"$WORK/c.err" &
	col=$!
	while ! grep -q ready "$WORK/c.err" 2>/dev/null; do
		kill -0 $col 2>/dev/null || { cat "$WORK/c.err" >&2; exit 1; }
		sleep 0.05
	done
	sleep 1 # its first tick done; the BPF statistics window opens at 20 s, not before
}
collector_stop() { kill -INT $col; wait $col 2>/dev/null; rm -f "$WORK"/c.db*; }
# the run time of the collector's programs (tp_*) so far, ns
bpf_ns() {
	bpftool prog show -j | python3 -c 'import json, sys
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if p.get("name", "").startswith("tp_")))'
}
HAVE_PERF=0
perf stat -e task-clock -x, -o /dev/null true 2>/dev/null && HAVE_PERF=1
# "ns-per-operation cpu-ms" of one run of the workload
measure() {
	local ns
	if [ $HAVE_PERF = 0 ]; then
		echo "$(num "$@") 0"
		return
	fi
	ns=$(perf stat -e task-clock -x, -o "$WORK/ps" -- "$@" 2>/dev/null | grep -E '^[0-9.]+$' | tail -1)
	echo "$ns $(grep task-clock "$WORK/ps" | cut -d, -f1)"
}
spread() { sort -g | awk '{v[NR]=$1} END {printf "%.3f [%.3f..%.3f]", v[int((NR+1)/2)], v[1], v[NR]}'; }
# label, operations per run, then the workload (prints ns per operation)
collector_ambient() {
	local label=$1 ops=$2 pairs=$((2 * RUNS + 1)) a b wall=() cpu=() n0 n1 bpf=-
	shift 2
	for _ in $(seq $pairs); do
		a=$(measure "$@")
		collector_start
		b=$(measure "$@")
		collector_stop
		wall+=("$(awk -v a="${a% *}" -v b="${b% *}" 'BEGIN { printf "%.4f", b / a }')")
		cpu+=("$(awk -v a="${a#* }" -v b="${b#* }" 'BEGIN { if (a > 0) printf "%.4f", b / a; else print 0 }')")
	done
	if command -v bpftool >/dev/null; then
		collector_start
		sysctl -q -w kernel.bpf_stats_enabled=1
		n0=$(bpf_ns)
		a=$(num "$@")
		n1=$(bpf_ns)
		sysctl -q -w kernel.bpf_stats_enabled=0
		collector_stop
		bpf=$(awk -v d=$((n1 - n0)) -v o="$ops" -v a="$a" \
			'BEGIN { printf "%.0f ns (%.2f%%)", d / o, 100 * d / o / a }')
	fi
	printf '   %s\n      wall %s   cpu %s   BPF %s per operation\n' "$label" \
		"$(printf '%s\n' "${wall[@]}" | spread)" "$(printf '%s\n' "${cpu[@]}" | spread)" "$bpf"
}
collector_ambient "pipe ping-pong, per round trip" 200000 "$T" pingpong 200000
collector_ambient "page faults on fresh memory, per page" 400000 "$T" faults 400000
collector_ambient "fork, exit and wait of a child, per child" 1000 "$T" forks 1000
collector_ambient "C++ throw and catch, per throw" 200000 "$TX" throw 200000
collector_ambient "gcc -O2 -c of a 230-line file, per compile" 1 "$WORK/compile"
# what the statistics window costs while it is open (2 s a minute)
cat >"$WORK/stats_on" <<EOF
#!/bin/bash
sysctl -q -w kernel.bpf_stats_enabled=1
"\$@"
sysctl -q -w kernel.bpf_stats_enabled=0
EOF
chmod +x "$WORK/stats_on"
collector_ambient "page faults, the statistics window open" 400000 "$WORK/stats_on" "$T" faults 400000

echo
echo "7. Python: @profiler per call of a task that does nothing (ns per call), against the"
echo "   specification's psutil decorator (its readings, without its database write)"
PY=(env "PYTHONPATH=$(pwd)/python" "TASKPROF_MARKER_LIB=$B/libtaskprof-marker.so" /usr/bin/python3)
PYB=$(pwd)/bench/python_cost.py
p_plain=$(med "${PY[@]}" "$PYB" plain)
p_mark=$(med "${PY[@]}" "$PYB" taskprof)
p_rec=$(for _ in $(seq "$RUNS"); do tp_record -t 'marker:*' -- "${PY[@]}" "$PYB" taskprof \
	2>/dev/null | grep -E '^[0-9.]+$' | tail -1; done | median)
p_psutil=$(med "${PY[@]}" "$PYB" psutil)
printf '   %-44s %9s\n' "undecorated" "$p_plain" "@profiler, no collector" "$p_mark" \
	"@profiler, recorded (taskprof record -t marker:*)" "$p_rec" \
	"the specification's psutil decorator" "$p_psutil"

# The collector's own CPU (every thread) per invocation of a task called
# 400,000 times at 100,000 a second, with $1 added to its configuration.
collector_ns_per_call() {
	local col t0 t1
	printf '[collector]\ndatabase = %s\n%s[task push]\nbinary = %s\nsymbol = shape_push\n' \
		"$WORK/k.db" "$1" "$T" >"$WORK/k.conf"
	"$TP" collect --config "$WORK/k.conf" 2>"$WORK/k.err" &
	col=$!
	while ! grep -q ready "$WORK/k.err" 2>/dev/null; do
		kill -0 $col 2>/dev/null || { cat "$WORK/k.err" >&2; return 1; }
		sleep 0.05
	done
	sleep 1
	t0=$(awk '{print $14 + $15}' "/proc/$col/stat")
	"$T" push 400000 1 100000 >/dev/null
	sleep 3 # the last flush and tick; then every row shipped, if it ships
	for _ in $(seq 120); do
		"$TP" status --db "$WORK/k.db" | grep -q 'backlog [1-9]' || break
		sleep 0.5
	done
	t1=$(awk '{print $14 + $15}' "/proc/$col/stat")
	kill -INT $col
	wait $col 2>/dev/null
	rm -f "$WORK"/k.db*
	awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", d / hz * 1e9 / 400000}'
}

echo
echo "8. The fleet: shipping to a local PostgreSQL 15, a /metrics scrape (medians of $RUNS)"
PGD=$WORK/pg
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=$((30000 + $$ % 20000))
chmod 711 "$WORK" # postgres reaches its own directory in it
mkdir -p "$PGD" && chown postgres "$PGD"
if (cd / && su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGD/data -A trust -U postgres" \
	>/dev/null && su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGD/data -l $PGD/log -w \
	-o '-p $PGPORT -k $PGD -c listen_addresses=127.0.0.1' start" >/dev/null); then
	"$B/bench/agg_bench" "$WORK/spool.db" 200000 >/dev/null
	for i in $(seq "$RUNS"); do
		psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE b$i" >/dev/null
		"$B/bench/ship_bench" "$WORK/spool.db" \
			"host=127.0.0.1 port=$PGPORT dbname=b$i user=postgres"
	done >"$WORK/ship.out"
	printf '   shipping 200,000 rows: %s rows/s, %s us of shipper CPU a row\n' \
		"$(awk '{print $1}' "$WORK/ship.out" | median)" \
		"$(awk '{print $3}' "$WORK/ship.out" | median)"
	# the same 400,000 invocations on a collector with neither key, then both
	# (nothing scrapes: a scrape's cost is the exporter child's, below)
	both="prometheus = 127.0.0.1:$((PGPORT + 2))
postgresql = host=127.0.0.1 port=$PGPORT dbname=b1 user=postgres
"
	for _ in $(seq "$RUNS"); do
		echo "$(collector_ns_per_call "") $(collector_ns_per_call "$both")"
	done >"$WORK/keys.out"
	k0=$(awk '{print $1}' "$WORK/keys.out" | median)
	k1=$(awk '{print $2}' "$WORK/keys.out" | median)
	printf '   collector CPU per invocation: %s ns with neither key, %s ns with both (+%s ns)\n' \
		"$k0" "$k1" "$(awk -v a="$k0" -v b="$k1" 'BEGIN {print b - a}')"
	(cd / && su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGD/data -m fast stop" >/dev/null)
else
	echo "   shipping: PostgreSQL 15 could not start here"
fi
mkfifo "$WORK/hold"
MPORT=$((PGPORT + 1))
"$B/bench/metrics_bench" 1000 "127.0.0.1:$MPORT" <"$WORK/hold" >"$WORK/mb.out" &
exec 9>"$WORK/hold"
for _ in $(seq 50); do grep -q serving "$WORK/mb.out" && break; sleep 0.1; done
scrape=$(for _ in $(seq $((RUNS + 2))); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$MPORT/metrics"; done | median)
exec 9>&-
wait
printf '   1,000 task series: %s; a scrape %.1f ms (%s)\n' \
	"$(sed -n 's/^render: //p' "$WORK/mb.out" | cut -d' ' -f1-2) to render each tick" \
	"$(awk -v s="$scrape" 'BEGIN {print s * 1000}')" \
	"$(sed -n 's/.*series, //p' "$WORK/mb.out")"
