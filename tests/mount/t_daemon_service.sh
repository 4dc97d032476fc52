#!/usr/bin/env bash
# DAEMON services and draining on real engines (issue 16): the daemon's own
# engine (instance local) and one dockerd of the test's own (its own
# data-root, exec-root, socket, pid file and bridge ecsfs-d1 10.221.0.1/24,
# networks from 10.221.128.0/17), registered as instance d1. A DAEMON
# service runs one task on each, draining d1 stops only its task there; a
# REPLICA service of 4 drained off d1 ends on local, never past its bounds.
# Read back from the files (task.json's containerInstanceArn, events) and
# from the engines' own listings. Every wait is bounded.
. "$(dirname "$0")/lib.sh"

C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services
SI=$MNT/spec/clusters/prod/instances
D1=$T/d1
BR=ecsfs-d1

xd() { docker -H "unix://$D1/docker.sock" "$@"; }
xd_answers() { curl -s --max-time 5 --unix-socket "$D1/docker.sock" http://d/_ping 2>/dev/null | grep -q OK; }

# --live-restore: dockerd 20.10 started on a data-root that holds its
# default network with a default pool deletes the host's docker0 without it
xd_start() {
	mkdir -p "$D1/data" "$D1/exec"
	engine_bridge "$BR" 10.221.0.1/24 || return 1
	rm -f "$D1/docker.pid"
	dockerd --data-root "$D1/data" --exec-root "$D1/exec" -H "unix://$D1/docker.sock" \
		--pidfile "$D1/docker.pid" --bridge "$BR" --iptables=false --ip-masq=false \
		--live-restore --default-address-pool "base=10.221.128.0/17,size=24" \
		>>"$T/d1.log" 2>&1 &
	echo $! >"$T/d1.pid"
}

xd_cleanup() {
	local ids p
	p=$(cat "$T/d1.pid" 2>/dev/null)
	if [ -n "$p" ] && xd_answers; then
		ids=$(xd ps -aq)
		[ -n "$ids" ] && xd rm -f $ids >/dev/null 2>&1
		ids=$(xd network ls -q --filter label=ecsfs.managed)
		[ -n "$ids" ] && xd network rm $ids >/dev/null 2>&1
	fi
	engine_term "$p"
	engine_unmount "$D1"
	ip link del "$BR" 2>/dev/null
	return 0
}
trap 'task_cleanup; xd_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
ip link del "$BR" 2>/dev/null # left by a killed run of this test

xd_start && wait_for 60 xd_answers
ok $? "an engine of the test's own answers (bridge $BR)"
docker save "$BUSYBOX_IMAGE" | xd load >/dev/null
ok $? "the test image is loaded into it"
start_daemon || exit 1
mkdir "$C"
INST=$(instance_id)

# ---- helpers ----

# field FILE KEY: the first string value of "KEY" in a JSON document
field() { grep -o "\"$2\": \"[^\"]*\"" "$1" 2>/dev/null | head -n1 | sed 's/.*: "\(.*\)"/\1/'; }
# where SERVICE: "local:N d1:N" of the service's live tasks, from task.json
where() {
	local id inst st l=0 d=0
	for id in $(svc_ids prod "$1"); do
		st=$(skey "$C/tasks/$id/status" last_status)
		[ "$st" = STOPPED ] && continue
		[ "$(skey "$C/tasks/$id/status" desired_status)" = STOPPED ] && continue
		inst=$(field "$C/tasks/$id/task.json" containerInstanceArn)
		case "${inst##*/}" in
		local) l=$((l + 1)) ;;
		d1) d=$((d + 1)) ;;
		esac
	done
	echo "local:$l d1:$d"
}
where_is() { [ "$(where "$1")" = "$2" ]; }
# on ENGINE CONTAINER: running containers of this daemon named so there
on() {
	if [ "$1" = local ]; then
		docker ps -q --filter "label=ecsfs.instance=$INST" --filter "label=ecsfs.container=$2"
	else
		xd ps -q --filter "label=ecsfs.instance=$INST" --filter "label=ecsfs.container=$2"
	fi 2>/dev/null | grep -c .
}
family() {
	register "$1" "{\"family\": \"$1\", \"containerDefinitions\": [
  {\"name\": \"$1\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 32, \"stopTimeout\": 2,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]}"
}
desired() { jget "$C/services/$1/service.json" "d['desiredCount']"; }

# ---- a DAEMON over local and d1 ----

printf '{"endpoint": "unix://%s", "attributes": [{"name": "rack", "value": "a"}]}\n' \
	"$D1/docker.sock" >"$SI/d1.json"
connected() { [ "$(jget "$C/instances/d1/instance.json" "d['agentConnected']")" = True ]; }
wait_for 30 connected
ok $? "spec/clusters/prod/instances/d1.json registers the engine, agentConnected"

family mon
printf '{"taskDefinition": "mon", "schedulingStrategy": "DAEMON"}\n' >"$SP/mon.json"
wait_for 60 where_is mon "local:1 d1:1"
ok $? "a DAEMON service runs one task on each instance: $(where mon)"
is "$(desired mon)" 2 "its desiredCount is the number of instances"
is "$(svc_key prod mon desired_count)" 2 "status says desired_count: 2"
is "$(cat "$C/services/mon/desired_count")" 2 "and so does desired_count"
wait_for 60 eval '[ "$(on local mon) $(on d1 mon)" = "1 1" ]'
ok $? "each engine runs one container of it: $(on local mon) $(on d1 mon)"
remember_tasks prod
errs=$(errors_count)
/usr/bin/python3 - "$C/services/mon/desired_count" <<'PY' 2>/dev/null
import sys
try:
    with open(sys.argv[1], "w") as f:
        f.write("3\n")
except OSError as e:
    sys.exit(0 if e.errno == 22 else 1)
sys.exit(1)
PY
ok $? "a DAEMON's desired_count refuses a count (EINVAL)"
is "$(($(errors_count) - errs))" 1 "with one line in /ecs/errors"
like "$(tail -n1 "$MNT/errors")" "daemon scheduling strategy does not support a desired count" \
	"in ECS's words"
errs=$(errors_count)
! (echo 3 >"$C/services/mon/desired_count") 2>/dev/null
ok $? "echo 3 > a DAEMON's desired_count fails: refused at its write(), which the shell reports"
is "$(($(errors_count) - errs))" 1 "with one line in /ecs/errors"
is "$(desired mon)" 2 "and nothing changed"
local_id=$(for id in $(svc_ids prod mon); do
	case "$(field "$C/tasks/$id/task.json" containerInstanceArn)" in */local) echo "$id" ;; esac
done)

