#!/usr/bin/env bash
# Tasks on the real Docker engine, as users drive them: every way of
# writing `run`, what tasks/<id>/ shows (task.json, status, logs), stopping
# with and without a reason, and bad input that must start nothing.
. "$(dirname "$0")/lib.sh"
docker_suite
C=$MNT/clusters/prod
TK=$C/tasks
HEX='^[0-9a-f]{32}$'

# new_ids BEFORE: the task ids listed now that are not in the string BEFORE
new_ids() { ls "$TK" | grep -vxF -e "${1:-none}" -e none; }
count_tasks() { ls "$TK" | wc -l; }
ids_line() { tr '\n' ' ' | sed 's/ $//'; }

register web '{"family": "web", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 64, "essential": true,
   "command": ["sh", "-c", "echo out-line; echo err-line >&2; trap '\''exit 0'\'' TERM; sleep 3600 & wait"]}]}'
is "$(ls "$MNT/taskdefs/web")" "$(printf '1.json\nlatest')" "web:1 is registered"

# ---- the ways of writing run ----
before=$(ls "$TK")
echo web >"$C/run"
ok $? "echo web > run succeeds"
id1=$(new_ids "$before")
echo "$id1" >>"$T/task-ids"
like "$id1" "$HEX" "one task appears in tasks/, named by 32 hex characters"

ids=$(run_task prod "web 2")
ok $? "python: write 'web 2' and read back through the same r+ handle"
is "$(echo "$ids" | grep -Ec "$HEX")" "2" "it returns two task ids, one a line"
is "$(echo "$ids" | wc -l)" "2" "and nothing else"
for i in $ids; do
	test -d "$TK/$i"
	ok $? "tasks/$i exists"
done

exec 3<>"$C/run"
echo web >&3
read -r -t 10 id_sh <&3
exec 3>&-
echo "$id_sh" >>"$T/task-ids"
like "$id_sh" "$HEX" "shell: exec 3<>run; echo web >&3; read id <&3 returns the id"
test -d "$TK/$id_sh"
ok $? "and that task exists"

register web '{"family": "web", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 64, "essential": true,
   "environment": [{"name": "REV", "value": "2"}],
   "command": ["sh", "-c", "echo rev=$REV; trap '\''exit 0'\'' TERM; sleep 3600 & wait"]}]}'
is "$(readlink "$MNT/taskdefs/web/latest")" "2.json" "web:2 is registered"
id_r2=$(run_task prod "web:2")
is "$(skey "$TK/$id_r2/status" task_definition)" "web:2" "web:2 starts a task of revision 2"
id_latest=$(run_task prod "web")
is "$(skey "$TK/$id_latest/status" task_definition)" "web:2" "a bare family starts its newest revision"
ids_r1=$(run_task prod "web:1 2")
is "$(echo "$ids_r1" | grep -Ec "$HEX")" "2" "web:1 2 starts two tasks"
for i in $ids_r1; do
	is "$(skey "$TK/$i/status" task_definition)" "web:1" "task $i is of revision 1"
done
ids_json=$(run_task prod '{"taskDefinition":"web","count":2,"startedBy":"me","overrides":{"containerOverrides":[{"name":"app","environment":[{"name":"X","value":"y"}]}]}}')
ok $? "a RunTask JSON is accepted"
is "$(echo "$ids_json" | grep -Ec "$HEX")" "2" "with count 2 it starts two tasks"
idj=$(echo "$ids_json" | head -n 1)
is "$(count_tasks)" "10" "tasks/ lists all 10 tasks"

all=$(ls "$TK")
all_running() {
	local i
	for i in $all; do task_is prod "$i" RUNNING || return 1; done
}
wait_for 60 all_running
ok $? "all 10 tasks reach RUNNING"
for i in $all; do
	task_is prod "$i" RUNNING || sed 's/^/#   /' "$TK/$i/status"
done

# ---- what a task shows ----
J=$TK/$id1/task.json
is "$(jget "$J" 'd["taskArn"]')" "arn:aws:ecs:local:000000000000:task/prod/$id1" "taskArn has ECS's shape"
is "$(jget "$J" 'd["clusterArn"], d["taskDefinitionArn"]')" \
	"('arn:aws:ecs:local:000000000000:cluster/prod', 'arn:aws:ecs:local:000000000000:task-definition/web:1')" \
	"clusterArn and taskDefinitionArn"
