#!/usr/bin/env bash
# ECS task definitions through the AWS API with the real AWS CLI v2
# (register-task-definition --cli-input-json file://examples/...), and the
# same through spec/taskdefs/ and taskdefs/: the same revisions, and a bad
# definition refused by both with one message. Ports 4615-4619.
. "$(dirname "$0")/lib.sh"

PORT=4615
URL=http://127.0.0.1:$PORT
AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=aws
ARN=arn:aws:ecs:local:000000000000
EX=$(cd "$(dirname "$0")/../../examples/gitops/taskdefs" && pwd)

ecs() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null AWS_PAGER= \
		"$AWS" --profile ecsfs --region local --endpoint-url "$URL" ecs "$@"
}
py() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# pys EXPR < JSON: the same as canonical JSON (key order aside)
pys() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True))' "$1"; }
api_up() { ecs list-clusters >/dev/null 2>&1; }
listed() { ls "$1" 2>/dev/null | grep -qx "$2"; }
not_listed() { ! listed "$@"; }
arns() { ecs list-task-definitions "$@" --query taskDefinitionArns --output text | tr '\t' ' '; }

start_daemon --docker "unix://$T/no-docker.sock" --api "127.0.0.1:$PORT" || exit 1
wait_for 20 api_up
ok $? "the API answers the AWS CLI with profile ecsfs"

# ---- register, as the seeds do ----
ecs register-task-definition --cli-input-json "file://$EX/web.json" >"$T/reg.json"
ok $? "register-task-definition --cli-input-json file://examples/gitops/taskdefs/web.json"
is "$(py 'd["taskDefinition"]["taskDefinitionArn"], d["taskDefinition"]["status"], d["tags"]' <"$T/reg.json")" \
	"('$ARN:task-definition/web:1', 'ACTIVE', [{'key': 'team', 'value': 'web'}])" \
	"revision 1, ACTIVE, with its tags"
wait_for 5 listed "$MNT/taskdefs" web
ok $? "ls /ecs/taskdefs shows the family"
R=$MNT/taskdefs/web/1.json
same='["taskDefinitionArn","revision","status","containerDefinitions","volumes","networkMode","compatibilities"]'
is "$(pys "[d['taskDefinition'].get(k) for k in $same]" <"$T/reg.json")" \
	"$(pys "[d.get(k) for k in $same]" <"$R")" "taskdefs/web/1.json is what the API answered"
is "$(py 'd["family"], len(d["containerDefinitions"])' <"$MNT/spec/taskdefs/web.json")" \
	"('web', 2)" "spec/taskdefs/web.json holds the document"
is "$(ecs register-task-definition --cli-input-json "file://$EX/web.json" --query taskDefinition.revision)" \
	1 "the same document again: no new revision (a GitOps re-apply)"

# the spec file, written back as rsync would, registers nothing new either
cp "$MNT/spec/taskdefs/web.json" "$T/back.json" && cp "$T/back.json" "$MNT/spec/taskdefs/web.json"
is "$(ls -v "$MNT/taskdefs/web" | tr '\n' ' ')" "1.json latest " "the spec file's bytes are the same revision"

# ---- the files register, the API shows ----
cp "$EX/worker.json" "$MNT/spec/taskdefs/worker.json"
ok $? "cp examples/gitops/taskdefs/worker.json into spec/taskdefs/"
is "$(ecs describe-task-definition --task-definition worker --query 'taskDefinition.[family,revision,status]' --output text)" \
	"worker	1	ACTIVE" "describe-task-definition shows it"
sed 's/"memoryReservation": 32/"memoryReservation": 48/' "$EX/worker.json" >"$T/worker2.json"
ecs register-task-definition --cli-input-json "file://$T/worker2.json" >/dev/null
is "$(readlink "$MNT/taskdefs/worker/latest")" "2.json" "a changed one through the API: latest is 2"

# ---- describe and list ----
is "$(ecs describe-task-definition --task-definition "$ARN:task-definition/web:1" --include TAGS --query 'tags[0].key' --output text)" \
	team "describe-task-definition --include TAGS"
is "$(arns)" "$ARN:task-definition/web:1 $ARN:task-definition/worker:1 $ARN:task-definition/worker:2" \
	"list-task-definitions"
