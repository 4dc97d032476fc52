#!/usr/bin/env bash
# run.sh — fuzz the targets build.sh made, in turns, on one core at the
# lowest priority, until a deadline; one line per slice in OUT_DIR/hours.log
# ("<target> <seconds> <executions> <status> cpu=<seconds>"), so the hours
# in README.md are what ran; cpu= is the fuzzer's own user+system time,
# which is less than the wall time when the machine's other work starves
# it. Crashes land in OUT_DIR/crash-<target>/.
#
# usage: tests/fuzz/run.sh OUT_DIR SLICE_SECONDS DEADLINE_EPOCH TARGET...
#   (from the repository root; TARGET is service, api, taskdef, ...)
set -uo pipefail

OUT=$(cd "${1:?usage}" && pwd)
SLICE=${2:?usage}
DEADLINE=${3:?usage}
shift 3

# The field names and enumerated values of the model files a target reaches.
dict() { # dict TARGET > FILE
	local files
	case $1 in
	service) files="core/model/service*.c" ;;
	cluster) files="core/model/cluster*.c" ;;
	schedule) files="core/model/schedule*.c core/control/cron*.c" ;;
	scaling) files="core/model/scaling*.c" ;;
	targetgroup | loadbalancer) files="core/model/targetgroup.c core/model/loadbalancer*.c" ;;
	runtask) files="core/model/task_run.c core/model/launch_default.c" ;;
	taskdef) files="core/model/taskdef_*.c" ;;
	cq) files="core/model/cq*.c" ;;
	instance) files="core/model/instance*.c core/model/cq*.c" ;;
	*) return 0 ;;
	esac
	# shellcheck disable=SC2086 # the globs are meant to expand
	grep -ho '"[A-Za-z0-9_.:-]\{2,40\}"' $files | sort -u | sed 's/^"\(.*\)"$/"\\"\1\\""/'
}

corpus_of() {
	case $1 in
	taskdef) echo tests/fuzz/corpus ;;
	*) echo "tests/fuzz/corpus-$1" ;;
	esac
}

while (($(date +%s) + 30 < DEADLINE)); do
	for t in "$@"; do
		left=$((DEADLINE - $(date +%s)))
		((left > 30)) || break 2
		secs=$((left < SLICE ? left : SLICE))
		mkdir -p "$OUT/work-$t" "$OUT/crash-$t"
		dict "$t" >"$OUT/$t.dict"
		args=(-max_len=8192 -max_total_time="$secs" -artifact_prefix="$OUT/crash-$t/"
			-print_final_stats=1)
		[[ -s $OUT/$t.dict ]] && args+=(-dict="$OUT/$t.dict")
		start=$(date +%s)
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 nice -n 19 \
			/usr/bin/time -f 'cpu-seconds %U %S' -o "$OUT/$t.time" "$OUT/fuzz_$t" "${args[@]}" "$OUT/work-$t" "$(corpus_of "$t")" \
			>"$OUT/$t.last.log" 2>&1
		rc=$?
		execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$OUT/$t.last.log")
		cpu=$(awk '/^cpu-seconds/ { printf "%d", $2 + $3 }' "$OUT/$t.time" 2>/dev/null)
		echo "$t $(($(date +%s) - start)) ${execs:-0} rc=$rc cpu=${cpu:-0}" >>"$OUT/hours.log"
		cat "$OUT/$t.last.log" >>"$OUT/$t.log"
	done
done
