#!/usr/bin/env bash
# bench_instances.sh — a service scaled out over three engines next to the
# same over one, in one run of one daemon. Prints figures; asserts nothing
# about speed (it fails only when something does not work).
#
#   one     cluster "one": no registered instance, every task on the
#           daemon's engine (instance local)
#   three   cluster "three": local and two dockerd of the bench's own
#           (bridges ecsfs-e1 and ecsfs-e2, pools 10.201/10.202.128.0/17),
#           registered as instances e1 and e2; the service spreads by
#           instance, 10 tasks on each
#   a run   `echo N > desired_count` until the service's status says
#           running_count N, pending_count 0; then `echo 0` until no task
#           of it is left that is not STOPPED. The clusters take turns
#           (one, three, one, three, ...) so that both see the same machine.
#
# usage: bench_instances.sh [BUILD_DIR]      (default: build)
#
# Environment:
#   BENCH_TASKS=N   tasks of a scale-out (default 30)
#   BENCH_RUNS=R    runs of each cluster (default 3; the median is quoted)
#
# Needs a Docker engine at /var/run/docker.sock (exit 77, skipped, without
# one), dockerd, ip and /dev/fuse. It uses the bridges of t_instances.sh:
# run it when that test does not run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
N=${BENCH_TASKS:-30}
RUNS=${BENCH_RUNS:-3}
IMAGE=ecsfs-busybox:latest
FOREVER="trap 'exit 0' TERM; while :; do sleep 0.2; done"
BENCH=bench_instances
. "$HERE/lib_bench.sh"

[[ -x $ECSFS ]] || die "$ECSFS not built"
bench_need_engine
for n in e1 e2; do
	if ip link show "ecsfs-$n" >/dev/null 2>&1; then
		die "bridge ecsfs-$n exists: t_instances (or another run of this bench) is running"
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-inst.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
ECSFS_PID=

