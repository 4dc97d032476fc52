#!/usr/bin/env bash
# Deployment strategies through the load balancer: BLUE_GREEN with test
# traffic before the shift, CANARY 10 % with its bake, LINEAR 25 % in four
# steps, a lifecycle hook that exits 1, a rollback written during a bake,
# bad input that leaves the running deployment alone, and kill -9 of the
# daemon during a bake (with the default minute). One daemon (restarted
# in place), real HAProxy, real engine; every wait and client loop is
# bounded. Bake minutes last 1 s (--bake-minute-ms) until the last part.
. "$(dirname "$0")/lib.sh"

trap 'hap_cleanup; task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || {
	echo "Bail out! haproxy is not installed (.ci/setup installs it)"
	exit 1
}
start_daemon --bake-minute-ms 1000 || exit 1
mkdir "$MNT/clusters/prod"

C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services
D=$C/services/web/deployment
# this engineer's listener ports: 18100-18199
P1=$((18100 + $$ % 50 * 2))
P2=$((P1 + 1))
URL=http://127.0.0.1:$P1
TEST_URL=http://127.0.0.1:$P2

# web_app FAMILY VERSION: busybox httpd answering "VERSION" at / and "ok" at /health
web_app() {
	local start="mkdir -p /www; echo $2 >/www/index.html; echo ok >/www/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
	register "$1" "{\"family\": \"$1\", \"networkMode\": \"awsvpc\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"stopTimeout\": 2, \"portMappings\": [{\"containerPort\": 8080, \"protocol\": \"tcp\"}],
   \"command\": [\"sh\", \"-c\", \"$start\"]}]}"
}
# hook_td FAMILY EXIT SLEEP: a task that sleeps, says its stage and exits
hook_td() {
	register "$1" "{\"family\": \"$1\", \"containerDefinitions\": [
  {\"name\": \"check\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 32, \"essential\": true,
   \"command\": [\"sh\", \"-c\", \"echo stage \$ECS_LIFECYCLE_STAGE of \$ECS_SERVICE; sleep $3; exit $2\"]}]}"
}
# service STRATEGY EXTRA: service web x 2 behind blue (green the alternate)
service() {
	cat >"$SP/web.json" <<JSON
{
  "taskDefinition": "web",
  "desiredCount": 2,
  "healthCheckGracePeriodSeconds": 0,
  "deploymentConfiguration": {"strategy": "$1", "bakeTimeInMinutes": 2,
    "maximumPercent": 200, "minimumHealthyPercent": 100 $2},
  "loadBalancers": [{"targetGroupArn": "blue", "containerName": "app", "containerPort": 8080,
    "advancedConfiguration": {"alternateTargetGroupArn": "green",
      "productionListenerRule": "$PROD_RULE", "testListenerRule": "$TEST_RULE"}}]
}
JSON
}
targets() { cat "$MNT/targetgroups/$1/targets" 2>/dev/null; }
healthy_n() {
	local t
	t=$(targets "$1")
	[ "$(printf '%s' "$t" | grep -c .)" = "$2" ] || return 1
	[ "$(printf '%s\n' "$t" | grep -c ' healthy - task ')" = "$2" ]
}
no_targets() { [ -z "$(targets "$1")" ]; }
dkey() { skey "$D" "$1"; }
dkey_is() { [ "$(dkey "$1")" = "$2" ]; }
stage_is() { dkey_is stage "$1"; }
# share URL N VERSION: how many of N requests VERSION answered
share() {
	local i
	for i in $(seq "$2"); do curl -s --max-time 5 "$1/"; done | grep -cx "$3"
}
answers() {
	local i
	for i in $(seq "$2"); do curl -s --max-time 5 "$1/"; done | sort -u | tr '\n' ' '
}
client_start() {
	rm -f "$1" "$1.stop"
	(
		end=$(($(date +%s) + 300))
		while [ ! -e "$1.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
			r=$(curl -s --max-time 5 -w ' %{http_code}' "$URL/" 2>/dev/null | tr '\n' ' ')
			echo "${r:- 000}" >>"$1"
		done
	) &
	CLIENT=$!
}
client_stop() {
	touch "$1.stop"
	wait "$CLIENT"
	CLIENT=
}
failed() { grep -cv " 200\$" "$1"; }
sent() { grep -c . "$1"; }
deployed() { # REV: both tasks of web:REV, blue or green holds them alone
	svc_all_rev prod web "web:$1" 2 && [ "$(dkey rollout)" = COMPLETED ]
}

# ---- target groups, a load balancer with a production and a test listener ----

tg_doc() {
	cat <<JSON
{"Protocol": "HTTP", "Port": 8080, "TargetType": "ip", "HealthCheckPath": "/health",
 "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
 "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2, "Matcher": {"HttpCode": "200"},
 "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "3"}]}
JSON
}
tg_doc >"$MNT/spec/targetgroups/blue.json"
tg_doc >"$MNT/spec/targetgroups/green.json"
cat >"$MNT/spec/loadbalancers/front.json" <<JSON
{"Listeners": [
  {"Port": $P1, "Protocol": "HTTP", "DefaultActions": [{"Type": "forward", "TargetGroupArn": "blue"}]},
  {"Port": $P2, "Protocol": "HTTP", "DefaultActions": [{"Type": "forward", "TargetGroupArn": "blue"}]}]}
JSON
ok $? "a load balancer with a production listener ($P1) and a test listener ($P2)"
rule_of() { jget "$MNT/loadbalancers/front/rules.json" \
	"[r['RuleArn'] for r in d['Rules'] if r['IsDefault']][$1]"; }
PROD_RULE=$(rule_of 0)
TEST_RULE=$(rule_of 1)
like "$PROD_RULE" ":listener-rule/app/front/" "the listeners' default rules have ARNs in rules.json"

# ---- bad input ----

bad() { # DESCRIPTION FIELD DOC
	local n out st=1
	n=$(errors_count)
	# (the checks against the load balancers run at close(), which a
	# shell's redirection does not report)
	out=$(/usr/bin/python3 -c 'import sys
try:
    f = open(sys.argv[1], "w"); f.write(sys.argv[2]); f.close()
except OSError as e:
    print(e)' "$SP/web.json" "$3")
	printf '%s' "$out" | grep -q "Invalid argument" && [ "$(errors_count)" -gt "$n" ] &&
		tail -n1 "$MNT/errors" | grep -q -- "$2" && st=0
	ok $st "refused with EINVAL naming $2: $1"
	[ $st -eq 0 ] || tail -n1 "$MNT/errors" | sed 's/^/#   /'
}
lbs="\"loadBalancers\": [{\"targetGroupArn\": \"blue\", \"containerName\": \"app\", \"containerPort\": 8080"
adv="\"advancedConfiguration\": {\"alternateTargetGroupArn\": \"green\", \"productionListenerRule\": \"$PROD_RULE\"}"
check_bad() {
	bad "a strategy without a load balancer" "deploymentConfiguration.strategy" \
		'{"taskDefinition": "web", "deploymentConfiguration": {"strategy": "BLUE_GREEN"}}'
	bad "no advancedConfiguration" "loadBalancers\[0\].advancedConfiguration" \
		"{\"deploymentConfiguration\": {\"strategy\": \"CANARY\"}, $lbs}]}"
	bad "no alternate target group" "alternateTargetGroupArn" \
		"{\"deploymentConfiguration\": {\"strategy\": \"CANARY\"}, $lbs, \"advancedConfiguration\": {\"productionListenerRule\": \"$PROD_RULE\"}}]}"
	bad "the alternate is the same group" "alternateTargetGroupArn" \
		"{\"deploymentConfiguration\": {\"strategy\": \"CANARY\"}, $lbs, \"advancedConfiguration\": {\"alternateTargetGroupArn\": \"blue\", \"productionListenerRule\": \"$PROD_RULE\"}}]}"
	bad "a rule that is not the load balancer's" "productionListenerRule" \
		"{\"deploymentConfiguration\": {\"strategy\": \"CANARY\"}, $lbs, \"advancedConfiguration\": {\"alternateTargetGroupArn\": \"green\", \"productionListenerRule\": \"${PROD_RULE%/*}/00000000deadbeef\"}}]}"
	bad "stepPercent 0" "linearConfiguration.stepPercent" \
		"{\"deploymentConfiguration\": {\"strategy\": \"LINEAR\", \"linearConfiguration\": {\"stepPercent\": 0}}, $lbs, $adv}]}"
	bad "stepPercent 101" "linearConfiguration.stepPercent" \
		"{\"deploymentConfiguration\": {\"strategy\": \"LINEAR\", \"linearConfiguration\": {\"stepPercent\": 101}}, $lbs, $adv}]}"
	bad "a bake time of 1441 minutes" "bakeTimeInMinutes" \
		"{\"deploymentConfiguration\": {\"strategy\": \"LINEAR\", \"bakeTimeInMinutes\": 1441}, $lbs, $adv}]}"
	bad "a canary bake time of -1" "canaryBakeTimeInMinutes" \
		"{\"deploymentConfiguration\": {\"strategy\": \"CANARY\", \"canaryConfiguration\": {\"canaryBakeTimeInMinutes\": -1}}, $lbs, $adv}]}"
}

# ---- v1: the first deployment goes straight to blue ----

web_app web v1
service BLUE_GREEN ""
ok $? "service web: BLUE_GREEN behind blue, green the alternate"
wait_for 120 healthy_n blue 2
ok $? "the first deployment has nothing to shift from: two healthy targets in blue"
remember_tasks prod
is "$(answers "$URL" 10)" "v1 " "production answers v1"
is "$(answers "$TEST_URL" 10)" "v1 " "test traffic answers v1 (no deployment)"

# ---- BLUE_GREEN v1 -> v2, test traffic first, zero failed requests ----

hook_td wait 0 8
service BLUE_GREEN ", \"lifecycleHooks\": [{\"hookTargetArn\": \"wait\",
  \"lifecycleStages\": [\"POST_TEST_TRAFFIC_SHIFT\"]}]"
client_start "$T/bg"
web_app web v2
wait_for 120 stage_is POST_TEST_TRAFFIC_SHIFT
ok $? "the deployment reaches POST_TEST_TRAFFIC_SHIFT (its hook runs 8 s)"
is "$(targets green | grep -c ' healthy - task ')" 2 "the new tasks are healthy in green"
is "$(answers "$TEST_URL" 10)" "v2 " "test traffic is answered by v2 before the shift"
is "$(answers "$URL" 10)" "v1 " "production is still answered by v1"
like "$(dkey production)" "^blue 100% green 0%\$" "deployment: production all on blue"
like "$(dkey test)" "^blue 0% green 100%\$" "deployment: test all on green"
wait_for 120 deployed 2
ok $? "the deployment completes: v2 on green, the old tasks gone"
client_stop "$T/bg"
is "$(failed "$T/bg")" 0 "zero failed requests during BLUE_GREEN ($(sent "$T/bg") sent)"
is "$(answers "$URL" 10)" "v2 " "production is answered by v2 after"
wait_for 30 no_targets blue
ok $? "the old tasks drained out of blue"
is "$(jget "$MNT/loadbalancers/front/rules.json" \
	"[(t['TargetGroupArn'].split('/')[1], t['Weight']) for r in d['Rules'] if r['RuleArn'] == '$PROD_RULE' for t in r['Actions'][0]['ForwardConfig']['TargetGroups']]")" \
	"[('green', 100), ('blue', 0)]" "rules.json shows the production rule as ECS modified it"
like "$(cat "$SP/web.json" "$MNT/spec/loadbalancers/front.json" | grep -c green)" "^[1-9]" "the spec files keep what was written"
svc_events_has prod web "lifecycle hook wait at POST_TEST_TRAFFIC_SHIFT: SUCCEEDED"
ok $? "events: the hook SUCCEEDED"
hook_task=$(sed -n 's/^hook: POST_TEST_TRAFFIC_SHIFT wait SUCCEEDED task //p' "$D")
like "$(cat "$C/tasks/$hook_task/logs" 2>/dev/null)" "stage POST_TEST_TRAFFIC_SHIFT of web" \
	"the hook ran as a task with its stage and service in its environment"
remember_tasks prod

# ---- CANARY 10 %: the share during the bake; bad input; a rollback ----

service CANARY ", \"canaryConfiguration\": {\"canaryPercent\": 10, \"canaryBakeTimeInMinutes\": 600}"
web_app web v3
wait_for 120 dkey_is production "green 90% blue 10%"
ok $? "the canary gets 10 % of production (deployment: $(dkey production))"
like "$(dkey bake_left_s)" "^[0-9]+\$" "deployment shows the time left in the bake ($(dkey bake_left_s) s)"
n3=$(share "$URL" 400 v3)
ok $([ "$n3" -ge 20 ] && [ "$n3" -le 80 ] && echo 0 || echo 1) \
	"v3 answered $n3 of 400 requests (5-20 %) during the canary's bake"
stage_before=$(dkey stage)
check_bad
is "$(dkey stage) $(dkey production)" "$stage_before green 90% blue 10%" "the canary carries on after the bad writes"
client_start "$T/rb"
echo now >"$C/services/web/rollback"
ok $? "a write to rollback during the bake"
# failed_why REV REGEX: service.json shows deployment web:REV FAILED, its
# rolloutStateReason matching (one read: it goes once its tasks stopped)
failed_why() {
	jget "$C/services/web/service.json" "[x.get('rolloutState') + ' ' + \
x.get('rolloutStateReason', '') for x in d['deployments'] if x['taskDefinition'].endswith(':$1')]" |
		grep -Eq -- "FAILED $2"
}
wait_for 10 failed_why 3 "Rolled back: a rollback was asked for"
ok $? "service.json: the canary's deployment FAILED, rolloutStateReason says why"
wait_for 10 test "$(answers "$URL" 20)" = "v2 "
ok $? "every answer is v2 again within seconds"
wait_for 60 svc_all_rev prod web web:2 2
ok $? "the canary's tasks stopped; the v2 tasks never did"
client_stop "$T/rb"
is "$(failed "$T/rb")" 0 "zero failed requests across the rollback ($(sent "$T/rb") sent)"
svc_events_has prod web "rolled back at PRODUCTION_TRAFFIC_SHIFT"
ok $? "events say it rolled back"
remember_tasks prod

# ---- LINEAR 25 %: four steps, the share growing at each ----

service LINEAR ", \"linearConfiguration\": {\"stepPercent\": 25, \"stepBakeTimeInMinutes\": 12}"
web_app web v4
last=-1
grew=0
for pct in 25 50 75; do
	wait_for 120 dkey_is production "green $((100 - pct))% blue $pct%"
	ok $? "linear step to $pct % (deployment: $(dkey production))"
	n=$(share "$URL" 60 v4)
	[ "$n" -gt "$last" ] && grew=$((grew + 1))
	echo "# step $pct %: v4 answered $n of 60 ($(dkey production), $(dkey bake_left_s) s left)"
	last=$n
done
wait_for 120 deployed 4
ok $? "the linear deployment completes"
n=$(share "$URL" 60 v4)
[ "$n" -gt "$last" ] && grew=$((grew + 1))
is "$grew $n" "4 60" "the share of v4 grew at each of the four steps, to all"
remember_tasks prod

# ---- a hook that exits 1 rolls back with zero failed requests ----

hook_td fail 1 0
service BLUE_GREEN ", \"lifecycleHooks\": [{\"hookTargetArn\": \"fail\",
  \"lifecycleStages\": [\"POST_TEST_TRAFFIC_SHIFT\"]}, {\"hookTargetArn\": \"arn:aws:lambda:us-east-1:000000000000:function:x\", \"lifecycleStages\": [\"PRE_SCALE_UP\"]}]"
client_start "$T/hook"
web_app web v5
wait_for 120 svc_events_has prod web "lifecycle hook fail at POST_TEST_TRAFFIC_SHIFT: FAILED"
ok $? "the hook task exited 1: FAILED"
wait_for 10 failed_why 5 "Rolled back: lifecycle hook fail failed at POST_TEST_TRAFFIC_SHIFT"
ok $? "service.json: the deployment FAILED, rolloutStateReason names the hook"
wait_for 60 svc_all_rev prod web web:4 2
ok $? "rolled back: the v5 tasks stopped"
client_stop "$T/hook"
is "$(failed "$T/hook")" 0 "zero failed requests across the failed hook ($(sent "$T/hook") sent)"
is "$(answers "$URL" 10)" "v4 " "production stays on v4"
svc_events_has prod web "lifecycle hook arn:aws:lambda:.*: SKIPPED"
ok $? "a Lambda hook target is kept and skipped"
remember_tasks prod

# ---- kill -9 during a bake, with AWS's minute ----

stop_daemon
ok $? "the daemon stops; it starts again with AWS's minute"
start_daemon || exit 1
service CANARY ", \"canaryConfiguration\": {\"canaryPercent\": 10, \"canaryBakeTimeInMinutes\": 1}"
web_app web v6
wait_for 120 dkey_is production "blue 90% green 10%"
ok $? "a canary of 10 % again"
left=$(dkey bake_left_s)
ok $([ "${left:-0}" -gt 10 ] && [ "${left:-99}" -le 60 ] && echo 0 || echo 1) \
	"one bake minute is 60 s ($left s left)"
before="$(dkey stage) $(dkey production)"
# (the split is in the state before HAProxy has it: wait until v6 answers)
v6_answers() { [ "$(share "$URL" 20 v6)" -gt 0 ]; }
wait_for 30 v6_answers
ok $? "HAProxy sends the canary its share"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
n6=$(share "$URL" 100 v6)
ok $([ "$n6" -ge 1 ] && [ "$n6" -le 30 ] && echo 0 || echo 1) \
	"HAProxy keeps the split while the daemon is gone (v6: $n6 of 100)"
start_daemon || exit 1
is "$(dkey stage) $(dkey production)" "$before" "after kill -9 the same stage and split ($before)"
n6=$(share "$URL" 100 v6)
ok $([ "$n6" -ge 1 ] && [ "$n6" -le 30 ] && echo 0 || echo 1) "... also in HAProxy (v6: $n6 of 100)"
echo now >"$C/services/web/rollback"
wait_for 60 svc_all_rev prod web web:4 2
ok $? "rolled back"
remember_tasks prod

# ---- clean-up ----

svc_drain prod web 120
ok $? "the service scales to 0"
rm -f "$SP/web.json"
wait_for 60 svc_gone prod web
rm -f "$MNT/spec/loadbalancers/front.json"
wait_for 30 test ! -e "$MNT/loadbalancers/front"
remember_tasks prod
stop_all_tasks prod 60
no_task_containers_left
stop_daemon
ok $? "the daemon stops cleanly"
no_containers_left
done_testing
