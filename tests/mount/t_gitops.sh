#!/usr/bin/env bash
# GitOps end to end: a repository of definitions applied with rsync
# (-rt --delete, -a, -rc, --inplace) creates clusters, registers families and
# runs services; a re-apply is a no-op (no revision, no deployment); diff -r
# shows drift from a live change and the next apply restores git's value; a
# new revision in git rolls the service; removed files prune a service, a
# family, a whole cluster; order does not matter; a broken or misplaced file
# is refused alone, leaving everything else applied and nothing lost.
. "$(dirname "$0")/lib.sh"

# Every state directory this test used: its containers go in the trap too.
INSTANCES=
gitops_cleanup() {
	local inst ids
	task_cleanup
	docker_answers || return 0
	for inst in $INSTANCES; do
		ids=$(engine_ids "ecsfs.instance=$inst")
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
		ids=$(docker network ls -q --filter "label=ecsfs.instance=$inst")
		[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	done
	return 0
}
trap 'gitops_cleanup; cleanup' EXIT

need_docker
ensure_busybox_image || { echo "Bail out! cannot make $BUSYBOX_IMAGE"; exit 1; }
start_daemon || exit 1
INSTANCES="$INSTANCES $(instance_id)"
R=$T/infra
S=$MNT/spec

# ---- the repository ----
# Every file gets one fixed old mtime, and each edit a new distinct one
# (stamp), so rsync's quick check never depends on what second it is.
STAMP=$(date -d '2024-01-01 00:00:00' +%s)
stamp() { STAMP=$((STAMP + 1)) && touch -d "@$STAMP" "$@"; }

taskdef() { # taskdef FAMILY MEMORY
	cat <<JSON
{
  "family": "$1",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "$BUSYBOX_IMAGE",
      "essential": true,
      "memory": $2,
      "command": ["sh", "-c", "$FOREVER"]
    }
  ]
}
JSON
}
service() { # service FAMILY DESIRED
	cat <<JSON
{
  "taskDefinition": "$1",
  "desiredCount": $2,
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}
}
JSON
}
# mkrepo DIR [DESIRED]: taskdefs web and worker; prod (settings, services web
# x2 and api x1 of worker), staging (service worker x1); a README at the root.
# DESIRED overrides every desiredCount.
mkrepo() {
	local d=$1
	mkdir -p "$d/taskdefs" "$d/clusters/prod/services" "$d/clusters/staging/services"
	printf '# infra\n\nApplied with: rsync -rt --delete infra/ /ecs/spec/\n' >"$d/README.md"
	taskdef web 32 >"$d/taskdefs/web.json"
	taskdef worker 32 >"$d/taskdefs/worker.json"
	cat >"$d/clusters/prod/cluster.json" <<'JSON'
{
  "settings": [{"name": "containerInsights", "value": "enabled"}],
  "tags": [{"key": "env", "value": "prod"}]
}
JSON
	service web "${2:-2}" >"$d/clusters/prod/services/web.json"
	service worker "${2:-1}" >"$d/clusters/prod/services/api.json"
	service worker "${2:-1}" >"$d/clusters/staging/services/worker.json"
	find "$d" -exec touch -d "@$STAMP" {} +
}

apply() { rsync -rt --delete "$@" "$R/" "$S/"; }
itemize() { rsync -rt --delete --itemize-changes "$@" "$R/" "$S/" 2>&1; }
revs() { ls -v "$MNT/taskdefs/$1" 2>/dev/null | tr '\n' ' '; }
deps_lines() { grep -h '^deployment' "$MNT/clusters/$1/services/$2/status"; }
errors_since() { tail -n +"$(($1 + 1))" "$MNT/errors"; }
no_drift() { diff -r "$R" "$S" >/dev/null 2>&1; }
cluster_gone() { ! ls "$MNT/clusters" | grep -qx "$1"; }
family_gone() { ! ls "$MNT/taskdefs" | grep -qx "$1"; }
all_deps() { deps_lines prod web; deps_lines prod api; deps_lines staging worker; }

mkrepo "$R"