xd() { # xd NAME DOCKER-ARGS...
	local n=$1
	shift
	docker -H "unix://$TMP/$n/docker.sock" "$@"
}
xd_answers() { curl -s --max-time 5 --unix-socket "$TMP/$1/docker.sock" http://d/_ping 2>/dev/null | grep -q OK; }
xd_start() { # xd_start NAME OCTET
	local d=$TMP/$1 br=ecsfs-$1
	mkdir -p "$d/data" "$d/exec"
	ip link add "$br" type bridge && ip addr add "10.$2.0.1/24" dev "$br" && ip link set "$br" up
	dockerd --data-root "$d/data" --exec-root "$d/exec" -H "unix://$d/docker.sock" \
		--pidfile "$d/docker.pid" --bridge "$br" --iptables=false --ip-masq=false \
		--live-restore --default-address-pool "base=10.$2.128.0/17,size=24" \
		>>"$d.log" 2>&1 &
	echo $! >"$d.pid"
}
xd_cleanup() { # xd_cleanup NAME: its containers, networks, the engine, mounts, bridge
	local d=$TMP/$1 ids m p
	p=$(cat "$d.pid" 2>/dev/null || true)
	if [[ -n $p ]] && xd_answers "$1"; then
		ids=$(xd "$1" ps -aq)
		[[ -n $ids ]] && xd "$1" rm -f $ids >/dev/null 2>&1
		ids=$(xd "$1" network ls -q --filter label=ecsfs.managed)
		[[ -n $ids ]] && xd "$1" network rm $ids >/dev/null 2>&1
	fi
	[[ -n $p ]] && stop_pid "$p"
	for m in $(grep -o " $d/[^ ]*" /proc/self/mounts | tr -d ' ' | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	ip link del "ecsfs-$1" 2>/dev/null
	return 0
}

cleanup() {
	local rc=$?
	set +e
	if [[ -n $ECSFS_PID ]]; then
		for c in one three; do
			[[ -e $MNT/clusters/$c/services/web/desired_count ]] &&
				echo 0 >"$MNT/clusters/$c/services/web/desired_count" 2>/dev/null
		done
		stop_pid "$ECSFS_PID"
	fi
	fusermount3 -uzq "$MNT" 2>/dev/null
	bench_remove_engine_objects
	xd_cleanup e1
	xd_cleanup e2
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the engines, the daemon, the clusters ----------------------------------
xd_start e1 201
xd_start e2 202
for n in e1 e2; do
	for ((i = 0; i < 300; i++)); do
		xd_answers "$n" && break
		sleep 0.2
	done
	xd_answers "$n" || die "the engine $n does not answer (log: $TMP/$n.log)"
done
docker save "$IMAGE" >"$TMP/image.tar"
xd e1 load -i "$TMP/image.tar" >/dev/null
xd e2 load -i "$TMP/image.tar" >/dev/null
bench_start_daemon 10 --api off

mkdir "$MNT/clusters/one" "$MNT/clusters/three"
cat >"$MNT/spec/taskdefs/web.json" <<JSON
{"family": "web", "containerDefinitions": [{"name": "app", "image": "$IMAGE", "memory": 16,
 "stopTimeout": 2, "command": ["sh", "-c", "$FOREVER"]}]}
JSON
for n in e1 e2; do
	printf '{"endpoint": "unix://%s/docker.sock"}\n' "$TMP/$n" \
		>"$MNT/spec/clusters/three/instances/$n.json"
done
for ((i = 0; i < 300; i++)); do
	grep -q '"agentConnected": true' "$MNT/clusters/three/instances/e1/instance.json" &&
		grep -q '"agentConnected": true' "$MNT/clusters/three/instances/e2/instance.json" && break
	sleep 0.1
done
for c in one three; do
	printf '{"taskDefinition": "web", "desiredCount": 0, "placementStrategy": [{"type": "spread", "field": "instanceId"}]}\n' \
		>"$MNT/spec/clusters/$c/services/web.json"
done

echo "instances: $N tasks scaled out over three engines next to one ($(nproc) CPUs," \
	"kernel $(uname -r), docker $(docker version -f '{{.Server.Version}}'), $RUNS runs each)"

# One python process does every measure: polling every 20 ms costs no fork.
python3 - "$MNT" "$N" "$RUNS" <<'PY'
import json, os, statistics, sys, time

mnt, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def status(c):
    with open(f"{mnt}/clusters/{c}/services/web/status") as f:
        return dict(l.rstrip("\n").split(": ", 1) for l in f if ": " in l)

def live(c):
    """the service's tasks that are not STOPPED (its tasks/ links), by instance"""
    where = {}
    d = f"{mnt}/clusters/{c}/services/web/tasks"
    for t in os.listdir(d):
        try:
            with open(f"{d}/{t}/task.json") as f:
                arn = json.load(f).get("containerInstanceArn", "?")
        except (OSError, ValueError):
            continue
        name = arn.rsplit("/", 1)[-1]
        where[name] = where.get(name, 0) + 1
    return dict(sorted(where.items()))

def scale(c, count, until, limit=600):
    with open(f"{mnt}/clusters/{c}/services/web/desired_count", "w") as f:
        f.write(f"{count}\n")
    t0 = time.monotonic()
    while not until(c):
        if time.monotonic() - t0 > limit:
            sys.exit(f"bench_instances: cluster {c} did not reach {count} in {limit} s")
        time.sleep(0.02)
    return time.monotonic() - t0

def at(count):
    def ok(c):
        s = status(c)
        return s.get("running_count") == str(count) and s.get("pending_count") == "0"
    return ok

def empty(c):
    return at(0)(c) and not live(c)

out = {"one": ([], []), "three": ([], [])}
spread = {}
for r in range(runs):
    for c in ("one", "three"):
        up = scale(c, n, at(n))
        spread[c] = live(c)
        down = scale(c, 0, empty)
        out[c][0].append(up)
        out[c][1].append(down)
        print(f"  run {r + 1} {c:5}: 0 -> {n} in {up:.2f} s, {n} -> 0 in {down:.2f} s", flush=True)

for c in ("one", "three"):
    ups, downs = out[c]
    print(f"{c:5} engine(s): 0 -> {n} RUNNING median {statistics.median(ups):.2f} s"
          f" (min {min(ups):.2f}, max {max(ups):.2f}); {n} -> 0 STOPPED median"
          f" {statistics.median(downs):.2f} s; tasks per instance: {spread[c]}")
print(f"three / one (medians): scale-out {statistics.median(out['three'][0]) / statistics.median(out['one'][0]):.2f}x,"
      f" scale-in {statistics.median(out['three'][1]) / statistics.median(out['one'][1]):.2f}x")
PY
