#!/usr/bin/env bash
# The daemon's command line and life cycle (DESIGN §6).
. "$(dirname "$0")/lib.sh"

out=$("$ECSFS" --version)
ok $? "--version exits 0"
like "$out" "^ecsfs [0-9]+\.[0-9]+\.[0-9]+$" "and prints the version"
out=$("$ECSFS" -h)
like "$out" "--state DIR" "-h prints the summary"
out=$("$ECSFS" 2>&1)
is "$?" "2" "no mount point: exit 2"
like "$out" "MOUNTPOINT is required" "with a message"
out=$("$ECSFS" --bogus x 2>&1)
is "$?" "2" "an unknown option: exit 2"
out=$("$ECSFS" --region EU "$T/none" 2>&1)
is "$?" "2" "a bad --region: exit 2"
like "$out" "region 'EU' must be" "with a message"
out=$("$ECSFS" --account-id 42 "$T/none" 2>&1)
is "$?" "2" "a bad --account-id: exit 2"

start_daemon --docker unix://$T/no-docker.sock
ok $? "foreground daemon mounts"
mkdir "$MNT/clusters/one"

# one daemon per state directory
out=$(timeout 20 "$ECSFS" -f --state "$STATE" "$T/other" 2>&1)
rc=$?
ok $(( rc == 0 )) "a second daemon on the same state refuses to start"
like "$out" "in use by another ecsfs daemon \(pid $DAEMON_PID\)" "saying which daemon holds it"
# and one daemon per mount point
out=$(timeout 20 "$ECSFS" -f --state "$T/state2" "$MNT" 2>&1)
ok $(( $? == 0 )) "a second daemon on a served mount point refuses"
like "$out" "already mounted by a running ecsfs" "saying why"

# SIGTERM with files still open: exits 0 (and, sanitized, leaks nothing)
exec 3<"$MNT/errors" 4<"$MNT/clusters"
stop_daemon
ok $? "SIGTERM with open files: exit 0"
exec 3<&- 4<&-
start_daemon --docker unix://$T/no-docker.sock

# SIGINT also unmounts cleanly
kill -INT "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" "0" "SIGINT: exit 0"
DAEMON_PID=
is_mounted "$MNT"
ok $(( $? == 0 )) "and the mount is gone"

# a killed daemon leaves a stale mount; the next start recovers it
start_daemon --docker unix://$T/no-docker.sock
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
out=$(stat "$MNT" 2>&1)
like "$out" "Transport endpoint is not connected" "kill -9 leaves a stale mount"
start_daemon --docker unix://$T/no-docker.sock
ok $? "the next start recovers it"
like "$(cat "$LOG")" "stale mount" "and says so in its log"
is "$(ls "$MNT/clusters")" "one" "with the state intact"
stop_daemon

# background mode: returns once mounted, logs to the state directory
"$ECSFS" --state "$STATE" --docker unix://$T/no-docker.sock "$MNT"
is "$?" "0" "background start exits 0"
is_mounted "$MNT"
ok $? "and the mount is up when it returns"
pid=$(head -n 1 "$STATE/lock")
kill -0 "$pid"
ok $? "the daemon runs in the background (pid in the lock file)"
is "$(ls "$MNT/clusters")" "one" "and serves the tree"
like "$(cat "$MNT/clusters/one/cluster.json")" '"arn:aws:ecs:us-east-1:000000000000:cluster/one"' \
	"ARNs carry the default region and account"
wait_for 10 grep -q "serving $MNT" "$STATE/ecsfs.log"
ok $? "its log is in the state directory"
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_for 20 gone
ok $? "SIGTERM stops it"
is_mounted "$MNT"
ok $(( $? == 0 )) "and unmounts"

# --region and --account-id go into every ARN
start_daemon --docker unix://$T/no-docker.sock --region eu-west-3 --account-id 123456789012
like "$(cat "$MNT/clusters/one/cluster.json")" '"arn:aws:ecs:eu-west-3:123456789012:cluster/one"' \
	"--region and --account-id are in ARNs"
like "$(cat "$MNT/clusters/one/status")" "arn: arn:aws:ecs:eu-west-3:123456789012:cluster/one" \
	"and in status"
stop_daemon

# an external unmount ends the daemon
start_daemon --docker unix://$T/no-docker.sock
fusermount3 -u "$MNT"
wait "$DAEMON_PID"
is "$?" "0" "fusermount3 -u: the daemon exits 0"
DAEMON_PID=

# mount options pass through to FUSE
start_daemon --docker unix://$T/no-docker.sock -o allow_other
ok $? "-o allow_other mounts"
grep " $MNT fuse" /proc/self/mounts | grep -q allow_other
ok $? "and is in effect"
stop_daemon
out=$(timeout 20 "$ECSFS" -f --state "$STATE" -o no_such_option "$MNT" 2>&1)
ok $(( $? == 0 )) "an unknown -o option is refused"

# a relative mount point and a missing one are fine; a relative state too
rm -rf "$T/rel"
(cd "$T" && "$ECSFS" --state "${STATE#$T/}" --docker unix://$T/no-docker.sock rel)
ok $? "a relative, missing mount point is created and mounted"
is_mounted "$T/rel"
ok $? "at its absolute path"
is "$(ls "$T/rel/clusters")" "one" "a relative --state in the background is the same state"
pid=$(head -n 1 "$STATE/lock")
kill -TERM "$pid"
wait_for 20 gone
ok $? "and stops"

done_testing
