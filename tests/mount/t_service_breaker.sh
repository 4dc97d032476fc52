#!/usr/bin/env bash
# Services when things go wrong: the deployment circuit breaker (with and
# without rollback), tasks that fail their health checks, and a service
# that names a family before it is registered (GitOps order).
# The services run side by side to keep the test short.
. "$(dirname "$0")/lib.sh"
docker_suite
C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services

# family FAMILY COMMAND [EXTRA]: register a revision of FAMILY running COMMAND
family() {
	register "$1" "{\"family\": \"$1\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true
   ${3:-}, \"command\": [\"sh\", \"-c\", \"$2\"]}]}"
}
# service NAME FAMILY DESIRED [DEPLOYMENT-CONFIGURATION]
service() {
	printf '{"serviceName": "%s", "taskDefinition": "%s", "desiredCount": %s%s}\n' \
		"$1" "$2" "$3" "${4:+, \"deploymentConfiguration\": $4}" >"$SP/$1.json"
}
# rev_tasks SERVICE FAMILY:REV: how many tasks of the cluster, of any
# state, belong to SERVICE and are of that revision
rev_tasks() {
	python3 - "$C/tasks" "service:$1" "$2" <<'PY'
import json, os, sys
d, group, rev = sys.argv[1:]
n = 0
for i in os.listdir(d):
    try:
        t = json.load(open(os.path.join(d, i, "task.json")))
    except (OSError, ValueError):
        continue
    n += t.get("group") == group and t["taskDefinitionArn"].endswith("/" + rev)
print(n)
PY
}
# failed_or_stop SERVICE FAMILY:REV TIMEOUT: wait until the deployment of FAMILY:REV is
# FAILED (or, with rollback, the events say it failed); when it does not
# come, scale SERVICE to 0 at once so that its crash loop ends, and fail
failed_or_stop() {
	local s=$1 rev=$2 limit=$3
	deployment_failed() {
		svc_deps prod "$s" | grep -Eq "^ecs-svc/[0-9]+ PRIMARY $rev FAILED " ||
			svc_events_has prod "$s" "\(service $s\) \(deployment ecs-svc/[0-9]+\) deployment failed"
	}
	wait_for "$limit" deployment_failed && return 0
	echo "# $s: its deployments now:"
	svc_deps prod "$s" | sed 's/^/#   /'
	echo "# $s: tasks of $rev so far: $(rev_tasks "$s" "$rev"); scaling it to 0"
	echo 0 >"$(svc_file prod "$s" desired_count)"
	return 1
}

# ---- set up: cb (breaker + rollback), nr (breaker, no rollback), hc (health) ----
family cbf "$FOREVER"
family nrf "$FOREVER"
family n1f "$FOREVER"
family hcf "$FOREVER" ', "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "timeout": 2, "retries": 1}'
is "$(ls "$MNT/taskdefs" | tr '\n' ' ')" "cbf hcf n1f nrf " "four families are registered"
service cb cbf 2 '{"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true}}'
ok $? "service cb: circuit breaker with rollback"
service nr nrf 2 '{"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": false}}'
ok $? "service nr: circuit breaker without rollback"
service n1 n1f 1 '{"deploymentCircuitBreaker": {"enable": true, "rollback": false}}'
ok $? "service n1: the same with desiredCount 1"
service hc hcf 1
ok $? "service hc: a container whose health check always fails"
one_hc() { [ "$(svc_ids prod hc | wc -l)" = 1 ]; }
wait_for 30 one_hc
ok $? "hc: one task"
hc1=$(svc_ids prod hc)
echo "$hc1" >>"$T/task-ids"
is "$(jget "$C/services/cb/service.json" 'd["deploymentConfiguration"]["deploymentCircuitBreaker"]')" \
	"{'enable': True, 'rollback': True}" "service.json shows the breaker"

