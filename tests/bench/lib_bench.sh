# shellcheck shell=bash
# lib_bench.sh — what the benchmarks that run a daemon on the real engine
# share (sourced by bench_api.sh, bench_service.sh, bench_task.sh): the
# engine check, the daemon's start and instance id, stopping a process, and
# removing what the daemon (and the floor measures) left in the engine.
# The caller sets BENCH (its name in messages), HERE, ECSFS, IMAGE, TMP,
# MNT and STATE first; bench_start_daemon sets ECSFS_PID.

die() {
	echo "$BENCH: $*" >&2
	exit 1
}

# Exit 77 (skipped) without an engine; make the test image as the mount
# tests make it (their lib cleans up after itself).
bench_need_engine() {
	if ! curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping | grep -q OK; then
		echo "$BENCH: no Docker engine at /var/run/docker.sock: skipped"
		exit 77
	fi
	(. "$HERE/../mount/lib.sh" && ensure_busybox_image) || die "cannot make $IMAGE"
}

instance_id() {
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT value FROM meta WHERE key = 'instance'" 2>/dev/null || true
}

stop_pid() { # stop_pid PID: TERM, then KILL after 10 s
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# bench_remove_engine_objects [LABEL]: the daemon's containers (and those
# with LABEL, the floor's), then its clusters' task networks, which go with
# their containers. For the EXIT trap, after the daemon stopped.
bench_remove_engine_objects() {
	local ids inst nets
	inst=$(instance_id)
	ids=$(
		[[ -n ${1:-} ]] && docker ps -aq --filter "label=$1"
		[[ -n $inst ]] && docker ps -aq --filter "label=ecsfs.instance=$inst"
	)
	[[ -n $ids ]] && docker rm -f $ids >/dev/null 2>&1
	nets=$([[ -n $inst ]] && docker network ls -q --filter "label=ecsfs.instance=$inst")
	[[ -n $nets ]] && docker network rm $nets >/dev/null 2>&1
}

# bench_start_daemon SECONDS [OPTION...]: mount $MNT on $STATE (log in
# $TMP/ecsfs.log) and wait up to SECONDS for it to serve.
bench_start_daemon() {
	local i
	mkdir -p "$MNT"
	"$ECSFS" -f --state "$STATE" "${@:2}" "$MNT" >"$TMP/ecsfs.log" 2>&1 &
	ECSFS_PID=$!
	for ((i = 0; i < $1 * 20; i++)); do
		[[ -e $MNT/README ]] && return 0
		kill -0 "$ECSFS_PID" 2>/dev/null || { cat "$TMP/ecsfs.log" >&2; die "ecsfs exited"; }
		sleep 0.05
	done
	[[ -e $MNT/README ]] || { cat "$TMP/ecsfs.log" >&2; die "ecsfs did not mount"; }
}