is "$(jget "$J" 'd["lastStatus"], d["desiredStatus"]')" "('RUNNING', 'RUNNING')" "lastStatus and desiredStatus RUNNING"
is "$(jget "$J" '[c["name"] for c in d["containers"]], d["containers"][0]["lastStatus"]')" \
	"(['app'], 'RUNNING')" "containers[] names app, RUNNING"
is "$(jget "$J" '"exitCode" in d["containers"][0], "stoppedAt" in d, "stopCode" in d')" \
	"(False, False, False)" "no exitCode, stoppedAt or stopCode while it runs"
for k in createdAt pullStartedAt pullStoppedAt startedAt; do
	like "$(jget "$J" "d.get('$k', '')")" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$k is an ISO time"
done
is "$(jget "$J" 'd["createdAt"] <= d["pullStartedAt"] <= d["pullStoppedAt"] <= d["startedAt"]')" "True" \
	"createdAt <= pullStartedAt <= pullStoppedAt <= startedAt"
rid=$(runtime_id prod "$id1" app)
like "$rid" '^[0-9a-f]{64}$' "runtimeId is an engine container id"
is "$(docker inspect -f '{{.Id}} {{.State.Running}}' "$rid" 2>&1)" "$rid true" "docker inspect finds it running"
is "$(docker inspect -f '{{index .Config.Labels "ecsfs.task"}} {{index .Config.Labels "ecsfs.container"}} {{index .Config.Labels "ecsfs.managed"}}' "$rid")" \
	"$id1 app 1" "it carries the task's labels"
like "$(docker inspect -f '{{index .Config.Labels "ecsfs.instance"}}' "$rid")" "^$(instance_id)\$" \
	"and the state directory's instance label"
pause=$(docker ps -q --no-trunc --filter "label=ecsfs.task=$id1" --filter "label=ecsfs.container=~pause")
is "$(echo "$pause" | grep -c .)" "1" "the task has one pause container"
is "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$rid")" "container:$pause" \
	"the container joins the pause's network namespace"

S=$TK/$id1/status
is "$(skey "$S" last_status) $(skey "$S" desired_status) $(skey "$S" task)" "RUNNING RUNNING $id1" \
	"status: last_status, desired_status, task"
is "$(skey "$S" cluster) $(skey "$S" task_definition)" "prod web:1" "status: cluster, task_definition"
like "$(cat "$S")" "container app: RUNNING" "status lists the container"
is "$(ls "$TK/$id1" | tr '\n' ' ')" "containers logs metrics metrics.csv status stop task.json " "tasks/<id>/ holds task.json, status, stop, logs, containers/"
is "$(ls "$TK/$id1/containers")" "app" "containers/ lists app"
is "$(skey "$TK/$id1/containers/app/status" last_status)" "RUNNING" "containers/app/status: last_status RUNNING"
is "$(skey "$TK/$id1/containers/app/status" runtime_id)" "$rid" "containers/app/status: runtime_id"
is "$(stat -c %s "$S")" "$(cat "$S" | wc -c)" "status reports its exact size"
is "$(stat -c %s "$J")" "$(cat "$J" | wc -c)" "task.json reports its exact size"
like "$(stat -c %A "$TK/$id1/stop")" "^--w" "stop is write-only"

is "$(skey "$TK/$id_r2/status" task_definition)" "web:2" "the web:2 task runs revision 2"
wait_for 10 log_has "$TK/$id_r2/containers/app/logs" '^rev=2$'
ok $? "and its container sees revision 2's environment"
is "$(jget "$TK/$idj/task.json" 'd["startedBy"]')" "me" "RunTask JSON: startedBy"
is "$(jget "$TK/$idj/task.json" 'd["overrides"]["containerOverrides"][0]["environment"]')" \
	"[{'name': 'X', 'value': 'y'}]" "RunTask JSON: overrides shown in task.json"
