#!/usr/bin/env bash
# ALBRequestCountPerTarget on HAProxy's counts, sampled every second: a
# service of awsvpc httpd tasks behind a load balancer's listener, a
# target-tracking policy on requests per target per minute, a curl loop
# through the listener that drives the service out to its max; the scaling
# view shows the figure, events and the service's spec file each step; a
# ResourceLabel that names what does not match is refused naming the field.
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
start_daemon --metrics-interval 1 || exit 1
mkdir "$MNT/clusters/prod"
C=$MNT/clusters/prod
W=$C/services/web
SP=$MNT/spec/clusters/prod
P=$((18000 + $$ % 100)) # sched-api's listener ports: 18000-18099
URL=http://127.0.0.1:$P

register web '{"family": "web", "networkMode": "awsvpc", "containerDefinitions": [
  {"name": "app", "image": "'"$BUSYBOX_IMAGE"'", "memory": 64, "stopTimeout": 2,
   "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
   "command": ["sh", "-c", "mkdir -p /www; echo hi >/www/index.html; echo ok >/www/health; trap '"'exit 0'"' TERM; httpd -f -p 8080 -h /www & wait"]}]}'
cat >"$MNT/spec/targetgroups/web.json" <<'JSON'
{"Protocol": "HTTP", "Port": 8080, "TargetType": "ip", "HealthCheckPath": "/health",
 "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2, "HealthyThresholdCount": 2,
 "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]}
JSON
ok $? "a target group"
cat >"$MNT/spec/loadbalancers/front.json" <<JSON
{"Listeners": [{"Port": $P, "Protocol": "HTTP",
  "DefaultActions": [{"Type": "forward", "TargetGroupArn": "web"}]}]}
JSON
ok $? "a load balancer forwarding to it on :$P"
cat >"$SP/services/web.json" <<'JSON'
{"taskDefinition": "web", "desiredCount": 1, "healthCheckGracePeriodSeconds": 0,
 "loadBalancers": [{"targetGroupArn": "web", "containerName": "app", "containerPort": 8080}]}
JSON
healthy_n() { # N: N targets of web, all healthy
	local t
	t=$(cat "$MNT/targetgroups/web/targets" 2>/dev/null)
	[ "$(printf '%s\n' "$t" | grep -c ' healthy - task ')" = "$1" ]
}
wait_for 90 healthy_n 1
ok $? "service web's task is a healthy target"
is "$(curl -s --max-time 5 "$URL/")" "hi" "the listener answers"

# ResourceLabel: app/<lb>/<id>/targetgroup/<tg>/<id>, the ids the ARNs carry
LB_ID=$(jget "$MNT/loadbalancers/front/loadbalancer.json" "d['LoadBalancerArn'].split('/')[-1]")
TG_ID=$(jget "$MNT/targetgroups/web/targetgroup.json" "d['TargetGroupArn'].split('/')[-1]")
LABEL=app/front/$LB_ID/targetgroup/web/$TG_ID
policy() { # LABEL
	cat <<JSON
{"MinCapacity": 1, "MaxCapacity": 3, "ScalingPolicies": [{"PolicyName": "requests",
  "PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
  "TargetValue": 100, "ScaleOutCooldown": 0, "ScaleInCooldown": 3600,
  "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget",
  "ResourceLabel": "$1"}}}]}
JSON
}
mkdir -p "$SP/scaling"
out=$(policy "app/front/0000000000000000/targetgroup/web/$TG_ID" 2>&1 >"$SP/scaling/web.json")
like "$out" "Invalid argument" "a ResourceLabel with another load balancer's id: EINVAL"
like "$(tail -n 1 "$MNT/errors")" "ResourceLabel: the id of load balancer front is $LB_ID" \
	"/ecs/errors names the field"
policy "$LABEL" >"$SP/scaling/web.json"
ok $? "a target-tracking policy: 100 requests per target per minute"
wait_for 10 grep -q "policy.requests.metric: ALBRequestCountPerTarget" "$W/scaling"
ok $? "services/web/scaling shows the policy on ALBRequestCountPerTarget"

# ---- a curl loop through the listener drives it out ----
rm -f "$T/stop"
(
	end=$(($(date +%s) + 300))
	while [ ! -e "$T/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
		curl -s -o /dev/null --max-time 5 "$URL/"
	done
) &
CLIENT=$!
has_value() { grep -Eq "^policy.requests.value: [0-9]" "$W/scaling"; }
wait_for 30 has_value
ok $? "the policy has a figure"
value=$(skey "$W/scaling" policy.requests.value)
awk -v v="$value" 'BEGIN { exit !(v > 100) }'
ok $? "requests per target per minute above the target: $value"
desired_is() { [ "$(cat "$W/desired_count")" = "$1" ]; }
wait_for 90 desired_is 3
ok $? "the service scales out to MaxCapacity 3"
is "$(jget "$SP/services/web.json" 'd["desiredCount"]')" "3" "its spec file shows it"
like "$(cat "$W/events")" "Setting desired count to 3" "events carry the activity"
wait_for 90 healthy_n 3
ok $? "three healthy targets share the traffic"
touch "$T/stop"
wait "$CLIENT"
CLIENT=
like "$(cat "$W/scaling")" "policy.requests.alarm:" "the view still shows the policy's alarm"

# ---- clean-up ----
rm -f "$SP/scaling/web.json" "$SP/services/web.json"
wait_for 120 svc_gone prod web
ok $? "the service is deleted"
rm -f "$MNT/spec/loadbalancers/front.json" "$MNT/spec/targetgroups/web.json"
wait_for 30 test ! -e "$MNT/loadbalancers/front"
ok $? "the load balancer is deleted"
remember_tasks prod
stop_all_tasks prod 60
no_task_containers_left
stop_daemon
ok $? "the daemon stops cleanly"
no_containers_left
done_testing
