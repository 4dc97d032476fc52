#!/usr/bin/env bash
# bench_api.sh — the AWS API front end through boto3: DescribeServices
# per-call latency, RunTask to RUNNING (RunTask, then DescribeTasks polled
# every 10 ms), and GetLogEvents / FilterLogEvents over a task's 1,000
# captured lines; then the same calls against a reference emulator when one
# is installed (moto_server), in the same run, with the ratios of the
# medians. Prints figures; asserts nothing about speed (it fails only when
# something does not work).
#
# usage: bench_api.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_CALLS=N   calls of each read operation (default 500)
#   BENCH_RUNS=N    RunTask runs of one task (default 5), then one of 10 tasks
#
# ecsfs's requests are signed (SigV4) with its STATE/credentials, as a user's
# are. Needs a Docker engine (exit 77, skipped, without one) and /dev/fuse.
# A reference emulator runs no containers: its RunTask figure is the
# protocol's floor, not the same work.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
TIMER=$HERE/api_timer.py
CALLS=${BENCH_CALLS:-500}
RUNS=${BENCH_RUNS:-5}
PORT=4635     # ecsfs (the logs engineer's range, 4631-4639)
REF_PORT=4636 # the reference emulator
IMAGE=ecsfs-busybox:latest
# Debian's python3 and its python3-boto3 (the clients the API is held to)
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
BENCH=bench_api
. "$HERE/lib_bench.sh"

[[ -x $ECSFS ]] || die "$ECSFS not built"
bench_need_engine

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-api.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
ECSFS_PID=
REF_PID=

cleanup() {
	local rc=$?
	set +e
	[[ -n $ECSFS_PID ]] && stop_pid "$ECSFS_PID"
	[[ -n $REF_PID ]] && stop_pid "$REF_PID"
	fusermount3 -uzq "$MNT" 2>/dev/null
	bench_remove_engine_objects
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_until() { # wait_until SECONDS COMMAND...: bounded polling
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
field() { sed -n "s/.*\<$1=\([0-9.]*\).*/\1/p" | head -1; } # field KEY: KEY=<number>
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# ---- ecsfs, set up through the file tree ------------------------------------
bench_start_daemon 20 --api "127.0.0.1:$PORT"
wait_until 10 test -s "$STATE/credentials" || die "no STATE/credentials"
mkdir "$MNT/clusters/bench"
printf '%s\n' '{"family": "bench", "containerDefinitions": [{"name": "app", "image": "'"$IMAGE"'",
  "memory": 32, "essential": true, "stopTimeout": 2, "command": ["sleep", "3600"]}]}' \
	>"$MNT/spec/taskdefs/bench.json"
printf '%s\n' '{"taskDefinition": "bench", "desiredCount": 0}' >"$MNT/spec/clusters/bench/services/web.json"
printf '%s\n' '{"family": "benchlog", "containerDefinitions": [{"name": "app", "image": "'"$IMAGE"'",
  "memory": 32, "essential": true, "stopTimeout": 2,
  "command": ["sh", "-c", "seq 1 1000 | sed \"s/^/line /\"; sleep 3600"]}]}' \
	>"$MNT/spec/taskdefs/benchlog.json"
LOG_ID=$(python3 -c '
import sys
with open(sys.argv[1], "r+") as f:
    f.write("benchlog\n"); f.seek(0); print(f.read().strip())' "$MNT/clusters/bench/run")
wait_until 60 grep -qx "line 1000" "$MNT/clusters/bench/tasks/$LOG_ID/containers/app/logs" ||
	die "the log task did not print its lines"

ecsfs_py() { ECSFS_PROFILE=ecsfs AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
	"$PY" "$TIMER" "http://127.0.0.1:$PORT" "$@"; }
ref_py() { AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	"$PY" "$TIMER" "http://127.0.0.1:$REF_PORT" "$@"; }

# ---- a reference emulator, when one is installed ----------------------------
REF=
if command -v moto_server >/dev/null 2>&1; then
	moto_server -H 127.0.0.1 -p "$REF_PORT" >"$TMP/ref.log" 2>&1 &
	REF_PID=$!
	if wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$REF_PORT/"; then
		REF="moto_server $(moto_server --version 2>/dev/null || python3 -c 'import moto; print(moto.__version__)' 2>/dev/null)"
		ref_py setup bench bench web >/dev/null || die "cannot set up the reference emulator"
		ref_py logs-setup /ecs/benchlog "ecs/app/$LOG_ID" 1000 >/dev/null ||
			die "cannot fill the reference emulator's log"
	else
		echo "bench_api: moto_server did not answer on port $REF_PORT; its log:" >&2
		sed 's/^/  /' "$TMP/ref.log" >&2
		stop_pid "$REF_PID"
		REF_PID=
	fi
fi

echo "the AWS API through boto3 ($(nproc) CPUs, kernel $(uname -r), $("$PY" -c 'import boto3; print("boto3", boto3.__version__)')," \
	"$CALLS calls per read, RunTask $RUNS x 1 task and 1 x 10)"
if [[ -n $REF ]]; then
	echo "reference emulator: $REF (same run; it runs no containers)"
elif command -v localstack >/dev/null 2>&1; then
	echo "reference emulator: localstack is installed but needs its own container image; not compared"
else
	echo "reference emulator: none installed (looked for moto_server and localstack); ecsfs alone"
fi

# show NAME OUT: one result line
show() { printf '%-8s %-34s %s\n' "$1" "$2" "$3"; }

declare -A MED
measure() { # measure WHO LABEL KEY COMMAND...: run, show, keep the median under KEY
	local out
	out=$("${@:4}") || die "$1 $2 failed: $out"
	while IFS= read -r line; do
		show "$1" "$2" "$line"
	done <<<"$out"
	MED[$1.$3]=$(field median <<<"$(head -1 <<<"$out")")
	if [[ $out == *filter* ]]; then
		MED[$1.$3.filter]=$(grep filter <<<"$out" | field median)
	fi
}

measure ecsfs "DescribeServices (ms)" describe ecsfs_py describe bench web "$CALLS"
[[ -n $REF ]] && measure ref "DescribeServices (ms)" describe ref_py describe bench web "$CALLS"
measure ecsfs "RunTask to RUNNING, 1 task (ms)" run1 ecsfs_py runtask bench bench "$RUNS" 1
[[ -n $REF ]] && measure ref "RunTask to RUNNING, 1 task (ms)" run1 ref_py runtask bench bench "$RUNS" 1 FARGATE
measure ecsfs "RunTask to RUNNING, 10 tasks (ms)" run10 ecsfs_py runtask bench bench 1 10
[[ -n $REF ]] && measure ref "RunTask to RUNNING, 10 tasks (ms)" run10 ref_py runtask bench bench 1 10 FARGATE
measure ecsfs "Logs over 1,000 lines (ms)" logs ecsfs_py logs /ecs/benchlog "ecs/app/$LOG_ID" "$CALLS"
[[ -n $REF ]] && measure ref "Logs over 1,000 lines (ms)" logs ref_py logs /ecs/benchlog "ecs/app/$LOG_ID" "$CALLS"

if [[ -n $REF ]]; then
	echo
	for k in describe run1 run10 logs logs.filter; do
		[[ -n ${MED[ecsfs.$k]:-} && -n ${MED[ref.$k]:-} ]] &&
			echo "ratio ecsfs/reference $k median = $(ratio "${MED[ecsfs.$k]}" "${MED[ref.$k]}")"
	done
fi
printf 'ecsfs    daemon resident memory                %d kB\n' "$(awk '/^VmRSS:/ { print $2 }' "/proc/$ECSFS_PID/status")"
