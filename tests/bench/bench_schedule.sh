#!/usr/bin/env bash
# bench_schedule.sh — 1,000 enabled schedules in the store: how long the
# files take to apply, how long a daemon takes to load them, what it costs
# idle with them, and what computing next fires costs per schedule (the
# C part, bench_schedule_next). Prints figures; asserts nothing about speed.
#
# usage: bench_schedule.sh [BUILD_DIR]        (default: build)
#   BENCH_SCHEDULES=N        schedules (default 1000)
#   BENCH_IDLE_SECONDS=N     idle CPU window (default 30)
#
# No Docker engine is needed: no schedule comes due during the run (rates
# of a day or more, crons of January, at() next year).
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
NEXT=$BUILD/tests/bench/bench_schedule_next
N=${BENCH_SCHEDULES:-1000}
IDLE=${BENCH_IDLE_SECONDS:-30}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-schedule.XXXXXX")
MNT=$TMP/mnt
ECSFS_PID=

cleanup() {
	set +e
	if [[ -n $ECSFS_PID ]]; then
		kill -TERM "$ECSFS_PID" 2>/dev/null
		wait "$ECSFS_PID" 2>/dev/null
	fi
	fusermount3 -uz "$MNT" 2>/dev/null
	rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT

start() {
	mkdir -p "$MNT"
	"$ECSFS" -f --state "$TMP/state" --api off "$MNT" >>"$TMP/log" 2>&1 &
	ECSFS_PID=$!
	for _ in $(seq 400); do
		[[ -e $MNT/README ]] && return 0
		sleep 0.05
	done
	echo "bench_schedule: the daemon did not mount" >&2
	exit 1
}
stop() {
	kill -TERM "$ECSFS_PID"
	wait "$ECSFS_PID" || true
	ECSFS_PID=
}
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
ms() { date +%s%3N; }

start
mkdir "$MNT/clusters/bench"
mkdir -p "$MNT/spec/clusters/bench/schedules"
t0=$(ms)
python3 - "$MNT/spec/clusters/bench/schedules" "$N" <<'PY'
import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
exprs = ["cron(0 6 ? JAN MON-FRI *)", "cron(30 2 1 JAN ? *)", "cron(0 0 L JAN ? *)",
         "cron(0 9 ? JAN 2#1 *)", "rate(1 day)", "rate(7 days)", "at(2030-06-01T09:00:00)",
         "cron(0/15 * ? JAN * 2031-2035)"]
zones = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"]
for i in range(n):
    doc = {"ScheduleExpression": exprs[i % len(exprs)],
           "ScheduleExpressionTimezone": zones[(i // len(exprs)) % len(zones)],
           "FlexibleTimeWindow": {"Mode": "OFF"},
           "Target": {"EcsParameters": {"TaskDefinitionArn": "job"}}}
    with open(os.path.join(d, "s%04d.json" % i), "w") as f:
        json.dump(doc, f)
PY
t1=$(ms)
echo "schedules written           $N files in $((t1 - t0)) ms ($(((t1 - t0) * 1000 / N)) us per file, durable before close)"
stop

t0=$(ms)
start
t1=$(ms)
echo "daemon start                $((t1 - t0)) ms to serve the mount (loading them, next fires computed)"
t0=$(ms)
cat "$MNT"/clusters/bench/schedules/*/status >/dev/null
t1=$(ms)
echo "cat every status            $((t1 - t0)) ms ($(((t1 - t0) * 1000 / N)) us per schedule, five next fires each)"
c0=$(cpu_s "$ECSFS_PID")
w0=$(ms)
sleep "$IDLE"
c1=$(cpu_s "$ECSFS_PID")
w1=$(ms)
awk -v c0="$c0" -v c1="$c1" -v w="$(((w1 - w0)))" -v n="$N" 'BEGIN {
	printf "idle CPU, %d schedules     %.2f s over %.1f s = %.2f %% of one CPU\n",
	       n, c1 - c0, w / 1000, 100 * (c1 - c0) / (w / 1000) }'
echo "daemon RSS                  $(awk '/^VmRSS:/ { print $2 " " $3 }' "/proc/$ECSFS_PID/status")"
stop
"$NEXT"