docker inspect -f '{{json .Config.Env}}' "$(runtime_id prod "$idj" app)" | grep -q '"X=y"'
ok $? "RunTask JSON: the override reached the container's environment"
like "$(cat "$C/events")" "\(task $id1\) started from web:1" "cluster events tell the start"
is "$(skey "$C/status" running_tasks)" "10" "the cluster status counts 10 running tasks"

# ---- logs ----
L=$TK/$id1/containers/app/logs
wait_for 10 log_has "$L" '^err-line$'
is "$(cat "$L" | sort | tr '\n' ' ')" "err-line out-line " "containers/app/logs has stdout and stderr"
wait_for 10 log_has "$TK/$id1/logs" '^app \| err-line$'
is "$(grep -c '' "$TK/$id1/logs") $(grep -c '^app | out-line$' "$TK/$id1/logs") $(grep -c '^app | err-line$' "$TK/$id1/logs")" \
	"2 1 1" "tasks/<id>/logs has each line once, prefixed 'app | '"
is "$(stat -c %s "$L")" "$(cat "$L" | wc -c)" "the container log's size is what cat reads"
is "$(stat -c %s "$TK/$id1/logs")" "$(cat "$TK/$id1/logs" | wc -c)" "the task log's size is what cat reads"

register ticker '{"family": "ticker", "containerDefinitions": [
  {"name": "tick", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "trap '\''exit 0'\'' TERM; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.3; done"]}]}'
idt=$(run_task prod ticker)
TL=$TK/$idt/containers/tick/logs
wait_for 30 log_has "$TL" '^tick 2$'
ok $? "the ticker's output is captured"
timeout 15 tail -n +1 -f "$TL" >"$T/tail.out" 2>&1 &
tailpid=$!
wait_for 10 log_has "$T/tail.out" '^tick 1$'
ok $? "tail -f prints what is there"
last=$(grep -c '^tick' "$T/tail.out")
wait_for 10 log_has "$T/tail.out" "^tick $((last + 5))\$"
ok $? "tail -f follows new lines (tick $((last + 5)) after tick $last)"
kill "$tailpid" 2>/dev/null
wait "$tailpid" 2>/dev/null
timeout 15 tail -n 0 -f "$TK/$idt/logs" >"$T/tail2.out" 2>&1 &
tailpid=$!
wait_for 10 log_has "$T/tail2.out" '^tick \| tick [0-9]+$'
ok $? "tail -f on the task's merged log follows too"
kill "$tailpid" 2>/dev/null
wait "$tailpid" 2>/dev/null
is "$(stat -c %s "$TL")" "$(cat "$TL" | wc -c)" "a growing log's size is what cat reads"

# ---- stop ----
echo maintenance >"$TK/$id1/stop"
ok $? "echo maintenance > stop succeeds"
is "$(skey "$TK/$id1/status" desired_status)" "STOPPED" "desired_status is STOPPED at once"
n0=$(errors_count)
out=$( (echo again >"$TK/$id1/stop") 2>&1)
like "$out" "Operation already in progress" "a second stop fails: EALREADY"
is "$(errors_count)" "$((n0 + 1))" "and leaves a line in errors"
like "$(tail -n 1 "$MNT/errors")" '"errno": ?"EALREADY"' "naming EALREADY"
like "$(tail -n 1 "$MNT/errors")" "stop" "and the stop file"
wait_task 30 prod "$id1" STOPPED
ok $? "the task reaches STOPPED"
is "$(jget "$J" 'd["lastStatus"], d["desiredStatus"], d.get("stopCode"), d.get("stoppedReason")')" \
	"('STOPPED', 'STOPPED', 'UserInitiated', 'maintenance')" "task.json: STOPPED, UserInitiated, reason 'maintenance'"
is "$(jget "$J" 'd["containers"][0]["lastStatus"], d["containers"][0].get("exitCode")')" "('STOPPED', 0)" \
	"the container exited 0 on SIGTERM"
for k in stoppingAt stoppedAt; do
	like "$(jget "$J" "d.get('$k', '')")" '^20[0-9]{2}-' "$k is set"
