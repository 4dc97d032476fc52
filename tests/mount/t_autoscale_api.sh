#!/usr/bin/env bash
# Application Auto Scaling over the API with Debian's AWS CLI v2: seed
# 001's register-scalable-target and put-scaling-policy verbatim, the
# describes, scheduled actions, deletes, AWS's exceptions; the same target
# as the files show it (spec/clusters/<c>/scaling/<s>.json, services/<s>/
# scaling, desired_count). No containers: the service runs no task.
. "$(dirname "$0")/lib.sh"
PORT=4652
trap cleanup EXIT
start_daemon --api 127.0.0.1:$PORT --api-auth none || exit 1
mkdir "$MNT/clusters/default" "$MNT/clusters/default/services/web-app"
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=local AWS_PAGER=
aas() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$PORT" application-autoscaling "$@"; }
RES=(--service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/default/web-app)
S=$MNT/clusters/default/services/web-app
SPEC=$MNT/spec/clusters/default/scaling/web-app.json

# ---- seed 001's two commands ----
out=$(aas register-scalable-target "${RES[@]}" --min-capacity 2 --max-capacity 20)
ok $? "register-scalable-target --min-capacity 2 --max-capacity 20"
out=$(aas put-scaling-policy "${RES[@]}" --policy-name cpu70-target-tracking-scaling-policy \
	--policy-type TargetTrackingScaling --target-tracking-scaling-policy-configuration \
	'{"TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "ScaleOutCooldown": 60, "ScaleInCooldown": 60}')
ok $? "put-scaling-policy TargetTrackingScaling 70 % CPU"
like "$out" '"PolicyARN": "arn:aws:autoscaling:local:000000000000:scalingPolicy:.*:resource/ecs/service/default/web-app:policyName/cpu70-target-tracking-scaling-policy"' "answers the policy's ARN"
like "$out" '"AlarmName": "TargetTracking-service/default/web-app-AlarmHigh-' "and its alarms"

# ---- the files show it ----
is "$(cat "$S/desired_count")" "2" "registering raised desiredCount 0 to MinCapacity 2"
is "$(jget "$SPEC" 'd["MinCapacity"], d["MaxCapacity"], d["ScalingPolicies"][0]["PolicyName"]')" \
	"(2, 20, 'cpu70-target-tracking-scaling-policy')" "spec/clusters/default/scaling/web-app.json holds the target and the policy"
like "$(cat "$S/scaling")" "policy.cpu70-target-tracking-scaling-policy.target: 70" "services/web-app/scaling shows the policy"

# ---- describes ----
is "$(aas describe-scalable-targets --service-namespace ecs --query 'ScalableTargets[].[ResourceId,MinCapacity,MaxCapacity]' --output text)" \
	"service/default/web-app	2	20" "describe-scalable-targets"
is "$(aas describe-scaling-policies --service-namespace ecs --resource-id service/default/web-app --query 'ScalingPolicies[].[PolicyName,PolicyType,TargetTrackingScalingPolicyConfiguration.TargetValue]' --output text)" \
	"cpu70-target-tracking-scaling-policy	TargetTrackingScaling	70.0" "describe-scaling-policies"
is "$(aas describe-scaling-activities --service-namespace ecs --resource-id service/default/web-app --query 'ScalingActivities[0].[Description,Cause,StatusCode]' --output text)" \
	"Setting desired count to 2.	minimum capacity was set to 2	Successful" "describe-scaling-activities: AWS's words"

# ---- scheduled actions ----
aas put-scheduled-action "${RES[@]}" --scheduled-action-name night --schedule "cron(0 22 * * ? *)" \
	--timezone Europe/Paris --scalable-target-action MinCapacity=1,MaxCapacity=4
ok $? "put-scheduled-action cron in Europe/Paris"
is "$(aas describe-scheduled-actions --service-namespace ecs --query 'ScheduledActions[].[ScheduledActionName,Schedule,Timezone,ScalableTargetAction.MaxCapacity]' --output text)" \
	"night	cron(0 22 * * ? *)	Europe/Paris	4" "describe-scheduled-actions"
like "$(cat "$S/scaling")" "scheduled.night.next: 20" "the view has its next run"

# ---- AWS's exceptions; nothing changes ----
out=$(aas put-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount \
	--resource-id service/default/nope --policy-name x --policy-type TargetTrackingScaling \
	--target-tracking-scaling-policy-configuration '{"TargetValue": 50, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}' 2>&1)
like "$out" "ObjectNotFoundException" "a policy for a target not registered: ObjectNotFoundException"
out=$(aas register-scalable-target "${RES[@]}" --min-capacity 5 --max-capacity 3 2>&1)
like "$out" "ValidationException.*MinCapacity: 5 is above MaxCapacity 3" "min above max: ValidationException naming the field"
out=$(aas put-scaling-policy "${RES[@]}" --policy-name y --policy-type TargetTrackingScaling \
	--target-tracking-scaling-policy-configuration '{"TargetValue": -1, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}' 2>&1)
like "$out" "ValidationException.*TargetValue: -1 must be above 0" "TargetValue -1: ValidationException"
like "$(tail -n 1 "$MNT/errors")" "api:application-autoscaling.PutScalingPolicy" "/ecs/errors has the refusal"
is "$(jget "$SPEC" 'd["MinCapacity"], d["MaxCapacity"], len(d["ScalingPolicies"])')" "(2, 20, 1)" "and the target is as it was"

# ---- deletes ----
aas delete-scheduled-action "${RES[@]}" --scheduled-action-name night
ok $? "delete-scheduled-action"
aas delete-scaling-policy "${RES[@]}" --policy-name cpu70-target-tracking-scaling-policy
ok $? "delete-scaling-policy"
is "$(jget "$SPEC" 'len(d.get("ScalingPolicies", [])), len(d.get("ScheduledActions", []))')" "(0, 0)" "the spec file follows"
out=$(aas delete-scaling-policy "${RES[@]}" --policy-name cpu70-target-tracking-scaling-policy 2>&1)
like "$out" "ObjectNotFoundException" "deleting it again: ObjectNotFoundException"
aas deregister-scalable-target "${RES[@]}"
ok $? "deregister-scalable-target"
[ ! -e "$SPEC" ] && [ ! -e "$S/scaling" ]
ok $? "its spec file and view are gone"
is "$(cat "$S/desired_count")" "2" "the service keeps its count"
is "$(aas describe-scalable-targets --service-namespace ecs --query 'length(ScalableTargets)')" "0" "no target is left"
stop_daemon
ok $? "the daemon stops cleanly"
done_testing