# ---- apply to a fresh state ----
out=$(itemize)
ok $? "rsync -rt --delete applies the repository to a fresh mount"
first_cluster=$(printf '%s\n' "$out" | grep -n ' clusters/prod/services/web.json$' | cut -d: -f1)
first_taskdef=$(printf '%s\n' "$out" | grep -n ' taskdefs/web.json$' | cut -d: -f1)
ok $((!(first_cluster < first_taskdef))) "rsync sent the services before their families (lines $first_cluster < $first_taskdef)"
is "$(ls "$MNT/clusters" | tr '\n' ' ')" "prod staging " "the missing clusters were created"
is "$(ls "$MNT/taskdefs" | tr '\n' ' ')" "web worker " "the task definitions were registered"
is "$(revs web)|$(revs worker)" "1.json latest |1.json latest " "as revision 1 each"
is "$(jget "$MNT/clusters/prod/cluster.json" '[(s["name"], s["value"]) for s in d["settings"]], d["tags"]')" \
	"([('containerInsights', 'enabled')], [{'key': 'env', 'value': 'prod'}])" "cluster.json's settings and tags applied"
wait_for 60 svc_steady prod web 2
ok $? "service prod/web reaches running_count 2, steady"
wait_for 60 svc_steady prod api 1
ok $? "service prod/api reaches running_count 1"
wait_for 60 svc_steady staging worker 1
ok $? "service staging/worker reaches running_count 1"
like "$(cat "$MNT/clusters/prod/services/web/status")" "running_count: 2" "its status says running_count: 2"
remember_tasks prod
remember_tasks staging
out=$(diff -r "$R" "$S" 2>&1)
is "$out" "" "diff -r infra spec is empty, the root README.md included"
cmp -s "$R/README.md" "$S/README.md"
ok $? "the root README.md is kept byte for byte"

# ---- re-apply: a no-op ----
deps0=$(all_deps)
other0=$(deps_lines prod api; deps_lines staging worker)
ids0=$(svc_ids prod web | sort | tr '\n' ' ')
is "$(itemize)" "" "a second rsync -rt --delete --itemize-changes prints nothing"
is "$(rsync -rc --delete --itemize-changes "$R/" "$S/" 2>&1)" "" "rsync -rc (checksums) finds nothing to change"
out=$(itemize -I)
ok $? "rsync -rtI re-sends every file with the same bytes"
is "$(printf '%s\n' "$out" | grep -c '^>f')" "7" "(all 7 files were transferred)"
is "$(revs web)|$(revs worker)" "1.json latest |1.json latest " "no new revision"
is "$(all_deps)" "$deps0" "no new deployment (the deployment lines of every service are unchanged)"
is "$(svc_ids prod web | sort | tr '\n' ' ')" "$ids0" "and no task was replaced"
is "$(wc -l <"$MNT/errors")" "0" "nothing was refused"

# ---- drift: a live change shows in diff -r; the next apply restores git ----
W=$MNT/clusters/prod/services/web
echo 5 >"$W/desired_count"
ok $? "echo 5 > clusters/prod/services/web/desired_count"
out=$(diff -r "$R" "$S" 2>&1)
like "$out" 'clusters/prod/services/web.json' "diff -r shows drift in web.json"
like "$out" '> +"desiredCount": 5' "with the live value 5"
is "$(jget "$S/clusters/prod/services/web.json" 'd["desiredCount"], d["taskDefinition"]')" "(5, 'web')" \
	"the spec file holds desiredCount 5, the other fields kept"
echo web:1 >"$W/task_definition"
like "$(diff -r "$R" "$S" 2>&1)" '"taskDefinition": "web:1"' "a pinned revision shows as drift too"
out=$(itemize)
ok $? "the next rsync -rt --delete"
like "$(printf '%s\n' "$out" | grep '^>f')" '^>f[^ ]*t[^ ]* clusters/prod/services/web.json$' \
	"sends back web.json only (its mtime differs)"
is "$(cat "$W/desired_count")" "2" "desired_count is git's 2 again"
is "$(cat "$W/task_definition")" "web" "task_definition follows the family again"
out=$(diff -r "$R" "$S" 2>&1)
is "$out" "" "diff -r is empty again"
wait_for 60 svc_steady prod web 2
ok $? "the service is back at 2 running"
remember_tasks prod

