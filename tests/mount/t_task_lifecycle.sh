#!/usr/bin/env bash
# A task's life on the real Docker engine: essential and non-essential
# exits, stop with SIGTERM and SIGKILL after stopTimeout, dependsOn (START,
# COMPLETE, SUCCESS, HEALTHY) and health checks.
. "$(dirname "$0")/lib.sh"
docker_suite
TK=$MNT/clusters/prod/tasks
Q="'" # a single quote, for the single-quoted JSON of register

# docker_time_le ID_A FIELD_A ID_B FIELD_B: engine time A <= time B
# (FIELD is a Go template; times are RFC 3339 with up to 9 decimals)
docker_time_le() {
	python3 - "$(docker inspect -f "$2" "$1")" "$(docker inspect -f "$4" "$3")" <<'PY'
import re, sys
def ns(s):
    s = s.strip().strip('"')
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", s)
    if not m or s.startswith("0001"):
        sys.exit("bad time: %r" % s)
    return m.group(1), int((m.group(2) or "0").ljust(9, "0"))
sys.exit(0 if ns(sys.argv[1]) <= ns(sys.argv[2]) else 1)
PY
}
started() { docker inspect -f '{{.State.StartedAt}}' "$1"; }
rid() { runtime_id prod "$1" "$2"; }

# ---- an essential container exits: the task stops ----
register exit3 '{"family": "exit3", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "echo done; exit 3"]}]}'
register sidecar '{"family": "sidecar", "containerDefinitions": [
  {"name": "main", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]},
  {"name": "side", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "command": ["sh", "-c", "echo side-done; exit 5"]}]}'
ide=$(run_task prod exit3)
ids=$(run_task prod sidecar)
wait_task 60 prod "$ide" STOPPED
ok $? "an essential container that exits stops its task"
J=$TK/$ide/task.json
is "$(jget "$J" 'd.get("stopCode"), d.get("stoppedReason")')" \
	"('EssentialContainerExited', 'Essential container in task exited')" \
	"stopCode EssentialContainerExited, stoppedReason 'Essential container in task exited'"
is "$(jget "$J" 'd["containers"][0]["lastStatus"], d["containers"][0].get("exitCode")')" "('STOPPED', 3)" \
	"the container's exitCode is 3"
is "$(jget "$J" 'd["desiredStatus"]')" "STOPPED" "desiredStatus follows to STOPPED"
like "$(cat "$TK/$ide/status")" "container app: STOPPED, exit code 3" "status shows the exit code"
is "$(skey "$TK/$ide/containers/app/status" exit_code)" "3" "containers/app/status: exit_code 3"
is "$(cat "$TK/$ide/containers/app/logs")" "done" "its output was captured before it went"
is "$(engine_ids "ecsfs.task=$ide")" "" "its containers are removed from the engine"

wait_for 60 ctr_is prod "$ids" side STOPPED
ok $? "a non-essential container exits (code 5)"
wait_task 30 prod "$ids" RUNNING
ok $? "its task is RUNNING (the essential one runs)"
is "$(skey "$TK/$ids/containers/side/status" exit_code)" "5" "the non-essential container's exit code is 5"
is "$(docker inspect -f '{{.State.Running}}' "$(rid "$ids" main)")" "true" "the essential container still runs"
is "$(skey "$TK/$ids/status" desired_status)" "RUNNING" "and the task still wants to run"
is "$(cat "$TK/$ids/containers/side/logs")" "side-done" "the non-essential container's output is kept"

# ---- a container that cannot start ----
register nostart '{"family": "nostart", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["/no/such/program"]}]}'
idx=$(run_task prod nostart)
wait_task 60 prod "$idx" STOPPED
ok $? "a container whose command does not exist: the task stops"
like "$(jget "$TK/$idx/task.json" 'd.get("stoppedReason", "")')" "^CannotStartContainerError: " \
	"stoppedReason starts 'CannotStartContainerError: '"
like "$(jget "$TK/$idx/task.json" 'd.get("stoppedReason", "")')" "/no/such/program" "and says what was wrong"
is "$(engine_ids "ecsfs.task=$idx")" "" "nothing of it is left in the engine"

