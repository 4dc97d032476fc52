#!/usr/bin/env bash
# bench_metrics.sh — what the metrics sampler costs: the daemon's CPU (% of
# one CPU) with many running containers sampled every 10 s and every 1 s
# (the same containers: the daemon restarts with the other interval and
# re-adopts them), next to the same daemon with its tasks and nothing to
# sample (--metrics-interval 3600), and the memory a task's history takes.
# Prints figures; asserts nothing about speed.
#
# usage: bench_metrics.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_TASKS=N           running tasks, each a pause and one container
#                           (awsvpc), default 100: 200 containers
#   BENCH_SECONDS=N         each CPU window (default 30)
#
# Needs a Docker engine at /var/run/docker.sock (exit 77 without one) and
# /dev/fuse.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
N=${BENCH_TASKS:-100}
WINDOW=${BENCH_SECONDS:-30}
IMAGE=ecsfs-busybox:latest

die() {
	echo "bench_metrics: $*" >&2
	exit 1
}

[[ -x $ECSFS ]] || die "$ECSFS not built"
if ! curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping | grep -q OK; then
	echo "bench_metrics: no Docker engine at /var/run/docker.sock: skipped"
	exit 77
fi
(. "$HERE/../mount/lib.sh" && ensure_busybox_image) || die "cannot make $IMAGE"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-metrics.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
ECSFS_PID=

instance_id() {
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT value FROM meta WHERE key = 'instance'" 2>/dev/null || true
}

stop_daemon() {
	[[ -n $ECSFS_PID ]] || return 0
	kill -TERM "$ECSFS_PID" 2>/dev/null || true
	wait "$ECSFS_PID" 2>/dev/null || true
	ECSFS_PID=
}

cleanup() {
	local rc=$? inst ids
	set +e
	stop_daemon
	inst=$(instance_id)
	if [[ -n $inst ]]; then
		ids=$(docker ps -aq --filter "label=ecsfs.instance=$inst")
		[[ -n $ids ]] && docker rm -f $ids >/dev/null 2>&1
		ids=$(docker network ls -q --filter "label=ecsfs.instance=$inst")
		[[ -n $ids ]] && docker network rm $ids >/dev/null 2>&1
	fi
	fusermount3 -uz "$MNT" 2>/dev/null
	rm -rf --one-file-system "$TMP"
	exit $rc
}
trap cleanup EXIT

start_daemon() { # INTERVAL
	mkdir -p "$MNT"
	"$ECSFS" -f --state "$STATE" --api off --metrics-interval "$1" "$MNT" >>"$TMP/daemon.log" 2>&1 &
	ECSFS_PID=$!
	for _ in $(seq 200); do
		[[ -e $MNT/README ]] && return 0
		sleep 0.1
	done
	die "the daemon did not mount"
}

running() { sed -n 's/^running_count: //p' "$MNT/clusters/bench/services/idle/status" 2>/dev/null; }
wait_running() { # SECONDS
	for _ in $(seq $(($1 * 2))); do
		[[ "$(running)" == "$N" ]] && return 0
		sleep 0.5
	done
	die "only $(running) of $N tasks run"
}

ticks() { awk '{ print $14 + $15 }' "/proc/$ECSFS_PID/stat"; }
cpu_percent() { # SECONDS: the daemon's CPU over that window, % of one CPU
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(ticks)
	sleep "$1"
	t1=$(ticks)
	python3 -c "print('%.2f' % (($t1 - $t0) / $hz / $1 * 100))"
}

start_daemon 3600
mkdir "$MNT/clusters/bench"
echo '{"settings": [{"name": "containerInsights", "value": "enabled"}]}' >"$MNT/spec/clusters/bench/cluster.json"
printf '{"containerDefinitions": [{"name": "app", "image": "%s", "memory": 16, "stopTimeout": 2, "command": ["sleep", "3600"]}]}\n' \
	"$IMAGE" >"$MNT/spec/taskdefs/idle.json"
t0=$(date +%s)
printf '{"taskDefinition": "idle", "desiredCount": %d}\n' "$N" >"$MNT/spec/clusters/bench/services/idle.json"
wait_running 900
echo "tasks: $N running ($((2 * N)) containers: a pause and a container each) after $(($(date +%s) - t0)) s"

base=$(cpu_percent "$WINDOW")
echo "daemon CPU, nothing sampled (--metrics-interval 3600): $base % of one CPU over $WINDOW s"
for interval in 10 1; do
	stop_daemon
	start_daemon "$interval"
	wait_running 120
	cpu=$(cpu_percent "$WINDOW")
	rounds=$(sed -n 's/^samples: //p' "$MNT/clusters/bench/metrics")
	echo "daemon CPU, $((2 * N)) containers sampled every $interval s: $cpu % of one CPU over $WINDOW s ($rounds rounds)"
done
hist=$(sed -n 's/^history_bytes: //p' "$MNT/clusters/bench/metrics")
tasks=$(sed -n 's/^history_tasks: //p' "$MNT/clusters/bench/metrics")
samples=$(sed -n 's/^samples: //p' "$MNT/clusters/bench/metrics")
echo "history now: $hist bytes for $tasks tasks ($((hist / (tasks > 0 ? tasks : 1))) bytes a task, $samples samples each)"
python3 -c "print('history full (384 samples): about %d bytes a task' % (384 * 72 + 400))"
echo "daemon RSS: $(awk '/^VmRSS:/ { print $2 }' "/proc/$ECSFS_PID/status") KiB"
rm "$MNT/spec/clusters/bench/services/idle.json"
for _ in $(seq 600); do
	[[ ! -d $MNT/clusters/bench/services/idle ]] && break
	sleep 0.5
done