# ---- a new revision in git rolls the service ----
sed -i 's/"memory": 32/"memory": 48/' "$R/taskdefs/web.json"
stamp "$R/taskdefs/web.json" "$R/taskdefs"
out=$(itemize)
ok $? "rsync of a changed taskdefs/web.json"
is "$(revs web)" "1.json 2.json latest " "registers web:2"
is "$(readlink "$MNT/taskdefs/web/latest")" "2.json" "latest -> 2.json"
rolled2() {
	svc_all_rev prod web web:2 2 || return 1
	[ "$(svc_deps prod web | wc -l)" = 1 ]
}
wait_for 90 rolled2
ok $? "service web rolls: 2 tasks of web:2 run, one deployment left"
# COMPLETED once its tasks have run a few seconds
completed2() { svc_deps prod web | grep -Eq '^ecs-svc/[0-9]+ PRIMARY web:2 COMPLETED 2 0$'; }
wait_for 60 completed2
like "$(svc_deps prod web)" '^ecs-svc/[0-9]+ PRIMARY web:2 COMPLETED 2 0$' "its deployment is PRIMARY web:2 COMPLETED"
arns=
for id in $(svc_ids prod web); do
	arns="$arns$(jget "$MNT/clusters/prod/tasks/$id/task.json" 'd["taskDefinitionArn"].rsplit("/", 1)[1]') "
done
is "$arns" "web:2 web:2 " "task.json of its tasks: taskDefinitionArn ends with web:2"
is "$(deps_lines prod api; deps_lines staging worker)" "$other0" \
	"services of the other family kept their deployments"
remember_tasks prod
is "$(itemize)" "" "the re-apply after it is a no-op"
is "$(revs web)" "1.json 2.json latest " "(no web:3)"
no_drift
ok $? "no drift"

# ---- a broken file among good ones ----
cp "$R/taskdefs/web.json" "$T/web.good"
cp "$R/clusters/prod/services/api.json" "$T/api.good"
deps1=$(all_deps)
n0=$(errors_count)
printf '{\n  "family": "web",\n  "containerDefinitions": [\n' >"$R/taskdefs/web.json"
sed -i 's/"desiredCount": 1/"desiredCount": "one"/' "$R/clusters/prod/services/api.json"
taskdef batch 32 >"$R/taskdefs/batch.json"
sed -i 's/"prod"/"production"/' "$R/clusters/prod/cluster.json"
stamp "$R/taskdefs/web.json" "$R/taskdefs/batch.json" "$R/clusters/prod/services/api.json" \
	"$R/clusters/prod/cluster.json" "$R/taskdefs"
out=$(apply 2>&1)
rc=$?
ok $((rc == 0)) "rsync exits non-zero when a file is refused (rc $rc)"
like "$out" 'rename .*taskdefs/web.json": Invalid argument' "and reports web.json's rename: EINVAL"
is "$(revs batch)" "1.json latest " "the new good family batch was registered"
like "$(cat "$MNT/clusters/prod/cluster.json")" '"production"' "the good cluster.json change applied"
errs=$(errors_since "$n0")
like "$errs" '"path":"[^"]*taskdefs/web.json","errno":"EINVAL","message":"invalid JSON at line 4' \
	"an errors line names taskdefs/web.json, with jansson's line"
like "$errs" '"path":"[^"]*services/api.json","errno":"EINVAL","message":"desiredCount' \
	"an errors line names services/api.json and its field"
is "$(readlink "$MNT/taskdefs/web/latest")" "2.json" "web stays at revision 2"
cmp -s "$T/web.good" "$S/taskdefs/web.json"
ok $? "spec/taskdefs/web.json still holds the good bytes"
is "$(cat "$MNT/clusters/prod/services/api/desired_count")" "1" "api keeps its desiredCount"
is "$(all_deps)" "$deps1" "no service changed deployment"
like "$(diff -r "$R" "$S" 2>&1)" 'taskdefs/web.json' "diff -r shows what was refused"
cp "$T/web.good" "$R/taskdefs/web.json"
cp "$T/api.good" "$R/clusters/prod/services/api.json"
stamp "$R/taskdefs/web.json" "$R/clusters/prod/services/api.json" "$R/taskdefs"
out=$(apply 2>&1)
ok $? "the fixed repository applies"
is "$(revs web)" "1.json 2.json latest " "with no new revision"
is "$(all_deps)" "$deps1" "and no new deployment"
no_drift
ok $? "no drift"

