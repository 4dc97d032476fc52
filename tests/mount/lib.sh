# Shared helpers of the mount tests: a real daemon on a temporary mount
# point, driven by ordinary tools; results in TAP.
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
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() { # like GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got: %s\n#   not matching: %s\n' "$(printf '%s' "$1" | head -c 600)" "$2"
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

# start_daemon [extra ecsfs options...]: start on $MNT with $STATE, wait for the mount
start_daemon() {
	mkdir -p "$MNT" 2>/dev/null
	"$ECSFS" -f --state "$STATE" "$@" "$MNT" >>"$LOG" 2>&1 &
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