echo DRAINING >"$C/instances/d1/state"
wait_for 60 where_is mon "local:1 d1:0"
ok $? "draining d1 stops the DAEMON's task there: $(where mon)"
wait_for 30 eval '[ "$(on d1 mon)" = 0 ]'
ok $? "d1's engine runs none of it"
is "$(desired mon)" 1 "desiredCount counts ACTIVE instances"
ok "$(test -n "$local_id" && test "$(skey "$C/tasks/$local_id/status" last_status)" = RUNNING; echo $?)" \
	"local's task did not move"
svc_events_has prod mon "has stopped 1 running tasks"
ok $? "the events say the task stopped"
echo ACTIVE >"$C/instances/d1/state"
wait_for 60 where_is mon "local:1 d1:1"
ok $? "back to ACTIVE, d1 gets its task again"
remember_tasks prod

# ---- a REPLICA service drained off d1 ----

family web
printf '{"taskDefinition": "web", "desiredCount": 4, "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 150}, "placementStrategy": [{"type": "spread", "field": "instanceId"}]}\n' >"$SP/web.json"
wait_for 90 where_is web "local:2 d1:2" && wait_for 60 svc_steady prod web 4
ok $? "a service of 4 spread over local and d1, RUNNING: $(where web)"
remember_tasks prod
echo DRAINING >"$C/instances/d1/state"
# the service's own counts at every read, until the move is done (bounded)
most=0 least=4 i=0
while [ $i -lt 600 ]; do
	r=$(svc_key prod web running_count)
	p=$(svc_key prod web pending_count)
	[ $((r + p)) -gt "$most" ] && most=$((r + p))
	[ "$r" -lt "$least" ] && least=$r
	[ $((i % 10)) = 9 ] && where_is web "local:4 d1:0" && [ "$r" = 4 ] && break
	i=$((i + 1))
	sleep 0.05
done
remember_tasks prod
where_is web "local:4 d1:0"
ok $? "draining d1 moves the service's 4 tasks to local: $(where web)"
ok "$([ "$most" -le 6 ] && [ "$least" -ge 4 ]; echo $?)" \
	"within maximumPercent 150 and minimumHealthyPercent 100 at every look (most $most, least $least)"
wait_for 30 eval '[ "$(on d1 web)" = 0 ]'
ok $? "d1's engine runs none of the service's containers"
svc_events_has prod web "is replacing its tasks on draining container instances: d1"
ok $? "the events say why the tasks move"
wait_for 60 eval '[ "$(on d1 mon)" = 0 ]'
ok $? "the DAEMON's task on d1 stops once the service's tasks have left"
echo ACTIVE >"$C/instances/d1/state"

# ---- the end ----
rm "$SP/web.json" "$SP/mon.json"
remember_tasks prod
wait_for 90 eval '! ls "$C/services" | grep -q .'
ok $? "both services are deleted"
stop_all_tasks prod
ok $? "every task stops"
no_containers_left
ok "$(xd ps -aq --filter "label=ecsfs.instance=$INST" | grep -c . | grep -qx 0; echo $?)" \
	"none on d1"
stop_daemon
ok $? "the daemon exits 0"
done_testing
