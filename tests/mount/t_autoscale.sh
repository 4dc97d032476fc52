#!/usr/bin/env bash
# Service auto scaling with real CPU burners sampled every second: a
# service of burners (task cpu 256) with a 70 % CPU target scales out to
# its max; when they go idle a deployment in progress holds scale-in back,
# and once it is done the service scales in to its min; desiredCount never
# leaves [min, max]; the spec file, the scaling view and events show each
# step; bad documents are refused with the field named.
. "$(dirname "$0")/lib.sh"
trap 'task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
start_daemon --metrics-interval 1 || exit 1
mkdir "$MNT/clusters/prod"
C=$MNT/clusters/prod
W=$C/services/web
SP=$MNT/spec/clusters/prod
mkdir -p "$T/ctl"

# The burners spin until $T/ctl/idle exists, then sleep.
burn_def() { # IMAGE
	cat <<JSON
{"cpu": "256", "memory": "128",
 "volumes": [{"name": "ctl", "host": {"sourcePath": "$T/ctl"}}],
 "containerDefinitions": [{"name": "app", "image": "$1",
   "mountPoints": [{"sourceVolume": "ctl", "containerPath": "/ctl"}],
   "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do if [ -e /ctl/idle ]; then sleep 0.2; fi; done"]}]}
JSON
}
register burn "$(burn_def "$BUSYBOX_IMAGE")"
echo '{"taskDefinition": "burn", "desiredCount": 1}' >"$SP/services/web.json"
wait_for 60 svc_steady prod web 1
ok $? "service web runs 1 burner"

# desired_in MIN MAX: desiredCount now, noted, within [MIN, MAX]
seen=$T/desired-seen
desired_now() { cat "$W/desired_count" | tee -a "$seen"; }
desired_is() { [ "$(desired_now)" = "$1" ]; }

# ---- bad documents change nothing ----
mkdir -p "$SP/scaling"
bad() { # JSON FIELD WHAT
	local out
	out=$(printf '%s\n' "$1" 2>&1 >"$SP/scaling/web.json")
	like "$out" "Invalid argument" "$3: EINVAL"
	like "$(tail -n 1 "$MNT/errors")" "$2" "  /ecs/errors names $2"
}
bad '{"MinCapacity": 5, "MaxCapacity": 2}' "MinCapacity: 5 is above MaxCapacity 2" "min above max"
bad '{"MinCapacity": 1, "MaxCapacity": 3, "ScalingPolicies": [{"PolicyName": "x", "PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}]}' \
	"TargetValue: 0 must be above 0" "TargetValue 0"
bad '{"MinCapacity": 1, "MaxCapacity": 3, "ScalingPolicies": [{"PolicyName": "x", "PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageGPUUtilization"}}}]}' \
	"PredefinedMetricType" "an unknown metric type"
bad '{"MinCapacity": 1, "MaxCapacity": 3, "Suspended": {}}' "Suspended" "an unknown field"
is "$(cat "$W/desired_count")" "1" "the service keeps its count"

# ---- scale out to the max ----
cat >"$T/web.json" <<'JSON'
{
  "MinCapacity": 1,
  "MaxCapacity": 3,
  "ScalingPolicies": [{
    "PolicyName": "cpu70",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
      "TargetValue": 70,
      "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
      "ScaleOutCooldown": 5,
      "ScaleInCooldown": 5
    }
  }]
}
JSON
cp "$T/web.json" "$SP/scaling/web.json"
ok $? "cp the scalable target with its policy into spec/clusters/prod/scaling/"
cmp -s "$T/web.json" "$SP/scaling/web.json"
ok $? "the spec file reads back its bytes"
ls "$W" | grep -qx scaling
ok $? "services/web/ lists scaling"
like "$(cat "$W/scaling")" "policy.cpu70.target: 70" "the scaling view shows the policy"
wait_for 120 desired_is 3
ok $? "the burners scale the service out to its max, 3"
like "$(cat "$W/events")" "auto scaling: Setting desired count to 3\. Cause: monitor alarm TargetTracking-service/prod/web-AlarmHigh-.* in state ALARM triggered policy cpu70" \
	"events carry the activity"
is "$(jget "$SP/services/web.json" 'd["desiredCount"]')" "3" "the service's spec file says 3"
wait_for 90 svc_steady prod web 3
ok $? "3 burners run"
like "$(cat "$W/scaling")" "activity: .* Setting desired count to 3\." "the view lists the activity"

# ---- idle, with a deployment in progress: no scale-in ----
register burn "$(burn_def ecsfs-no-such-image:1)"
touch "$T/ctl/idle"
low_seen() { grep -q "policy.cpu70.below: 15/15" "$W/scaling"; }
wait_for 120 low_seen
ok $? "idle burners: 15 samples below the target"
blocked() { grep -q "scale_in_blocked: a deployment is in progress" "$W/scaling"; }
wait_for 30 blocked
ok $? "a deployment in progress holds scale-in back (the view says so)"
is "$(desired_now)" "3" "desiredCount stays 3"

# ---- the deployment done, scale in to the min ----
register burn "$(burn_def "$BUSYBOX_IMAGE")"
wait_for 180 desired_is 1
ok $? "once the deployment is done the service scales in to its min, 1"
like "$(cat "$W/events")" "Setting desired count to 1\. Cause: monitor alarm TargetTracking-service/prod/web-AlarmLow-" \
	"events carry the scale-in"
is "$(jget "$SP/services/web.json" 'd["desiredCount"]')" "1" "the service's spec file says 1"
bad_seen=$(grep -cvx '[123]' "$seen")
is "$bad_seen" "0" "desiredCount never left [1, 3] ($(sort -u "$seen" | tr '\n' ' '))"

# ---- deregister ----
rm "$SP/scaling/web.json"
gone() { [ ! -e "$W/scaling" ]; }
wait_for 10 gone
ok $? "rm of the spec file deregisters the target"
rm "$SP/services/web.json"
svc_done() { svc_gone prod web; }
wait_for 90 svc_done
ok $? "the service is deleted"

remember_tasks prod
stop_all_tasks prod
ok $? "every task of the cluster is STOPPED"
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