# ---- stop: SIGTERM, then SIGKILL after stopTimeout ----
register stubborn '{"family": "stubborn", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "command": ["sh", "-c", "trap '"$Q$Q"' TERM; echo up; while :; do sleep 0.1; done"]}]}'
register graceful '{"family": "graceful", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "trap '"$Q"'echo got-term; exit 0'"$Q"' TERM; echo up; while :; do sleep 0.1; done"]}]}'
idk=$(run_task prod stubborn)
idg=$(run_task prod graceful)
wait_task 60 prod "$idk" RUNNING && wait_task 60 prod "$idg" RUNNING
ok $? "a container that ignores SIGTERM and one that handles it run"
wait_for 10 log_has "$TK/$idk/containers/app/logs" '^up$'
wait_for 10 log_has "$TK/$idg/containers/app/logs" '^up$'
echo "stop it" >"$TK/$idk/stop"
echo "stop it" >"$TK/$idg/stop"
wait_task 30 prod "$idg" STOPPED
ok $? "the one that handles SIGTERM stops"
is "$(jget "$TK/$idg/task.json" 'd["containers"][0].get("exitCode")')" "0" "with exit code 0"
# how long the container took to exit after the stop: its finished_at less
# the task's stopping_at (both the daemon's view, in status files)
exit_after_stop() {
	python3 - "$TK/$1/status" "$TK/$1/containers/app/status" <<'PY'
import datetime, sys
def t(path, key):
    for l in open(path):
        if l.startswith(key + ": "):
            return datetime.datetime.strptime(l.split(": ", 1)[1].strip(), "%Y-%m-%dT%H:%M:%S.%fZ")
    sys.exit("no %s in %s" % (key, path))
print("%.1f" % (t(sys.argv[2], "finished_at") - t(sys.argv[1], "stopping_at")).total_seconds())
PY
}
dt=$(exit_after_stop "$idg")
awk -v d="$dt" 'BEGIN { exit !(d >= 0 && d < 2) }'
ok $? "it exited $dt s after the stop, before its stopTimeout"
like "$(cat "$TK/$idg/containers/app/logs")" "got-term" "its last words are in its log"
wait_task 30 prod "$idk" STOPPED
ok $? "the one that ignores SIGTERM stops"
is "$(jget "$TK/$idk/task.json" 'd["containers"][0].get("exitCode")')" "137" "killed: exit code 137"
dt=$(exit_after_stop "$idk")
awk -v d="$dt" 'BEGIN { exit !(d >= 1.9 && d < 10) }'
ok $? "it was killed $dt s after the stop: its stopTimeout is 2 s"
is "$(jget "$TK/$idk/task.json" 'd.get("stopCode"), d.get("stoppedReason")')" "('UserInitiated', 'stop it')" \
	"a stop's reason is kept over the container's exit"

# ---- dependsOn ----
register deps '{"family": "deps", "containerDefinitions": [
  {"name": "init-ok", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "command": ["sh", "-c", "echo init; sleep 1; exit 0"]},
  {"name": "init-bad", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "command": ["sh", "-c", "sleep 1; exit 1"]},
  {"name": "after-complete", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "dependsOn": [{"containerName": "init-bad", "condition": "COMPLETE"}],
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]},
  {"name": "main", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "dependsOn": [{"containerName": "init-ok", "condition": "SUCCESS"}],
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]},
  {"name": "after-start", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "dependsOn": [{"containerName": "main", "condition": "START"}],
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]}]}'
register depfail '{"family": "depfail", "containerDefinitions": [
  {"name": "migrate", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "command": ["sh", "-c", "echo migrating; exit 1"]},
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}],
   "command": ["sh", "-c", "echo app-ran; trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]}]}'
register healthy '{"family": "healthy", "containerDefinitions": [
  {"name": "db", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "healthCheck": {"command": ["CMD-SHELL", "test -f /tmp/ok"], "interval": 5, "retries": 2},
   "command": ["sh", "-c", "touch /tmp/ok; trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]},
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]}]}'
register sick '{"family": "sick", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 1},
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]}]}'
register sickdep '{"family": "sickdep", "containerDefinitions": [
  {"name": "db", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 1},
   "command": ["sh", "-c", "trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]},
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
   "command": ["sh", "-c", "echo web-ran; trap '"$Q"'exit 0'"$Q"' TERM; sleep 3600 & wait"]}]}'
is "$(ls "$MNT/taskdefs" | tr '\n' ' ')" "depfail deps exit3 graceful healthy nostart sick sickdep sidecar stubborn " \
	"every task definition of this test registered"

idd=$(run_task prod deps)
idf=$(run_task prod depfail)
idh=$(run_task prod healthy)
ids2=$(run_task prod sick)
idsd=$(run_task prod sickdep)

# HEALTHY: the health file lists both containers; in no snapshot may web run
# while db is not yet HEALTHY.
python3 - "$TK/$idh/status" >"$T/healthy.out" <<'PY' &
import sys, time
path, end = sys.argv[1], time.time() + 60
while time.time() < end:
    s = open(path).read()
    web = [l for l in s.splitlines() if l.startswith("container web:")]
    db = [l for l in s.splitlines() if l.startswith("container db:")]
    if web and web[0].startswith("container web: RUNNING"):
        print("ok" if db and "HEALTHY" in db[0] and "UNHEALTHY" not in db[0] else "violation: " + " / ".join(db + web))
        sys.exit(0)
    time.sleep(0.05)
