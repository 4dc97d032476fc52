#!/usr/bin/env bash
# Concurrent writers to one service's control file and spec file, then a
# full state disk: the state directory is a small tmpfs. Writers: every
# write is answered, both trees agree at the end on a value one of them
# wrote last. Full disk: changes fail cleanly with ENOSPC (never EIO),
# nothing acknowledged is lost, reads go on, the daemon lives; once space
# returns changes are taken again, and a restart finds everything the
# daemon acknowledged. Nothing runs: the service has no task definition.
. "$(dirname "$0")/lib_chaos.sh"
enospc_cleanup() {
	task_cleanup
	cleanup_mnt_first
}
# the daemon's mount goes before its state directory's tmpfs
cleanup_mnt_first() {
	[ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	is_mounted "$MNT" && fusermount3 -uz "$MNT" 2>/dev/null
	grep -q " $STATE tmpfs" /proc/self/mounts && umount -l "$STATE"
	cleanup
}
trap enospc_cleanup EXIT
need_docker
SIZE_MB=$(size 24 48)
WRITERS=$(size 8 16)
WRITES=$(size 40 62) # WRITERS x WRITES values, all within 0..1000
mkdir -p "$STATE"
mount -t tmpfs -o size=${SIZE_MB}m,mode=0700 tmpfs "$STATE"
ok $? "the state directory is a ${SIZE_MB} MiB tmpfs"
start_daemon || exit 1
mkdir "$MNT/clusters/prod" "$MNT/clusters/prod/services/cw"
ok $? "service cw (no task definition: nothing runs)"
LIVE=$MNT/clusters/prod/services/cw/desired_count
SPEC=$MNT/spec/clusters/prod/services/cw.json

# ---- concurrent writers ----
n0=$(errors_count)
t0=$(now_ms)
$PY "$CHAOS_DIR/writers.py" "$LIVE" "$SPEC" "$WRITERS" "$WRITES" >"$T/writes"
ms=$(($(now_ms) - t0))
total=$((WRITERS * WRITES))
is "$(grep -c ' ok$' "$T/writes")" "$total" "all $total writes of $WRITERS concurrent writers were taken"
grep -v ' ok$' "$T/writes" | head -n 5 | sed 's/^/#   /'
is "$(errors_count)" "$n0" "no errors line"
live=$(cat "$LIVE")
spec=$(jget "$SPEC" 'd["desiredCount"]')
desc=$(jget "$MNT/clusters/prod/services/cw/service.json" 'd["desiredCount"]')
is "$spec/$desc" "$live/$live" "desired_count, the spec file and service.json agree ($live)"
# one of the last writes (each writer has at most one in flight) is the value
tail -n "$WRITERS" "$T/writes" | awk '{print $2}' | grep -qx "$live"
ok $? "the value is one of the last $WRITERS writes to return"
figure writers_writes "$total"
figure writers_per_second "$((total * 1000 / (ms > 0 ? ms : 1)))"

# ---- a full state disk ----
# fill it to the last block, then give back a little: the store has room
# for a few changes before it is full
dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null
truncate -s -$((256 * 1024)) "$STATE/filler"
echo "# free: $(df -k --output=avail "$STATE" | tail -n 1) KiB"
# a task definition of ~8 KiB, distinct per family
td() {
	$PY -c 'import json, sys
print(json.dumps({"family": sys.argv[1], "containerDefinitions": [{"name": "app",
  "image": "x", "memory": 32, "environment": [{"name": "PAD%d" % i, "value": "v" * 80}
  for i in range(80)]}]}))' "$1"
}
acked=() first_full= eio=0 other=0 full=0
for i in $(seq 200); do
	td "f$i" >"$T/td.json"
	out=$(cp "$T/td.json" "$MNT/spec/taskdefs/f$i.json" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		acked+=("f$i")
	elif printf '%s' "$out" | grep -q "No space left on device"; then
		full=$((full + 1))
		[ -n "$first_full" ] || first_full=$i
		[ "$full" -ge 5 ] && break
	elif printf '%s' "$out" | grep -q "Input/output error"; then
		eio=$((eio + 1))
	else
		other=$((other + 1))
		echo "# f$i: $out"
	fi
done
ok "$([ -n "$first_full" ]; echo $?)" "registrations fail with ENOSPC once the disk is full (from f$first_full, after ${#acked[@]} taken)"
is "$eio" 0 "none failed with EIO"
is "$other" 0 "none failed otherwise"
daemon_alive
ok $? "the daemon is alive with its disk full"
# then to the last block, and one change of every kind: taken or ENOSPC
dd if=/dev/zero of="$STATE/filler2" bs=4k 2>/dev/null
mkdir -p "$MNT/spec/clusters/prod/schedules" "$MNT/spec/clusters/prod/scaling"
kind_eio=0
while read -r path doc; do
	res=$($PY "$CHAOS_DIR/chaos_io.py" write "$MNT/$path" "$doc")
	echo "# disk full: $path: $res"
	case $res in ok | "err ENOSPC") ;; *) kind_eio=$((kind_eio + 1)) ;; esac