# ---- order: a service naming a family that is not registered yet ----
mkdir -p "$T/repo/taskdefs" "$T/repo/clusters/prod/services"
printf '{"serviceName": "lt", "taskDefinition": "later", "desiredCount": 2}\n' >"$T/repo/clusters/prod/services/lt.json"
family_doc="{\"family\": \"later\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
printf '%s\n' "$family_doc" >"$T/repo/taskdefs/later.json"
cp "$T/repo/clusters/prod/services/lt.json" "$SP/lt.json"
ok $? "a service of family later, which is not registered, is accepted"
waiting() { svc_key prod lt state | grep -q "^waiting"; }
wait_for 10 waiting
ok $? "its status says it is waiting"
like "$(svc_key prod lt state)" "later" "naming the family"
waiting_event() { svc_events_has prod lt "\(service lt\) is waiting for task definition later"; }
wait_for 10 waiting_event
ok $? "events: is waiting for task definition later"
is "$(svc_key prod lt running_count)" "0" "nothing runs"

# ---- first deployments of cb, nr, hc; then lt's family arrives with rsync ----
wait_for 60 svc_steady prod cb 2
ok $? "cb runs 2 tasks of cbf:1"
wait_for 60 svc_steady prod nr 2
ok $? "nr runs 2 tasks of nrf:1"
wait_for 60 svc_steady prod n1 1
ok $? "n1 runs 1 task of n1f:1"
remember_tasks prod
rsync -rt "$T/repo/" "$MNT/spec/"
ok $? "rsync -rt of the repository (clusters/ before taskdefs/) into spec/"
is "$(readlink "$MNT/taskdefs/later/latest")" "1.json" "later:1 is registered"
wait_for 60 svc_all_rev prod lt later:1 2
ok $? "the waiting service converges: 2 tasks of later:1"
wait_for 10 svc_steady prod lt 2
ok $? "and is steady"
remember_tasks prod

# ---- revisions that fail at once ----
family cbf "echo failing; exit 1"
family nrf "echo failing; exit 1"
family n1f "echo failing; exit 1"
is "$(readlink "$MNT/taskdefs/cbf/latest") $(readlink "$MNT/taskdefs/nrf/latest") $(readlink "$MNT/taskdefs/n1f/latest")" \
	"2.json 2.json 2.json" "cbf:2, nrf:2 and n1f:2 are registered, whose container exits 1 at once"
# the three deployments run side by side: give them 40 s together (it takes a few)
three_failed() {
	svc_events_has prod cb "deployment failed" && svc_events_has prod nr "deployment failed" &&
		svc_events_has prod n1 "deployment failed"
}
wait_for 40 three_failed
# take the three verdicts at once: a service whose deployment did not fail
# is crash-looping, and is scaled to 0 before anything else is looked at
cb_failed=0 nr_failed=0 n1_failed=0
failed_or_stop cb cbf:2 1 || cb_failed=1
failed_or_stop nr nrf:2 1 || nr_failed=1
failed_or_stop n1 n1f:2 1 || n1_failed=1

# with rollback
if [ $cb_failed = 0 ]; then
	ok 0 "cb: the deployment of cbf:2 failed"
	like "$(grep 'deployment failed' "$C/services/cb/events")" "tasks failed to start" "because tasks failed to start"
	cb_back() { svc_events_has prod cb "\(service cb\) deployment ecs-svc/[0-9]+ rolling back to task definition cbf:1 in deployment ecs-svc/[0-9]+\."; }
	wait_for 10 cb_back
	ok $? "cb: events say it rolls back to cbf:1"
	wait_for 90 svc_all_rev prod cb cbf:1 2
	ok $? "cb: 2 tasks run, all of cbf:1"
	cb_done() { svc_deps prod cb | grep -Eqx "ecs-svc/[0-9]+ PRIMARY cbf:1 COMPLETED 2 0"; }
	wait_for 60 cb_done
	ok $? "cb: the PRIMARY deployment is cbf:1, COMPLETED"
	is "$(svc_deps prod cb | grep -c 'cbf:2')" "0" "cb: no deployment of cbf:2 is left"
	n2=$(rev_tasks cb cbf:2)
	like "$n2" '^[1-9]' "cb: $n2 tasks of cbf:2 were tried"
	grew() { [ "$(rev_tasks cb cbf:2)" -gt "$n2" ]; }
	never_within 5 grew
	ok $? "cb: no more tasks of cbf:2 start after the rollback"
	wait_for 10 svc_steady prod cb 2
	ok $? "cb: steady"
	is "$(cat "$C/services/cb/task_definition")" "cbf" "cb: task_definition still reads cbf"