print("timeout")
PY
watcher=$!

wait_task 60 prod "$idd" RUNNING
ok $? "deps: the task reaches RUNNING"
deps_up() {
	local c
	for c in after-complete main after-start; do ctr_is prod "$idd" "$c" RUNNING || return 1; done
}
wait_for 20 deps_up
ok $? "deps: every container that waits started in turn"
for c in init-ok init-bad; do
	is "$(skey "$TK/$idd/containers/$c/status" last_status)" "STOPPED" "deps: $c has exited"
done
is "$(skey "$TK/$idd/containers/init-bad/status" exit_code)" "1" "deps: init-bad exited 1 (non-essential: no stop)"
for c in after-complete main after-start; do
	is "$(skey "$TK/$idd/containers/$c/status" last_status)" "RUNNING" "deps: $c runs"
done
docker_time_le "$(rid "$idd" init-bad)" '{{.State.FinishedAt}}' "$(rid "$idd" after-complete)" '{{.State.StartedAt}}'
ok $? "COMPLETE: after-complete started after init-bad exited"
docker_time_le "$(rid "$idd" init-ok)" '{{.State.FinishedAt}}' "$(rid "$idd" main)" '{{.State.StartedAt}}'
ok $? "SUCCESS: main started after init-ok exited 0"
docker_time_le "$(rid "$idd" main)" '{{.State.StartedAt}}' "$(rid "$idd" after-start)" '{{.State.StartedAt}}'
ok $? "START: after-start started after main"

wait_task 60 prod "$idf" STOPPED
ok $? "SUCCESS not met (migrate exits 1): the task stops"
like "$(jget "$TK/$idf/task.json" 'd.get("stoppedReason")')" "migrate" "its stoppedReason names the dependency"
like "$(jget "$TK/$idf/task.json" 'd.get("stoppedReason")')" "app" "and the container that waited on it"
is "$(jget "$TK/$idf/task.json" '[c.get("exitCode") for c in d["containers"]]')" "[1, None]" \
	"migrate exited 1; app never ran (no exit code)"
is "$(cat "$TK/$idf/containers/app/logs")" "" "app printed nothing"
is "$(engine_ids "ecsfs.task=$idf")" "" "nothing of it is left in the engine"

wait "$watcher"
is "$(cat "$T/healthy.out")" "ok" "HEALTHY: web started only once db was HEALTHY"
wait_task 60 prod "$idh" RUNNING
ok $? "HEALTHY: the task reaches RUNNING"
J=$TK/$idh/task.json
is "$(jget "$J" '[(c["name"], c["healthStatus"]) for c in d["containers"]]')" "[('db', 'HEALTHY'), ('web', 'UNKNOWN')]" \
	"task.json: db HEALTHY, web (no check) UNKNOWN"
is "$(jget "$J" 'd["healthStatus"]')" "HEALTHY" "task.json: the task is HEALTHY"
is "$(skey "$TK/$idh/status" health)" "HEALTHY" "status: health HEALTHY"
is "$(skey "$TK/$idh/containers/db/status" health)" "HEALTHY" "containers/db/status: health HEALTHY"
docker_time_le "$(rid "$idh" db)" '{{json (index .State.Health.Log 0).End}}' "$(rid "$idh" web)" '{{.State.StartedAt}}'
ok $? "the engine agrees: web started after db's first health check passed"

is_unhealthy() { [ "$(jget "$TK/$1/task.json" '[c["healthStatus"] for c in d["containers"]][0]')" = UNHEALTHY ]; }
wait_for 60 is_unhealthy "$ids2"
ok $? "a failing health check: the container is UNHEALTHY"
is "$(jget "$TK/$ids2/task.json" 'd["healthStatus"]')" "UNHEALTHY" "and the task is UNHEALTHY"
is "$(skey "$TK/$ids2/status" health)" "UNHEALTHY" "status: health UNHEALTHY"
like "$(cat "$TK/$ids2/status")" "container app: RUNNING, UNHEALTHY" "status: the container line says so"
is "$(docker inspect -f '{{.State.Health.Status}}' "$(rid "$ids2" app)")" "unhealthy" "the engine agrees"

wait_task 60 prod "$idsd" STOPPED
ok $? "HEALTHY never met (db UNHEALTHY): the task stops"
like "$(jget "$TK/$idsd/task.json" 'd.get("stoppedReason")')" "db" "its stoppedReason names the dependency"
is "$(cat "$TK/$idsd/containers/web/logs")" "" "web never ran"

# ---- the end ----
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_all_tasks prod 90
r=$?
ok $r "every task stops through its stop file"
[ $r -eq 0 ] || dump_tasks prod
no_containers_left
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"
done_testing
