#!/usr/bin/env bash
# ECS clusters, capacity providers, tags and account settings through the
# AWS API with the real AWS CLI v2, signed with the daemon's own
# credentials, and the same through the files: one store, two renderings.
# Ports 4611-4614. No engine is needed (nothing runs).
. "$(dirname "$0")/lib.sh"

PORT=4611
URL=http://127.0.0.1:$PORT
AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=aws
ARN=arn:aws:ecs:local:000000000000

# ecs ARGS...: the AWS CLI with the daemon's credentials (profile ecsfs)
ecs() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null AWS_PAGER= \
		"$AWS" --profile ecsfs --region local --endpoint-url "$URL" ecs "$@"
}
# py EXPR < JSON: a Python expression over the document d
py() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# fails_with EXCEPTION ARGS...: the call fails, its error names EXCEPTION
fails_with() {
	local want=$1 out
	shift
	out=$(ecs "$@" 2>&1)
	local rc=$?
	[ $rc -ne 0 ] && printf '%s' "$out" | grep -q "($want)" && return 0
	printf '%s\n' "$out" | sed 's/^/#   /'
	return 1
}
# pys EXPR < JSON: the same as canonical JSON (key order aside)
pys() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True))' "$1"; }
api_up() { ecs list-clusters >/dev/null 2>&1; }
in_clusters() { ls "$MNT/clusters" | grep -qx "$1"; }
not_in_clusters() { ! in_clusters "$1"; }
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }

start_daemon --docker "unix://$T/no-docker.sock" --api "127.0.0.1:$PORT" || exit 1
wait_for 20 api_up
ok $? "the API answers the AWS CLI with profile ecsfs"

# ---- the seeds' create-cluster ----
ecs create-cluster --cluster-name prod --settings name=containerInsights,value=enabled \
	--capacity-providers FARGATE FARGATE_SPOT \
	--default-capacity-provider-strategy capacityProvider=FARGATE,weight=1 \
	capacityProvider=FARGATE_SPOT,weight=4 --tags key=team,value=core >"$T/create.json"
ok $? "aws ecs create-cluster with settings, capacity providers, strategy and tags"
is "$(py 'd["cluster"]["clusterName"], d["cluster"]["status"], d["cluster"]["clusterArn"]' <"$T/create.json")" \
	"('prod', 'ACTIVE', '$ARN:cluster/prod')" "the answer: name, ACTIVE, ARN"
is "$(py '[(s["capacityProvider"], s["weight"]) for s in d["cluster"]["defaultCapacityProviderStrategy"]]' <"$T/create.json")" \
	"[('FARGATE', 1), ('FARGATE_SPOT', 4)]" "the strategy as given"

wait_for 5 in_clusters prod
ok $? "ls /ecs/clusters shows it"
C=$MNT/clusters/prod/cluster.json
is "$(py 'd["settings"], d["capacityProviders"], d["tags"]' <"$C")" \
	"([{'name': 'containerInsights', 'value': 'enabled'}], ['FARGATE', 'FARGATE_SPOT'], [{'key': 'team', 'value': 'core'}])" \
	"cat clusters/prod/cluster.json: settings, providers, tags"
S=$MNT/spec/clusters/prod/cluster.json
is "$(py 'sorted(d)' <"$S")" \
	"['capacityProviders', 'defaultCapacityProviderStrategy', 'settings', 'tags']" \
	"spec/clusters/prod/cluster.json is CreateCluster's input"

# describe-clusters with everything equals the file's describe
ecs describe-clusters --clusters prod --include ATTACHMENTS CONFIGURATIONS SETTINGS STATISTICS TAGS >"$T/d.json"
cmp_keys='["clusterArn","status","settings","capacityProviders","defaultCapacityProviderStrategy","tags","statistics","runningTasksCount","activeServicesCount"]'
is "$(pys "[d['clusters'][0].get(k) for k in $cmp_keys]" <"$T/d.json")" \
	"$(pys "[d.get(k) for k in $cmp_keys]" <"$C")" "describe-clusters shows what cluster.json shows"
is "$(py '"settings" in d["clusters"][0], "tags" in d["clusters"][0]' < <(ecs describe-clusters --clusters prod))" \
	"(False, False)" "without --include: no settings, no tags"

# ---- the same intent through the files ----
mkdir "$MNT/spec/clusters/files" && cp "$S" "$MNT/spec/clusters/files/cluster.json"
ok $? "mkdir spec/clusters/files and cp prod's cluster.json into it"
ecs describe-clusters --clusters files --include ATTACHMENTS CONFIGURATIONS SETTINGS STATISTICS TAGS >"$T/f.json"
same='["status","settings","capacityProviders","defaultCapacityProviderStrategy","tags","statistics"]'
is "$(pys "[d['clusters'][0].get(k) for k in $same]" <"$T/f.json")" \
	"$(pys "[d['clusters'][0].get(k) for k in $same]" <"$T/d.json")" \
	"describe-clusters shows the file-made cluster as the API-made one"
is "$(ecs list-clusters --query clusterArns --output text | tr '\t' ' ')" \
	"$ARN:cluster/files $ARN:cluster/prod" "list-clusters lists both"
is "$(ecs list-clusters --page-size 1 --query 'length(clusterArns)')" 2 \
	"--page-size 1: the CLI pages through nextToken"