else
	ok 1 "cb: the deployment of cbf:2 failed (a revision whose container exits 1 at once)"
fi
remember_tasks prod

# without rollback: nr (desiredCount 2) and n1 (desiredCount 1)
if [ $nr_failed = 0 ]; then
	ok 0 "nr: the deployment of nrf:2 failed"
	nr_failed() { svc_deps prod nr | grep -Eqx "ecs-svc/[0-9]+ PRIMARY nrf:2 FAILED 0 [0-9]+"; }
	nr_failed
	ok $? "nr: service.json shows the nrf:2 deployment PRIMARY and FAILED"
	like "$(svc_deps prod nr | head -n 1 | cut -d' ' -f6)" '^[3-9]$' "nr: with its failedTasks (3, the threshold for 2)"
	svc_events_has prod nr "\(service nr\) \(deployment ecs-svc/[0-9]+\) deployment failed"
	ok $? "nr: events say the deployment failed"
	! svc_events_has prod nr "rolling back"
	ok $? "nr: and no rollback"
	like "$(jget "$C/services/nr/service.json" '[x["rolloutState"] for x in d["deployments"]]')" "'FAILED'" \
		"nr: service.json rolloutState FAILED"
	n2=$(rev_tasks nr nrf:2)
	like "$n2" '^[3-9]$' "nr: $n2 tasks of nrf:2 were tried"
	grew() { [ "$(rev_tasks nr nrf:2)" -gt "$n2" ]; }
	never_within 5 grew
	ok $? "nr: no more tasks of nrf:2 start once it FAILED"
	# (whether nrf:1 tasks are left depends on whether nrf:2 tasks were seen
	# RUNNING for a moment before they exited: not asserted)
else
	ok 1 "nr: the deployment of nrf:2 failed (a revision whose container exits 1 at once)"
fi
remember_tasks prod
if [ $n1_failed = 0 ]; then
	ok 0 "n1: the deployment of n1f:2 failed"
	n2=$(rev_tasks n1 n1f:2)
	grew() { [ "$(rev_tasks n1 n1f:2)" -gt "$n2" ]; }
	never_within 5 grew
	ok $? "n1: no more tasks of n1f:2 start ($n2 were tried)"
else
	ok 1 "n1: the deployment of n1f:2 failed (a revision whose container exits 1 at once)"
fi
remember_tasks prod

# ---- health checks ----
hc_replaced() { task_is prod "$hc1" STOPPED && [ -n "$(svc_ids prod hc | grep -vx "$hc1")" ]; }
wait_for 90 hc_replaced
ok $? "hc: the task that failed its health check is stopped and another started"
like "$(skey "$C/tasks/$hc1/status" stopped_reason)" "health check" "hc: its stopped_reason names the health check"
is "$(jget "$C/tasks/$hc1/task.json" 'd["containers"][0].get("healthStatus")')" "UNHEALTHY" \
	"hc: its container was UNHEALTHY"
svc_events_has prod hc "\(service hc\) \(task $hc1\) failed container health checks\."
ok $? "hc: events say it failed container health checks"
remember_tasks prod

# ---- the end: nothing left ----
for s in cb nr n1 hc lt; do
	svc_drain prod $s
	ok $? "$s scaled to 0: its tasks stop"
done
remember_tasks prod
stop_all_tasks prod
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
