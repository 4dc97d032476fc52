#!/usr/bin/env bash
# EventBridge Scheduler (REST-JSON) and EventBridge rules (AWSEvents) over
# the API with Debian's AWS CLI v2, signed with the daemon's credentials:
# create/get/list/update/delete-schedule and put-rule/put-targets/
# list-rules/list-targets-by-rule/remove-targets/delete-rule, each shown
# by the file tree as the same schedule (spec/clusters/prod/schedules/,
# clusters/prod/schedules/); an API-made at() fires its task on the real
# engine, a rule's target runs with its Input overrides (on a shortened
# minute, --schedule-minute-ms); bad input is a ValidationException naming
# the field, leaves the schedule as it was and is a line of /ecs/errors.
. "$(dirname "$0")/lib_api_ecs.sh"
UNIT=2000 # ms in a schedule's minute here
API_PORT=4641
API_URL=http://127.0.0.1:$API_PORT
trap 'task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
start_daemon --api "127.0.0.1:$API_PORT" --schedule-minute-ms $UNIT || exit 1
wait_for 10 test -s "$STATE/credentials" || {
	echo "Bail out! no STATE/credentials"
	exit 1
}
mkdir "$MNT/clusters/prod"
C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/schedules
ARN=arn:aws:ecs:local:000000000000:cluster/prod

