#!/usr/bin/env bash
# bench_gitops.sh — GitOps at scale: a generated repository of 300 task
# definitions and 50 services (5 clusters of 10) applied with
# `rsync -rt --delete` into a fresh mount's spec/, then the no-op re-apply
# (`rsync -rt --delete` again) and the drift check (`diff -r`), next to the
# same three commands on a tmpfs directory, and the apply with `--fsync`
# into a directory on the state directory's disk (every file synced before
# rsync goes on, as ecsfs makes every definition durable before its rename
# returns), in one run. Prints times and the ratios ecsfs/tmpfs and
# ecsfs/disk; asserts nothing about speed (it fails only when something
# does not work: a file not applied, a re-apply that sends something,
# drift, a container left behind).
#
# Part 1 has every service at desiredCount 0: no container runs, the figures
# are the filesystem, the validation and the store. Part 2, when a Docker
# engine answers, gives the same 50 services desiredCount 1: the apply, the
# time until all 50 tasks run, and the prune of the whole repository (an
# empty one applied with --delete) until no container is left.
#
# usage: bench_gitops.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_FAMILIES=N     task definitions (default 300)
#   BENCH_SERVICES=N     services, a multiple of 5 (default 50)
#   BENCH_REPEAT=N       runs of part 1, each on a fresh mount and a fresh
#                        tmpfs directory (default 3; the median is shown)
#   BENCH_RUNNING=0      skip part 2
#
# Needs root (tmpfs mount; without it /dev/shm is used if it is tmpfs) and
# /dev/fuse.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
FAMILIES=${BENCH_FAMILIES:-300}
SERVICES=${BENCH_SERVICES:-50}
REPEAT=${BENCH_REPEAT:-3}
RUNNING=${BENCH_RUNNING:-1}
CLUSTERS=5
IMAGE=ecsfs-busybox:latest

die() {
	echo "bench_gitops: $*" >&2
	exit 1
}

[[ -x $ECSFS ]] || die "$ECSFS not built"
((SERVICES % CLUSTERS == 0 && SERVICES <= FAMILIES)) ||
	die "BENCH_SERVICES must be a multiple of $CLUSTERS and at most BENCH_FAMILIES"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-gitops.XXXXXX")
MNT=$TMP/mnt
STATE=
TMPFS_DIR=
TMPFS_MOUNTED=0
ECSFS_PID=
INSTANCES=

instance_id() {
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT value FROM meta WHERE key = 'instance'" 2>/dev/null || true
}

# stop_ecsfs: SIGTERM, up to 10 s to unmount and exit, then SIGKILL
stop_ecsfs() {
	local i
	[[ -n $ECSFS_PID ]] || return 0
	kill -TERM "$ECSFS_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$ECSFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$ECSFS_PID" 2>/dev/null || true
	wait "$ECSFS_PID" 2>/dev/null || true
	ECSFS_PID=
	fusermount3 -uzq "$MNT" 2>/dev/null || true
}

