#!/usr/bin/env bash
# Services outlive their daemon: after kill -9 the next daemon on the same
# state finds the same tasks (no duplicates, none lost), finishes what was
# under way (a scale-out, a rollout) and replaces what went while it was away.
. "$(dirname "$0")/lib.sh"
docker_suite
C=$MNT/clusters/prod
W=$C/services/web

web_rev() {
	register web "{\"family\": \"web\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"environment\": [{\"name\": \"REV\", \"value\": \"$1\"}],
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
}
sorted_ids() { svc_ids prod web | sort | tr '\n' ' '; }
# engine_tasks: "task container" of every running engine container of this
# state directory, sorted
engine_tasks() {
	docker ps --filter "label=ecsfs.instance=$(instance_id)" \
		--format '{{.Label "ecsfs.task"}} {{.Label "ecsfs.container"}}' | sort
}
# engine_ok N: the engine runs exactly N tasks of this state, each with one
# app and one pause container, and they are the service's tasks
engine_ok() {
	local view want i
	view=$(engine_tasks)
	want=$(for i in $(svc_ids prod web); do printf '%s app\n%s ~pause\n' "$i" "$i"; done | sort)
	[ "$(echo "$view" | cut -d' ' -f1 | sort -u | grep -c .)" = "$1" ] && [ "$view" = "$want" ]
}
kill9() {
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	fusermount3 -uz "$MNT" 2>/dev/null
}
more_tasks() { [ "$(ls "$C/tasks" | wc -l)" -gt "$1" ]; }

web_rev 1
printf '{"serviceName": "web", "taskDefinition": "web", "desiredCount": 3}\n' >"$MNT/spec/clusters/prod/services/web.json"
wait_for 60 svc_steady prod web 3
ok $? "a service runs 3 tasks"
remember_tasks prod
ids0=$(sorted_ids)
dep0=$(svc_deps prod web | cut -d' ' -f1)
view0=$(engine_tasks)
engine_ok 3
ok $? "the engine runs 3 tasks: an app and a pause each"

# ---- kill -9, restart ----
kill9
is "$(engine_tasks)" "$view0" "after kill -9 of the daemon the containers keep running"
start_daemon
ok $? "a new daemon starts on the same state"
wait_for 30 svc_steady prod web 3
ok $? "the service is steady with 3 running"
is "$(sorted_ids)" "$ids0" "the same 3 task ids"
is "$(svc_deps prod web | cut -d' ' -f1)" "$dep0" "the same deployment"
n=$(ls "$C/tasks" | wc -l)
never_within 5 more_tasks "$n"
ok $? "no task is started after the restart"
is "$(engine_tasks)" "$view0" "the engine has exactly the same containers: none added, none lost"
is "$(docker ps -a --filter "label=ecsfs.instance=$(instance_id)" --format '{{.Label "ecsfs.task"}}' | sort -u | wc -l)" \
	"3" "docker ps grouped by ecsfs.task: 3 tasks"

# ---- kill -9 right after a scale-out ----
echo 6 >"$W/desired_count"
kill9
start_daemon
ok $? "kill -9 right after echo 6 > desired_count; a new daemon starts"
is "$(cat "$W/desired_count")" "6" "desired_count reads 6"
wait_for 60 svc_steady prod web 6
ok $? "the service reaches 6 running"
wait_for 30 engine_ok 6
ok $? "the engine runs exactly 6 tasks of it, an app and a pause each: no duplicates"
remember_tasks prod
is "$(engine_ids "ecsfs.instance=$(instance_id)" | wc -l)" "12" "and no stray container of this state"

# ---- a container goes while the daemon is down ----
kill9
victim=$(echo "$ids0" | cut -d' ' -f1)
docker rm -f $(engine_ids "ecsfs.task=$victim") >/dev/null
ok $? "docker rm -f a task's containers while the daemon is down"
start_daemon
wait_task 30 prod "$victim" STOPPED
ok $? "after the restart that task is STOPPED"
replaced() { ! svc_ids prod web | grep -qx "$victim" && svc_steady prod web 6; }
wait_for 60 replaced
ok $? "and replaced: 6 running again"
wait_for 30 engine_ok 6
ok $? "the engine runs exactly 6 tasks of it"
remember_tasks prod

# ---- kill -9 in the middle of a rollout ----
web_rev 2
mid() { svc_deps prod web | grep -q "PRIMARY web:2 IN_PROGRESS [1-9]"; }
wait_for 30 mid
ok $? "a rollout to web:2 is under way"
kill9
start_daemon
ok $? "kill -9 during it; a new daemon starts"
rolled() {
	svc_all_rev prod web web:2 6 &&
		[ "$(svc_deps prod web | cut -d' ' -f2-4)" = "PRIMARY web:2 COMPLETED" ]
}
wait_for 90 rolled
ok $? "the rollout completes: 6 tasks of web:2, one deployment, COMPLETED"
wait_for 30 engine_ok 6
ok $? "the engine runs exactly those 6 tasks"
remember_tasks prod

# ---- a graceful restart ----
ids1=$(sorted_ids)
view1=$(engine_tasks)
stop_daemon
ok $? "SIGTERM: the daemon exits 0"
is "$(engine_tasks)" "$view1" "the containers keep running"
start_daemon
wait_for 30 svc_steady prod web 6
ok $? "a new daemon: the service is steady with 6"
is "$(sorted_ids)" "$ids1" "the same tasks"
is "$(engine_tasks)" "$view1" "the same containers"

# ---- scale to 0: all stop ----
svc_drain prod web
ok $? "echo 0 > desired_count: every task of the service stops"
gone() { [ -z "$(engine_tasks)" ]; }
wait_for 30 gone
ok $? "the engine runs no container of this state"
remember_tasks prod
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
