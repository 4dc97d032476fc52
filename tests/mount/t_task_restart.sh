#!/usr/bin/env bash
# Tasks outlive their daemon: after kill -9 or SIGTERM the next daemon on
# the same state re-adopts the containers by their labels (no duplicates),
# captures the output written while it was away (once), and notices
# containers removed behind its back.
. "$(dirname "$0")/lib.sh"
docker_suite
TK=$MNT/clusters/prod/tasks
Q="'"
LONGJ="trap ${Q}exit 0${Q} TERM; sleep 3600 \\u0026 wait" # $LONG, in a JSON string
rid() { runtime_id prod "$1" "$2"; }

register pair '{"family": "pair", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "command": ["sh", "-c", "'"$LONGJ"'"]},
  {"name": "side", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "command": ["sh", "-c", "'"$LONGJ"'"]}]}'
register single '{"family": "single", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "command": ["sh", "-c", "'"$LONGJ"'"]}]}'
register counter '{"family": "counter", "containerDefinitions": [
  {"name": "count", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; i=0; while :; do i=$((i+1)); echo line $i; sleep 0.2; done"]}]}'
idp=$(run_task prod pair)
ids=$(run_task prod single)
idc=$(run_task prod counter)
TASKS=$(printf '%s\n' "$idp" "$ids" "$idc" | sort)
all_running() {
	local i
	for i in $TASKS; do task_is prod "$i" RUNNING || return 1; done
}
wait_for 60 all_running
ok $? "three tasks run (4 containers and 3 pauses)"

# snapshot: "task container runtimeId" for every container of the three
snapshot() {
	local i c
	for i in $TASKS; do
		for c in $(ls "$TK/$i/containers"); do
			echo "$i $c $(rid "$i" "$c")"
		done
	done
}
# engine_view: "task container" of every engine container of this state, sorted
engine_view() {
	docker ps -a --filter "label=ecsfs.instance=$(instance_id)" \
		--format '{{.Label "ecsfs.task"}} {{.Label "ecsfs.container"}} {{.State}}' | sort
}
# the log of the counter: numbers 1..N, each once, in order
count_check() {
	python3 - "$1" "$2" <<'PY'
import re, sys
prefix = sys.argv[2]
nums = []
for l in open(sys.argv[1]):
    m = re.match(re.escape(prefix) + r"line (\d+)$", l.rstrip("\n"))
    if m:
        nums.append(int(m.group(1)))
    else:
        print("stray line: %r;" % l, end=" ")
bad = [(a, b) for a, b in zip(nums, nums[1:]) if b != a + 1]
print("first=%s consecutive=%s repeats=%d%s" % (nums[:1], not bad, len(nums) - len(set(nums)),
      " (breaks: %s)" % bad[:5] if bad else ""))
PY
}
last_line() { sed -n 's/^line //p' "$TK/$idc/containers/count/logs" | tail -n 1; }
past() { [ "$(last_line)" -ge "$1" ] 2>/dev/null; }

snap0=$(snapshot)
view0=$(engine_view)
is "$(echo "$view0" | grep -c ' running$')" "7" "the engine runs 7 containers for them"
wait_for 20 past 5
seen=$(last_line)

# ---- kill -9 ----
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
is "$(engine_view)" "$view0" "after kill -9 of the daemon the containers keep running"
# the daemon stays away while the counter prints lines it has not captured
engine_past() {
	local c n
	c=$(docker ps -q --filter "label=ecsfs.task=$idc" --filter label=ecsfs.container=count)
	n=$(docker logs "$c" 2>/dev/null | sed -n 's/^line //p' | tail -n 1)
	[ "${n:-0}" -ge "$1" ] 2>/dev/null
}
wait_for 20 engine_past $((seen + 10))
ok $? "the counter goes on while the daemon is away"
start_daemon
ok $? "a new daemon starts on the same state"
is "$(ls "$TK" | sort)" "$TASKS" "it lists the same tasks"
wait_for 30 all_running
ok $? "they are RUNNING"
is "$(snapshot)" "$snap0" "with the same runtimeIds"
is "$(engine_view)" "$view0" "and the engine has exactly the same containers: none added, none lost"
wait_for 20 past $((seen + 25))
ok $? "the counter's log goes on after the restart"
is "$(count_check "$TK/$idc/containers/count/logs" "")" "first=[1] consecutive=True repeats=0" \
	"the container log holds every line once, in order, including those written while the daemon was away"
is "$(count_check "$TK/$idc/logs" "count | ")" "first=[1] consecutive=True repeats=0" "so does the task log"

# ---- a graceful restart ----
stop_daemon
ok $? "SIGTERM: the daemon exits 0"
is "$(engine_view)" "$view0" "the containers keep running"
seen=$(sed -n 's/^line //p' "$STATE/logs/$idc/count.log" | tail -n 1)
start_daemon
ok $? "a new daemon starts"
wait_for 30 all_running
ok $? "the tasks are RUNNING"
is "$(snapshot)" "$snap0" "with the same runtimeIds"
is "$(engine_view)" "$view0" "and the same containers in the engine"
wait_for 20 past $((seen + 10))
is "$(count_check "$TK/$idc/containers/count/logs" "")" "first=[1] consecutive=True repeats=0" \
	"the counter's log is still whole and without repeats"

# ---- kill -9 while tasks are being created: no duplicates ----
ids3=$(run_task prod "single 3")
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
start_daemon
ok $? "kill -9 right after starting 3 tasks; a new daemon starts"
TASKS=$(printf '%s\n' $TASKS $ids3 | sort)
wait_for 60 all_running
ok $? "the 3 new tasks reach RUNNING"
for i in $ids3; do
	is "$(engine_view | grep "^$i " | sort | tr '\n' ',')" "$i app running,$i ~pause running," \
		"task $i has exactly one container and one pause"
done
is "$(docker ps -a --filter "label=ecsfs.instance=$(instance_id)" --format '{{.Names}}' | sort | uniq -d)" "" \
	"no engine name twice"

# ---- containers removed behind ecsfs's back ----
r=$(rid "$ids" app)
docker rm -f "$r" >/dev/null
ok $? "docker rm -f the essential container of a running task"
wait_task 30 prod "$ids" STOPPED
ok $? "its task goes STOPPED"
J=$TK/$ids/task.json
is "$(jget "$J" 'd.get("stopCode")')" "EssentialContainerExited" "stopCode EssentialContainerExited"
like "$(jget "$J" 'd.get("stoppedReason", "") + " / " + (d["containers"][0].get("reason") or "")')" "removed" \
	"a reason says the container was removed"
is "$(engine_ids "ecsfs.task=$ids")" "" "its pause is removed too"

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
r=$(docker ps -q --no-trunc --filter "label=ecsfs.task=$idp" --filter "label=ecsfs.container=side")
docker rm -f "$r" >/dev/null
ok $? "docker rm -f an essential container while the daemon is down"
start_daemon
wait_task 30 prod "$idp" STOPPED
ok $? "after the restart its task goes STOPPED"
like "$(jget "$TK/$idp/task.json" 'd.get("stoppedReason", "") + " / " + str([c.get("reason") for c in d["containers"]])')" \
	"removed" "a reason says the container was removed"
is "$(engine_ids "ecsfs.task=$idp")" "" "the task's other containers are removed"
is "$(jget "$TK/$idp/task.json" '[c["lastStatus"] for c in d["containers"]]')" "['STOPPED', 'STOPPED']" \
	"both its containers are STOPPED"

# ---- the end ----
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_all_tasks prod 60
r=$?
ok $r "the rest stop through their stop files"
[ $r -eq 0 ] || dump_tasks prod
is "$(count_check "$TK/$idc/containers/count/logs" "")" "first=[1] consecutive=True repeats=0" \
	"the stopped counter's log is whole"
no_containers_left
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"
done_testing