is "$(arns --family-prefix wor --sort DESC)" \
	"$ARN:task-definition/worker:2 $ARN:task-definition/worker:1" "--family-prefix, --sort DESC"
is "$(ecs list-task-definitions --page-size 1 --query 'length(taskDefinitionArns)')" 3 \
	"--page-size 1: the CLI pages through nextToken"
is "$(ecs list-task-definition-families --query families --output text | tr '\t' ' ')" \
	"web worker" "list-task-definition-families"
# boto3's paginators walk the same pages
boto3_pages() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null /usr/bin/python3 - "$URL" <<'PY'
import sys, boto3
ecs = boto3.Session(profile_name="ecsfs", region_name="local").client("ecs", endpoint_url=sys.argv[1])
pages = list(ecs.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 1}))
fams = [f for p in ecs.get_paginator("list_task_definition_families").paginate(PaginationConfig={"PageSize": 1}) for f in p["families"]]
print(len(pages), sum(len(p["taskDefinitionArns"]) for p in pages), " ".join(fams))
PY
}
is "$(boto3_pages 2>&1)" "3 3 web worker" "boto3's paginators: three pages of one, and both families"

# ---- deregister, by either front end ----
is "$(ecs deregister-task-definition --task-definition web:1 --query taskDefinition.status --output text)" \
	INACTIVE "deregister-task-definition web:1"
wait_for 5 not_listed "$MNT/taskdefs/web" 1.json
ok $? "taskdefs/web/ no longer lists 1.json"
is "$(py 'd["status"]' <"$R")" INACTIVE "but it reads, INACTIVE"
is "$(arns --status INACTIVE)" "$ARN:task-definition/web:1" "list-task-definitions --status INACTIVE"
is "$(ecs list-task-definition-families --status INACTIVE --query families --output text)" web \
	"web has no ACTIVE revision left"
rm "$MNT/taskdefs/worker/1.json"
ok $? "rm taskdefs/worker/1.json"
is "$(ecs describe-task-definition --task-definition worker:1 --query taskDefinition.status --output text)" \
	INACTIVE "describe-task-definition shows it INACTIVE"

# ---- tags of a revision ----
ecs tag-resource --resource-arn "$ARN:task-definition/worker:2" --tags key=tier,value=batch
ok $? "tag-resource on a revision"
is "$(ecs list-tags-for-resource --resource-arn "$ARN:task-definition/worker:2" --query 'tags[0].[key,value]' --output text)" \
	"tier	batch" "list-tags-for-resource"

# ---- a bad definition: the same refusal from both ----
cat >"$T/bad.json" <<'JSON'
{"family": "bad", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 128, "memoryReservation": 256}]}
JSON
n0=$(errors_count)
cp "$T/bad.json" "$MNT/spec/taskdefs/bad.json" 2>/dev/null
ok $((!$?)) "cp of a bad definition into spec/taskdefs/ fails"
file_msg=$(tail -n 1 "$MNT/errors" | py 'd["message"]')
out=$(ecs register-task-definition --cli-input-json "file://$T/bad.json" 2>&1)
ok $((!$?)) "register-task-definition of it fails"
like "$out" '\(ClientException\)' "with ClientException"
api_msg=$(printf '%s' "$out" | sed -n 's/.*RegisterTaskDefinition operation: //p')
is "$api_msg" "$file_msg" "and exactly the message /ecs/errors shows for the file"
like "$api_msg" '^containerDefinitions\[0\]\.memory' "naming the field"
is "$(errors_count)" "$((n0 + 2))" "both refusals are lines in /ecs/errors"
like "$(tail -n 1 "$MNT/errors")" '"api:ecs.RegisterTaskDefinition"' "the API's names the operation"
out=$(ecs describe-task-definition --task-definition nope 2>&1)
like "$out" '\(ClientException\)' "describe-task-definition of nothing: ClientException"
test ! -e "$MNT/taskdefs/bad"
ok $? "nothing of the bad one was registered"

# ---- the files' deregistration of a family, seen by the API ----
rm "$MNT/spec/taskdefs/worker.json"
none_active() { [ -z "$(arns --family-prefix worker)" ]; }
wait_for 15 none_active
ok $? "rm spec/taskdefs/worker.json: list-task-definitions shows no ACTIVE worker (after the grace)"

stop_daemon
ok $? "the daemon stops cleanly"
done_testing
