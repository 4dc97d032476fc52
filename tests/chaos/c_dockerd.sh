#!/usr/bin/env bash
# dockerd stopped and started again under a running service. The engine is
# one of the test's own (bridge ecsfs-c1, pool 10.211.0.0/16; the main
# engine is never touched but to export the test image): its containers die
# with it, so after it answers again the daemon re-syncs, finds its tasks'
# containers gone, and the service replaces them. Figures: how long the
# engine was down, and how long from its answering again to steady.
. "$(dirname "$0")/lib_chaos.sh"
xd_task_cleanup() {
	local ids
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
	if [ -n "$XD_PID" ] && xd_answers; then
		ids=$(xd ps -aq)
		[ -n "$ids" ] && xd rm -f $ids >/dev/null 2>&1
		ids=$(xd network ls -q --filter label=ecsfs.managed)
		[ -n "$ids" ] && xd network rm $ids >/dev/null 2>&1
	fi
	return 0
}
trap 'xd_task_cleanup; xd_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || { echo "Bail out! cannot make $BUSYBOX_IMAGE"; exit 1; }
ROUNDS=$(size 2 4)
CONVERGE_S=180

xd_start
ok $? "an engine of this test's own answers at $XD_SOCK (bridge $XD_BRIDGE)"
docker save "$BUSYBOX_IMAGE" | xd load >/dev/null
ok $? "the test image is loaded into it from the main engine"
start_daemon --docker "unix://$XD_SOCK" --task-subnet "$XD_TASK_SUBNET" || exit 1
mkdir "$MNT/clusters/prod"
register beat "{\"family\": \"beat\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 32,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
printf '{"taskDefinition": "beat", "desiredCount": 2}\n' >"$MNT/spec/clusters/prod/services/beat.json"
ok $? "service beat: two tasks"
wait_for $CONVERGE_S svc_all_rev prod beat beat:1 2
ok $? "it is steady on the test's engine"
INST=$(instance_id)
# running CONTAINER: the engine's running containers of that name of ours
running() { xd ps -q --filter "label=ecsfs.instance=$INST" --filter "label=ecsfs.container=$1" | grep -c .; }
running_is() { test "$(running "$1")" = "$2"; } # for wait_for: counted again each try
is "$(running app)" 2 "the engine runs two app containers"

# settled: no task of the cluster between RUNNING and STOPPED. The engine is
# stopped only then: dockerd 20.10 stopped during a container's removal
# leaves it "Removal In Progress" for good, and its task DEPROVISIONING.
settled() {
	local id
	for id in $(ls "$MNT/clusters/prod/tasks"); do
		task_is prod "$id" RUNNING || task_is prod "$id" STOPPED || return 1
	done
}
worst_down=0 worst_conv=0 failed=0
for round in $(seq "$ROUNDS"); do
	wait_for 60 settled
	ok $? "round $round: every task is RUNNING or STOPPED before the engine stops"
	before=$(svc_ids prod beat | sort | tr '\n' ' ')
	t_stop=$(now_ms)
	xd_stop
	t_down=$(now_ms)
	serving "$MNT" && cat "$MNT/clusters/prod/services/beat/status" >/dev/null
	ok $? "round $round: the tree answers while the engine is down"
	xd_start
	ok $? "round $round: the engine answers again"
	t_up=$(now_ms)
	down=$((t_up - t_down))
	if wait_for $CONVERGE_S svc_all_rev prod beat beat:1 2 && wait_for 30 running_is app 2; then
		conv=$(($(now_ms) - t_up))
		echo "# round $round: engine stopped in $((t_down - t_stop)) ms, down $down ms, steady $conv ms after it answered"
	else
		failed=$((failed + 1))
		conv=0
		dump_tasks prod
	fi
	after=$(svc_ids prod beat | sort | tr '\n' ' ')
	[ "$before" != "$after" ]
	ok $? "round $round: the tasks whose containers died were replaced"
	[ "$down" -gt "$worst_down" ] && worst_down=$down
	[ "$conv" -gt "$worst_conv" ] && worst_conv=$conv
done
is "$failed" 0 "the service converged after each of the $ROUNDS engine restarts"
is "$(running app)" 2 "exactly two app containers run"
figure dockerd_restarts "$ROUNDS"
figure dockerd_max_down_ms "$worst_down"
figure dockerd_max_convergence_ms "$worst_conv"

svc_drain prod beat 120
ok $? "the service drains to 0"
left() { xd ps -aq --filter "label=ecsfs.instance=$INST" | grep -c .; }
wait_for 60 test "$(left)" = 0
ok $? "no container of this state directory is left in the test's engine"
[ "$(left)" = 0 ] || xd ps -a --filter "label=ecsfs.instance=$INST" --format "{{.Names}} {{.Status}} {{.Label \"ecsfs.task\"}}" | sed "s/^/#   /"
done_testing
