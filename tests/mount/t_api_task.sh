#!/usr/bin/env bash
# Tasks through the ECS API with the AWS CLI v2 (issue 12): run-task with
# --network-configuration, describe-tasks, the tasks-running and
# tasks-stopped waiters, stop-task --reason, list-tasks and its filters;
# the tree shows the same tasks. Port 4621.
. "$(dirname "$0")/lib_api_ecs.sh"
api_suite 4621
C=$MNT/clusters/prod

register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64,
   \"command\": [\"sh\", \"-c\", \"$LONG\"]}]}"

out=$(ecs run-task --cluster prod --task-definition web --count 2 --started-by t_api \
	--network-configuration 'awsvpcConfiguration={subnets=[subnet-1],assignPublicIp=DISABLED}' \
	--tags key=team,value=a 2>&1)
is "$(printf '%s' "$out" | jq_py 'len(d["tasks"]), d["failures"]')" "2 []" \
	"run-task --count 2 starts two tasks, no failures"
ARNS=$(printf '%s' "$out" | jq_py '" ".join(t["taskArn"] for t in d["tasks"])')
for a in $ARNS; do echo "${a##*/}" >>"$T/task-ids"; done
A1=${ARNS%% *}
ID1=${A1##*/}
like "$A1" '^arn:aws:ecs:local:000000000000:task/prod/[0-9a-f]{32}$' "task ARNs of ECS's shape"
is "$(printf '%s' "$out" | jq_py 'd["tasks"][0]["lastStatus"], d["tasks"][0]["tags"][0]["key"]')" \
	"PROVISIONING team" "a new task is PROVISIONING, with its tags"
test -d "$C/tasks/$ID1"
ok $? "the task is a directory of the tree at once"

ecs wait tasks-running --cluster prod --tasks $ARNS
ok $? "aws ecs wait tasks-running succeeds"
out=$(ecs describe-tasks --cluster prod --tasks $ARNS "${A1%/*}/0123" --include TAGS)
is "$(printf '%s' "$out" | jq_py '[t["lastStatus"] for t in d["tasks"]]')" "['RUNNING', 'RUNNING']" \
	"describe-tasks: both RUNNING"
is "$(printf '%s' "$out" | jq_py 'd["failures"][0]["reason"]')" "MISSING" \
	"an unknown task is a MISSING failure"
like "$(printf '%s' "$out" | jq_py '[x["value"] for x in d["tasks"][0]["attachments"][0]["details"] if x["name"] == "privateIPv4Address"][0]')" \
	'^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "an awsvpc attachment with the task's own address"
is "$(jget "$C/tasks/$ID1/task.json" 'd["lastStatus"], d["startedBy"]')" "('RUNNING', 't_api')" \
	"task.json of the tree says the same"

is "$(ecs list-tasks --cluster prod | jq_py 'len(d["taskArns"])')" 2 "list-tasks: 2 RUNNING"
is "$(ecs list-tasks --cluster prod --started-by t_api | jq_py 'len(d["taskArns"])')" 2 \
	"--started-by"
is "$(ecs list-tasks --cluster prod --family web | jq_py 'len(d["taskArns"])')" 2 "--family"
is "$(ecs list-tasks --cluster prod --family other | jq_py 'len(d["taskArns"])')" 0 \
	"--family of another"
is "$(ecs list-tasks --cluster prod --desired-status STOPPED | jq_py 'len(d["taskArns"])')" 0 \
	"--desired-status STOPPED: none yet"
is "$(ecs list-tasks --cluster prod --max-items 1 | jq_py 'len(d["taskArns"]), "NextToken" in d')" \
	"1 True" "--max-items 1 pages (the CLI's paginator over nextToken)"

out=$(ecs stop-task --cluster prod --task "$A1" --reason "deploying v2")
is "$(printf '%s' "$out" | jq_py 'd["task"]["desiredStatus"], d["task"]["stoppedReason"]')" \
	"STOPPED deploying v2" "stop-task --reason: desiredStatus STOPPED with the reason"
ecs wait tasks-stopped --cluster prod --tasks "$A1"
ok $? "aws ecs wait tasks-stopped succeeds"
is "$(skey "$C/tasks/$ID1/status" stopped_reason)" "deploying v2" "the tree's status has the reason"
is "$(skey "$C/tasks/$ID1/status" stop_code)" "UserInitiated" "UserInitiated"
is "$(ecs list-tasks --cluster prod --desired-status STOPPED | jq_py 'len(d["taskArns"])')" 1 \
	"list-tasks --desired-status STOPPED: 1"

out=$(ecs run-task --cluster nope --task-definition web 2>&1)
like "$out" "ClusterNotFoundException" "run-task in an unknown cluster: ClusterNotFoundException"
out=$(ecs run-task --cluster prod --task-definition nosuch 2>&1)
like "$out" "ClientException.*nosuch" "of an unknown family: ClientException naming it"
tail -n 1 "$MNT/errors" | grep -q 'api:ecs.RunTask'
ok $? "the refusal is a line in /ecs/errors"

# the file tree's `stop` and StopTask are one operation
ID2=$(printf '%s\n' $ARNS | sed -n '2s|.*/||p')
echo "from the tree" >"$C/tasks/$ID2/stop"
ecs wait tasks-stopped --cluster prod --tasks "$ID2"
ok $? "a stop written in the tree satisfies the tasks-stopped waiter"

stop_all_tasks prod
no_task_containers_left
no_containers_left
done_testing
