#!/usr/bin/env bash
# CloudWatch Logs over the captured logs (issue 12), with the AWS CLI and
# boto3 signed by the daemon's own credentials: a task whose container uses
# the awslogs driver prints numbered lines; describe-log-groups,
# describe-log-streams, get-log-events and filter-log-events show them with
# their times, and `aws logs tail --follow` sees a line printed after it
# started, and every line keeps its time across a restart of the daemon.
# Ports 4631-4639.
. "$(dirname "$0")/lib.sh"

PORT=4631
URL=http://127.0.0.1:$PORT
# Debian's AWS CLI v2 and python3 (with python3-boto3), not others that
# come first on PATH (a pyenv's aws is CLI v1, which has no `logs tail`)
AWS=/usr/bin/aws
PY=/usr/bin/python3
[ -x "$AWS" ] || AWS=aws
[ -x "$PY" ] || PY=python3

# awsl ARGS...: aws logs, signed with profile ecsfs of STATE/credentials
awsl() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
		"$AWS" --profile ecsfs --region us-east-1 --endpoint-url "$URL" --output json logs "$@"
}
# q JSON EXPR: a python expression over the document d
q() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

trap 'task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
start_daemon --api "127.0.0.1:$PORT" || exit 1
wait_for 10 test -s "$STATE/credentials"
mkdir "$MNT/clusters/prod"
TK=$MNT/clusters/prod/tasks

# The container prints five lines, then whatever is written to the FIFO
# the test holds (a bind mount), each write once.
mkdir "$T/trig" && mkfifo "$T/trig/fifo"
register web '{"family": "web", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 64,
   "logConfiguration": {"logDriver": "awslogs", "options": {
     "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}},
   "mountPoints": [{"sourceVolume": "trig", "containerPath": "/trig"}],
   "command": ["sh", "-c", "for i in 1 2 3 4 5; do echo \"line $i\"; done; echo oops-ERROR >&2; trap '\''exit 0'\'' TERM; while :; do cat /trig/fifo & wait $!; done"]}],
  "volumes": [{"name": "trig", "host": {"sourcePath": "'"$T/trig"'"}}]}'
register plain '{"family": "plain", "containerDefinitions": [
  {"name": "say", "image": "ecsfs-busybox:latest", "memory": 64,
   "command": ["sh", "-c", "echo plain hello"]}]}'

id=$(run_task prod web)
# the other through the ECS API: one store, either front end
out=$(AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null "$AWS" --profile ecsfs \
	--region us-east-1 --endpoint-url "$URL" --output json ecs run-task --cluster prod --task-definition plain 2>&1)
idp=$(q "$out" 'd["tasks"][0]["taskArn"].split("/")[-1]' 2>/dev/null)
echo "$idp" >>"$T/task-ids"
like "$idp" '^[0-9a-f]{32}$' "aws ecs run-task starts the plain task"
wait_task 60 prod "$id" RUNNING
ok $? "the awslogs task runs"
wait_for 20 log_has "$TK/$id/containers/app/logs" oops-ERROR
ok $? "its lines are captured"
wait_task 60 prod "$idp" STOPPED
ok $? "the plain task ran and stopped"

# ---- groups and streams ----
out=$(awsl describe-log-groups 2>&1)
is "$(q "$out" '" ".join(g["logGroupName"] for g in d["logGroups"])')" "/ecs/plain /ecs/web" \
	"describe-log-groups: awslogs-group /ecs/web, and /ecs/plain for a task without awslogs"
like "$(q "$out" 'd["logGroups"][1]["arn"]')" '^arn:aws:logs:local:000000000000:log-group:/ecs/web:\*$' \
	"the group's ARN"
out=$(awsl describe-log-groups --log-group-name-prefix /ecs/w 2>&1)
is "$(q "$out" 'len(d["logGroups"])')" 1 "--log-group-name-prefix"

STREAM=web/app/$id
out=$(awsl describe-log-streams --log-group-name /ecs/web 2>&1)
is "$(q "$out" 'd["logStreams"][0]["logStreamName"]')" "$STREAM" \
	"describe-log-streams: <prefix>/<container>/<task id>"
now_ms=$(($(date +%s) * 1000))
first=$(q "$out" 'd["logStreams"][0]["firstEventTimestamp"]')
last=$(q "$out" 'd["logStreams"][0]["lastEventTimestamp"]')
[ "$first" -le "$last" ] && [ "$last" -le $((now_ms + 1000)) ] && [ "$first" -gt $((now_ms - 600000)) ]
ok $? "firstEventTimestamp <= lastEventTimestamp, epoch milliseconds of the last minutes ($first, $last)"
out=$(awsl describe-log-streams --log-group-name /ecs/plain 2>&1)
is "$(q "$out" 'd["logStreams"][0]["logStreamName"]')" "ecs/say/$idp" "the default stream: ecs/<container>/<task id>"
out=$(awsl describe-log-streams --log-group-name /ecs/nope 2>&1)
like "$out" 'ResourceNotFoundException' "an unknown group: ResourceNotFoundException"

# ---- events ----
out=$(awsl get-log-events --log-group-name /ecs/web --log-stream-name "$STREAM" --start-from-head 2>&1)
# stdout and stderr reach the engine through two pipes: their order is the engine's
is "$(q "$out" '",".join(e["message"] for e in d["events"] if "line" in e["message"])')" \
	"line 1,line 2,line 3,line 4,line 5" "get-log-events --start-from-head: every line, oldest first"