done
is "$(jget "$J" 'd["startedAt"] <= d["stoppingAt"] <= d["stoppedAt"]')" "True" "startedAt <= stoppingAt <= stoppedAt"
is "$(skey "$S" stop_code)|$(skey "$S" stopped_reason)" "UserInitiated|maintenance" "status: stop_code, stopped_reason"
docker inspect "$rid" >/dev/null 2>&1
ok $(( $? == 0 )) "its container is removed from the engine"
is "$(engine_ids "ecsfs.task=$id1")" "" "so is its pause container"
n0=$(errors_count)
out=$( (echo x >"$TK/$id1/stop") 2>&1)
like "$out" "Operation already in progress" "stopping a STOPPED task fails: EALREADY"
is "$(errors_count)" "$((n0 + 1))" "and leaves a line in errors"
is "$(jget "$J" 'd.get("stoppedReason")')" "maintenance" "the reason is unchanged"
test -d "$TK/$id1"
ok $? "a STOPPED task stays listed"
is "$(cat "$L" | sort | tr '\n' ' ')" "err-line out-line " "its container log stays readable"
is "$(grep -c '^app | ' "$TK/$id1/logs")" "2" "and so does its task log"
is "$(stat -c %s "$L")" "$(cat "$L" | wc -c)" "with its exact size"

i2=$(echo "$ids" | head -n 1)
echo >"$TK/$i2/stop"
ok $? "echo > stop (an empty reason) succeeds"
wait_task 30 prod "$i2" STOPPED
is "$(jget "$TK/$i2/task.json" 'd.get("stopCode"), d.get("stoppedReason")')" \
	"('UserInitiated', 'Task stopped by user')" "an empty reason: 'Task stopped by user'"
i3=$(echo "$ids" | tail -n 1)
printf 'two\nlines  \n' >"$TK/$i3/stop"
wait_task 30 prod "$i3" STOPPED
is "$(jget "$TK/$i3/task.json" 'd.get("stoppedReason")')" "two lines" "a reason is one line, trailing blanks trimmed"

# ---- stopped before it ran: nothing is left behind ----
idq=$(run_task prod ticker)
echo "changed my mind" >"$TK/$idq/stop"
ok $? "a task stopped at once after its run"
wait_task 30 prod "$idq" STOPPED
ok $? "goes STOPPED"
is "$(jget "$TK/$idq/task.json" 'd.get("stopCode"), d.get("stoppedReason")')" "('UserInitiated', 'changed my mind')" \
	"with the user's reason"
is "$(engine_ids "ecsfs.task=$idq")" "" "and no container of it is left in the engine"

# ---- the live tree refuses what it cannot mean ----
out=$( (echo x >"$TK/$id1/task.json") 2>&1)
like "$out" "Permission denied" "task.json is read-only (EACCES)"
out=$( (echo x >"$TK/$id1/containers/app/logs") 2>&1)
like "$out" "Permission denied" "a log is read-only (EACCES)"
out=$(mkdir "$TK/0123456789abcdef0123456789abcdef" 2>&1)
ok $(( $? == 0 )) "mkdir in tasks/ is refused ($out)"
out=$(cat "$TK/$id1/containers/nosuch/logs" 2>&1)
like "$out" "No such file or directory" "an unknown container: ENOENT"
out=$(cat "$TK/0123456789abcdef0123456789abcdef/status" 2>&1)
like "$out" "No such file or directory" "an unknown task: ENOENT"
is "$(cat "$C/run")" "" "run reads empty when nothing was written through the handle"
out=$( (head -c 2000 /dev/zero | tr '\0' x >"$TK/$idt/stop") 2>&1)
like "$out" "Invalid argument" "a reason of 2000 bytes is refused (EINVAL)"
is "$(skey "$TK/$idt/status" desired_status)" "RUNNING" "and the task goes on"
out=$(rmdir "$C" 2>&1)
ok $(( $? == 0 )) "a cluster with tasks cannot be removed ($out)"
test -d "$C/tasks/$idt"
ok $? "and its tasks are still there"

