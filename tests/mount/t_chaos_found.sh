#!/usr/bin/env bash
# Regressions the chaos suite (tests/chaos/) found, each as users meet it:
# a service document without taskDefinition ("{}") over a service that runs
# one; a definition emptied with `: >` (O_TRUNC, no write, close); and
# `rsync --delay-updates`, whose .~tmp~ directory holds the new files until
# they are all renamed into place. No container runs (desiredCount 0).
. "$(dirname "$0")/lib.sh"
docker_suite
S=$MNT/spec
SP=$S/clusters/prod/services
W=$MNT/clusters/prod/services/web

register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
printf '{"taskDefinition": "web", "desiredCount": 0}\n' >"$SP/web.json"
ok $? "service web follows family web, desiredCount 0"
# deployment_of: "PRIMARY web:1" when service.json has that one deployment
primary_is() { svc_deps prod web | grep -q "^ecs-svc/[0-9]* PRIMARY $1 "; }
wait_for 30 primary_is web:1
ok $? "service.json: a PRIMARY deployment of web:1"

# ---- "{}" over a service with a task definition: refused, both views agree ----
before=$(cat "$SP/web.json")
n0=$(errors_count)
echo '{}' >"$T/empty.json"
out=$(cp "$T/empty.json" "$SP/web.json" 2>&1)
like "$out" "Invalid argument" "cp of '{}' over web.json fails (at close, EINVAL: a rule against the stored service)"
is "$(errors_count)" "$((n0 + 1))" "exactly one errors line"
like "$(tail -n 1 "$MNT/errors")" '"errno":"EINVAL".*taskDefinition: required; the service runs web' \
	"it names the field and what the service runs"
is "$(cat "$SP/web.json")" "$before" "the spec file keeps its content"
is "$(svc_key prod web task_definition)" "web" "status: task_definition still web"
primary_is web:1
ok $? "service.json: still PRIMARY on web:1"
is "$(jget "$W/service.json" 'd["taskDefinition"].rsplit("/", 1)[1]')" "web:1" \
	"service.json's taskDefinition agrees with status"
printf '{"desiredCount": 0}\n' >"$T/count.json"
out=$(cp "$T/count.json" "$SP/web.json" 2>&1)
like "$out" "Invalid argument" "a document that drops taskDefinition is refused too"
mkdir "$MNT/clusters/prod/services/fresh"
echo '{}' >"$SP/fresh.json"
ok $? "'{}' over a service that never had a task definition (mkdir's) is taken"
is "$(svc_key prod fresh task_definition)" "(none)" "status says it has none"
is "$(jget "$MNT/clusters/prod/services/fresh/service.json" 'd["deployments"]')" "[]" \
	"service.json agrees: no deployment"

# ---- `: >` over a definition: nothing emptied, one errors line at release ----
empty_one() { # empty_one PATH HOW: the definition keeps its bytes, one errors line
	local before n0 rc
	before=$(cat "$1")
	n0=$(errors_count)
	case $2 in
	colon) : >"$1" ;;
	python) /usr/bin/python3 -c 'import sys; open(sys.argv[1], "w").close()' "$1" ;;
	esac
	rc=$?
	is "$rc" "0" "$2 over ${1#$MNT/}: close() returns 0 (no flush can tell it is the last)"
	is "$(cat "$1")" "$before" "${1#$MNT/} keeps its content"
	wait_for 10 test "$(errors_count)" -eq "$((n0 + 1))"
	ok $? "one errors line for ${1#$MNT/}"
	like "$(tail -n 1 "$MNT/errors")" '"errno":"EINVAL".*was emptied and closed without a write.*keeps its content \(rm removes it\)' \
		"it says the empty document was refused and how to remove it"
}
echo '{"settings": [{"name": "containerInsights", "value": "enabled"}]}' >"$S/clusters/prod/cluster.json"
empty_one "$SP/web.json" colon
empty_one "$S/taskdefs/web.json" colon
empty_one "$S/clusters/prod/cluster.json" colon
empty_one "$SP/web.json" python
is "$(ls "$MNT/taskdefs/web" | tr '\n' ' ')" "1.json latest " "no revision was registered"
is "$(svc_key prod web task_definition)" "web" "the service is as it was"
n0=$(errors_count)
out=$(truncate -s 0 "$SP/web.json" 2>&1)
like "$out" "Invalid argument" "truncate -s 0 (ftruncate, then close) fails with EINVAL at close"
is "$(errors_count)" "$((n0 + 1))" "with one errors line"
n0=$(errors_count)
printf 'scratch\n' >"$SP/.notes"
: >"$SP/.notes"
is "$(stat -c %s "$SP/.notes")" "0" ": > a scratch file empties it (kept as written)"
cp "$SP/web.json" "$T/web.json" && cp "$T/web.json" "$SP/web.json"
ok $? "cp (O_TRUNC, then writes) of the same definition works"
is "$(errors_count)" "$n0" "and neither adds an errors line"
rm -f "$SP/.notes"

