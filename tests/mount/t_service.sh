#!/usr/bin/env bash
# Services as users drive them: mkdir and spec files, the live controls
# (desired_count, task_definition) and the spec file kept in step, tasks
# replaced when they stop or their container goes, scale out and in, bad
# input that changes nothing, and deleting (rmdir, rm of the spec file).
. "$(dirname "$0")/lib.sh"
docker_suite
C=$MNT/clusters/prod
SV=$C/services
SP=$MNT/spec/clusters/prod/services
W=$SV/web
HEX='^[0-9a-f]{32}$'

register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
is "$(readlink "$MNT/taskdefs/web/latest")" "1.json" "web:1 is registered"

# started_at CLUSTER ID: the task's startedAt as sortable text
started_at() { jget "$C/tasks/$2/task.json" 'd.get("startedAt", "")'; }
sorted_ids() { svc_ids prod "$1" | sort | tr '\n' ' '; }

# ---- mkdir makes a service with desiredCount 0 and its spec file ----
mkdir "$W"
ok $? "mkdir clusters/prod/services/web"
is "$(ls "$SV")" "web" "services/ lists it"
is "$(ls "$SP" 2>&1)" "web.json" "its spec file appears in spec/clusters/prod/services/"
is "$(jget "$SP/web.json" 'd == {"serviceName": "web", "desiredCount": 0}')" "True" \
	'the spec file is {"serviceName": "web", "desiredCount": 0}'
is "$(wc -l <"$SP/web.json")" "4" "pretty-printed, one field a line"
is "$(ls "$W" | tr '\n' ' ')" "deployment desired_count events metrics metrics.csv redeploy rollback service.json status task_definition tasks " \
	"the service directory holds its controls"
is "$(cat "$W/desired_count")" "0" "desired_count reads 0"
is "$(stat -c %s "$W/desired_count")" "2" "and reports its exact size"
is "$(svc_key prod web status)" "ACTIVE" "status: ACTIVE"
is "$(svc_key prod web running_count)" "0" "running_count: 0"
is "$(jget "$W/service.json" 'd["serviceArn"], d["status"], d["desiredCount"], d["deployments"]')" \
	"('arn:aws:ecs:local:000000000000:service/prod/web', 'ACTIVE', 0, [])" \
	"service.json: ARN, ACTIVE, desiredCount 0, no deployment yet"
out=$(mkdir "$W" 2>&1)
like "$out" "File exists" "mkdir of an existing service is EEXIST"

# ---- writing the spec file updates it; the repository file is kept byte for byte ----
mkdir -p "$T/repo"
cat >"$T/repo/web.json" <<'JSON'
{
  "serviceName": "web",
  "taskDefinition": "web",
  "desiredCount": 2,
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
  "tags": [{"key": "team", "value": "core"}]
}
JSON
cp "$T/repo/web.json" "$SP/web.json"
ok $? "cp a CreateService document over the spec file"
cmp -s "$T/repo/web.json" "$SP/web.json"
ok $? "the spec file reads back the bytes written"
is "$(cat "$W/desired_count")" "2" "desired_count follows the spec file"
is "$(cat "$W/task_definition")" "web" "task_definition follows the spec file"
wait_for 60 svc_steady prod web 2
ok $? "two tasks run and the service is steady"
ids=$(svc_ids prod web)
echo "$ids" >>"$T/task-ids"
is "$(echo "$ids" | grep -Ec "$HEX")" "2" "tasks/ of the service lists two task ids"
id=$(echo "$ids" | head -n 1)
is "$(readlink "$W/tasks/$id")" "../../../tasks/$id" "tasks/<id> is a symlink to ../../../tasks/<id>"
test -f "$W/tasks/$id/task.json"
ok $? "and it resolves to the task's directory"
dep=$(svc_deps prod web)
like "$dep" '^ecs-svc/[0-9]+ PRIMARY web:1 COMPLETED 2 0$' "service.json: one PRIMARY deployment of web:1, COMPLETED, 2 running"
depid=${dep%% *}
is "$(jget "$C/tasks/$id/task.json" 'd["group"], d["startedBy"]')" "('service:web', '$depid')" \
	"task.json: group service:web, startedBy the deployment id"
is "$(jget "$W/service.json" 'd["runningCount"], d["pendingCount"], d["taskDefinition"], d["tags"]')" \
	"(2, 0, 'arn:aws:ecs:local:000000000000:task-definition/web:1', [{'key': 'team', 'value': 'core'}])" \
	"service.json: counts, the task definition's ARN, kept tags"