# ---- files that do not belong: each refused alone ----
B=$T/bad
cp -a "$R" "$B"
echo 'notes' >"$B/taskdefs/notes.txt"
echo 'junk' >"$B/clusters/prod/junk"
mkdir -p "$B/clusters/prod/foo" "$B/foo"
taskdef foo 32 >"$B/clusters/prod/foo/x.json"
echo y >"$B/foo/y"
echo 'not a directory' >"$B/clusters/edge"
python3 -c 'import sys; sys.stdout.write("{\"family\": \"big\", \"containerDefinitions\": [" + " " * (10 << 20) + "]}")' >"$B/taskdefs/big.json"
taskdef "my web" 32 >"$B/taskdefs/my web.json"
printf '{"family": "trail", "containerDefinitions": []} trailing\n' >"$B/taskdefs/trail.json"
taskdef typed '"lots"' >"$B/taskdefs/typed.json"
printf '*.swp\n' >"$B/.gitignore"
taskdef good 32 >"$B/taskdefs/good.json"
before_clusters=$(ls "$MNT/clusters" | tr '\n' ' ')
before_spec=$(cd "$S" && find . | sort)
n0=$(errors_count)
out=$(rsync -rt --delete "$B/" "$S/" 2>&1)
rc=$?
ok $((rc == 0)) "rsync of a repository with misplaced files exits non-zero (rc $rc)"
errs=$(errors_since "$n0")
# (a refused rename names rsync's temporary .NAME.XXXXXX or the target)
for name in taskdefs/notes.txt clusters/prod/junk clusters/prod/foo/ foo/ clusters/edge \
	taskdefs/big.json 'taskdefs/my web.json' taskdefs/trail.json taskdefs/typed.json; do
	dir=${name%/*} base=${name##*/}
	case $name in
	*/) re="spec/${dir//./\\.}\"" ;;
	*/*) re="spec/$dir/\\.?${base//./\\.}" ;;
	esac
	printf '%s\n' "$errs" | grep -E "\"path\":\"[^\"]*$re" | grep -q '"errno":"EINVAL"'
	ok $? "an EINVAL errors line names $name"
done
like "$errs" 'the limit is 65536' "the 10 MB definition is refused for its size"
like "$errs" "family name 'my web'" "the name with a space is refused for its name"
like "$errs" 'containerDefinitions\[0\]\.memory' "a wrong type is refused naming the field"
like "$out" 'mkdir ".*spec/clusters/prod/foo" failed: Invalid argument' "rsync reports the unknown directory's mkdir: EINVAL"
is "$(revs good)" "1.json latest " "the good file among them was registered"
test -f "$S/.gitignore" && cmp -s "$B/.gitignore" "$S/.gitignore"
ok $? "the root keeps .gitignore as a scratch file"
is "$(ls "$MNT/clusters" | tr '\n' ' ')" "$before_clusters" "no cluster appeared or went"
is "$(ls "$MNT/taskdefs" | tr '\n' ' ')" "batch good web worker " "only the good family was added"
is "$(cd "$S" && find . | sort)" "$(printf '%s\n%s\n%s\n' "$before_spec" ./.gitignore ./taskdefs/good.json | sort)" \
	"the spec tree holds what it held, plus the good files"
is "$(all_deps)" "$deps1" "every service kept its deployment"
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"
rm "$B/taskdefs/big.json"
python3 -c 'import sys; sys.stdout.write("{\"family\": \"big\", \"containerDefinitions\": [" + " " * (10 << 20) + "]}")' >"$T/big.json"
n0=$(errors_count)
out=$(rsync -t --inplace "$T/big.json" "$S/taskdefs/big.json" 2>&1)
rc=$?
ok $((rc == 0)) "rsync --inplace of a 10 MB definition fails (rc $rc)"
like "$(errors_since "$n0")" '"path":"[^"]*taskdefs/big.json","errno":"EINVAL".*the limit is 65536' \
	"its writes beyond 64 KiB fail, with an errors line"
test ! -e "$S/taskdefs/big.json" && family_gone big
ok $? "and nothing named big is left"
# tools' temporaries are kept in definition directories, and --delete prunes them
echo s >"$S/taskdefs/sedAb12Cd" && echo b >"$S/taskdefs/web.json~" && echo v >"$S/taskdefs/.web.json.swp"
ok $? "sed's, editors' backup and swap names are accepted as scratch files"
out=$(apply 2>&1)
ok $? "the good repository applies again"
is "$(ls -A "$S/taskdefs" | tr '\n' ' ')" "batch.json web.json worker.json " \
	"--delete removed the scratch files and good.json"
is "$(cd "$S" && find . | sort)" "$before_spec" "the spec tree is what it was"
no_drift
ok $? "no drift"
wait_for 10 family_gone good
ok $? "family good, removed from the repository, is deregistered"

# ---- prune: a service, a family, a whole cluster ----
n_prune=$(errors_count)
api_ids=$(svc_ids prod api)
rm "$R/clusters/prod/services/api.json"
stamp "$R/clusters/prod/services"
out=$(itemize)
like "$out" '\*deleting +clusters/prod/services/api.json' "rsync --delete removes services/api.json"
is "$(svc_key prod api status)" "ACTIVE" "within its 3 s grace period the service is still ACTIVE"
draining_or_gone() { [ "$(svc_key prod api status)" = DRAINING ] || svc_gone prod api; }
wait_for 15 draining_or_gone
ok $? "then it is DRAINING"
wait_for 30 svc_gone prod api
ok $? "and gone once its task has stopped"
for id in $api_ids; do
	is "$(skey "$MNT/clusters/prod/tasks/$id/status" last_status)" "STOPPED" "its task $id is STOPPED"
done
rm "$R/taskdefs/batch.json"
stamp "$R/taskdefs"
out=$(itemize)
like "$out" '\*deleting +taskdefs/batch.json' "rsync --delete removes taskdefs/batch.json"
wait_for 15 family_gone batch
ok $? "family batch is deregistered after the grace period"
is "$(jget "$MNT/taskdefs/batch/1.json" 'd["status"]')" "INACTIVE" "batch:1 is INACTIVE, still readable"
worker_ids=$(svc_ids staging worker)
rm -r "$R/clusters/staging" "$R/taskdefs/worker.json"
stamp "$R/clusters" "$R/taskdefs"
out=$(itemize)
like "$out" '\*deleting +clusters/staging/' "rsync --delete removes clusters/staging/"
is "$(ls "$S/clusters" | tr '\n' ' ')" "prod " "the spec tree forgets staging at once"
out=$(diff -r "$R" "$S" 2>&1)
is "$out" "" "diff -r is empty at once"
wait_for 30 cluster_gone staging
ok $? "the cluster is deleted once its service has drained"
worker_stopped() {
	local id
	for id in $worker_ids; do
		[ -n "$(engine_ids "ecsfs.task=$id")" ] && return 1
	done
	return 0
}
wait_for 30 worker_stopped
ok $? "the containers of its tasks are gone"
wait_for 15 family_gone worker
ok $? "family worker is deregistered too"
is "$(itemize)" "" "the re-apply after the prune is a no-op"
is "$(all_deps 2>/dev/null)" "$(deps_lines prod web)" "only prod/web is left, with its deployment"

# ---- an empty repository prunes everything ----
remember_tasks prod
mkdir "$T/empty"
out=$(rsync -rt --delete "$T/empty/" "$S/" 2>&1)
ok $? "rsync -rt --delete of an empty repository"
is "$(ls -A "$S")" "" "spec/ is empty at once"
wait_for 30 cluster_gone prod
ok $? "cluster prod is deleted once web has drained"
wait_for 15 family_gone web
ok $? "family web is deregistered"
is "$(ls "$MNT/clusters")$(ls "$MNT/taskdefs")" "" "clusters/ and taskdefs/ list nothing"
remember_tasks prod
is "$(errors_count)" "$n_prune" "no change of the prune was refused"
stop_daemon
ok $? "the daemon stops cleanly (exit 0)"

# ---- fresh state 2: rsync -a, and order independence shown step by step ----
STATE=$T/state2 MNT=$T/mnt2 S=$T/mnt2/spec
start_daemon || exit 1
INSTANCES="$INSTANCES $(instance_id)"
R=$T/infra2
mkrepo "$R" 0
service web 1 >"$R/clusters/prod/services/web.json"
chmod 600 "$R/clusters/prod/services/web.json"
find "$R" -exec touch -d "@$STAMP" {} +
out=$(rsync -a --delete --exclude=/taskdefs/ "$R/" "$S/" 2>&1)
ok $? "rsync -a of clusters/ alone (a service before its family)"
wait_key() { [ "$(svc_key "$1" "$2" state)" = "$3" ]; }
wait_for 10 wait_key prod web "waiting for task definition web to be registered"
ok $? "the service waits: 'state: waiting for task definition web to be registered'"
like "$(cat "$MNT/clusters/prod/services/web/events")" '\(service web\) is waiting for task definition web' \
	"its events say so"
out=$(rsync -a --delete --itemize-changes "$R/" "$S/" 2>&1)
ok $? "rsync -a --delete of the whole repository"
is "$(printf '%s\n' "$out" | grep '^>f' | sed 's/.* //' | tr '\n' ' ')" "taskdefs/web.json taskdefs/worker.json " \
	"sends only the task definitions"
wait_for 60 svc_steady prod web 1
ok $? "the waiting service converges: 1 task runs"
remember_tasks prod
is "$(stat -c %a "$S/clusters/prod/services/web.json")" "600" "-a's mode is kept"
is "$(stat -c %Y "$S/clusters/prod/services/web.json")" "$STAMP" "and its mtime"
is "$(rsync -a --delete --itemize-changes "$R/" "$S/" 2>&1)" "" "a second rsync -a prints nothing"
is "$(diff -r "$R" "$S" 2>&1)" "" "no drift"
for s in prod/api staging/worker; do
	is "$(cat "$MNT/clusters/${s%/*}/services/${s#*/}/desired_count")" "0" "service $s is there with desiredCount 0"
