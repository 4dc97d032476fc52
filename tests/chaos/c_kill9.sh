#!/usr/bin/env bash
# kill -9 storm: a service is changed again and again (desiredCount, a new
# revision of the family it follows) and the daemon is killed with SIGKILL
# at a random moment of each change — while the writes are in flight or
# while the rollout runs — and a third of the restarts are killed again
# while they re-adopt. After every restart: each write that returned
# success is there, both trees agree, and the service converges; all along,
# an engine sampler checks that the service's running containers never
# exceed desiredCount x maximumPercent. Figures: rounds, writes cut by the
# kill, the longest convergence after a restart, the overshoot.
. "$(dirname "$0")/lib_chaos.sh"
docker_suite
SV=$MNT/clusters/prod/services/storm
SPEC=$MNT/spec/clusters/prod/services/storm.json
MAXPCT=150
ROUNDS=$(size 10 40)
CONVERGE_S=120
RANDOM=${ECSFS_CHAOS_SEED:-$$}
echo "# seed $RANDOM rounds $ROUNDS (ECSFS_CHAOS_LONG=$CHAOS_LONG)"

taskdef() { # taskdef MARK: a revision told apart by its environment
	printf '{"family": "storm", "containerDefinitions": [{"name": "app", "image": "%s",
  "memory": 32, "environment": [{"name": "MARK", "value": "%s"}],
  "command": ["sh", "-c", "%s"]}]}\n' "$BUSYBOX_IMAGE" "$1" "$FOREVER"
}
svcdoc() { # svcdoc DESIRED
	printf '{"taskDefinition": "storm", "desiredCount": %s,
 "deploymentConfiguration": {"maximumPercent": %s, "minimumHealthyPercent": 50}}\n' "$1" "$MAXPCT"
}

register storm "$(taskdef m0)"
echo "$(now_ms) desired 2" >>"$T/changes"
svcdoc 2 >"$SPEC"
ok $? "service storm: desiredCount 2, maximumPercent $MAXPCT, following family storm"
wait_for $CONVERGE_S svc_all_rev prod storm storm:1 2
ok $? "it is steady at two tasks of storm:1"
echo "$(now_ms) steady" >>"$T/changes"
INST=$(instance_id)
$PY "$CHAOS_DIR/chaos_io.py" sample "$DOCKER_SOCK" "$INST" app "$T/samples" &
SAMPLER=$!
trap 'touch "$T/samples.stop"; wait $SAMPLER 2>/dev/null; task_cleanup; cleanup' EXIT

# marks: every revision whose registration returned success, "MARK REV?"
desired=2 rev=1 acked_marks="m0" rekilled=0 cut=0 worst_ms=0 lost=0 disagree=0 unconverged=0
for round in $(seq "$ROUNDS"); do
	# the change: a new desiredCount, a new revision, or both
	want=$((2 + RANDOM % 3))
	newrev=$((RANDOM % 2))
	[ "$want" = "$desired" ] && newrev=1
	mark=r$round
	echo "$(now_ms) desired $want" >>"$T/changes"
	: >"$T/w.out"
	(
		[ "$newrev" = 1 ] && $PY "$CHAOS_DIR/chaos_io.py" write "$MNT/spec/taskdefs/storm.json" \
			"$(taskdef "$mark")" | sed 's/^/td /'
		$PY "$CHAOS_DIR/chaos_io.py" write "$SV/desired_count" "$want
" | sed 's/^/dc /'
	) >"$T/w.out" 2>&1 &
	writer=$!
	# half the kills land within the writes, half within the rollout
	if [ $((RANDOM % 2)) = 0 ]; then
		delay=$($PY -c "import random; print(round(random.uniform(0, 0.25), 3))")
	else
		delay=$($PY -c "import random; print(round(random.uniform(0.25, 2.5), 3))")
	fi
	sleep "$delay"
	kill9_daemon
	wait "$writer"
	td=$(sed -n 's/^td //p' "$T/w.out")
	dc=$(sed -n 's/^dc //p' "$T/w.out")
	[ "$newrev" = 1 ] && [ "$td" != ok ] && cut=$((cut + 1))
	[ "$dc" != ok ] && cut=$((cut + 1))
	[ "$newrev" = 1 ] && [ "$td" = ok ] && acked_marks="$acked_marks $mark"
	start_daemon || break
	# a third of the restarts are killed again while they re-adopt
	again=
	if [ $((RANDOM % 3)) = 0 ]; then
		again=$($PY -c "import random; print(round(random.uniform(0.05, 1.0), 3))")
		sleep "$again"
		kill9_daemon
		rekilled=$((rekilled + 1))
		start_daemon || break
	fi
	t0=$(now_ms)

	# every acknowledged write is there
	now=$(cat "$SV/desired_count")
	if [ "$dc" = ok ] && [ "$now" != "$want" ]; then
		lost=$((lost + 1))
		echo "# round $round: desired_count $want was acknowledged, reads $now"
	fi
	for m in $acked_marks; do
		grep -lq "\"value\": \"$m\"" "$MNT/taskdefs/storm/"*.json 2>/dev/null || {
			lost=$((lost + 1))
			echo "# round $round: the revision marked $m was acknowledged and is gone"
		}
	done
	[ "$(jget "$SPEC" 'd["desiredCount"]')" = "$now" ] || {
		disagree=$((disagree + 1))
		echo "# round $round: the spec file's desiredCount is not desired_count's $now"
	}
	desired=$now
	echo "$(now_ms) desired $desired" >>"$T/changes"
	rev=$(readlink "$MNT/taskdefs/storm/latest")
	rev=${rev%.json}
	if wait_for $CONVERGE_S svc_all_rev prod storm "storm:$rev" "$desired"; then
		ms=$(($(now_ms) - t0))
		[ "$ms" -gt "$worst_ms" ] && worst_ms=$ms
		echo "# round $round: desired_count $want: ${dc:-not written}; new revision: ${td:-none}; killed after ${delay} s${again:+, again ${again} s after the restart}; steady at $desired x storm:$rev $ms ms after the restart"
	else
		unconverged=$((unconverged + 1))
		echo "# round $round: not steady at $desired x storm:$rev after ${CONVERGE_S}s"
		dump_tasks prod
	fi
	echo "$(now_ms) steady" >>"$T/changes"
done
remember_tasks prod

is "$lost" 0 "every write that returned success was there after each restart"
is "$disagree" 0 "the spec file and desired_count agreed after each restart"
is "$unconverged" 0 "the service converged after each of the $ROUNDS restarts"
touch "$T/samples.stop"
wait $SAMPLER
read -r nsamples high over < <($PY "$CHAOS_DIR/chaos_io.py" bound "$T/samples" "$T/changes" "$MAXPCT")
[ "${nsamples:-0}" -gt 0 ]
ok $? "the engine was sampled ($nsamples samples)"
is "$over" 0 "running containers never exceeded desiredCount x maximumPercent ($MAXPCT %)"
figure kill9_rounds "$ROUNDS"
figure kill9_writes_cut "$cut"
figure kill9_killed_again_while_readopting "$rekilled"
figure kill9_max_convergence_ms "$worst_ms"
figure kill9_engine_samples "$nsamples"
figure kill9_max_running "$high"
figure kill9_overshoot "$over" containers

svc_drain prod storm 120
ok $? "the service drains to 0"
remember_tasks prod
no_task_containers_left
no_containers_left
done_testing