cleanup() {
	local rc=$? inst ids
	set +e
	stop_ecsfs
	if [[ -n $INSTANCES ]] && command -v docker >/dev/null; then
		for inst in $INSTANCES; do
			ids=$(docker ps -aq --filter "label=ecsfs.instance=$inst")
			[[ -n $ids ]] && docker rm -f $ids >/dev/null 2>&1
			# the clusters' task networks go with their containers
			ids=$(docker network ls -q --filter "label=ecsfs.instance=$inst")
			[[ -n $ids ]] && docker network rm $ids >/dev/null 2>&1
		done
	fi
	if ((TMPFS_MOUNTED)); then
		umount "$TMPFS_DIR" 2>/dev/null || umount -l "$TMPFS_DIR" 2>/dev/null
	elif [[ -n $TMPFS_DIR ]]; then
		rm -rf -- "$TMPFS_DIR"
	fi
	# --one-file-system: never recurse into a mount that failed to go away
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fresh_ecsfs: a daemon on a new state directory, mounted on $MNT
fresh_ecsfs() {
	local i
	STATE=$(mktemp -d "$TMP/state.XXXXXX")
	mkdir -p "$MNT"
	"$ECSFS" -f --state "$STATE" "$MNT" >>"$TMP/ecsfs.log" 2>&1 &
	ECSFS_PID=$!
	for ((i = 0; i < 200; i++)); do
		[[ -e $MNT/README ]] && break
		kill -0 "$ECSFS_PID" 2>/dev/null || { cat "$TMP/ecsfs.log" >&2; die "ecsfs exited"; }
		sleep 0.05
	done
	[[ -e $MNT/README ]] || die "ecsfs did not mount $MNT"
	INSTANCES="$INSTANCES $(instance_id)"
}

# --- the repository ----------------------------------------------------
# gen_repo DIR DESIRED: FAMILIES task definitions app-NNN (two containers,
# environment, ports, a health check: about 1.3 KB each, as real ones are),
# SERVICES services spread over CLUSTERS clusters, each following its own
# family, with desiredCount DESIRED; a README at the root.
gen_repo() {
	python3 - "$1" "$2" "$FAMILIES" "$SERVICES" "$CLUSTERS" "$IMAGE" <<'PY'
import json, os, sys
root, desired, families, services, clusters, image = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
forever = "trap 'exit 0' TERM; while :; do sleep 0.2; done"
os.makedirs(os.path.join(root, "taskdefs"))
with open(os.path.join(root, "README.md"), "w") as f:
    f.write("# generated infra\n\nrsync -rt --delete infra/ /ecs/spec/\n")
for i in range(families):
    fam = "app-%03d" % i
    doc = {
        "family": fam,
        "containerDefinitions": [
            {"name": "app", "image": image, "essential": True, "memory": 32, "cpu": 64,
             "command": ["sh", "-c", forever],
             "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
             "environment": [{"name": "FAMILY", "value": fam},
                             {"name": "LOG_LEVEL", "value": "info"}],
             "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 30,
                             "timeout": 5, "retries": 3, "startPeriod": 10},
             "stopTimeout": 5},
            {"name": "sidecar", "image": image, "essential": False, "memory": 16,
             "command": ["sh", "-c", forever],
             "dependsOn": [{"containerName": "app", "condition": "START"}]},
        ],
        "tags": [{"key": "team", "value": "team-%d" % (i % 7)}],
    }
    if i < services:
        # the families services run: one container, no health check, and no
        # port (awsvpc publishes containerPort on the host: only one task
        # of the 50 could hold 8080)
        doc["containerDefinitions"] = doc["containerDefinitions"][:1]
        del doc["containerDefinitions"][0]["healthCheck"]
        del doc["containerDefinitions"][0]["portMappings"]
    with open(os.path.join(root, "taskdefs", fam + ".json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
for c in range(clusters):
    d = os.path.join(root, "clusters", "c%d" % c, "services")
    os.makedirs(d)
    with open(os.path.join(root, "clusters", "c%d" % c, "cluster.json"), "w") as f:
        json.dump({"settings": [{"name": "containerInsights", "value": "enabled"}]}, f, indent=2)
        f.write("\n")
for s in range(services):
    doc = {"taskDefinition": "app-%03d" % s, "desiredCount": desired,
           "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                                       "deploymentCircuitBreaker": {"enable": True,
                                                                    "rollback": True}}}
    with open(os.path.join(root, "clusters", "c%d" % (s % clusters), "services",
                           "svc-%03d.json" % s), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
PY
}

# clock: seconds since the epoch, microseconds
clock() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# timed CMD...: run CMD (its output discarded), print its wall time in seconds
timed() {
	local t0
	t0=$(clock)
	"$@" >/dev/null 2>&1
	since "$t0"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v e="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", e / t; else print "-" }'; }

# check_applied SPEC: the tree holds the whole repository, and re-applying
# it sends nothing
check_applied() {
	local spec=$1 sent
	sent=$(rsync -rt --delete --itemize-changes "$REPO/" "$spec/")
	[[ -z $sent ]] || die "a re-apply to $spec still sends: $(head -n 3 <<<"$sent")"
	diff -r "$REPO" "$spec" >/dev/null || die "diff -r $REPO $spec shows drift"
}

REPO=$TMP/infra
gen_repo "$REPO" 0
NFILES=$(find "$REPO" -type f | wc -l)
BYTES=$(du -sb "$REPO" | cut -f1)

# --- tmpfs ---------------------------------------------------------------
if [[ $EUID -eq 0 ]] && mkdir "$TMP/tmpfs" &&
	mount -t tmpfs -o size=256m,mode=0755 ecsfs-bench "$TMP/tmpfs"; then
	TMPFS_DIR=$TMP/tmpfs
	TMPFS_MOUNTED=1
elif [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
	TMPFS_DIR=$(mktemp -d /dev/shm/ecsfs-bench.XXXXXX)
else
	die "cannot mount a tmpfs (not root) and /dev/shm is not tmpfs"
fi

echo "GitOps apply: $FAMILIES task definitions + $SERVICES services in $CLUSTERS clusters" \
	"($NFILES files, $BYTES bytes), rsync $(rsync --version | awk 'NR == 1 { print $3 }')," \
	"$(nproc) CPUs, kernel $(uname -r)"
echo
echo "Part 1: every service at desiredCount 0 (no container runs: the figures are the"
echo "filesystem, validation and the durable store); $REPEAT runs, each on a fresh"
echo "mount and a fresh tmpfs directory; medians"

e_apply='' e_noop='' e_diff='' t_apply='' t_noop='' t_diff='' d_apply=''
for ((run = 1; run <= REPEAT; run++)); do
	dst=$TMPFS_DIR/run$run
	mkdir "$dst"
	t_apply="$t_apply $(timed rsync -rt --delete "$REPO/" "$dst/")"
	t_noop="$t_noop $(timed rsync -rt --delete "$REPO/" "$dst/")"
	t_diff="$t_diff $(timed diff -r "$REPO" "$dst")"
	check_applied "$dst"
	rm -rf "$dst"
	# the disk the state directories are on ($TMP), every file synced
	dst=$TMP/disk$run
	mkdir "$dst"
	sync
	d_apply="$d_apply $(timed rsync -rt --delete --fsync "$REPO/" "$dst/")"
	check_applied "$dst"
	rm -rf "$dst"

	fresh_ecsfs
	e_apply="$e_apply $(timed rsync -rt --delete "$REPO/" "$MNT/spec/")"
	e_noop="$e_noop $(timed rsync -rt --delete "$REPO/" "$MNT/spec/")"
	e_diff="$e_diff $(timed diff -r "$REPO" "$MNT/spec")"
	check_applied "$MNT/spec"
	n=$(ls "$MNT/taskdefs" | wc -l)
	((n == FAMILIES)) || die "$n families registered, not $FAMILIES"
	n=$(cat "$MNT"/clusters/*/status | awk '$1 == "services:" { s += $2 } END { print s }')
	((n == SERVICES)) || die "$n services, not $SERVICES"
	[[ $(wc -l <"$MNT/errors") == 0 ]] || die "refusals: $(head -n 3 "$MNT/errors")"
	stop_ecsfs
done

row() { # row LABEL ECSFS_TIMES OTHER_TIMES
	local e t
	e=$(median <<<"$2")
	t=$(median <<<"$3")
	printf '  %-34s %9.3f s %9.3f s %8s\n' "$1" "$e" "$t" "$(ratio "$e" "$t")"
}
printf '  %-34s %11s %11s %8s\n' "" "ecsfs" "tmpfs" "ratio"
row "rsync -rt --delete (apply)" "$e_apply" "$t_apply"
row "rsync -rt --delete (no-op re-apply)" "$e_noop" "$t_noop"
row "diff -r (drift check)" "$e_diff" "$t_diff"
printf '  %-34s %11s %11s %8s\n' "" "ecsfs" "disk" "ratio"
row "apply vs rsync --fsync to the disk" "$e_apply" "$d_apply"
awk -v n="$NFILES" -v e="$(median <<<"$e_apply")" \
	'BEGIN { if (e > 0) printf "  apply: %.0f files/s through ecsfs (each validated and durable before its rename returns)\n", n / e }'
echo "  runs (apply, ecsfs):$e_apply"
echo "  runs (apply, tmpfs):$t_apply"
echo "  runs (apply --fsync, disk):$d_apply"

# --- part 2: 50 services x desiredCount 1 -----------------------------------
if [[ $RUNNING == 0 ]]; then
	echo
	echo "Part 2 skipped (BENCH_RUNNING=0)"
	exit 0
fi
if ! curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping | grep -q OK; then
	echo
	echo "Part 2 skipped: no Docker engine at /var/run/docker.sock"
	exit 0
fi
(. "$HERE/../mount/lib.sh" && ensure_busybox_image) || die "cannot make $IMAGE"

REPO=$TMP/infra1
gen_repo "$REPO" 1
mkdir "$TMP/empty"

# running N: how many services report running_count 1
running() {
	cat "$MNT"/clusters/*/services/*/status 2>/dev/null | grep -cx 'running_count: 1' || true
}
# containers: how many containers of this state directory the engine has
containers() { docker ps -aq --filter "label=ecsfs.instance=$(instance_id)" | wc -l; }

fresh_ecsfs
t_apply1=$(timed rsync -rt --delete "$REPO/" "$MNT/spec/")
t0=$(clock)
deadline=$((SECONDS + 300))
while (($(running) < SERVICES)); do
	((SECONDS < deadline)) || die "after 300 s only $(running) of $SERVICES services run"
	sleep 0.2
done
t_run=$(since "$t0")
t_noop1=$(timed rsync -rt --delete "$REPO/" "$MNT/spec/")
check_applied "$MNT/spec"
n_ctr=$(containers)
t0=$(clock)
rsync -rt --delete "$TMP/empty/" "$MNT/spec/"
t_rm=$(since "$t0")
deadline=$((SECONDS + 300))
while [[ -n $(ls "$MNT/clusters") || $(containers) != 0 ]]; do
	((SECONDS < deadline)) || die "after 300 s the prune has not finished: $(containers) containers"
	sleep 0.2
done
t_prune=$(since "$t0")
stop_ecsfs

echo
echo "Part 2: the same $SERVICES services at desiredCount 1 (one busybox container each,"
echo "plus its pause container: $n_ctr containers in the engine)"
printf '  %-54s %9.3f s\n' "rsync -rt --delete (apply)" "$t_apply1"
printf '  %-54s %9.3f s\n' "then until all $SERVICES services report running_count 1" "$t_run"
printf '  %-54s %9.3f s\n' "rsync -rt --delete (no-op re-apply, $SERVICES running)" "$t_noop1"
printf '  %-54s %9.3f s\n' "rsync -rt --delete of an empty repository" "$t_rm"
printf '  %-54s %9.3f s\n' "then until no cluster and no container is left" "$t_prune"
