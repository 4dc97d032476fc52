#!/usr/bin/env bash
# Scheduled tasks on the real engine: spec/clusters/prod/schedules/*.json
# written with echo, cp and rsync; rate(1 minute) on a shortened minute
# (--schedule-minute-ms 2000), an at() a few seconds ahead on the real
# clock, DISABLED, overrides from Input reaching the container, kill -9 of
# the daemon across fire times (no fire doubled, none lost), and bad input
# refused with its reason in /ecs/errors.
. "$(dirname "$0")/lib.sh"
UNIT=2000 # ms in a schedule's minute here
trap 'task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
start_daemon --schedule-minute-ms $UNIT || exit 1
mkdir "$MNT/clusters/prod"
C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/schedules
mkdir -p "$SP"

register job '{"containerDefinitions": [{"name": "app", "image": "ecsfs-busybox:latest",
  "memory": 32, "command": ["sh", "-c", "echo job-ran"]}]}'

# started NAME: how many tasks fires of schedule NAME started (by startedBy)
started() {
	python3 - "$C/tasks" "schedule/$1/" <<'PY'
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
fires() { grep -c " started " "$C/schedules/$1/history" 2>/dev/null; }
at_least() { [ "$(fires "$1")" -ge "$2" ] 2>/dev/null; }
last_error() { tail -n 1 "$MNT/errors"; }
doc() { # doc EXPRESSION [MORE JSON MEMBERS]
	printf '{"ScheduleExpression": "%s", "FlexibleTimeWindow": {"Mode": "OFF"}%s,
 "Target": {"EcsParameters": {"TaskDefinitionArn": "job"}}}\n' "$1" "${2:-}"
}

# ---- bad input: refused at write(), the reason in /ecs/errors ----
doc "rate(1 minute)" ', "State": "DISABLED"' >"$SP/keep.json"
ok $? "a DISABLED schedule is written"
before=$(cat "$C/schedules/keep/schedule.json")
bad() { # bad JSON REGEX DESCRIPTION
	local n
	n=$(errors_count)
	printf '%s\n' "$1" >"$SP/keep.json" 2>/dev/null
	[ $? -ne 0 ] && [ "$(errors_count)" -gt "$n" ]
	ok $? "$3 is refused at write() (EINVAL)"
	like "$(last_error)" "$2" "... and /ecs/errors says why"
}
bad "$(doc 'cron(0 0 * * * *)')" 'EINVAL.*exactly one of them must be \?' "both * in the day fields"
bad "$(doc 'rate(1 hours)')" 'the unit for 1 is hour, not hours' "rate(1 hours)"
bad "$(doc 'rate(0 minutes)')" 'must be at least 1' "rate(0 minutes)"
bad "$(doc 'cron(61 * * * ? *)')" 'Minutes: 61 is outside 0-59' "cron(61 * * * ? *)"
bad "$(doc 'cron(0 0 * * ? 2200)')" 'Year: 2200 is outside 1970-2199' "year 2200"
bad "$(doc 'rate(5 minutes)' ', "ScheduleExpressionTimezone": "Mars/Olympus"')" \
	'ScheduleExpressionTimezone: Mars/Olympus is not a time zone' "an unknown time zone"
bad "$(doc 'rate(5 minutes)' ', "StartDate": "2027-01-02T00:00:00Z", "EndDate": "2027-01-01T00:00:00Z"')" \
	'EndDate: must be after StartDate' "EndDate before StartDate"
bad '{"ScheduleExpression": "rate(5 minutes)", "Target": {"EcsParameters": {"TaskDefinitionArn": "job", "TaskCount": 11}}}' \
	'TaskCount: 11 is outside 1..10' "TaskCount 11"
bad '{"ScheduleExpression": "rate(5 minutes)", "Target": {"EcsParameters": {"TaskDefinitionArn": "job"}, "Input": "{\"bogus\": 1}"}}' \
	'Target.Input: not a RunTask overrides document' "an Input that is not an overrides document"
bad "$(doc 'rate(5 minutes)' ', "Schedule": 1')" 'unknown field' "an unknown field"
is "$(cat "$C/schedules/keep/schedule.json")" "$before" "the schedule is unchanged after all that"

# ---- rate(1 minute) on a 2-second minute ----
t0=$(date +%s%3N)
doc "rate(1 minute)" >"$SP/tick.json"
ok $? "echo a rate(1 minute) schedule"
like "$(ls "$C/schedules")" "tick" "it shows in the live tree"
like "$(cat "$C/schedules/tick/status")" "state: ENABLED" "status: ENABLED"
wait_for 30 at_least tick 2
ok $? "rate(1 minute) fires twice in a little over two (shortened) minutes"
t1=$(date +%s%3N)
ok $((t1 - t0 >= 2 * UNIT ? 0 : 1)) "and not before two minutes passed ($((t1 - t0)) ms)"
like "$(grep -m1 ' started ' "$C/schedules/tick/history")" \
	'^[0-9T:.-]+Z [0-9T:.-]+Z started [0-9a-f]{32}$' "history: scheduled time, actual time, task id"
like "$(cat "$C/events")" '\(schedule tick\) fired' "the cluster's events say it fired"
is "$(fires keep)" "0" "the DISABLED schedule ran nothing meanwhile"
rm "$SP/tick.json"
ok $? "rm the schedule file"
wait_for 10 test ! -e "$C/schedules/tick"
ok $? "the schedule goes (after the grace period)"
n=$(started tick)
ok $((n >= 2 ? 0 : 1)) "its fires started $n tasks"

