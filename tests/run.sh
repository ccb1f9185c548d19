#!/bin/sh
# Runs the test tiers and ends with one summary line over all of them.
# usage: UNIT_TESTS="..." INTEG_TESTS="..." tests/run.sh BUILD_DIR [unit|integration]
# (tests/tests.mk names the binaries of each tier). With no tier, the Python
# package's tests run too, with Debian's python3: python/tests/unit
# unprivileged, python/tests/integration as root.
build=${1:-build}
tier=${2:-all}
t="$build/tests"
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_cmocka() {
	"$@" >"$log" 2>&1
	status=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	# a crash or a runner that reported nothing is a failure too
	if [ "$status" -ne 0 ] && [ -z "$f" ]; then
		failed=$((failed + 1))
	fi
	if [ -z "$p$f$s" ]; then
		echo "tests: $1 reported no results" >&2
		failed=$((failed + 1))
	fi
}

# python3 -m unittest: "Ran N tests", then "OK (skipped=S)" or
# "FAILED (failures=F, errors=E, skipped=S)"
run_unittest() {
	PYTHONPATH="$PWD/python" TASKPROF_MARKER_LIB="$PWD/$build/libtaskprof-marker.so" \
		TASKPROF_LIB="$PWD/$build/libtaskprof.so" TASKPROF_BIN="$PWD/$build/taskprof" \
		TASKPROF_BUILD="$PWD/$build" \
		/usr/bin/python3 -m unittest discover -v -s "$1" -t "$1" >"$log" 2>&1
	status=$?
	cat "$log"
	n=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' "$log" | tail -1)
	e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' "$log" | tail -1)
	bad=$((${f:-0} + ${e:-0}))
	passed=$((passed + ${n:-0} - bad - ${s:-0}))
	failed=$((failed + bad))
	skipped=$((skipped + ${s:-0}))
	if [ -z "$n" ] || { [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
		echo "tests: python tests in $1 did not run cleanly" >&2
		failed=$((failed + 1))
	fi
}

if [ "$tier" = all ] || [ "$tier" = unit ]; then
	for b in $UNIT_TESTS; do
		run_cmocka "$t/$b" "$t"
	done
fi
if [ "$tier" = all ]; then
	run_unittest python/tests/unit
fi
if [ "$tier" = all ] || [ "$tier" = integration ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "tests: integration tier skipped: it needs root to load BPF (run make test as root)"
		skipped=$((skipped + 1))
	else
		for b in $INTEG_TESTS; do
			run_cmocka "$t/$b" "$build"
		done
		if [ "$tier" = all ]; then
			run_unittest python/tests/integration
		fi
	fi
fi
echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