like "$(cat "$W/status")" "deployment $depid: PRIMARY web:1 COMPLETED, 2 running, 0 pending" "status has a line for the deployment"
svc_events_has prod web '^[0-9T:.-]+Z \(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$'
ok $? "events: has started 2 tasks, naming them"
svc_events_has prod web '\(service web\) has reached a steady state\.$'
ok $? "events: has reached a steady state"
is "$(jget "$W/service.json" 'all(a["createdAt"] >= b["createdAt"] for a, b in zip(d["events"], d["events"][1:])) and len(d["events"]) > 1')" \
	"True" "service.json events[] are newest first"

# ---- live controls rewrite the spec file: diff shows the drift ----
touch -d @1600000000 "$SP/web.json" && chmod 0640 "$SP/web.json"
is "$(stat -c '%Y %a' "$SP/web.json")" "1600000000 640" "the spec file keeps the mtime and mode set on it (rsync -t)"
echo 3 >"$W/desired_count"
ok $? "echo 3 > desired_count"
like "$(stat -c '%Y %a' "$SP/web.json")" "^1[7-9][0-9]{8} 640$" "rewritten: a new mtime, the mode kept"
is "$(cat "$W/desired_count")" "3" "desired_count reads 3"
is "$(jget "$SP/web.json" 'd["desiredCount"], d["tags"], d["taskDefinition"]')" \
	"(3, [{'key': 'team', 'value': 'core'}], 'web')" "the spec file's desiredCount is 3, other fields kept"
out=$(diff "$T/repo/web.json" "$SP/web.json")
like "$out" '"desiredCount": 3' "diff against the repository file shows the drift"
wait_for 60 svc_steady prod web 3
ok $? "the service scales out to 3"
ids=$(sorted_ids web)
echo web:1 >"$W/task_definition"
ok $? "echo web:1 > task_definition"
is "$(jget "$SP/web.json" 'd["taskDefinition"]')" "web:1" "the spec file's taskDefinition is web:1"
is "$(cat "$W/task_definition")" "web:1" "task_definition reads web:1"
is "$(svc_deps prod web | cut -d' ' -f1)" "$depid" "pinning the revision already running starts no deployment"
is "$(sorted_ids web)" "$ids" "and replaces no task"
echo web >"$W/task_definition"
is "$(jget "$SP/web.json" 'd["taskDefinition"]')" "web" "echo web > task_definition: back to following the family"

# ---- a task that goes is replaced ----
# replaced ID HOW: ID leaves the service, a new task takes its place, 3 run again
replaced() {
	local gone=$1
	svc_ids prod web | grep -qx "$gone" && return 1
	svc_steady prod web 3
}
victim=$(svc_ids prod web | head -n 1)
echo "test: replace me" >"$C/tasks/$victim/stop"
ok $? "echo reason > tasks/<id>/stop of a service task"
wait_for 60 replaced "$victim"
ok $? "a replacement starts: running_count is back to 3"
wait_task 30 prod "$victim" STOPPED
ok $? "the stopped task is STOPPED"
like "$(skey "$C/tasks/$victim/status" stopped_reason)" "test: replace me" "with the reason written"
remember_tasks prod

victim=$(svc_ids prod web | head -n 1)
cid=$(runtime_id prod "$victim" app)
docker rm -f "$cid" >/dev/null
ok $? "docker rm -f of a service task's container"
wait_for 60 replaced "$victim"
ok $? "a replacement starts: running_count is back to 3"
remember_tasks prod

victim=$(svc_ids prod web | head -n 1)
cid=$(runtime_id prod "$victim" app)
docker kill "$cid" >/dev/null
ok $? "docker kill of a service task's container"
wait_for 60 replaced "$victim"
ok $? "a replacement starts: running_count is back to 3"
remember_tasks prod
like "$(grep -c 'has started 1 tasks' "$W/events")" '^[3-9]' "events: has started 1 tasks, once per replacement"

# ---- scale out, then in: the newest-started go first ----
echo 5 >"$W/desired_count"
wait_for 60 svc_steady prod web 5
ok $? "scale out to 5"
remember_tasks prod
before=$(for i in $(svc_ids prod web); do echo "$(started_at prod "$i") $i"; done | sort)
newest3=$(echo "$before" | tail -n 3 | cut -d' ' -f2 | sort | tr '\n' ' ')
oldest2=$(echo "$before" | head -n 2 | cut -d' ' -f2 | sort | tr '\n' ' ')
echo 2 >"$W/desired_count"
wait_for 60 svc_steady prod web 2
ok $? "scale in to 2"
is "$(sorted_ids web)" "$oldest2" "the two oldest-started tasks are the ones kept"
gone=
for i in $newest3; do task_is prod "$i" STOPPED && gone="$gone$i "; done
is "$gone" "$newest3" "the three newest-started tasks are STOPPED"
like "$(cat "$W/events")" "\(service web\) is scaling in to 2: stopping 3 tasks, newest-started first\." \
	"events: is scaling in to 2: stopping 3 tasks, newest-started first."
