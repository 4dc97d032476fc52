#!/usr/bin/env bash
# bench_scheduler_api.sh — EventBridge Scheduler (REST-JSON) and EventBridge
# rules through boto3, per call, with 1,000 schedules in the store; then the
# same calls against a reference emulator when one is installed
# (moto_server), in the same run, with the ratios of the medians. Prints
# figures; asserts nothing about speed. No Docker engine needed (nothing
# fires: the schedules are for 06:00).
#
# usage: bench_scheduler_api.sh [BUILD_DIR]      (default: build)
# Environment: BENCH_CALLS=N calls of each operation (default 200),
#              BENCH_FILL=N schedules made first (default 1000)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
TIMER=$HERE/scheduler_timer.py
CALLS=${BENCH_CALLS:-200}
FILL=${BENCH_FILL:-1000}
PORT=4643     # sched-api's range, 4641-4649
REF_PORT=4644 # the reference emulator
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
BENCH=bench_scheduler_api
IMAGE=
. "$HERE/lib_bench.sh"
[[ -x $ECSFS ]] || die "$ECSFS not built"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-sched.XXXXXX")
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
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
wait_until() { # wait_until SECONDS COMMAND...
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
field() { sed -n "s/.*\<$1=\([0-9.]*\).*/\1/p" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

bench_start_daemon 20 --api "127.0.0.1:$PORT"
wait_until 10 test -s "$STATE/credentials" || die "no STATE/credentials"
mkdir "$MNT/clusters/bench"
ARN=arn:aws:ecs:us-east-1:000000000000:cluster/bench
echo "EventBridge Scheduler and rules through boto3 ($(nproc) CPUs, $CALLS calls each, $FILL schedules first)"
out=$(ECSFS_PROFILE=ecsfs AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
	"$PY" "$TIMER" "http://127.0.0.1:$PORT" "$ARN" "$CALLS" "$FILL") || die "ecsfs: $out"
sed 's/^/ecsfs  /' <<<"$out"
n=$(ls "$MNT/spec/clusters/bench/schedules" | grep -c .)
echo "ecsfs  spec/clusters/bench/schedules holds $n files (the fill and the benchmark's, as the API made them)"

if command -v moto_server >/dev/null 2>&1; then
	moto_server -H 127.0.0.1 -p "$REF_PORT" >"$TMP/ref.log" 2>&1 &
	REF_PID=$!
	if wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$REF_PORT/"; then
		ref=$(AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
			"$PY" "$TIMER" "http://127.0.0.1:$REF_PORT" "$ARN" "$CALLS" "$FILL") || die "moto: $ref"
		sed 's/^/moto   /' <<<"$ref"
		while read -r op rest; do
			m=$(field median <<<"$rest")
			r=$(grep "^$op " <<<"$ref" | field median)
			echo "ratio  $op ecsfs/moto median $(ratio "$m" "$r")"
		done <<<"$out"
	fi
fi
