#!/usr/bin/env bash
# bench_task.sh — how long tasks take to reach RUNNING through ecsfs, next
# to the engine's own floor (`docker run -d` of the same containers), and
# what the daemon costs at idle with its tasks running. Prints figures, one
# result a line; asserts nothing about speed (it fails only when something
# does not work: a task that never runs, a container left behind).
#
# usage: bench_task.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_TASKS=N            tasks started at once (default 20; a multiple of 10,
#                            RunTask's largest count)
#   BENCH_REPEAT=N           runs of the one-task measures (default 3; median shown)
#   BENCH_IDLE_SECONDS=N     idle CPU window (default 30)
#
# Needs a Docker engine at /var/run/docker.sock (exit 77, skipped, without
# one) and /dev/fuse. The task definition: one essential busybox container
# `sleep 3600` with stopTimeout 2 (sleep as PID 1 ignores SIGTERM, so every
# stop waits for the SIGKILL; 2 s keeps the run short).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
TIMER=$HERE/task_timer.py
N=${BENCH_TASKS:-20}
REPEAT=${BENCH_REPEAT:-3}
IDLE=${BENCH_IDLE_SECONDS:-30}
IMAGE=ecsfs-busybox:latest
BENCH=bench_task
. "$HERE/lib_bench.sh"

[[ -x $ECSFS ]] || die "$ECSFS not built"
((N >= 10 && N % 10 == 0)) || die "BENCH_TASKS must be a multiple of 10"
bench_need_engine
PAUSE_IMAGE=ecsfs-pause:$("$ECSFS" --version | awk '{print $2}')

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-task.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
FLOOR_LABEL=ecsfs-bench=$(basename "$TMP")
ECSFS_PID=

cleanup() {
	local rc=$?
	set +e
	[[ -n $ECSFS_PID ]] && stop_pid "$ECSFS_PID"
	fusermount3 -uzq "$MNT" 2>/dev/null
	bench_remove_engine_objects "$FLOOR_LABEL"
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
field() { sed -n "1s/.*$1=\([0-9.]*\).*/\1/p"; } # field KEY: KEY=<number> of the first line

# ---- the daemon ----------------------------------------------------------
bench_start_daemon 10
mkdir "$MNT/clusters/bench"
printf '%s\n' '{"family": "bench", "containerDefinitions": [{"name": "app", "image": "'"$IMAGE"'",
  "memory": 32, "essential": true, "stopTimeout": 2, "command": ["sleep", "3600"]}]}' \
	>"$MNT/spec/taskdefs/bench.json"

echo "tasks to RUNNING: ecsfs next to docker run -d ($(nproc) CPUs, kernel $(uname -r)," \
	"docker $(docker version -f '{{.Server.Version}}'), $N tasks, $REPEAT runs of one task)"

# ecsfs_one: time of one task from the write to RUNNING; stops it again
ecsfs_one() {
	local out t id
	out=$(python3 "$TIMER" run "$MNT" bench bench) || die "a task did not reach RUNNING: $out"
	t=$(field all <<<"$out")
	id=$(sed -n 2p <<<"$out")
	python3 "$TIMER" stop "$MNT" bench bench-done "$id" >/dev/null || die "task $id did not stop"
	echo "$t"
}

# the first task also imports the pause image: shown, not counted
cold=$(ecsfs_one)
printf 'ecsfs  first task of a new daemon (may import the pause) %8.3f s\n' "$cold"
e1=""
for ((r = 0; r < REPEAT; r++)); do
	e1+=" $(ecsfs_one)"
done
E1=$(median <<<"$e1")
printf 'ecsfs  1 task: write to RUNNING                         %8.3f s   (runs:%s)\n' "$E1" "$e1"

lines=()
for ((i = 0; i < N / 10; i++)); do lines+=("bench 10"); done
out=$(python3 "$TIMER" run "$MNT" bench "${lines[@]}") || die "tasks did not reach RUNNING: $out"
EN=$(field all <<<"$out")
EN_FIRST=$(field first <<<"$out")
IDS=$(sed -n '2,$p' <<<"$out")
[[ $(grep -c . <<<"$IDS") -eq $N ]] || die "expected $N task ids, got: $IDS"
printf 'ecsfs  %d tasks: writes to all RUNNING                  %8.3f s   (first RUNNING after %.3f s)\n' \
	"$N" "$EN" "$EN_FIRST"