# ---- at() a few seconds ahead, on the real clock; Input's overrides ----
when=$(date -u -d '@'$(($(date +%s) + 6)) +%Y-%m-%dT%H:%M:%S)
cat >"$SP/once.json" <<EOF
{"ScheduleExpression": "at($when)", "ActionAfterCompletion": "DELETE",
 "Target": {"EcsParameters": {"TaskDefinitionArn": "job"},
  "Input": "{\"containerOverrides\": [{\"name\": \"app\", \"command\": [\"sh\", \"-c\", \"echo from-input\"]}]}"}}
EOF
ok $? "an at() schedule 6 s ahead with DELETE"
like "$(cat "$C/schedules/once/status")" "next: ${when}.000Z" "status: its one fire"
wait_for 20 test ! -e "$SP/once.json"
ok $? "after it fired, the schedule removed its own file"
is "$(started once)" "1" "it started exactly one task"
id=$(grep -l '"startedBy": "schedule/once/' "$C"/tasks/*/task.json | head -n 1 | xargs dirname | xargs basename)
echo "$id" >>"$T/task-ids"
wait_for 90 log_has "$C/tasks/$id/logs" "from-input" # the engine may be slow under load
r=$?
ok $r "the override in Input reached the container (its log says from-input)"
[ $r -eq 0 ] || { echo "# task '$id'"; sed 's/^/#   /' "$C/tasks/$id/status" "$C/tasks/$id/logs"; dump_tasks prod; }

# ---- kill -9 across fire times ----
doc "rate(1 minute)" >"$SP/k9.json"
wait_for 30 at_least k9 1
ok $? "a second rate(1 minute) schedule has fired"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
down=$(date +%s%3N)
past() { [ "$(date +%s%3N)" -gt "$1" ]; }
wait_for 10 past $((down + 3 * UNIT))
ok $? "the daemon stays away for three minutes' worth of fires"
start_daemon --schedule-minute-ms $UNIT
ok $? "a new daemon starts on the same state"
n0=$(fires k9)
wait_for 30 at_least k9 $((n0 + 2))
ok $? "firing goes on after the restart"
# every due time once, none missing: consecutive, UNIT apart
gaps=$(awk '{print $1}' "$C/schedules/k9/history" | python3 -c '
import sys, datetime
ts = [datetime.datetime.strptime(l.strip(), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000 for l in sys.stdin]
print(sorted(set(round(b - a) for a, b in zip(ts, ts[1:]))), len(ts) == len(set(ts)))')
is "$gaps" "[$UNIT] True" "history: each fire once, $UNIT ms apart, none lost across kill -9"
late=$(python3 -c '
import sys, datetime
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
print(sum(1 for l in open(sys.argv[1]) if " started " in l and f(l.split()[1]) - f(l.split()[0]) > int(sys.argv[2])))' \
	"$C/schedules/k9/history" $UNIT)
ok $((late >= 1 ? 0 : 1)) "the fires that came due while it was down ran late ($late of them)"
doc "rate(1 minute)" ', "State": "DISABLED"' >"$SP/k9.json"
ok $? "k9 is disabled"
nf=$(grep -c " started " "$C/schedules/k9/history")
is "$(started k9)" "$nf" "one task per started fire ($nf), no fire started twice"
rm "$SP/k9.json" "$SP/keep.json"
wait_for 10 test ! -e "$C/schedules/k9"
ok $? "both schedules removed"

# ---- GitOps: rsync applies, re-applies as a no-op, prunes ----
repo=$T/repo
mkdir -p "$repo/clusters/prod/schedules"
doc "cron(0 6 ? * MON-FRI *)" ', "ScheduleExpressionTimezone": "Europe/London"' \
	>"$repo/clusters/prod/schedules/weekdays.json"
# as a checkout's file is: older than any edit made below (rsync's quick check
# compares sizes and whole-second times)
touch -d '@'$(($(date +%s) - 60)) "$repo/clusters/prod/schedules/weekdays.json"
rsync -rt "$repo/" "$MNT/spec/"
ok $? "rsync applies a repository with a schedule"
like "$(cat "$C/schedules/weekdays/status")" 'time_zone: Europe/London' "it is in effect"
like "$(cat "$C/schedules/weekdays/status")" 'next: .*T0[56]:00:00.000Z \(.*T06:00:00\+0[01]:00\)' \
	"its next fires are 06:00 in London"
is "$(rsync -rt --itemize-changes "$repo/" "$MNT/spec/")" "" "re-applying changes nothing"
diff -r "$repo/clusters/prod/schedules" "$SP" >/dev/null
ok $? "diff -r shows no drift"
sed -i 's/MON-FRI/SAT,SUN/' "$SP/weekdays.json"
ok $? "sed -i edits the schedule in place"
like "$(cat "$C/schedules/weekdays/status")" 'expression: cron\(0 6 \? \* SAT,SUN \*\)' "the edit is in effect"
! diff -r "$repo/clusters/prod/schedules" "$SP" >/dev/null
ok $? "diff -r shows the drift from the repository"
rsync -rt "$repo/" "$MNT/spec/"
like "$(cat "$C/schedules/weekdays/status")" 'MON-FRI' "the next apply restores it"
rm "$repo/clusters/prod/schedules/weekdays.json"
rsync -rt --delete "$repo/" "$MNT/spec/"
ok $? "rsync --delete prunes it"
wait_for 10 test ! -e "$C/schedules/weekdays"
ok $? "and the schedule goes"

stop_all_tasks prod 60
ok $? "every task stopped"
remember_tasks prod
stop_daemon
ok $? "the daemon stops"
no_containers_left
done_testing