is "$(q "$out" 'len(d["events"]), sorted(d["events"], key=lambda e: e["timestamp"]) == d["events"]')" \
	"(6, True)" "... with the stderr line, in the order of their times"
fwd=$(q "$out" 'd["nextForwardToken"]')
out=$(awsl get-log-events --log-group-name /ecs/web --log-stream-name "$STREAM" --start-from-head --next-token "$fwd" 2>&1)
is "$(q "$out" 'len(d["events"]), d["nextForwardToken"] == "'"$fwd"'"')" "(0, True)" \
	"at the end, the same nextForwardToken comes back"
out=$(awsl get-log-events --log-group-name /ecs/web --log-stream-name "$STREAM" --limit 2 2>&1)
like "$(q "$out" '",".join(e["message"] for e in d["events"])')" '^(line 4,line 5|line 5,oops-ERROR|oops-ERROR,line 5)$' \
	"--limit 2: the newest two"
out=$(awsl get-log-events --log-group-name /ecs/web --log-stream-name web/app/nope 2>&1)
like "$out" 'ResourceNotFoundException' "an unknown stream: ResourceNotFoundException"

out=$(awsl filter-log-events --log-group-name /ecs/web --filter-pattern '"line 3"' 2>&1)
is "$(q "$out" '[e["message"] for e in d["events"]]')" "['line 3']" "filter-log-events: a quoted phrase"
out=$(awsl filter-log-events --log-group-name /ecs/web --filter-pattern ERROR 2>&1)
is "$(q "$out" '[(e["message"], e["logStreamName"]) for e in d["events"]]')" "[('oops-ERROR', '$STREAM')]" \
	"a term (stderr is captured too)"
is "$(q "$out" 'd["searchedLogStreams"]')" "[{'logStreamName': '$STREAM', 'searchedCompletely': True}]" \
	"searchedLogStreams"
out=$(awsl filter-log-events --log-group-name /ecs/web --filter-pattern '{ $.a = 1 }' 2>&1)
like "$out" 'InvalidParameterException' "a JSON pattern: InvalidParameterException"

out=$(AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null "$PY" - "$URL" <<'PY' 2>&1
import sys, boto3
logs = boto3.Session(profile_name="ecsfs", region_name="us-east-1").client("logs", endpoint_url=sys.argv[1])
pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName="/ecs/web",
                                                               PaginationConfig={"PageSize": 2}))
msgs = [e["message"] for p in pages for e in p["events"]]
print(len(pages) >= 3, sorted(msgs))
PY
)
is "$out" "True ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'oops-ERROR']" \
	"boto3's filter_log_events paginator, 2 a page: every event once"

# ---- aws logs tail --follow ----
timeout 30 bash -c "AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
	$AWS --profile ecsfs --region us-east-1 --endpoint-url $URL logs tail /ecs/web --follow --format short" \
	>"$T/tail.out" 2>&1 &
TAIL=$!
wait_for 20 log_has "$T/tail.out" 'line 5'
ok $? "aws logs tail --follow prints what is there"
late="late line $$-$RANDOM"
timeout 10 sh -c "echo '$late' >'$T/trig/fifo'"
ok $? "the container is told to print one more line"
wait_for 25 log_has "$T/tail.out" "$late"
ok $? "aws logs tail --follow sees the line printed after it started"
kill "$TAIL" 2>/dev/null
wait "$TAIL" 2>/dev/null
is "$(grep -c "$late" "$T/tail.out")" 1 "... once"

# ---- a restart of the daemon keeps every line's time ----
evs() { awsl get-log-events --log-group-name /ecs/web --log-stream-name "$STREAM" --start-from-head 2>&1 |
	python3 -c 'import json,sys; print("\n".join("%d %s" % (e["timestamp"], e["message"]) for e in json.load(sys.stdin)["events"]))'; }
before=$(evs)
stop_daemon
ok $? "the daemon stops with 0 (its task goes on)"
start_daemon --api "127.0.0.1:$PORT" || exit 1
wait_for 20 sh -c "curl -s -o /dev/null http://127.0.0.1:$PORT/"
is "$(evs)" "$before" "after a restart the same events with the same times"
again="after restart $$-$RANDOM"
timeout 10 sh -c "echo '$again' >'$T/trig/fifo'"
wait_for 20 log_has "$TK/$id/containers/app/logs" "$again"
ok $? "the re-adopted container prints one more line"
out=$(evs)
is "$(head -n -1 <<<"$out")" "$before" "the events before it are as they were"
is "$(tail -n 1 <<<"$out" | cut -d' ' -f2-)" "$again" "it comes last"
[ "$(tail -n 1 <<<"$out" | cut -d' ' -f1)" -ge "$(tail -n 1 <<<"$before" | cut -d' ' -f1)" ]
ok $? "no older than the line before it"

stop_all_tasks prod 60
ok $? "every task stops"
out=$(awsl get-log-events --log-group-name /ecs/web --log-stream-name "$STREAM" --limit 1 2>&1)
is "$(q "$out" 'd["events"][0]["message"]')" "$again" "a stopped task's stream stays readable"
stop_daemon
ok $? "the daemon stops with 0"
no_containers_left
done_testing