done
svc_drain prod web 30
ok $? "(web drained)"
remember_tasks prod
stop_daemon
ok $? "the daemon stops cleanly (exit 0)"

# ---- fresh state 3: rsync -rc ----
STATE=$T/state3 MNT=$T/mnt3 S=$T/mnt3/spec
start_daemon || exit 1
R=$T/infra3
mkrepo "$R" 0
out=$(rsync -rc --delete "$R/" "$S/" 2>&1)
ok $? "rsync -rc --delete applies to a fresh mount"
is "$(ls "$MNT/clusters" | tr '\n' ' ')|$(ls "$MNT/taskdefs" | tr '\n' ' ')" "prod staging |web worker " \
	"clusters created, families registered"
is "$(cat "$MNT/clusters/prod/services/web/desired_count")" "0" "services created with git's desiredCount"
is "$(rsync -rc --delete --itemize-changes "$R/" "$S/" 2>&1)" "" "a second rsync -rc prints nothing"
is "$(diff -r "$R" "$S" 2>&1)" "" "no drift"
sed -i 's/"memory": 32/"memory": 40/' "$R/taskdefs/web.json"
out=$(rsync -rc --delete --itemize-changes "$R/" "$S/" 2>&1)
like "$out" '^>fc[^ ]* taskdefs/web.json$' "-rc sees a same-size change by its checksum"
is "$(revs web)" "1.json 2.json latest " "and registers web:2"
# one commit: a new revision, and a service pinned to it (sent before it)
sed -i 's/"memory": 40/"memory": 56/' "$R/taskdefs/web.json"
sed -i 's/"taskDefinition": "web"/"taskDefinition": "web:3"/' "$R/clusters/prod/services/web.json"
out=$(rsync -rc --delete "$R/" "$S/" 2>&1)
ok $? "a commit that registers web:3 and pins prod/web to it applies in one rsync"
is "$(revs web)|$(cat "$MNT/clusters/prod/services/web/task_definition")" "1.json 2.json 3.json latest |web:3" \
	"web:3 is registered and the service pinned to it"