for i in $newest3; do
	like "$(cat "$W/events")" "has stopped 3 running tasks:.*\(task $i\)" "events name stopped task $i"
done

# ---- bad input changes nothing ----
ids=$(sorted_ids web)
spec_before=$(cat "$SP/web.json")
for bad in abc -1 1.5 "" 100000000000; do
	n0=$(errors_count)
	out=$( (echo "$bad" >"$W/desired_count") 2>&1)
	like "$out" "write error: Invalid argument" "echo '$bad' > desired_count: echo sees EINVAL"
	is "$(errors_count)" "$((n0 + 1))" "one errors line for '$bad'"
	like "$(tail -n 1 "$MNT/errors")" "desired_count" "naming desired_count"
	is "$(cat "$W/desired_count")" "2" "desired_count still reads 2"
done
is "$(cat "$SP/web.json")" "$spec_before" "the spec file is untouched by them"
n0=$(errors_count)
out=$( (echo nosuch >"$W/task_definition") 2>&1)
like "$out" "No such file or directory" "task_definition naming an unknown family: ENOENT"
is "$(errors_count)" "$((n0 + 1))" "one errors line"
out=$( (echo web:9 >"$W/task_definition") 2>&1)
like "$out" "No such file or directory" "task_definition naming an unregistered revision: ENOENT"
register other "{\"family\": \"other\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"command\": [\"true\"]}]}"
register other "{\"family\": \"other\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 96, \"command\": [\"true\"]}]}"
rm "$MNT/taskdefs/other/1.json"
ok $? "(other:1 is deregistered)"
out=$( (echo other:1 >"$W/task_definition") 2>&1)
like "$out" "Invalid argument" "task_definition naming a deregistered revision: EINVAL"
out=$( (echo "web:x" >"$W/task_definition") 2>&1)
like "$out" "Invalid argument" "task_definition 'web:x': EINVAL"
is "$(cat "$W/task_definition")" "web" "task_definition still reads web"
n0=$(errors_count)
for doc in '{"desiredCount":"3"}' '{"desiredCount":-1}' '{"taskDefinition":5}' \
	'{"deploymentConfiguration":{"maximumPercent":"x"}}' '{"desiredCount":1,"bogusField":1}' \
	'{"serviceName":"other","desiredCount":1}' '[1, 2]'; do
	out=$( (echo "$doc" >"$SP/web.json") 2>&1)
	like "$out" "Invalid argument" "spec file $doc: EINVAL"
	is "$(cat "$SP/web.json")" "$spec_before" "and the spec file keeps its old bytes"