# ---- bad input: the writer sees the errno, errors has one line, nothing starts ----
n_engine() { engine_ids "ecsfs.instance=$(instance_id)" | wc -l; }
refused() { # refused TEXT ERRNO_TEXT ERRNO_NAME DESCRIPTION
	local n0 t0 e0 out
	n0=$(errors_count) t0=$(count_tasks) e0=$(n_engine)
	out=$( (printf '%s\n' "$1" >"$C/run") 2>&1)
	like "$out" "$2" "$4: the writer sees '$2'"
	is "$(errors_count)" "$((n0 + 1))" "$4: one line in errors"
	like "$(tail -n 1 "$MNT/errors")" "\"errno\": ?\"$3\"" "$4: errors says $3"
	is "$(count_tasks) $(n_engine)" "$t0 $e0" "$4: no task and no container appears"
}
refused nosuch "No such file or directory" ENOENT "an unknown family"
like "$(tail -n 1 "$MNT/errors")" "nosuch" "the message names the family"
refused web:99 "No such file or directory" ENOENT "an unknown revision"
rm "$MNT/taskdefs/web/1.json"
ok $? "deregister web:1"
refused web:1 "Invalid argument" EINVAL "a deregistered revision"
like "$(tail -n 1 "$MNT/errors")" "INACTIVE" "the message says it is INACTIVE"
refused "web 0" "Invalid argument" EINVAL "count 0"
refused "web 11" "Invalid argument" EINVAL "count 11"
refused "web 10000" "Invalid argument" EINVAL "count 10000"
refused "web -1" "Invalid argument" EINVAL "count -1"
refused "web 1 2" "Invalid argument" EINVAL "three words"
refused '!!' "Invalid argument" EINVAL "junk"
refused 'web:x' "Invalid argument" EINVAL "a revision that is no number"
refused '{"taskDefinition": "web", "bogus": 1}' "Invalid argument" EINVAL "a JSON with an unknown field"
like "$(tail -n 1 "$MNT/errors")" "bogus" "the message names the field"
refused '{"taskDefinition": "web", "count": "2"}' "Invalid argument" EINVAL "a JSON count of the wrong type"
refused '{"taskDefinition": 5}' "Invalid argument" EINVAL "a JSON taskDefinition of the wrong type"
refused '{"count": 1}' "Invalid argument" EINVAL "a JSON without taskDefinition"
refused '{"taskDefinition": "web", "count": 11}' "Invalid argument" EINVAL "a JSON count of 11"
refused '{"taskDefinition": "web",, }' "Invalid argument" EINVAL "a JSON syntax error"
refused '{"taskDefinition": "nosuch"}' "No such file or directory" ENOENT "a JSON naming an unknown family"
n0=$(errors_count) t0=$(count_tasks)
out=$( (printf 'web\0\001\377\n' >"$C/run") 2>&1)
like "$out" "Invalid argument" "binary junk: the writer sees EINVAL"
is "$(errors_count) $(count_tasks)" "$((n0 + 1)) $t0" "binary junk: one errors line, no task"
out=$( (echo web >"$MNT/clusters/nosuch/run") 2>&1)
like "$out" "No such file or directory" "run of an unknown cluster: ENOENT"
is "$(count_tasks)" "$t0" "bad input started nothing"
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"

# ---- a task whose image cannot be pulled ----
register ghost '{"family": "ghost", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-missing:1", "memory": 32, "essential": true}]}'
idg=$(run_task prod ghost)
ok $? "a task whose image is missing: the write succeeds"
wait_task 90 prod "$idg" STOPPED
ok $? "it goes STOPPED"
like "$(jget "$TK/$idg/task.json" 'd.get("stoppedReason")')" "^CannotPullContainerError: " \
	"stoppedReason starts 'CannotPullContainerError: '"
is "$(jget "$TK/$idg/task.json" 'd.get("stopCode")')" "TaskFailedToStart" "stopCode TaskFailedToStart"
is "$(engine_ids "ecsfs.task=$idg")" "" "no container of it is left in the engine"
like "$(jget "$TK/$idg/task.json" 'd.get("pullStartedAt", "")')" "^20" "pullStartedAt is set"

# ---- the end: stop the rest through the tree, nothing is left ----
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_all_tasks prod 90
r=$?
ok $r "every task stops through its stop file"
[ $r -eq 0 ] || dump_tasks prod
is "$(cat "$TK"/*/status | grep -c '^last_status: STOPPED$')" "$(count_tasks)" "all tasks are STOPPED"
no_containers_left
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"
done_testing