# ---- changes, each shown by the files ----
ecs update-cluster-settings --cluster prod --settings name=containerInsights,value=disabled >/dev/null
ok $? "update-cluster-settings"
wait_for 5 file_has "$C" '"disabled"'
ok $? "cluster.json shows containerInsights disabled"
ecs put-cluster-capacity-providers --cluster prod --capacity-providers FARGATE \
	--default-capacity-provider-strategy capacityProvider=FARGATE,base=1,weight=1 >/dev/null
ok $? "put-cluster-capacity-providers"
is "$(py 'd["capacityProviders"]' <"$S")" "['FARGATE']" "the spec file shows the providers"
ecs update-cluster --cluster prod --configuration 'executeCommandConfiguration={logging=DEFAULT}' >/dev/null
ok $? "update-cluster --configuration"
is "$(py 'd["configuration"]' <"$C")" "{'executeCommandConfiguration': {'logging': 'DEFAULT'}}" \
	"cluster.json shows the configuration"

# ---- tags ----
ecs tag-resource --resource-arn "$ARN:cluster/prod" --tags key=env,value=prod
ok $? "tag-resource on a cluster"
is "$(ecs list-tags-for-resource --resource-arn "$ARN:cluster/prod" --query 'tags[].key' --output text | tr '\t' ' ')" \
	"team env" "list-tags-for-resource"
is "$(py '[t["key"] for t in d["tags"]]' <"$S")" "['team', 'env']" "the spec file shows the tags"
ecs untag-resource --resource-arn "$ARN:cluster/prod" --tag-keys team
is "$(ecs list-tags-for-resource --resource-arn "$ARN:cluster/prod" --query 'tags[].key' --output text)" \
	"env" "untag-resource"
fails_with ResourceNotFoundException list-tags-for-resource --resource-arn "$ARN:cluster/nope"
ok $? "tags of a cluster that does not exist: ResourceNotFoundException"

# ---- errors ----
fails_with ClusterNotFoundException update-cluster-settings --cluster nope \
	--settings name=containerInsights,value=enabled
ok $? "an unknown cluster: ClusterNotFoundException"
like "$(tail -n 1 "$MNT/errors")" '"api:ecs.UpdateClusterSettings"' \
	"the refusal is a line in /ecs/errors"
fails_with ClusterNotFoundException delete-cluster --cluster nope
ok $? "delete-cluster of an unknown cluster: ClusterNotFoundException"
is "$(ecs describe-clusters --clusters nope --query 'failures[0].[arn,reason]' --output text)" \
	"$ARN:cluster/nope	MISSING" "describe-clusters: a MISSING failure"
fails_with InvalidParameterException put-cluster-capacity-providers --cluster prod \
	--capacity-providers mine --default-capacity-provider-strategy capacityProvider=mine,weight=1
ok $? "a capacity provider that does not exist: InvalidParameterException"
fails_with InvalidParameterException create-cluster --cluster-name bad \
	--settings name=containerInsights,value=sometimes
ok $? "a bad setting value: InvalidParameterException"
not_in_clusters bad
ok $? "and nothing was made"

# ---- capacity providers and account settings ----
is "$(ecs describe-capacity-providers --query 'capacityProviders[].[name,status]' --output text | tr '\t\n' ' ')" \
	"FARGATE ACTIVE FARGATE_SPOT ACTIVE " "describe-capacity-providers: FARGATE, FARGATE_SPOT"
is "$(ecs describe-capacity-providers --capacity-providers nope --query 'failures[0].reason' --output text)" \
	"MISSING" "an unknown one is a failure"
is "$(ecs list-account-settings --effective-settings --name taskLongArnFormat --query 'settings[0].value' --output text)" \
	"enabled" "list-account-settings: taskLongArnFormat enabled"
ecs put-account-setting-default --name containerInsights --value enabled >/dev/null
ok $? "put-account-setting-default"
is "$(ecs list-account-settings --query 'settings[0].[name,value]' --output text)" \
	"containerInsights	enabled" "list-account-settings shows it"
mkdir "$MNT/clusters/plain"
is "$(py 'd["settings"][0]["value"]' <"$MNT/clusters/plain/cluster.json")" enabled \
	"a new cluster follows the account's containerInsights"
ecs delete-account-setting --name containerInsights >/dev/null
ok $? "delete-account-setting"
is "$(ecs list-account-settings --effective-settings --name containerInsights --query 'settings[0].value' --output text)" \
	"disabled" "back to ECS's default"

# ---- deletes, by either front end ----
is "$(ecs delete-cluster --cluster prod --query cluster.status --output text)" INACTIVE \
	"delete-cluster answers INACTIVE"
wait_for 5 not_in_clusters prod
ok $? "ls /ecs/clusters no longer shows it"
test ! -e "$MNT/spec/clusters/prod"
ok $? "nor the spec tree"
rmdir "$MNT/clusters/plain" && rm "$MNT/spec/clusters/files/cluster.json" && rmdir "$MNT/spec/clusters/files"
ok $? "rmdir a cluster through the files"
is "$(ecs describe-clusters --clusters prod files --query 'clusters[].status' --output text)" \
	"INACTIVE	INACTIVE" "describe-clusters shows both deleted clusters INACTIVE"
is "$(ecs list-clusters --query 'length(clusterArns)')" 0 "list-clusters: none"

stop_daemon
ok $? "the daemon stops cleanly"
done_testing
