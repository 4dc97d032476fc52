# Shared helpers of the chaos tests: the mount tests' lib.sh (one daemon,
# real FUSE, real Docker, TAP), the size of a run, figures as TAP comments,
# kill -9 and restart, and a Docker engine of the test's own.
. "$(dirname "$0")/../mount/lib.sh"
CHAOS_DIR=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

# ECSFS_CHAOS_LONG=1: the long mode (more rounds, more documents); the
# default is the size CI runs.
if [ "${ECSFS_CHAOS_LONG:-0}" = 1 ]; then
	CHAOS_LONG=1
else
	CHAOS_LONG=0
fi
# size CI LONG: the number for this mode
size() { if [ "$CHAOS_LONG" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# figure NAME VALUE [UNIT]: one measured figure, as a TAP comment
figure() { echo "# figure: $1 = $2${3:+ $3}"; }

# now_ms: the monotonic clock in milliseconds
now_ms() { $PY -c 'import time; print(int(time.monotonic() * 1000))'; }

# kill9_daemon: kill -9 the daemon and reap it; its mount is left stale
kill9_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# daemon_alive: the daemon runs and its mount answers
daemon_alive() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null && serving "$MNT"; }

# ---- a Docker engine of this test's own (ecsfs-c1, 10.211.0.0/16) ----
# The main engine at /var/run/docker.sock is never stopped: a test that
# needs an engine to go away starts this one, and stops only it.
XD=$T/dockerd
XD_SOCK=$XD/docker.sock
XD_PID=
XD_BRIDGE=ecsfs-c1
XD_LOG=$T/dockerd.log

xd() { docker -H "unix://$XD_SOCK" "$@"; }
xd_answers() { curl -s --max-time 5 --unix-socket "$XD_SOCK" http://d/_ping 2>/dev/null | grep -q OK; }

# The engine has no --default-address-pool: dockerd 20.10, started again on a
# data-root that holds its default "bridge" network, deletes the host's
# docker0 when a default pool is configured (and live-restore is off), which
# breaks the main engine. The task networks come from the daemon's
# --task-subnet (XD_TASK_SUBNET) instead, and the bridge has its own address.
XD_TASK_SUBNET=10.211.128.0/17

# xd_start: start (or start again) the extra engine; wait until it answers
xd_start() {
	mkdir -p "$XD/data" "$XD/exec"
	engine_bridge "$XD_BRIDGE" 10.211.0.1/24 || return 1
	dockerd --data-root "$XD/data" --exec-root "$XD/exec" -H "unix://$XD_SOCK" \
		--pidfile "$XD/docker.pid" --bridge "$XD_BRIDGE" --iptables=false \
		--ip-masq=false \
		>>"$XD_LOG" 2>&1 &
	XD_PID=$!
	wait_for 60 xd_answers
}

# xd_stop: stop the extra engine (SIGTERM, bounded wait, then SIGKILL)
xd_stop() {
	engine_term "$XD_PID"
	XD_PID=
}

# xd_cleanup: the extra engine, its containers, mounts and bridge go
xd_cleanup() {
	local ids
	if [ -n "$XD_PID" ] && xd_answers; then
		ids=$(xd ps -aq)
		[ -n "$ids" ] && xd rm -f $ids >/dev/null 2>&1
	fi
	xd_stop
	engine_unmount "$XD"
	ip link del "$XD_BRIDGE" 2>/dev/null
	return 0
}