done
is "$(errors_count)" "$((n0 + 7))" "one errors line each"
n0=$(errors_count)
echo '{"desiredCount": 1' >"$SP/web.json"
is "$(cat "$SP/web.json")" "$spec_before" "a truncated document leaves the old bytes (refused at close)"
is "$(errors_count)" "$((n0 + 1))" "with an errors line"
like "$(grep -c bogusField "$MNT/errors")" "^[1-9]" "the unknown field is named in errors"
out=$(python3 - "$SP/web.json" <<'PY'
import errno, sys
f = open(sys.argv[1], "w")
f.write('{"desiredCount": 1, "deploymentConfiguration": {"minimumHealthyPercent": 101}}')
try:
    f.close(); print("closed")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
is "$out" "EINVAL" "minimumHealthyPercent 101: python's close() sees EINVAL"
is "$(cat "$SP/web.json")" "$spec_before" "and the spec file keeps its old bytes"
is "$(svc_key prod web desired_count)" "2" "status still says desired_count: 2"
wait_for 3 svc_steady prod web 2
ok $? "the service still runs 2 tasks"
is "$(sorted_ids web)" "$ids" "the same 2 tasks"
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"

# ---- mkdir, then the controls: the way a shell user builds a service ----
register uif "{\"family\": \"uif\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
U=$SV/ui
mkdir "$U" && echo 2 >"$U/desired_count"
ok $? "mkdir services/ui; echo 2 > desired_count"
like "$(svc_key prod ui state)" "task definition" "status says it has no task definition"
never_within 2 svc_at prod ui 1
ok $? "and nothing starts"
echo uif:1 >"$U/task_definition"
ok $? "echo uif:1 > task_definition"
wait_for 60 svc_steady prod ui 2
ok $? "2 tasks run"
is "$(jget "$SP/ui.json" 'd')" "{'serviceName': 'ui', 'desiredCount': 2, 'taskDefinition': 'uif:1'}" \
	"the spec file has both values"
sed -i 's/"desiredCount": 2/"desiredCount": 3/' "$SP/ui.json"
ok $? "sed -i of the spec file"
is "$(cat "$U/desired_count")" "3" "updates desired_count"
is "$(ls -A "$SP" | tr '\n' ' ')" "ui.json web.json " "and leaves no scratch file"
wait_for 60 svc_steady prod ui 3
ok $? "3 tasks run"
remember_tasks prod
out=$( (echo 1001 >"$U/desired_count") 2>&1)
like "$out" "Invalid argument" "desired_count 1001: EINVAL"
like "$(tail -n 1 "$MNT/errors")" "1000" "naming the limit of 1000"
out=$(mkdir "$SV/bad name" 2>&1)
like "$out" "Invalid argument" "mkdir of a service named 'bad name': EINVAL"
out=$( (echo '{"desiredCount": 1}' >"$SP/bad name.json") 2>&1)
like "$out" "Invalid argument" "a spec file named 'bad name.json': EINVAL"
is "$(stat -c %s "$U/events")" "$(wc -c <"$U/events")" "events reports its exact size"
ui_ids=$(svc_ids prod ui | sort | tr '\n' ' ')
rm "$MNT/spec/taskdefs/uif.json"
ok $? "rm spec/taskdefs/uif.json deregisters the family"
changed() { [ "$(svc_ids prod ui | sort | tr '\n' ' ')" != "$ui_ids" ]; }
never_within 4 changed
ok $? "the service's running tasks go on"
svc_at prod ui 3
ok $? "3 still run"
svc_drain prod ui
ok $? "scale ui to 0"
rmdir "$U"
ok $? "rmdir services/ui"

# ---- desiredCount 0 keeps the service ----
svc_drain prod web
ok $? "echo 0 > desired_count: every task of the service stops"
is "$(ls "$SV")" "web" "the service is still listed"
is "$(svc_key prod web running_count)" "0" "running_count: 0"
wait_for 10 svc_steady prod web 0
ok $? "and it is steady at 0"
test -f "$SP/web.json"
ok $? "its spec file stays"

# ---- deleting: rmdir, rm of the spec file, the grace period ----
cat >"$T/repo/api.json" <<'JSON'
{"serviceName": "api", "taskDefinition": "web:1", "desiredCount": 1}
JSON
cp "$T/repo/api.json" "$SP/api.json"
wait_for 60 svc_steady prod api 1
ok $? "a second service, api, runs 1 task"
remember_tasks prod
n0=$(errors_count)
out=$(rmdir "$SV/api" 2>&1)
like "$out" "Device or resource busy" "rmdir of a service with desiredCount 1: EBUSY"
is "$(errors_count)" "$((n0 + 1))" "with an errors line"
test -d "$SV/api"
ok $? "the service stays"
out=$(rmdir "$C" 2>&1)
like "$out" "Device or resource busy" "rmdir of the cluster while it has services: EBUSY"
test -d "$C"
ok $? "the cluster stays"

api_ids=$(sorted_ids api)
rm "$SP/api.json" && cp "$T/repo/api.json" "$SP/api.json"
ok $? "rm of the spec file and re-creating it at once"
still_active() { [ "$(svc_key prod api status)" != ACTIVE ]; }
never_within 5 still_active
ok $? "is an update: the service stays ACTIVE past the grace period"
is "$(sorted_ids api)" "$api_ids" "and keeps its task"

rm "$SP/api.json"
ok $? "rm spec/clusters/prod/services/api.json"
is "$(svc_key prod api status)" "ACTIVE" "within the grace period the service is still ACTIVE"
draining() { [ "$(svc_key prod api status)" = DRAINING ]; }
wait_for 10 draining
ok $? "after it the service is DRAINING"
api_gone() { svc_gone prod api; }
wait_for 60 api_gone
ok $? "then its directory disappears"
for i in $api_ids; do
	task_is prod "$i" STOPPED
	ok $? "its task $i is STOPPED"
done

rmdir "$W"
ok $? "rmdir of a service with desiredCount 0 succeeds"
svc_gone prod web
ok $? "and the service is gone at once (directory and spec file)"
web_gone() { svc_gone prod web; }
wait_for 10 web_gone
ok $? "gone (at the latest after a few seconds)"
out=$(cat "$W/desired_count" 2>&1)
like "$out" "No such file or directory" "its files are gone"
is "$(ls "$SP" 2>&1)" "" "spec/clusters/prod/services/ holds no definition"

# ---- nothing is left in the engine ----
remember_tasks prod
stop_all_tasks prod
ok $? "every task of the cluster is STOPPED"
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
