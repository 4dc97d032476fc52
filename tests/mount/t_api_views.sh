#!/usr/bin/env bash
# One store, three views (issue 12): a service made by `aws ecs
# create-service` appears as spec/clusters/<c>/services/<s>.json (so `diff -r`
# against the repository shows it as drift), one rsync wrote shows in
# describe-services, and the same intent by either front end leaves the
# same rows: the stored definitions, the spec files and describe's output
# compared. Port 4623.
. "$(dirname "$0")/lib_api_ecs.sh"
api_suite 4623
SP=$MNT/spec/clusters/prod/services
R=$T/infra

mkdir -p "$R/taskdefs" "$R/clusters/prod/services"
printf '{"family": "web", "containerDefinitions": [{"name": "app", "image": "%s",
  "memory": 64, "command": ["sh", "-c", "%s"]}]}\n' "$BUSYBOX_IMAGE" "$FOREVER" >"$R/taskdefs/web.json"
DOC='{"taskDefinition": "web", "desiredCount": 2,
 "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50,
   "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
 "tags": [{"key": "team", "value": "a"}]}'
printf '%s\n' "$DOC" >"$R/clusters/prod/services/filed.json"

rsync -rt --delete "$R/" "$MNT/spec/"
ok $? "rsync applies the repository"
out=$(ecs describe-services --cluster prod --services filed --include TAGS)
is "$(printf '%s' "$out" | jq_py 'd["services"][0]["status"], d["services"][0]["desiredCount"], d["services"][0]["tags"]')" \
	"ACTIVE 2 [{'key': 'team', 'value': 'a'}]" "the service rsync wrote shows in describe-services"

ecs create-service --cluster prod --service-name api --cli-input-json "$DOC" >/dev/null
ok $? "create-service --cli-input-json with the same document"
test -f "$SP/api.json"
ok $? "its spec file appears in spec/clusters/prod/services/api.json"
like "$(diff -r "$R" "$MNT/spec" 2>&1)" "Only in $SP: api.json" "diff -r shows it as drift from git"
wait_for 30 svc_steady prod filed 2 && wait_for 30 svc_steady prod api 2
ok $? "both run 2 tasks"

# the stored definitions: the rows of the services table
rows() {
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT name, state FROM services WHERE cluster = 'prod'" |
		"$PY3" -c 'import json, sys
specs = {}
for line in sys.stdin:
    name, state = line.rstrip("\n").split("|", 1)
    specs[name] = json.loads(state)["spec"]
print(specs["filed"] == specs["api"])'
}
is "$(rows)" True "the same definition row from the file and from create-service"
same_files() {
	"$PY3" - "$SP/filed.json" "$SP/api.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
b.pop("serviceName", None)
a.pop("serviceName", None)
print(a == b)
PY
}
is "$(same_files)" True "the same spec file content"
# describe-services of both, without what names them or when
norm() {
	"$PY3" -c 'import json, sys
d = json.load(sys.stdin)
out = []
for s in d["services"]:
    for k in ("serviceArn", "serviceName", "createdAt", "events", "deployments"):
        s.pop(k, None)
    out.append(s)
print(out[0] == out[1])'
}
is "$(ecs describe-services --cluster prod --services filed api --include TAGS | norm)" True \
	"describe-services shows the two alike"
is "$(jget "$MNT/clusters/prod/services/api/service.json" 'd["serviceArn"], d["desiredCount"]')" \
	"('arn:aws:ecs:local:000000000000:service/prod/api', 2)" "service.json of the tree has the API's service"

echo 3 >"$MNT/clusters/prod/services/filed/desired_count"
ecs update-service --cluster prod --service api --desired-count 3 >/dev/null
ok $? "echo 3 > desired_count for one, update-service --desired-count 3 for the other"
is "$(rows) $(same_files)" "True True" "the same rows and spec files again"
like "$(diff -r "$R" "$MNT/spec" 2>&1)" '"desiredCount": 3' "diff -r shows the drift of filed.json"

rsync -rt --delete "$R/" "$MNT/spec/"
ok $? "rsync again"
is "$(jget "$SP/filed.json" 'd["desiredCount"]')" 2 "git's value is back"
test ! -e "$SP/api.json"
ok $? "--delete prunes the API's service file"
wait_for 30 svc_gone prod api
ok $? "... and that deletes the service"
ecs wait services-inactive --cluster prod --services api
ok $? "which describe-services shows INACTIVE"

svc_drain prod filed
remember_tasks prod
stop_all_tasks prod
no_task_containers_left
no_containers_left
done_testing