printf 'ecsfs  %d tasks: per task                               %8.3f s\n' "$N" "$(awk -v a="$EN" -v n="$N" 'BEGIN { print a / n }')"
inst=$(instance_id)
running=$(docker ps -q --filter "label=ecsfs.instance=$inst" | wc -l)
[[ $running -eq $((2 * N)) ]] || die "expected $((2 * N)) running containers (task + pause), found $running"

out=$(python3 "$TIMER" cpu "$ECSFS_PID" "$IDLE")
CPU=$(field cpu <<<"$out")
WALL=$(field wall <<<"$out")
printf 'ecsfs  idle CPU with %d tasks running                   %8.3f s over %.1f s = %.2f %% of one CPU\n' \
	"$N" "$CPU" "$WALL" "$(awk -v c="$CPU" -v w="$WALL" 'BEGIN { print 100 * c / w }')"
printf 'ecsfs  resident memory with %d tasks                    %8d kB\n' "$N" \
	"$(awk '/^VmRSS:/ { print $2 }' "/proc/$ECSFS_PID/status")"

out=$(python3 "$TIMER" stop "$MNT" bench bench-done $IDS) || die "tasks did not stop: $out"
printf 'ecsfs  %d tasks: stop to all STOPPED (stopTimeout 2 s)  %8.3f s\n' "$N" "$(field all <<<"$out")"
left=$(docker ps -aq --filter "label=ecsfs.instance=$inst" | wc -l)
[[ $left -eq 0 ]] || die "$left containers of ecsfs left in the engine"
echo "ecsfs  containers left in the engine: 0"

# ---- the floor: the engine alone, through its CLI ------------------------
# floor_one [pause]: one task's worth of docker run -d, then removed
floor_one() {
	local out t
	out=$(python3 "$TIMER" floor 1 "$FLOOR_LABEL" "$IMAGE" ${1:+pause "$PAUSE_IMAGE"}) || die "docker run failed: $out"
	t=$(field all <<<"$out")
	docker rm -f $(sed -n '2,$p' <<<"$out") >/dev/null
	echo "$t"
}
floor_n() { # floor_n [pause]: N tasks' worth at once; prints the time, leaves them running
	local out
	out=$(python3 "$TIMER" floor "$N" "$FLOOR_LABEL" "$IMAGE" ${1:+pause "$PAUSE_IMAGE"}) || die "docker run failed: $out"
	field all <<<"$out"
}
remove_floor() {
	local t0 t1 ids
	ids=$(docker ps -aq --filter "label=$FLOOR_LABEL")
	t0=$(date +%s.%N)
	[[ -z $ids ]] || docker rm -f $ids >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

floor_one >/dev/null # warm the engine's cache of the image
f1=""
for ((r = 0; r < REPEAT; r++)); do f1+=" $(floor_one)"; done
F1=$(median <<<"$f1")
printf 'floor  1 task: docker run -d (one container, no pause) %8.3f s   (runs:%s)\n' "$F1" "$f1"
FN=$(floor_n)
printf 'floor  %d tasks: docker run -d x%d in parallel          %8.3f s\n' "$N" "$N" "$FN"
printf 'floor  %d tasks: docker rm -f of them                   %8.3f s\n' "$N" "$(remove_floor)"

p1=""
for ((r = 0; r < REPEAT; r++)); do p1+=" $(floor_one pause)"; done
P1=$(median <<<"$p1")
printf 'floor2 1 task: pause + container in its netns          %8.3f s   (runs:%s)\n' "$P1" "$p1"
PN=$(floor_n pause)
printf 'floor2 %d tasks: pause + container, %d in parallel      %8.3f s\n' "$N" "$N" "$PN"
printf 'floor2 %d tasks: docker rm -f of them                   %8.3f s\n' "$N" "$(remove_floor)"
left=$(docker ps -aq --filter "label=$FLOOR_LABEL" | wc -l)
[[ $left -eq 0 ]] || die "$left floor containers left in the engine"
echo "floor  containers left in the engine: 0"

echo
echo "ratio ecsfs/floor  (1 task, no pause)          = $(ratio "$E1" "$F1")"
echo "ratio ecsfs/floor2 (1 task, pause + container) = $(ratio "$E1" "$P1")"
echo "ratio ecsfs/floor  ($N tasks, no pause)         = $(ratio "$EN" "$FN")"
echo "ratio ecsfs/floor2 ($N tasks, pause + container) = $(ratio "$EN" "$PN")"
