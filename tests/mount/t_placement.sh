#!/usr/bin/env bash
# Placement through the files and the AWS CLI v2 (issue 16): placement
# documents checked where they are written (a malformed memberOf
# expression refused with its position, in a service file and in
# run-task), run-task placing over the instance local (memberOf its zone
# runs, memberOf nothing is a failure in ECS's words, distinctInstance
# runs one of two), capacity-provider strategies refused as ECS refuses
# them. Port 4671 (placement's range).
. "$(dirname "$0")/lib_api_ecs.sh"
api_suite 4671
C=$MNT/clusters/prod
S=$MNT/spec/clusters/prod/services

register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64,
   \"command\": [\"sh\", \"-c\", \"$LONG\"]}]}"

# a service file with a malformed expression: refused, with the position
cat >"$T/web.json" <<'JSON'
{"taskDefinition": "web", "desiredCount": 0,
 "placementConstraints": [{"type": "memberOf", "expression": "attribute:stack = prod"}]}
JSON
cp "$T/web.json" "$S/web.json" 2>/dev/null
ok $((! $?)) "a service with a malformed memberOf expression is refused"
test ! -e "$S/web.json"
ok $? "... and not made"
like "$(tail -n 1 "$MNT/errors")" \
	'placementConstraints\[0\]\.expression: unknown operator at position 17' \
	"/ecs/errors names the field and the position"

# the same expression, fixed, is taken; the strategy is checked too
sed -i 's/stack = prod/stack == prod/' "$T/web.json"
cp "$T/web.json" "$S/web.json"
ok $? "the fixed expression is taken"
printf '%s\n' '{"taskDefinition": "web", "placementStrategy": [{"type": "binpack", "field": "disk"}]}' \
	>"$T/bad.json"
cp "$T/bad.json" "$S/api.json" 2>/dev/null
ok $((! $?)) "binpack on disk is refused"
like "$(tail -n 1 "$MNT/errors")" 'binpack takes the field cpu or memory' "... saying why"

# run-task: the same checks as InvalidParameterException
out=$(ecs run-task --cluster prod --task-definition web \
	--placement-constraints '[{"type": "memberOf", "expression": "attribute:zone in [a, b"}]' 2>&1)
like "$out" "InvalidParameterException.*',' or ']' is expected at position 24" \
	"run-task with an unclosed list: InvalidParameterException with the position"
out=$(ecs run-task --cluster prod --task-definition web --launch-type EC2 \
	--capacity-provider-strategy capacityProvider=FARGATE,weight=1 2>&1)
like "$out" 'InvalidParameterException.*launch type and a capacity provider strategy' \
	"launchType with a strategy is refused"
out=$(ecs run-task --cluster prod --task-definition web --capacity-provider-strategy \
	capacityProvider=FARGATE,base=1 capacityProvider=FARGATE_SPOT,base=1,weight=1 2>&1)
like "$out" 'only one capacity provider in a strategy can have a base' "two bases are refused"
out=$(ecs run-task --cluster prod --task-definition web --capacity-provider-strategy \
	capacityProvider=FARGATE capacityProvider=FARGATE_SPOT 2>&1)
like "$out" 'weight greater than 0' "all weights 0 are refused"
out=$(ecs run-task --cluster prod --task-definition web \
	--capacity-provider-strategy capacityProvider=mine,weight=1 2>&1)
like "$out" "'mine' is not associated with the cluster" "an unknown provider is refused"

# placed over the instance local
out=$(ecs run-task --cluster prod --task-definition web \
	--placement-constraints 'type=memberOf,expression=attribute:ecs.availability-zone == local')
is "$(printf '%s' "$out" | jq_py 'len(d["tasks"]), d["failures"]')" "1 []" \
	"memberOf the zone local: placed, no failures"
A1=$(printf '%s' "$out" | jq_py 'd["tasks"][0]["taskArn"]')
echo "${A1##*/}" >>"$T/task-ids"

out=$(ecs run-task --cluster prod --task-definition web \
	--placement-constraints 'type=memberOf,expression=attribute:stack == prod')
is "$(printf '%s' "$out" | jq_py 'len(d["tasks"]), d["failures"][0]["reason"]')" \
	"0 MemberOf placement constraint unsatisfied." \
	"memberOf nothing: no task, ECS's failure reason"
like "$(printf '%s' "$out" | jq_py 'd["failures"][0]["arn"]')" \
	'^arn:aws:ecs:[^:]*:000000000000:container-instance/prod/local$' "... naming instance local"

out=$(ecs run-task --cluster prod --task-definition web --count 2 --group solo \
	--placement-constraints type=distinctInstance)
is "$(printf '%s' "$out" | jq_py 'len(d["tasks"]), d["failures"][0]["reason"]')" \
	"1 DistinctInstance placement constraint unsatisfied." \
	"distinctInstance, 2 tasks on one instance: one runs, one fails"
A2=$(printf '%s' "$out" | jq_py 'd["tasks"][0]["taskArn"]')
echo "${A2##*/}" >>"$T/task-ids"
ecs wait tasks-running --cluster prod --tasks "$A1" "$A2"
ok $? "the placed tasks run"
test -d "$C/tasks/${A2##*/}"
ok $? "the tree shows them"

# the run file places the same way; none fitting is the write's error
printf '%s\n' '{"taskDefinition": "web", "placementConstraints": [{"type": "memberOf",
  "expression": "attribute:stack == prod"}]}' >"$T/run.json"
out=$(cp "$T/run.json" "$C/run" 2>&1)
ok $((! $?)) "a run write none of whose tasks fit fails"
like "$out" 'No space left on device' "... with ENOSPC"
like "$(tail -n 1 "$MNT/errors")" \
	'no container instance met all of the task.s requirements \(local: MemberOf placement constraint unsatisfied.\)' \
	"/ecs/errors says which instance refused it and why"

stop_all_tasks prod
no_task_containers_left
no_containers_left
done_testing