pinned3() { deps_lines prod web | grep -q 'PRIMARY web:3 '; }
wait_for 10 pinned3
ok $? "its deployment is of web:3 although the service file came first"
# objects made in the live tree are drift too, and --delete prunes them
mkdir "$MNT/clusters/dev" "$MNT/clusters/prod/services/extra"
out=$(diff -r "$R" "$S" 2>&1)
like "$out" 'Only in [^ ]*/spec/clusters: dev' "diff -r shows a cluster made by mkdir in the live tree"
like "$out" 'Only in [^ ]*/spec/clusters/prod/services: extra.json' "and a service made there"
out=$(rsync -rc --delete --itemize-changes "$R/" "$S/" 2>&1)
like "$out" '\*deleting +clusters/dev/' "rsync --delete removes the cluster"
like "$out" '\*deleting +clusters/prod/services/extra.json' "and the service"
wait_for 15 cluster_gone dev
ok $? "cluster dev is deleted"
wait_for 15 svc_gone prod extra
ok $? "service extra is deleted after its grace period"
is "$(diff -r "$R" "$S" 2>&1)" "" "no drift"
is "$(errors_count)" "0" "nothing was refused"
INSTANCES="$INSTANCES $(instance_id)"
stop_daemon
ok $? "the daemon stops cleanly (exit 0)"