# ---- rsync --delay-updates: files wait in .~tmp~, then are renamed into place ----
R=$T/infra
mkdir -p "$R/taskdefs" "$R/clusters/prod/services"
jget "$MNT/taskdefs/web/1.json" 'json.dumps({"family": "web", "containerDefinitions":
  [dict(c, memory=96) for c in d["containerDefinitions"]]}, indent=2)' >"$R/taskdefs/web.json"
printf '{"taskDefinition": "web", "desiredCount": 0,\n "deploymentConfiguration": {"maximumPercent": 150}}\n' \
	>"$R/clusters/prod/services/web.json"
cp "$SP/fresh.json" "$R/clusters/prod/services/fresh.json"
cp "$S/clusters/prod/cluster.json" "$R/clusters/prod/cluster.json"
n0=$(errors_count)
out=$(rsync -rt --delay-updates "$R/" "$S/" 2>&1)
ok $? "rsync -rt --delay-updates applies the repository"
is "$out" "" "rsync says nothing (no 'Unable to create partial-dir')"
is "$(errors_count)" "$n0" "no errors line"
[ "$(errors_count)" = "$n0" ] || tail -n 2 "$MNT/errors" | sed 's/^/#   /'
is "$(ls "$MNT/taskdefs/web" | tr '\n' ' ')" "1.json 2.json latest " "web:2 is registered"
is "$(jget "$W/service.json" 'd["deploymentConfiguration"]["maximumPercent"]')" "150" \
	"the service took its new document"
diff -r -x fresh.json "$R/taskdefs" "$S/taskdefs" >/dev/null &&
	diff -r "$R/clusters" "$S/clusters" >/dev/null
ok $? "diff -r shows no drift"
test ! -e "$S/taskdefs/.~tmp~" && test ! -e "$SP/.~tmp~" && test ! -e "$S/clusters/prod/.~tmp~"
ok $? "no .~tmp~ directory is left"
out=$(rsync -rt --delay-updates --delete --itemize-changes "$R/" "$S/" 2>&1)
is "$out" "" "a re-apply with --delete changes nothing"
printf '{"taskDefinition": "web", "desiredCount": "x"}\n' >"$R/clusters/prod/services/web.json"
touch -d '2024-01-02' "$R/clusters/prod/services/web.json"
n0=$(errors_count)
out=$(rsync -rt --delay-updates "$R/" "$S/" 2>&1)
[ $? -ne 0 ]
ok $? "a broken file under --delay-updates fails the rsync"
like "$out" "web.json.*Invalid argument" "rsync names the file and EINVAL"
is "$(errors_count)" "$((n0 + 1))" "one errors line"
is "$(jget "$W/service.json" 'd["deploymentConfiguration"]["maximumPercent"]')" "150" \
	"the service is as it was"
rmdir "$SP/.~tmp~" 2>/dev/null
rm -rf "$SP/.~tmp~"
test ! -e "$SP/.~tmp~"
ok $? "a .~tmp~ that rsync left can be removed"

svc_drain prod web && svc_drain prod fresh
ok $? "both services at 0"
remember_tasks prod
no_task_containers_left
no_containers_left
done_testing
