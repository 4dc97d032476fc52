#!/usr/bin/env bash
# Mutated documents into every kind of spec file (task definition, service,
# cluster.json, schedule, scaling, target group, load balancer) and into
# the run, desired_count and task_definition control files: high-bit byte
# flips, truncation, wrong types, deep nesting, huge numbers, invalid UTF-8.
# Each must be refused with exactly one errors line, leave the file's bytes
# and every row of the store as they were, and the daemon answering.
# Nothing runs: the service stays at desiredCount 0, the schedule DISABLED.
. "$(dirname "$0")/lib_chaos.sh"
docker_suite
COUNT=$(size 300 3000)
SEED=${ECSFS_CHAOS_SEED:-$$}
echo "# seed $SEED documents $COUNT (ECSFS_CHAOS_LONG=$CHAOS_LONG)"
S=$MNT/spec
C=$S/clusters/prod
LB_PORT=18301
mkdir -p "$T/base" "$C/schedules" "$C/scaling"

# base KIND PATH: the base document on stdin, applied, kept for mutate.py
base() {
	cat >"$T/base/$1"
	cp "$T/base/$1" "$2"
	ok $? "the base $1 document is applied"
	KINDS+=("$1=$2=$T/base/$1")
}
KINDS=()
base taskdef "$S/taskdefs/mut.json" <<JSON
{
  "family": "mut",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "$BUSYBOX_IMAGE",
      "memory": 32,
      "cpu": 64,
      "essential": true,
      "command": ["sh", "-c", "sleep 1"],
      "environment": [{"name": "A", "value": "b"}],
      "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
      "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10, "retries": 3}
    }
  ],
  "networkMode": "awsvpc",
  "tags": [{"key": "k", "value": "v"}]
}
JSON
base targetgroup "$S/targetgroups/mut.json" <<'JSON'
{
  "Protocol": "HTTP",
  "Port": 8080,
  "TargetType": "ip",
  "HealthCheckPath": "/health",
  "HealthCheckIntervalSeconds": 5,
  "HealthyThresholdCount": 2,
  "Matcher": {"HttpCode": "200"},
  "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]
}
JSON
base service "$C/services/mut.json" <<'JSON'
{
  "taskDefinition": "mut",
  "desiredCount": 0,
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50,
    "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
  "healthCheckGracePeriodSeconds": 10,
  "tags": [{"key": "team", "value": "core"}]
}
JSON
base cluster "$C/cluster.json" <<'JSON'
{
  "settings": [{"name": "containerInsights", "value": "enabled"}],
  "tags": [{"key": "env", "value": "chaos"}]
}
JSON
base schedule "$C/schedules/mut.json" <<'JSON'
{
  "ScheduleExpression": "cron(0 12 * * ? *)",
  "ScheduleExpressionTimezone": "Europe/Paris",
  "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
  "State": "DISABLED",
  "Target": {"EcsParameters": {"TaskDefinitionArn": "mut", "TaskCount": 1},
             "RetryPolicy": {"MaximumRetryAttempts": 2}}
}
JSON
base scaling "$C/scaling/mut.json" <<'JSON'
{
  "MinCapacity": 0,
  "MaxCapacity": 0,
  "ScalingPolicies": [{
    "PolicyName": "cpu70",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
      "TargetValue": 70,
      "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
      "ScaleOutCooldown": 60,
      "ScaleInCooldown": 60
    }
  }]
}
JSON
base loadbalancer "$S/loadbalancers/mut.json" <<JSON
{
  "Listeners": [{
    "Port": $LB_PORT,
    "DefaultActions": [{"Type": "forward", "TargetGroupArn": "mut"}],
    "Rules": [{"Priority": 5, "Conditions": [{"Field": "path-pattern", "Values": ["/a"]}],
               "Actions": [{"Type": "forward", "TargetGroupArn": "mut"}]}]
  }]
}
JSON
SV=$MNT/clusters/prod/services/mut
printf '0\n' >"$T/base/desired_count"
printf 'mut\n' >"$T/base/task_definition"
printf 'mut 1\n' >"$T/base/run"
KINDS+=("desired_count=$SV/desired_count=$T/base/desired_count"
	"task_definition=$SV/task_definition=$T/base/task_definition"
	"run=$MNT/clusters/prod/run=$T/base/run")
# let what the writes started settle (the load balancer's HAProxy, the
# service's first deployment) before the store is compared row by row
lb_up() { grep -q 'active' "$MNT/loadbalancers/mut/status"; }
wait_for 30 lb_up
ok $? "the load balancer is up"
wait_for 30 test -n "$(svc_deps prod mut)"
ok $? "the service has its deployment"

t0=$(now_ms)
$PY "$CHAOS_DIR/mutate.py" "$MNT" "$STATE/state.db" "$COUNT" "$SEED" "${KINDS[@]}" >"$T/mutate.out" 2>&1
rc=$?
ms=$(($(now_ms) - t0))
is "$rc" 0 "mutate.py ran to its end"
grep '^FAIL' "$T/mutate.out" | head -n 30 | sed 's/^/# /'
read -r _ n refused accepted badlines changed dead < <(grep '^figures' "$T/mutate.out")
is "$n" "$COUNT" "$COUNT documents were written"
is "$refused" "$COUNT" "every one was refused"
is "$accepted" 0 "none was accepted"
is "$badlines" 0 "each refusal added exactly one errors line"
is "$changed" 0 "no refusal changed the file or a row of the store"
is "$dead" 0 "the daemon answered all along"
daemon_alive
ok $? "the daemon is alive"
is "$(ls "$MNT/taskdefs/mut" | tr '\n' ' ')" "1.json latest " "still one revision of mut"
figure mutate_documents "$n"
figure mutate_refused "$refused"
figure mutate_ms_per_document "$((ms / (n > 0 ? n : 1)))"
sed -n 's/^op \(.*\) \(.*\)/# figure: mutate_op_\1 = \2/p' "$T/mutate.out"

rm "$S/loadbalancers/mut.json" "$C/scaling/mut.json" "$C/schedules/mut.json" "$C/services/mut.json"
ok $? "the definitions are removed"
gone() { test ! -e "$MNT/loadbalancers/mut" && test ! -e "$MNT/clusters/prod/services/mut"; }
wait_for 60 gone
ok $? "the load balancer and the service are gone"
remember_tasks prod
no_containers_left
done_testing
