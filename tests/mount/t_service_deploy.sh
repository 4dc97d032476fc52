#!/usr/bin/env bash
# Service deployments: a new revision of the followed family rolls every
# task within maximumPercent / minimumHealthyPercent, a pinned revision
# stays put, task_definition and redeploy start deployments.
. "$(dirname "$0")/lib.sh"
docker_suite
C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services
W=$C/services/web
N=4

# web_rev REV: register a revision of web that tells its number in its environment
web_rev() {
	register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"environment\": [{\"name\": \"REV\", \"value\": \"$1\"}],
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
}
sorted_ids() { svc_ids prod web | sort | tr '\n' ' '; }
# rolled REV: N tasks of web:REV run, one deployment is left and it is COMPLETED
rolled() {
	svc_all_rev prod web "web:$1" "$N" || return 1
	svc_deps prod web | grep -Eqx "ecs-svc/[0-9]+ PRIMARY web:$1 COMPLETED $N 0" || return 1
	[ "$(svc_deps prod web | wc -l)" = 1 ]
}
# sample_start / sample_stop: the lowest running_count during a rollout
sample_start() {
	rm -f "$T/min" "$T/min.stop"
	min_sampler prod web "$T/min" &
	SAMPLER=$!
}
sample_stop() { # sets low, samples, high
	touch "$T/min.stop"
	wait "$SAMPLER"
	low=-1 samples=0 high=999999 # (no figures: the asserts fail)
	[ -s "$T/min" ] && read -r low samples high <"$T/min"
}

web_rev 1
cat >"$SP/web.json" <<JSON
{
  "serviceName": "web",
  "taskDefinition": "web",
  "desiredCount": $N,
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}
}
JSON
ok $? "a service following family web, desiredCount $N, 200%/100%"
wait_for 60 rolled 1
ok $? "$N tasks of web:1 run; its deployment is COMPLETED"
remember_tasks prod
dep1=$(svc_deps prod web | cut -d' ' -f1)
ids1=$(sorted_ids)

# ---- a new revision rolls the service ----
# The old deployment is shown only while it has tasks (a second or so):
# catch, in one process polling every 10 ms, a moment when service.json and
# status both show two deployments, and keep what they said.
python3 - "$W" "$T/two" <<'PY' &
import json, os, sys, time
w, out = sys.argv[1], sys.argv[2]
end = time.time() + 30
while time.time() < end:
    try:
        deps = json.load(open(os.path.join(w, "service.json")))["deployments"]
        st = [l for l in open(os.path.join(w, "status")) if l.startswith("deployment ")]
    except (OSError, ValueError):
        deps, st = [], []
    if len(deps) >= 2 and len(st) >= 2:
        with open(out, "w") as f:
            for d in deps:
                f.write("%s %s %s %s\n" % (d["id"], d["status"], d["taskDefinition"].rsplit("/", 1)[1],
                                          d.get("rolloutState")))
            f.writelines(st)
        break
    time.sleep(0.01)
PY
CATCH=$!
sample_start
web_rev 2
is "$(readlink "$MNT/taskdefs/web/latest")" "2.json" "web:2 is registered"
wait "$CATCH"
test -s "$T/two"
ok $? "a second deployment appears in service.json and status"
like "$(sed -n 1p "$T/two")" "^ecs-svc/[0-9]+ PRIMARY web:2 IN_PROGRESS$" "the new one is PRIMARY, web:2, IN_PROGRESS"
like "$(sed -n 2p "$T/two")" "^$dep1 ACTIVE web:1 " "the old one is ACTIVE"
like "$(cat "$T/two")" "deployment $dep1: ACTIVE web:1 " "status shows both deployments"
wait_for 90 rolled 2
ok $? "every task rolls to web:2; the old deployment is gone; COMPLETED"
sample_stop
is "$low" "$N" "running_count never dropped below $N during the rollout ($samples samples)"
like "$samples" '^[0-9]{2,}$' "(the rollout was sampled)"
is "$((high <= 2 * N))" "1" "running + pending never above 200% of $N (most: $high)"
remember_tasks prod
dep2=$(svc_deps prod web | cut -d' ' -f1)
for i in $(svc_ids prod web); do
	is "$(jget "$C/tasks/$i/task.json" 'd["taskDefinitionArn"], d["startedBy"]')" \
		"('arn:aws:ecs:local:000000000000:task-definition/web:2', '$dep2')" "task $i: web:2, started by the new deployment"
	grep -qx "$i" <(echo "$ids1" | tr ' ' '\n')
	ok $(( $? == 0 )) "task $i is a new task"
