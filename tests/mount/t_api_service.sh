#!/usr/bin/env bash
# Services through the ECS API with the AWS CLI v2 (issue 12): create-service
# with --deployment-configuration and its circuit breaker, update-service
# --desired-count and --task-definition (a rolling deployment), list-tasks
# --service-name, the services-stable waiter, delete-service --force and
# INACTIVE in describe-services; then boto3 with its paginators
# (boto3_ecs.py). Port 4622.
. "$(dirname "$0")/lib_api_ecs.sh"
api_suite 4622
SP=$MNT/spec/clusters/prod/services

td() { # td FAMILY: a task definition of busybox that runs until SIGTERM
	printf '{"family": "%s", "containerDefinitions": [{"name": "app", "image": "%s",
  "memory": 64, "command": ["sh", "-c", "%s"]}]}' "$1" "$BUSYBOX_IMAGE" "$FOREVER"
}
register web "$(td web)"

out=$(ecs create-service --cluster prod --service-name web --task-definition web --desired-count 2 \
	--deployment-configuration 'maximumPercent=200,minimumHealthyPercent=50,deploymentCircuitBreaker={enable=true,rollback=true}' \
	--network-configuration 'awsvpcConfiguration={subnets=[subnet-1]}' 2>&1)
is "$(printf '%s' "$out" | jq_py 'd["service"]["status"], d["service"]["desiredCount"]')" "ACTIVE 2" \
	"create-service: ACTIVE, desiredCount 2"
is "$(jget "$SP/web.json" 'd["desiredCount"], d["deploymentConfiguration"]["deploymentCircuitBreaker"]')" \
	"(2, {'enable': True, 'rollback': True})" \
	"its spec file appears, with the circuit breaker (diff -r shows it as drift)"

ecs wait services-stable --cluster prod --services web
ok $? "aws ecs wait services-stable"
is "$(svc_key prod web running_count)" 2 "the tree's status: 2 running"

ecs update-service --cluster prod --service web --desired-count 3 >/dev/null
ok $? "update-service --desired-count 3"
is "$(jget "$SP/web.json" 'd["desiredCount"]')" 3 "the spec file follows (as desired_count does)"
ecs wait services-stable --cluster prod --services web
ok $? "stable at 3"
is "$(ecs list-tasks --cluster prod --service-name web | jq_py 'len(d["taskArns"])')" 3 \
	"list-tasks --service-name web: 3"

register web "$(td web | sed 's/"memory": 64/"memory": 72/')"
wait_for 20 svc_all_rev prod web web:2 3
ok $? "a new revision of the followed family rolls the service (3 tasks of web:2)"
ecs update-service --cluster prod --service web --task-definition web:1 >/dev/null
ok $? "update-service --task-definition web:1"
is "$(jget "$SP/web.json" 'd["taskDefinition"]')" "web:1" "the spec file pins web:1"
like "$(ecs describe-services --cluster prod --services web | jq_py 'len(d["services"][0]["deployments"])')" \
	'^[12]$' "a rolling deployment is under way (or done)"
ecs wait services-stable --cluster prod --services web
ok $? "services-stable once rolled"
wait_for 20 svc_all_rev prod web web:1 3
ok $? "3 tasks of web:1"
out=$(ecs list-service-deployments --cluster prod --service web 2>&1)
[ $? -eq 0 ] || out='{"serviceDeployments": []}' # an AWS CLI without this operation
like "$(printf '%s' "$out" | jq_py 'len(d["serviceDeployments"])')" '^[0-9]+$' \
	"list-service-deployments (where the CLI has it)"

out=$(ecs describe-services --cluster prod --services web nope)
is "$(printf '%s' "$out" | jq_py 'd["failures"][0]["reason"], d["failures"][0]["arn"]')" \
	"MISSING arn:aws:ecs:local:000000000000:service/prod/nope" "an unknown service is MISSING"
is "$(ecs list-services --cluster prod | jq_py 'd["serviceArns"]')" \
	"['arn:aws:ecs:local:000000000000:service/prod/web']" "list-services"
out=$(ecs update-service --cluster prod --service nope --desired-count 1 2>&1)
like "$out" "ServiceNotFoundException" "update-service of no service: ServiceNotFoundException"
out=$(ecs delete-service --cluster prod --service web 2>&1)
like "$out" "InvalidParameterException" "delete-service above 0 without --force is refused"

"$PY3" "$(dirname "$0")/boto3_ecs.py" "$API_URL" "$STATE/credentials" |
	sed 's/^/# boto3: /'
ok "${PIPESTATUS[0]}" "boto3: services, tasks and paginators (boto3_ecs.py)"

out=$(ecs delete-service --cluster prod --service web --force)
is "$(printf '%s' "$out" | jq_py 'd["service"]["status"]')" "DRAINING" "delete-service --force: DRAINING"
test ! -e "$SP/web.json"
ok $? "its spec file is gone at once"
ecs wait services-inactive --cluster prod --services web
ok $? "aws ecs wait services-inactive"
is "$(ecs describe-services --cluster prod --services web | jq_py 'd["services"][0]["status"]')" \
	"INACTIVE" "describe-services shows it INACTIVE"
svc_gone prod web
ok $? "and the tree no longer has it"

remember_tasks prod
stop_all_tasks prod
no_task_containers_left
no_containers_left
done_testing