done <<'DOCS'
spec/clusters/prod/cluster.json {"settings": [{"name": "containerInsights", "value": "enabled"}]}
spec/clusters/prod/services/cw.json {"desiredCount": 3, "deploymentConfiguration": {"maximumPercent": 150}}
spec/clusters/prod/schedules/nightly.json {"ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "DISABLED", "Target": {"EcsParameters": {"TaskDefinitionArn": "f1"}}}
spec/clusters/prod/scaling/cw.json {"MinCapacity": 0, "MaxCapacity": 0}
spec/targetgroups/full.json {"Protocol": "HTTP", "Port": 8080, "TargetType": "ip"}
clusters/prod/services/cw/task_definition f1
secrets/full s3cret
DOCS
is "$kind_eio" 0 "with the disk full, a change of each kind is taken or ENOSPC, never EIO"
live=$(cat "$LIVE")
res=$($PY "$CHAOS_DIR/chaos_io.py" write "$LIVE" "7
")
[ "$res" = ok ] && live=7
like "$res" "^(ok|err ENOSPC)$" "a write to desired_count with the disk full is taken or ENOSPC ($res)"
is "$(cat "$LIVE")" "$live" "desired_count reads the value last acknowledged"
# acked_there: every acknowledged registration reads back, and desired_count
acked_there() {
	local f missing=0
	for f in "${acked[@]}"; do
		test -f "$MNT/taskdefs/$f/1.json" || missing=$((missing + 1))
	done
	is "$missing" 0 "$1: all ${#acked[@]} acknowledged registrations read back"
	is "$(cat "$LIVE")" "$live" "$1: desired_count reads $live"
}
acked_there "disk full"
test ! -e "$MNT/taskdefs/f$first_full"
ok $? "the refused one is not there"
stop_daemon
ok $? "the daemon stops cleanly with its disk full"
start_daemon || exit 1
acked_there "restarted on a full disk"

taken_full=${#acked[@]}
rm "$STATE/filler" "$STATE/filler2"
td again >"$T/td.json"
cp "$T/td.json" "$MNT/spec/taskdefs/again.json"
ok $? "with space back, a registration is taken"
is "$($PY "$CHAOS_DIR/chaos_io.py" write "$LIVE" "5
")" ok "and a write to desired_count"
acked+=(again)
live=5
stop_daemon
ok $? "the daemon stops cleanly"
start_daemon || exit 1
acked_there "space back, restarted"
is "$(sqlite3 "file:$STATE/state.db?mode=ro" 'PRAGMA integrity_check')" ok "the store passes sqlite's integrity check"
figure enospc_taken_before_full "$taken_full"
figure enospc_refusals "$full"
no_containers_left
done_testing