# ---- fresh state 4: rsync --inplace ----
STATE=$T/state4 MNT=$T/mnt4 S=$T/mnt4/spec
start_daemon || exit 1
R=$T/infra4
mkrepo "$R" 0
out=$(rsync -rt --inplace --delete "$R/" "$S/" 2>&1)
ok $? "rsync -rt --inplace --delete applies to a fresh mount"
is "$(revs web)|$(cat "$MNT/clusters/staging/services/worker/desired_count")" "1.json latest |0" \
	"families registered, services created"
is "$(rsync -rt --inplace --delete --itemize-changes "$R/" "$S/" 2>&1)" "" "the re-apply prints nothing"
stop_daemon && start_daemon
ok $? "the daemon restarts on the same state"
is "$(itemize)" "" "after the restart a re-apply is still a no-op (bytes, sizes and mtimes kept)"
sed -i 's/"memory": 32/"memory": 64/' "$R/taskdefs/web.json"
stamp "$R/taskdefs/web.json"
out=$(rsync -rt --inplace --delete "$R/" "$S/" 2>&1)
ok $? "an edit applied in place"
is "$(revs web)" "1.json 2.json latest " "registers web:2"
like "$(deps_lines prod web)" 'PRIMARY web:2 ' "the service follows it to web:2"
deps_w=$(deps_lines prod web)
printf '\n' >>"$R/clusters/prod/services/web.json"
stamp "$R/clusters/prod/services/web.json"
out=$(rsync -rt --inplace --delete --itemize-changes "$R/" "$S/" 2>&1)
like "$out" '^>f[^ ]* clusters/prod/services/web.json$' "a service file that gained a newline is sent in place"
is "$(deps_lines prod web)" "$deps_w" "and changes nothing"
is "$(diff -r "$R" "$S" 2>&1)" "" "no drift"
is "$(find "$S" -name '.*' | wc -l)" "0" "no temporary files"
is "$(errors_count)" "0" "nothing was refused"
# A repository whose clusters/staging is a file: rsync removes the directory
# first (the repository no longer has that cluster: a prune), then the file
# is refused; the spec tree never holds a file there.
rm -r "$R/clusters/staging"
echo 'not a directory' >"$R/clusters/staging"
out=$(rsync -rt --delete "$R/" "$S/" 2>&1)
rc=$?
ok $((rc == 0)) "rsync of clusters/staging as a file exits non-zero (rc $rc)"
like "$(tail -n 1 "$MNT/errors")" '"path":"[^"]*spec/clusters/\.?staging[^"]*","errno":"EINVAL"' "with an EINVAL errors line naming it"
is "$(ls -A "$S/clusters" | tr '\n' ' ')" "prod " "spec/clusters/ holds no file"
wait_for 15 cluster_gone staging
ok $? "the staging directory rsync removed first was pruned like any other"
is "$(revs web)|$(cat "$MNT/clusters/prod/services/web/desired_count")" "1.json 2.json latest |0" "prod and the families are untouched"
INSTANCES="$INSTANCES $(instance_id)"
stop_daemon
ok $? "the daemon stops cleanly (exit 0)"

# ---- nothing of this test is left in the engine ----
no_task_containers_left
left=
for inst in $INSTANCES; do left="$left$(engine_ids "ecsfs.instance=$inst")"; done
is "$left" "" "no container of any of its state directories is left"
done_testing