aws_() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
		AWS_PAGER= "$AWS" --profile ecsfs --region us-east-1 --endpoint-url "$API_URL" \
		--output json "$@"
}
sched() { aws_ scheduler "$@"; }
events() { aws_ events "$@"; }
last_error() { tail -n 1 "$MNT/errors"; }
# started NAME: how many tasks fires of schedule NAME started (by startedBy)
started() {
	"$PY3" - "$C/tasks" "schedule/$1/" <<'PY'
import json, os, sys
n = 0
for t in os.listdir(sys.argv[1]):
    try:
        d = json.load(open(os.path.join(sys.argv[1], t, "task.json")))
    except (OSError, ValueError):
        continue
    n += d.get("startedBy", "").startswith(sys.argv[2])
print(n)
PY
}
at_least() { [ "$(started "$1")" -ge "$2" ] 2>/dev/null; }
# task_of NAME: a task id a fire of schedule NAME started
task_of() {
	grep -l "\"startedBy\": \"schedule/$1/" "$C"/tasks/*/task.json 2>/dev/null | head -n 1 |
		xargs -r dirname | xargs -r basename
}

register job '{"containerDefinitions": [{"name": "app", "image": "ecsfs-busybox:latest",
  "memory": 32, "command": ["sh", "-c", "echo job-ran"]}]}'
TARGET='{"Arn": "'$ARN'", "RoleArn": "arn:aws:iam::000000000000:role/sched",
  "EcsParameters": {"TaskDefinitionArn": "job", "TaskCount": 1}}'

# ---- CreateSchedule: the file tree shows it ----
out=$(sched create-schedule --name nightly --schedule-expression 'cron(0 6 * * ? *)' \
	--schedule-expression-timezone Europe/Paris --flexible-time-window Mode=OFF \
	--target "$TARGET" --description 'nightly batch')
ok $? "scheduler create-schedule"
like "$out" '"ScheduleArn": "arn:aws:scheduler:local:000000000000:schedule/default/nightly"' "answers its ARN"
is "$(jget "$SP/nightly.json" 'd["ScheduleExpression"], d["ScheduleExpressionTimezone"], d["Target"]["Arn"], "Name" in d')" \
	"('cron(0 6 * * ? *)', 'Europe/Paris', '$ARN', False)" \
	"spec/clusters/prod/schedules/nightly.json is the request without Name"
like "$(cat "$C/schedules/nightly/status")" 'expression: cron\(0 6 \* \* \? \*\)' "clusters/prod/schedules/nightly/status has it"
like "$(cat "$C/events")" 'schedule nightly\) was created' "the cluster's events say so"
out=$(sched create-schedule --name nightly --schedule-expression 'rate(1 hour)' \
	--flexible-time-window Mode=OFF --target "$TARGET" 2>&1)
like "$out" "ConflictException" "the same name again: ConflictException"

# ---- GetSchedule, ListSchedules: files and API alike ----
is "$(sched get-schedule --name nightly --query '[Name,GroupName,State,ScheduleExpression,Target.EcsParameters.TaskDefinitionArn,Description]' --output text)" \
	"nightly	default	ENABLED	cron(0 6 * * ? *)	job	nightly batch" "scheduler get-schedule"
printf '{"ScheduleExpression": "rate(1 day)", "State": "DISABLED", "Target": {"EcsParameters": {"TaskDefinitionArn": "job"}}}\n' >"$SP/from-file.json"
ok $? "a schedule written as a file"
is "$(sched list-schedules --query 'Schedules[].[Name,State,Target.Arn]' --output text)" \
	"from-file	DISABLED	$ARN
nightly	ENABLED	$ARN" "scheduler list-schedules: the file's and the API's"
is "$(sched list-schedules --name-prefix night --state ENABLED --query 'Schedules[].Name' --output text)" \
	"nightly" "list-schedules --name-prefix --state"
is "$(sched get-schedule --name from-file --query 'Target.Arn' --output text)" "$ARN" \
	"get-schedule of the file's: its cluster's ARN"
is "$(sched list-schedule-groups --query 'ScheduleGroups[].Name' --output text)" "default" \
	"list-schedule-groups: default"
out=$(sched get-schedule --name nope 2>&1)
like "$out" "ResourceNotFoundException.*Schedule nope does not exist" "get-schedule of nothing: ResourceNotFoundException"

# ---- UpdateSchedule: bad input leaves the schedule ----
before=$(cat "$SP/nightly.json")
out=$(sched update-schedule --name nightly --schedule-expression 'rate(1 hours)' \
	--flexible-time-window Mode=OFF --target "$TARGET" 2>&1)
like "$out" "ValidationException.*ScheduleExpression" "rate(1 hours): ValidationException naming the field"
like "$(last_error)" '"api:scheduler.UpdateSchedule"' "/ecs/errors has the refusal"
out=$(sched update-schedule --name nightly --schedule-expression 'rate(1 hour)' \
	--flexible-time-window Mode=OFF --target "${TARGET/\"TaskCount\": 1/\"TaskCount\": 11}" 2>&1)
like "$out" "ValidationException.*Target.EcsParameters.TaskCount" "TaskCount 11: ValidationException naming the field"
is "$(cat "$SP/nightly.json")" "$before" "the spec file is unchanged"
like "$(cat "$C/schedules/nightly/status")" 'expression: cron\(0 6' "and so is the schedule in effect"
sched update-schedule --name nightly --schedule-expression 'rate(1 hour)' --state DISABLED \
	--flexible-time-window Mode=OFF --target "$TARGET" >/dev/null
ok $? "scheduler update-schedule"
like "$(cat "$C/schedules/nightly/status")" 'state: DISABLED' "the live view follows"
is "$(jget "$SP/nightly.json" 'd["ScheduleExpression"], d["State"]')" "('rate(1 hour)', 'DISABLED')" \
	"so does the spec file"

# ---- an API-made at() fires its task on the real engine ----
when=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%S)
sched create-schedule --name once --schedule-expression "at($when)" \
	--flexible-time-window Mode=OFF --target "$TARGET" >/dev/null
ok $? "create-schedule at($when)"
wait_for 60 at_least once 1
ok $? "it fires a task"
id=$(task_of once)
echo "$id" >>"$T/task-ids"
wait_for 60 task_is prod "$id" STOPPED
ok $? "the task ran to its end"
like "$(cat "$C/tasks/$id/logs" 2>/dev/null)" "job-ran" "its container ran"
is "$(started once)" "1" "once, not twice"

# ---- DeleteSchedule ----
sched delete-schedule --name nightly
ok $? "scheduler delete-schedule"
wait_for 10 test ! -e "$SP/nightly.json"
ok $? "the spec file goes"
out=$(sched get-schedule --name nightly 2>&1)
like "$out" "ResourceNotFoundException" "get-schedule after it: ResourceNotFoundException"
sched delete-schedule --name once && sched delete-schedule --name from-file
ok $? "delete-schedule of the at() and of the file-made one"

# ---- EventBridge rules: the classic ECS scheduled task ----
out=$(events put-rule --name etl --schedule-expression 'rate(5 minutes)' --description 'every 10 s here')
ok $? "events put-rule"
like "$out" '"RuleArn": "arn:aws:events:local:000000000000:rule/etl"' "answers its ARN"
test ! -e "$SP/etl.json"
ok $? "a rule without a target runs nothing: no schedule yet"
out=$(events put-rule --name etl --schedule-expression 'rate(0 minutes)' 2>&1)
like "$out" "ValidationException.*ScheduleExpression" "rate(0 minutes): ValidationException naming the field"
like "$(last_error)" '"api:events.PutRule"' "/ecs/errors has it"
INPUT='{\"containerOverrides\": [{\"name\": \"app\", \"command\": [\"sh\", \"-c\", \"echo from-rule\"]}]}'
out=$(events put-targets --rule etl --targets '[{"Id": "t1", "Arn": "'$ARN'",
  "RoleArn": "arn:aws:iam::000000000000:role/ev", "Input": "'"$INPUT"'",
  "EcsParameters": {"TaskDefinitionArn": "job", "TaskCount": 1, "LaunchType": "EC2"}}]')
ok $? "events put-targets with EcsParameters"
is "$(echo "$out" | jq_py 'd["FailedEntryCount"]')" "0" "no failed entry"
is "$(jget "$SP/etl.json" 'd["ScheduleExpression"], d["Target"]["EcsParameters"]["TaskDefinitionArn"]')" \
	"('rate(5 minutes)', 'job')" "the rule's target is spec/clusters/prod/schedules/etl.json"
out=$(events put-targets --rule etl --targets '[{"Id": "fn", "Arn": "arn:aws:lambda:local:000000000000:function:f"}]')
like "$out" '"FailedEntryCount": 1' "a target that is not ECS is a failed entry"
like "$out" "would run nothing" "that says so"
is "$(events list-rules --query 'Rules[].[Name,ScheduleExpression,State]' --output text)" \
	"etl	rate(5 minutes)	ENABLED" "events list-rules"
is "$(events list-targets-by-rule --rule etl --query 'Targets[].[Id,Arn,EcsParameters.TaskDefinitionArn]' --output text)" \
	"t1	$ARN	job" "events list-targets-by-rule"
wait_for 60 at_least etl 1
ok $? "the rule's target runs a task"
id=$(task_of etl)
echo "$id" >>"$T/task-ids"
wait_for 60 task_is prod "$id" STOPPED
like "$(cat "$C/tasks/$id/logs" 2>/dev/null)" "from-rule" "with the target's Input as its overrides"
out=$(events delete-rule --name etl 2>&1)
like "$out" "ValidationException.*has targets" "delete-rule with a target: refused"
events remove-targets --rule etl --ids t1 >/dev/null
ok $? "events remove-targets"
wait_for 10 test ! -e "$SP/etl.json"
ok $? "the schedule goes with the target"
events delete-rule --name etl
ok $? "events delete-rule"
is "$(events list-rules --query 'length(Rules)')" "0" "no rule is left"

remember_tasks prod
stop_all_tasks prod 60
ok $? "every task stopped"
stop_daemon
ok $? "the daemon stops"
no_containers_left
done_testing