done
for i in $ids1; do
	task_is prod "$i" STOPPED
	ok $? "old task $i is STOPPED"
	like "$(skey "$C/tasks/$i/status" stop_code)" "ServiceSchedulerInitiated" "by the scheduler"
done
is "$(jget "$W/service.json" 'd["taskDefinition"]')" "arn:aws:ecs:local:000000000000:task-definition/web:2" \
	"service.json's taskDefinition is web:2"
is "$(jget "$W/service.json" '[(x["status"], x["rolloutState"]) for x in d["deployments"]]')" \
	"[('PRIMARY', 'COMPLETED')]" "service.json: one deployment, PRIMARY and COMPLETED"
is "$(cat "$W/task_definition")" "web" "task_definition still reads web (following the family)"
svc_events_has prod web "has begun deployment $dep2 of task definition web:2\."
ok $? "events: has begun deployment"
svc_events_has prod web "\(deployment $dep2\) deployment completed\."
ok $? "events: deployment completed"
wait_for 10 svc_steady prod web "$N"
ok $? "status: steady"

# ---- pin a revision: a deployment back to it; new revisions do not move it ----
sample_start
echo web:1 >"$W/task_definition"
ok $? "echo web:1 > task_definition"
wait_for 90 rolled 1
ok $? "every task rolls back to web:1"
sample_stop
is "$low" "$N" "running_count never dropped below $N ($samples samples)"
remember_tasks prod
dep3=$(svc_deps prod web | cut -d' ' -f1)
web_rev 3
is "$(readlink "$MNT/taskdefs/web/latest")" "3.json" "web:3 is registered"
new_dep() { [ "$(svc_deps prod web | head -n 1 | cut -d' ' -f1)" != "$dep3" ]; }
never_within 4 new_dep
ok $? "a pinned service does not follow the family to web:3"
rolled 1
ok $? "it keeps running web:1"
echo web >"$W/task_definition"
wait_for 90 rolled 3
ok $? "echo web > task_definition follows the family again: web:3"
remember_tasks prod

# ---- redeploy: a new deployment of the same revision ----
dep4=$(svc_deps prod web | cut -d' ' -f1)
ids4=$(sorted_ids)
sample_start
echo 1 >"$W/redeploy"
ok $? "echo 1 > redeploy"
is "$(stat -c %s "$W/redeploy")" "0" "redeploy reads as empty"
out=$(cat "$W/redeploy" 2>&1)
like "$out" "Permission denied" "and cannot be read"
replaced_all() {
	local i
	rolled 3 || return 1
	[ "$(svc_deps prod web | cut -d' ' -f1)" != "$dep4" ] || return 1
	for i in $ids4; do task_is prod "$i" STOPPED || return 1; done
}
wait_for 90 replaced_all
ok $? "a new deployment of web:3 replaces every task"
sample_stop
is "$low" "$N" "running_count never dropped below $N ($samples samples)"
remember_tasks prod
like "$(svc_deps prod web)" "^ecs-svc/[0-9]+ PRIMARY web:3 COMPLETED $N 0$" "one deployment, new id, COMPLETED"
is "$(comm -12 <(echo "$ids4" | tr ' ' '\n' | sort) <(svc_ids prod web | sort) | wc -l)" "0" "no task of before is kept"

# ---- minimumHealthyPercent 50, maximumPercent 100: stop first, never exceed desired ----
cat >"$SP/web.json" <<JSON
{
  "serviceName": "web",
  "taskDefinition": "web",
  "desiredCount": $N,
  "deploymentConfiguration": {"maximumPercent": 100, "minimumHealthyPercent": 50}
}
JSON
ok $? "the spec file changes the deployment configuration to 100%/50%"
sample_start
web_rev 4
wait_for 90 rolled 4
ok $? "web:4 rolls out with 100%/50%"
sample_stop
is "$((low >= N / 2))" "1" "running_count never dropped below $((N / 2)) (lowest $low)"
is "$((high <= N))" "1" "running + pending never above $N (most: $high)"
remember_tasks prod

# ---- the end: nothing left ----
svc_drain prod web
ok $? "scale to 0: every task of the service stops"
is "$(svc_deps prod web | cut -d' ' -f2-)" "PRIMARY web:4 COMPLETED 0 0" "the service keeps its deployment at 0"
remember_tasks prod
stop_all_tasks prod
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
