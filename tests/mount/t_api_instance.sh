#!/usr/bin/env bash
# Container instances through the ECS API (issue 16) with the AWS CLI v2 and
# boto3: list and describe the daemon's own instance `local` and a
# registered one (an endpoint that does not answer), drain through the API
# and see the state file, put/list/delete attributes and see the spec file
# change (and a write of the file seen by the API), a filter and a memberOf
# constraint on an attribute the API put, deregister, and the errors in
# ECS's shapes. Port 4642 (t_api_schedule has 4641).
. "$(dirname "$0")/lib_api_ecs.sh"
api_suite 4642
C=$MNT/clusters/prod
SPEC=$MNT/spec/clusters/prod/instances
ARN=arn:aws:ecs:local:000000000000:container-instance/prod

# e1: an engine that does not answer (nothing listens on its socket)
printf '{"endpoint": "unix://%s/e1.sock", "attributes": [{"name": "rack", "value": "a"}], "capacityProvider": "pool"}\n' \
	"$T" >"$SPEC/e1.json"
ok $? "instance e1 registers by its spec file"

out=$(ecs list-container-instances --cluster prod)
is "$(printf '%s' "$out" | jq_py 'd["containerInstanceArns"]')" "['$ARN/local', '$ARN/e1']" \
	"list-container-instances: local, then e1"

out=$(ecs describe-container-instances --cluster prod --container-instances "$ARN/local" e1 nope)
is "$(printf '%s' "$out" | jq_py '[(i["ec2InstanceId"], i["agentConnected"], i["status"]) for i in d["containerInstances"]]')" \
	"[('local', True, 'ACTIVE'), ('e1', False, 'ACTIVE')]" \
	"describe: local answers, e1 does not; both ACTIVE"
is "$(printf '%s' "$out" | jq_py 'd["failures"]')" \
	"[{'arn': '$ARN/nope', 'reason': 'MISSING'}]" "an unknown id: a MISSING failure with its ARN"
is "$(printf '%s' "$out" | jq_py '"tags" in d["containerInstances"][0]')" "False" \
	"no tags without --include TAGS"
is "$(printf '%s' "$out" | jq_py '[r["integerValue"] for r in d["containerInstances"][0]["registeredResources"][:2]]')" \
	"$(jget "$C/instances/local/instance.json" '[r["integerValue"] for r in d["registeredResources"][:2]]')" \
	"local's CPU and MEMORY: the same as its instance.json"
is "$(printf '%s' "$out" | jq_py 'd["containerInstances"][1]["capacityProviderName"]')" "pool" \
	"e1's capacity provider"

is "$(ecs describe-capacity-providers --capacity-providers pool | jq_py 'd["capacityProviders"][0]["name"], d["failures"]')" \
	"pool []" "describe-capacity-providers: the provider e1 names exists"

# drain through the API: the state file says so; a write of it is seen back
out=$(ecs update-container-instances-state --cluster prod --container-instances e1 --status DRAINING)
is "$(printf '%s' "$out" | jq_py 'd["containerInstances"][0]["status"]')" "DRAINING" \
	"update-container-instances-state DRAINING"
is "$(cat "$C/instances/e1/state")" "DRAINING" "the state file says DRAINING"
is "$(jget "$C/instances/e1/instance.json" 'd["status"]')" "DRAINING" "instance.json too"
is "$(ecs list-container-instances --cluster prod --status DRAINING | jq_py 'd["containerInstanceArns"]')" \
	"['$ARN/e1']" "list-container-instances --status DRAINING: e1"
echo ACTIVE >"$C/instances/e1/state"
is "$(ecs describe-container-instances --cluster prod --container-instances e1 |
	jq_py 'd["containerInstances"][0]["status"]')" "ACTIVE" "ACTIVE written to the file: the API says ACTIVE"

# attributes: e1's live in its spec file, local's in its row
ecs put-attributes --cluster prod --attributes \
	"name=stack,value=prod,targetType=container-instance,targetId=e1" \
	"name=stack,value=blue,targetId=$ARN/local" >/dev/null
ok $? "put-attributes on e1 (short id) and local (ARN)"
is "$(jget "$SPEC/e1.json" '[(a["name"], a.get("value")) for a in d["attributes"]]')" \
	"[('rack', 'a'), ('stack', 'prod')]" "e1's spec file has the new attribute"
is "$(jget "$C/instances/local/instance.json" '[a["value"] for a in d["attributes"] if a["name"] == "stack"]')" \
	"['blue']" "local's instance.json has its own"
is "$(ecs list-attributes --cluster prod --target-type container-instance --attribute-name stack |
	jq_py 'sorted((a["targetId"].split("/")[-1], a["value"]) for a in d["attributes"])')" \
	"[('e1', 'prod'), ('local', 'blue')]" "list-attributes --attribute-name stack"
is "$(ecs list-container-instances --cluster prod --filter 'attribute:stack == prod' |
	jq_py 'd["containerInstanceArns"]')" "['$ARN/e1']" "a filter on an attribute the API put"
printf '{"endpoint": "unix://%s/e1.sock", "attributes": [{"name": "rack", "value": "z"}, {"name": "stack", "value": "prod"}]}\n' \
	"$T" >"$SPEC/e1.json"
