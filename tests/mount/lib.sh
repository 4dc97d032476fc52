# Shared helpers of the mount tests: a real daemon on a temporary mount
# point, driven by ordinary tools; results in TAP.
#
# .ci/test runs the mount and chaos tests of its two builds side by side
# (never one file beside itself), so a test keeps to what is its own: its
# ports (API, listeners, published, engines') used by no other test file,
# its bridges and engines, and asserts about the engine only through its
# state directory's instance label (instance_id, engine_ids).
set -u

ECSFS=${ECSFS:-$(cd "$(dirname "$0")/../.." && pwd)/build/fs/ecsfs}
T=$(mktemp -d /tmp/ecsfs-test.XXXXXX)
MNT=$T/mnt
STATE=$T/state
LOG=$T/daemon.log
DAEMON_PID=
tap_n=0
tap_failed=0

ok() { # ok STATUS DESCRIPTION  (STATUS 0 is a pass)
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		# every line a TAP comment, even of a value that spans lines
		printf 'got:  %s\nwant: %s\n' "$1" "$2" | sed 's/^/#   /'
	fi
}

like() { # like GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'got: %s\nnot matching: %s\n' "$(printf '%s' "$1" | head -c 600)" "$2" |
			sed 's/^/#   /'
	fi
}

# wait_for TIMEOUT_S COMMAND...: poll until COMMAND succeeds (bounded).
wait_for() {
	local limit=$(($1 * 20)) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.05
	done
	return 0
}

is_mounted() { grep -q " $1 fuse" /proc/self/mounts; }
# serving DIR: an ecsfs answers there (a stale mount is in /proc too, but does not answer)
serving() { is_mounted "$1" && test -e "$1/README"; }

# start_daemon [extra ecsfs options...]: start on $MNT with $STATE, wait for the mount.
# The tests' expected ARNs carry region "local" (t_daemon.sh checks the default).
start_daemon() {
	mkdir -p "$MNT" 2>/dev/null
	"$ECSFS" -f --state "$STATE" --region local --api off "$@" "$MNT" >>"$LOG" 2>&1 &
	DAEMON_PID=$!
	if ! wait_for 20 serving "$MNT"; then
		echo "# daemon did not mount; its log:"
		sed 's/^/#   /' "$LOG"
		return 1
	fi
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	return $rc
}

cleanup() {
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	for m in $(grep -o " $T/[^ ]*" /proc/self/mounts | tr -d ' '); do
		fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# errors_count: lines in /ecs/errors now
errors_count() { wc -l <"$MNT/errors"; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# ---- tasks on the real Docker engine (t_task*.sh) ----
# A test that runs containers calls need_docker and ensure_busybox_image
# first, records the ids of the tasks it starts (run_task does), and ends
# with stop_all_tasks and no_containers_left. Its trap is
# `trap 'task_cleanup; cleanup' EXIT`: whatever happened, no container or
# volume of this state directory outlives the test.

DOCKER_SOCK=/var/run/docker.sock
BUSYBOX_IMAGE=ecsfs-busybox:latest
# bump when the list of applets or the files of the image change
BUSYBOX_IMAGE_REV=2
BUSYBOX_APPLETS="sh ash echo sleep cat ls wget nc httpd true false env id pwd grep
	kill hostname mkdir touch test [ printf seq head tail wc ip ps rm date sed awk
	md5sum stat cut tr expr uname whoami usleep timeout mount df sort uniq"
# A long-running command that exits 0 at once on SIGTERM (a shell as PID 1
# ignores signals it has no handler for).
LONG="trap 'exit 0' TERM; sleep 3600 & wait"

docker_answers() {
	curl -s --max-time 5 --unix-socket "$DOCKER_SOCK" http://d/_ping 2>/dev/null | grep -q OK
}

# need_docker: without an engine, skip the whole test, or fail it when
# ECSFS_REQUIRE_DOCKER=1 (CI, where an engine must be there).
need_docker() {
	docker_answers && return 0
	if [ "${ECSFS_REQUIRE_DOCKER:-0}" = 1 ]; then
		echo "not ok 1 - a Docker engine must answer at $DOCKER_SOCK (ECSFS_REQUIRE_DOCKER=1)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP no docker"
	exit 0
}

# ensure_busybox_image: make $BUSYBOX_IMAGE (Debian's static busybox and
# its applets) unless the engine has this revision of it. No registry is
# reachable, so it is imported from a tar.
ensure_busybox_image() {
	local have root a
	have=$(docker image inspect -f '{{index .Config.Labels "ecsfs.test-image"}}' \
		"$BUSYBOX_IMAGE" 2>/dev/null)
	[ "$have" = "$BUSYBOX_IMAGE_REV" ] && return 0
	[ -x /bin/busybox ] || { echo "# /bin/busybox missing (package busybox-static)"; return 1; }
	root=$T/busybox-root
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" || return 1
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox" || return 1
	for a in $BUSYBOX_APPLETS; do
		ln -sf busybox "$root/bin/$a" || return 1
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	tar -C "$root" -c . | docker import \
		--change "LABEL ecsfs.test-image=$BUSYBOX_IMAGE_REV" \
		--change 'ENV PATH=/bin' \
		--change 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null
	rm -rf "$root"
	have=$(docker image inspect -f '{{index .Config.Labels "ecsfs.test-image"}}' \
		"$BUSYBOX_IMAGE" 2>/dev/null)
	[ "$have" = "$BUSYBOX_IMAGE_REV" ]
}

# instance_id: the id of this state directory, which labels its containers
instance_id() {
	[ -f "$STATE/state.db" ] || return 0
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT value FROM meta WHERE key = 'instance'" 2>/dev/null
}

# engine_ids LABEL=VALUE: ids of the engine's containers with that label
engine_ids() { docker ps -aq --no-trunc --filter "label=$1"; }

# register FAMILY JSON: register a task definition through spec/taskdefs/
register() { printf '%s\n' "$2" >"$MNT/spec/taskdefs/$1.json"; }

# run_task CLUSTER TEXT: write TEXT and a newline to clusters/CLUSTER/run,
# read the new ids back through the same handle; print them, one a line,
# and remember them for task_cleanup. Fails as the write or the read does.
run_task() {
	python3 - "$MNT/clusters/$1/run" "$2" <<'PY' | tee -a "$T/task-ids"
import sys
with open(sys.argv[1], "r+") as f:
    f.write(sys.argv[2] + "\n")
    f.seek(0)
    sys.stdout.write(f.read())
PY
	return "${PIPESTATUS[0]}"
}

# remember_tasks CLUSTER: add every task id of the cluster to the cleanup list
remember_tasks() { ls "$MNT/clusters/$1/tasks" >>"$T/task-ids" 2>/dev/null; }

# jget FILE EXPR: a python expression over the JSON document d of FILE
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# skey FILE KEY: the value of "KEY: value" in a status file
skey() { sed -n "s/^$2: //p" "$1" 2>/dev/null; }

# task_is CLUSTER ID STATUS: the task's last_status is STATUS
task_is() { grep -qx "last_status: $3" "$MNT/clusters/$1/tasks/$2/status"; }

# wait_task TIMEOUT CLUSTER ID STATUS: bounded wait for a task's last_status
wait_task() { wait_for "$1" task_is "$2" "$3" "$4"; }

# ctr_is CLUSTER ID CONTAINER STATUS: a container's last_status is STATUS
ctr_is() { grep -qx "last_status: $4" "$MNT/clusters/$1/tasks/$2/containers/$3/status"; }

# log_has FILE REGEX: FILE has a line matching REGEX
log_has() { grep -Eq -- "$2" "$1"; }

# runtime_id CLUSTER ID CONTAINER: the container's runtimeId in task.json
runtime_id() {
	jget "$MNT/clusters/$1/tasks/$2/task.json" \
		"[c.get('runtimeId', '') for c in d['containers'] if c['name'] == '$3'][0]"
}

# stop_all_tasks CLUSTER [TIMEOUT]: stop every task of the cluster that is
# not stopping yet, through its stop file; wait until all are STOPPED.
stop_all_tasks() {
	local c=$1 limit=${2:-60} id
	for id in $(ls "$MNT/clusters/$c/tasks" 2>/dev/null); do
		grep -qx 'desired_status: RUNNING' "$MNT/clusters/$c/tasks/$id/status" 2>/dev/null &&
			echo test-done >"$MNT/clusters/$c/tasks/$id/stop"
	done
	wait_for "$limit" all_stopped "$c"
}
all_stopped() {
	local id
	for id in $(ls "$MNT/clusters/$1/tasks"); do
		task_is "$1" "$id" STOPPED || return 1
	done
}

# no_containers_left: the test's closing assert on the engine
no_containers_left() {
	local inst left=
	inst=$(instance_id)
	[ -n "$inst" ] && left=$(engine_ids "ecsfs.instance=$inst"; docker volume ls -q --filter "label=ecsfs.instance=$inst")
	is "$left" "" "no container or volume of this state directory is left in the engine"
	[ -n "$inst" ]
	ok $? "(the state directory's instance id is known: $inst)"
}

# hap_cleanup: HAProxy outlives the daemon (on purpose), so stop the ones
# this test's state directory started, by the pids their driver recorded;
# and the background client ($CLIENT) and port holder ($HOLDER) a
# load-balancer test may have left running.
hap_cleanup() {
	local f p
	for f in "$STATE"/haproxy/*.pid; do
		[ -f "$f" ] || continue
		p=$(head -n1 "$f" 2>/dev/null)
		case "$p" in '' | *[!0-9]*) continue ;; esac
		grep -qa haproxy "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	[ -n "${CLIENT:-}" ] && kill "$CLIENT" 2>/dev/null
	return 0
}

# ---- extra Docker engines, standing for other hosts (tests start their own
# dockerd with its own data-root, exec-root, socket, pid file and bridge) ----

# engine_bridge BRIDGE ADDRESS/PREFIX: the engine's bridge, made once
engine_bridge() {
	ip link show "$1" >/dev/null 2>&1 && return 0
	ip link add "$1" type bridge && ip addr add "$2" dev "$1" && ip link set "$1" up
}

# engine_term PID: SIGTERM, at most 30 s for it to go, then SIGKILL (PID is
# a child of this shell: its status is collected)
engine_term() {
	local i
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# engine_unmount DIR: what a stopped engine left mounted below DIR
engine_unmount() {
	local m
	for m in $(grep -o " $1/[^ ]*" /proc/self/mounts | tr -d ' ' | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# task_cleanup: stop the daemon (bounded), then force-remove every
# container and volume of the tasks this test started, so that a failing
# test leaks nothing into the next one.
task_cleanup() {
	local i inst ids vols nets
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
	docker_answers || return 0
	inst=$(instance_id)
	ids=$( (
		[ -n "$inst" ] && engine_ids "ecsfs.instance=$inst"
		[ -f "$T/task-ids" ] && sort -u "$T/task-ids" | while read -r i; do
			[ -n "$i" ] && engine_ids "ecsfs.task=$i"
		done
	) | sort -u)
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	vols=$( (
		[ -n "$inst" ] && docker volume ls -q --filter "label=ecsfs.instance=$inst"
		[ -f "$T/task-ids" ] && sort -u "$T/task-ids" | while read -r i; do
			[ -n "$i" ] && docker volume ls -q --filter "label=ecsfs.task=$i"
		done
	) | sort -u)
	[ -n "$vols" ] && docker volume rm -f $vols >/dev/null 2>&1
	# the cluster networks of awsvpc tasks (left when a cluster was not deleted)
	nets=$([ -n "$inst" ] && docker network ls -q --filter "label=ecsfs.instance=$inst")
	[ -n "$nets" ] && docker network rm $nets >/dev/null 2>&1
	return 0
}

# dump_tasks CLUSTER: every task's status and the engine's containers, as
# TAP comments (called at the end of a test that failed, to see why)
dump_tasks() {
	local id
	for id in $(ls "$MNT/clusters/$1/tasks" 2>/dev/null); do
		echo "# --- task $id"
		sed 's/^/#   /' "$MNT/clusters/$1/tasks/$id/status" 2>&1
	done
	echo "# --- engine containers of this state directory"
	docker ps -a --filter "label=ecsfs.instance=$(instance_id)" \
		--format '{{.Names}} {{.Status}} {{.Label "ecsfs.container"}}' 2>&1 | sed 's/^/#   /'
	echo "# --- daemon log (last 30 lines)"
	tail -n 30 "$LOG" | sed 's/^/#   /'
}

# ---- services (t_service*.sh) ----
# A service test registers its families with register, drives
# clusters/<c>/services/<s>/ and spec/clusters/<c>/services/, and ends by
# scaling every service to 0 (svc_drain), remember_tasks, and the two
# closing asserts (no_task_containers_left, no_containers_left).

# FOREVER: a container command that runs until SIGTERM and exits 0 at once
FOREVER="trap 'exit 0' TERM; while :; do sleep 0.2; done"

# svc_file CLUSTER SERVICE FILE: the path of a live file of the service
svc_file() { echo "$MNT/clusters/$1/services/$2/$3"; }

# svc_key CLUSTER SERVICE KEY: the value of "KEY: value" in its status file
svc_key() { skey "$MNT/clusters/$1/services/$2/status" "$3"; }

# svc_ids CLUSTER SERVICE: its tasks that are not STOPPED (tasks/ links)
svc_ids() { ls "$MNT/clusters/$1/services/$2/tasks" 2>/dev/null; }

# svc_at CLUSTER SERVICE N: status says running_count N and pending_count 0,
# and exactly N tasks are listed, each RUNNING
svc_at() {
	local st id n=0
	st=$(cat "$MNT/clusters/$1/services/$2/status" 2>/dev/null) || return 1
	printf '%s\n' "$st" | grep -qx "running_count: $3" || return 1
	printf '%s\n' "$st" | grep -qx "pending_count: 0" || return 1
	for id in $(svc_ids "$1" "$2"); do
		task_is "$1" "$id" RUNNING || return 1
		n=$((n + 1))
	done
	[ "$n" -eq "$3" ]
}

# svc_steady CLUSTER SERVICE N: svc_at, and status says "state: steady"
svc_steady() { svc_at "$@" && [ "$(svc_key "$1" "$2" state)" = steady ]; }

# task_rev CLUSTER ID: "family:revision" of a task
task_rev() { skey "$MNT/clusters/$1/tasks/$2/status" task_definition; }

# svc_all_rev CLUSTER SERVICE FAMILY:REV N: N tasks, all RUNNING, all of that revision
svc_all_rev() {
	local id
	svc_at "$1" "$2" "$4" || return 1
	for id in $(svc_ids "$1" "$2"); do
		[ "$(task_rev "$1" "$id")" = "$3" ] || return 1
	done
}

# svc_events_has CLUSTER SERVICE REGEX: a line of its events matches
svc_events_has() { grep -Eq -- "$3" "$MNT/clusters/$1/services/$2/events"; }

# svc_gone CLUSTER SERVICE: neither the live directory nor the spec file is there
svc_gone() {
	! ls "$MNT/clusters/$1/services" | grep -qx "$2" &&
		test ! -e "$MNT/clusters/$1/services/$2" &&
		test ! -e "$MNT/spec/clusters/$1/services/$2.json"
}

# svc_drain CLUSTER SERVICE [TIMEOUT]: scale to 0 and wait until no task of
# it is left that is not STOPPED
svc_drain() {
	echo 0 >"$MNT/clusters/$1/services/$2/desired_count" || return 1
	wait_for "${3:-60}" svc_empty "$1" "$2"
}
svc_empty() {
	local id
	[ -z "$(svc_ids "$1" "$2")" ] || return 1
	for id in $(ls "$MNT/clusters/$1/tasks"); do
		grep -q "\"group\": \"service:$2\"" "$MNT/clusters/$1/tasks/$id/task.json" 2>/dev/null &&
			{ task_is "$1" "$id" STOPPED || return 1; }
	done
	return 0
}

# svc_deps CLUSTER SERVICE: its deployments from service.json, one a line:
# "id status family:rev rolloutState running failed"
svc_deps() {
	python3 - "$MNT/clusters/$1/services/$2/service.json" <<'PY'
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| grep -q` may stop reading
for d in json.load(open(sys.argv[1]))["deployments"]:
    print(d["id"], d["status"], d["taskDefinition"].rsplit("/", 1)[1],
          d.get("rolloutState"), d["runningCount"], d.get("failedTasks"))
PY
}

# min_sampler CLUSTER SERVICE FILE: in the background (`min_sampler ... &`),
# read the service's status every 20 ms until FILE.stop exists; then write
# to FILE "MIN SAMPLES MAX": the lowest running_count seen, the number of
# samples, and the highest running_count + pending_count seen
min_sampler() {
	python3 - "$MNT/clusters/$1/services/$2/status" "$3" <<'PY'
import os, sys, time
path, out = sys.argv[1], sys.argv[2]
low, high, n = None, 0, 0
# the test's cleanup removes the directory of FILE: stop then too
while not os.path.exists(out + ".stop") and os.path.isdir(os.path.dirname(out)):
    try:
        with open(path) as f:
            kv = dict(l.rstrip("\n").split(": ", 1) for l in f if ": " in l)
        r, p = int(kv["running_count"]), int(kv["pending_count"])
        low = r if low is None else min(low, r)
        high = max(high, r + p)
        n += 1
    except (OSError, KeyError, ValueError):
        pass
    time.sleep(0.02)
if os.path.isdir(os.path.dirname(out)):
    with open(out, "w") as f:
        f.write("%s %d %d\n" % (low, n, high))
PY
}

# no_task_containers_left: for every task id in $T/task-ids, the engine has
# no container labelled with it (one listing of the engine, however many ids)
no_task_containers_left() {
	local n left
	n=$(sort -u "$T/task-ids" 2>/dev/null | grep -c .)
	left=$(docker ps -a --format '{{.Label "ecsfs.task"}} {{.Names}}' |
		awk 'NR == FNR { seen[$1] = 1; next } ($1 in seen)' <(sort -u "$T/task-ids" 2>/dev/null) -)
	is "$left" "" "no container is left of any of the $n tasks this test saw"
}

# never_within SECONDS COMMAND...: COMMAND does not succeed for SECONDS of
# wall-clock time (a "nothing more happens" assert; bounded by the clock,
# not by a count of tries, so a slow COMMAND cannot stretch it)
never_within() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 1
		sleep 0.2
	done
	return 0
}

# docker_suite: how every test that runs containers starts: its containers
# are removed on exit, an engine answers (or the test skips), the busybox
# image exists, a daemon serves $MNT, and cluster prod exists.
docker_suite() {
	trap 'task_cleanup; cleanup' EXIT
	need_docker
	ensure_busybox_image || {
		echo "Bail out! cannot make $BUSYBOX_IMAGE"
		exit 1
	}
	start_daemon || exit 1
	mkdir "$MNT/clusters/prod"
}