is "$(ecs list-attributes --cluster prod --target-type container-instance --attribute-name rack \
	--attribute-value z | jq_py '[a["targetId"] for a in d["attributes"]]')" "['$ARN/e1']" \
	"an attribute written to the spec file is what list-attributes shows"
ecs delete-attributes --cluster prod --attributes "name=stack,targetType=container-instance,targetId=e1" \
	>/dev/null
ok $? "delete-attributes"
is "$(jget "$SPEC/e1.json" '[a["name"] for a in d["attributes"]]')" "['rack']" \
	"the spec file lost it, kept the rest"

# the errors, in ECS's names; a refused change is a line in /ecs/errors
out=$(ecs put-attributes --cluster prod --attributes \
	"name=ecs.os-type,value=windows,targetType=container-instance,targetId=e1" 2>&1)
like "$out" "InvalidParameterException.*ecs.os-type" "an ecs.* attribute: InvalidParameterException"
tail -n 1 "$MNT/errors" | grep -q 'api:ecs.PutAttributes'
ok $? "... and a line in /ecs/errors"
is "$(jget "$SPEC/e1.json" '[a["name"] for a in d["attributes"]]')" "['rack']" \
	"... the spec file is as it was"
like "$(ecs put-attributes --cluster prod --attributes \
	"name=x,targetType=container-instance,targetId=e9" 2>&1)" \
	"TargetNotFoundException.*e9" "an unknown target: TargetNotFoundException"
like "$(ecs list-container-instances --cluster prod --filter 'attribute:x ~ y' 2>&1)" \
	"InvalidParameterException.*filter: unknown operator at position 13" \
	"a malformed filter: InvalidParameterException with the position"
like "$(ecs describe-container-instances --cluster nope --container-instances local 2>&1)" \
	"ClusterNotFoundException" "an unknown cluster: ClusterNotFoundException"
like "$(ecs update-container-instances-state --cluster prod --container-instances e1 \
	--status REGISTERING 2>&1)" "InvalidParameterException" \
	"a state other than ACTIVE or DRAINING: InvalidParameterException"
like "$(ecs list-attributes --cluster prod --target-type container-instance --attribute-value a 2>&1)" \
	"InvalidParameterException.*attributeName" "a value without a name: InvalidParameterException"

# boto3: paginators, and a memberOf constraint on local's attribute
register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 32,
   \"command\": [\"sh\", \"-c\", \"$LONG\"]}]}"
"$PY3" - "$API_URL" "$STATE/credentials" "$T/task-ids" <<'PY' | sed 's/^/# boto3: /'
import configparser, sys
import boto3
creds = configparser.ConfigParser()
creds.read(sys.argv[2])
ecs = boto3.client("ecs", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id=creds["ecsfs"]["aws_access_key_id"],
                   aws_secret_access_key=creds["ecsfs"]["aws_secret_access_key"])
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        sys.exit(1)
pages = list(ecs.get_paginator("list_container_instances").paginate(
    cluster="prod", PaginationConfig={"PageSize": 1}))
check(len(pages) == 2 and sum(len(p["containerInstanceArns"]) for p in pages) == 2,
      "list_container_instances pages of 1: two pages")
pages = list(ecs.get_paginator("list_attributes").paginate(
    cluster="prod", targetType="container-instance", attributeName="ecs.os-type",
    PaginationConfig={"PageSize": 1}))
check(len(pages) == 2, "list_attributes pages of 1 over two instances")
d = ecs.describe_container_instances(cluster="prod", containerInstances=["local"],
                                     include=["TAGS"])
check(d["containerInstances"][0]["tags"] == [] and not d["failures"],
      "describe_container_instances include TAGS: tags")
r = ecs.run_task(cluster="prod", taskDefinition="web", placementConstraints=[
    {"type": "memberOf", "expression": "attribute:stack == blue"}])
for t in r["tasks"]:
    open(sys.argv[3], "a").write(t["taskArn"].split("/")[-1] + "\n")
check(len(r["tasks"]) == 1 and r["tasks"][0]["containerInstanceArn"].endswith("/prod/local"),
      "run_task memberOf attribute:stack == blue: on local")
r = ecs.run_task(cluster="prod", taskDefinition="web", placementConstraints=[
    {"type": "memberOf", "expression": "attribute:stack == green"}])
check(not r["tasks"] and "MemberOf placement constraint unsatisfied." in [f["reason"] for f in r["failures"]],
      "memberOf no instance: ECS's failure")
try:
    ecs.put_attributes(cluster="prod", attributes=[
        {"name": "a", "targetType": "container-instance", "targetId": "e9"}])
    check(False, "put_attributes of an unknown target fails")
except ecs.exceptions.TargetNotFoundException:
    check(True, "put_attributes of an unknown target: TargetNotFoundException (modelled)")
PY
ok "${PIPESTATUS[0]}" "boto3: paginators, include TAGS, memberOf on an attribute put by the API"

# deregister: the spec file goes
ecs deregister-container-instance --cluster prod --container-instance "$ARN/e1" >/dev/null
ok $? "deregister-container-instance e1"
test ! -e "$SPEC/e1.json"
ok $? "its spec file is gone"
is "$(ecs list-container-instances --cluster prod | jq_py 'd["containerInstanceArns"]')" \
	"['$ARN/local']" "local is left"

stop_all_tasks prod
no_task_containers_left
no_containers_left
done_testing
