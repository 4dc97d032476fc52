#!/usr/bin/env bash
# Container instances on real engines (issue 16): the daemon's own engine
# (instance local) and dockerd of the test's own, each with its own
# data-root, exec-root, socket, pid file, bridge (ecsfs-e1 10.201.0.1/24,
# ecsfs-e2 10.202.0.1/24, ecsfs-e3 10.203.0.1/24) and address pool,
# registered through spec/clusters/prod/instances/. Placement read back
# from the files (task.json's containerInstanceArn) and from the engines
# themselves (docker -H ... ps): spread by instance, binpack memory,
# distinctInstance, memberOf on a custom attribute, a capacity-provider
# strategy over providers on different engines; one engine killed under a
# load-balanced service: its instance disconnected, then lost, its task
# STOPPED naming it and replaced on the others while HAProxy keeps
# answering, and no duplicates once it answers again; a DAEMON service
# with one task per instance, a fourth instance (e3) that adds one, and
# draining it, which stops only that one. One daemon and three extra
# engines for the whole file; every wait is bounded.
. "$(dirname "$0")/lib.sh"

LOST_AFTER=6 # --instance-lost-after of the daemon
C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services
SI=$MNT/spec/clusters/prod/instances

# ---- the test's own engines ----
# An engine NAME (e1, e2) lives in $T/NAME: data, exec, docker.sock,
# docker.pid; its bridge is ecsfs-NAME with 10.20N.0.1/24 and its networks
# come from its own pool 10.20N.128.0/17 (two engines of one machine that
# both took Docker's default pools could give two tasks one address). It
# runs with --live-restore: dockerd 20.10 started again on a data-root
# holding its default network with a default pool and without it deletes
# the host's docker0; and so an engine killed and started again finds its
# containers running, as a host that was cut off does.
XD_PIDS=()
xd_dir() { echo "$T/$1"; }
xd_sock() { echo "$T/$1/docker.sock"; }
xd_bridge() { echo "ecsfs-$1"; }
xd() { # xd NAME DOCKER-ARGS...
	local n=$1
	shift
	docker -H "unix://$(xd_sock "$n")" "$@"
}
xd_answers() { curl -s --max-time 5 --unix-socket "$(xd_sock "$1")" http://d/_ping 2>/dev/null | grep -q OK; }
xd_pid() { cat "$T/$1.pid" 2>/dev/null; }

# xd_start NAME OCTET: start (or start again) the engine; does not wait
xd_start() {
	local d br
	d=$(xd_dir "$1")
	br=$(xd_bridge "$1")
	mkdir -p "$d/data" "$d/exec"
	engine_bridge "$br" "10.$2.0.1/24" || return 1
	rm -f "$d/docker.pid"
	dockerd --data-root "$d/data" --exec-root "$d/exec" -H "unix://$d/docker.sock" \
		--pidfile "$d/docker.pid" --bridge "$br" --iptables=false --ip-masq=false \
		--live-restore --default-address-pool "base=10.$2.128.0/17,size=24" \
		>>"$d.log" 2>&1 &
	echo $! >"$T/$1.pid"
}

# xd_stop NAME: SIGTERM, a bounded wait, then SIGKILL
xd_stop() {
	local p
	p=$(xd_pid "$1")
	[ -n "$p" ] || return 0
	engine_term "$p"
	rm -f "$T/$1.pid"
}

# xd_kill NAME: kill -9, as a host that goes away without a word: its
# containers go on in their shims. Its containerd goes with it, a moment
# later; an engine started before that waits for the old one's socket.
xd_kill() {
	local p c
	p=$(xd_pid "$1")
	[ -n "$p" ] || return 1
	c=$(cat "$(xd_dir "$1")/exec/containerd/containerd.pid" 2>/dev/null)
	kill -KILL "$p" && wait "$p" 2>/dev/null
	rm -f "$T/$1.pid"
	[ -z "$c" ] || wait_for 30 eval "! kill -0 $c"
}

# xd_cleanup NAME: its containers and networks, the engine, its mounts, its bridge
xd_cleanup() {
	local ids d
	d=$(xd_dir "$1")
	if [ -n "$(xd_pid "$1")" ] && xd_answers "$1"; then
		ids=$(xd "$1" ps -aq)
		[ -n "$ids" ] && xd "$1" rm -f $ids >/dev/null 2>&1
		ids=$(xd "$1" network ls -q --filter label=ecsfs.managed)
		[ -n "$ids" ] && xd "$1" network rm $ids >/dev/null 2>&1
	fi
	xd_stop "$1"
	engine_unmount "$d"
	ip link del "$(xd_bridge "$1")" 2>/dev/null
	return 0
}

trap 'hap_cleanup; task_cleanup; xd_cleanup e1; xd_cleanup e2; xd_cleanup e3; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
# a bridge left by a killed run of this test (the names are this test's)
for n in e1 e2 e3; do ip link del "$(xd_bridge $n)" 2>/dev/null; done

# (e3 is registered only for the DAEMON's fourth instance)
xd_start e1 201 && xd_start e2 202 && xd_start e3 203
wait_for 60 xd_answers e1 && wait_for 60 xd_answers e2 && wait_for 60 xd_answers e3
ok $? "three engines of the test's own answer (bridges ecsfs-e1, ecsfs-e2, ecsfs-e3)"
docker save "$BUSYBOX_IMAGE" >"$T/busybox.tar" && xd e1 load -i "$T/busybox.tar" >/dev/null &&
	xd e2 load -i "$T/busybox.tar" >/dev/null && xd e3 load -i "$T/busybox.tar" >/dev/null
ok $? "the test image is loaded into them"

start_daemon --instance-lost-after "$LOST_AFTER" || exit 1
mkdir "$C"
INST=$(instance_id)

# ---- helpers ----

# eng ENGINE DOCKER-ARGS: docker on that engine (local: the host's); an
# engine that does not answer lists nothing
eng() { if [ "$1" = local ]; then docker "${@:2}"; else xd "$@"; fi 2>/dev/null; }
running_on() { # running_on ENGINE CONTAINER-NAME
	eng "$1" ps -q --filter "label=ecsfs.instance=$INST" --filter "label=ecsfs.container=$2" |
		grep -c .
}
all_on() { # all_on ENGINE: every container of this daemon's, any state
	eng "$1" ps -aq --filter "label=ecsfs.instance=$INST" | grep -c .
}
none_on() { # none_on ENGINE...: none of them has a container of this daemon's
	local e
	for e in "$@"; do [ "$(all_on "$e")" = 0 ] || return 1; done
}
# field FILE KEY: the first string value of "KEY" in a JSON document
field() { grep -o "\"$2\": \"[^\"]*\"" "$1" 2>/dev/null | head -n1 | sed 's/.*: "\(.*\)"/\1/'; }
# where_svc SERVICE: "local:N e1:N e2:N" of the service's tasks, from task.json
# (over the instances of $ENGINES; a task on another one shows as "other:N")
ENGINES="local e1 e2"
where_svc() {
	local id e list= out=
	for id in $(svc_ids prod "$1"); do
		e=$(field "$C/tasks/$id/task.json" containerInstanceArn)
		list="$list ${e##*/}"
	done
	for e in $ENGINES; do
		out="$out $e:$(printf '%s\n' $list | grep -cx "$e")"
	done
	e=$(printf '%s\n' $list | grep -c .)
	for id in $ENGINES; do e=$((e - $(printf '%s\n' $list | grep -cx "$id"))); done
	[ "$e" = 0 ] || out="$out other:$e"
	echo "${out# }"
}
# engines_of CONTAINER: the same count, from the engines' own listings
engines_of() {
	local e out=
	for e in $ENGINES; do out="$out $e:$(running_on "$e" "$1")"; done
	echo "${out# }"
}

# family NAME MEMORY [EXTRA-JSON]: a one-container task definition whose
# container NAME runs until SIGTERM
family() {
	register "$1" "{\"family\": \"$1\", \"containerDefinitions\": [
  {\"name\": \"$1\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": $2, \"stopTimeout\": 2,
   \"command\": [\"sh\", \"-c\", \"$FOREVER\"]}]${3:+, $3}}"
}
# service NAME COUNT [EXTRA-JSON]: a service of the family NAME
service() {
	printf '{"taskDefinition": "%s", "desiredCount": %s%s}\n' "$1" "$2" "${3:+, $3}" >"$SP/$1.json"
}

# ---- three instances ----

# register NAME RACK: spec/clusters/prod/instances/NAME.json for engine NAME
register_instance() {
	printf '{"endpoint": "unix://%s", "attributes": [{"name": "rack", "value": "%s"}], "capacityProvider": "pool-%s"}\n' \
		"$(xd_sock "$1")" "$2" "$2" >"$SI/$1.json"
}
register_instance e1 a && register_instance e2 b
ok $? "spec/clusters/prod/instances/e1.json and e2.json register the two engines"
connected() { [ "$(jget "$C/instances/$1/instance.json" "d['agentConnected']")" = True ]; }
wait_for 30 connected e1 && wait_for 30 connected e2
ok $? "both instances are agentConnected"
is "$(ls "$C/instances" | tr '\n' ' ')" "e1 e2 local " "clusters/prod/instances lists local, e1 and e2"
is "$(jget "$C/instances/e1/instance.json" "' '.join(str(x) for x in ([a['value'] for a in d['attributes'] if a['name'] == 'rack'] + [r['integerValue'] for r in d['registeredResources'] if r['name'] == 'CPU']))")" \
	"a $(($(nproc) * 1024))" "e1's instance.json: its attribute, CPU = 1024 x the engine's CPUs"

# ---- spread by instance: 6 tasks, 2 on each ----

family spread 32
service spread 6 '"placementStrategy": [{"type": "spread", "field": "instanceId"}]'
wait_for 90 svc_steady prod spread 6
ok $? "service spread: 6 tasks RUNNING"
is "$(where_svc spread)" "local:2 e1:2 e2:2" "task.json: 2 on each instance"
is "$(engines_of spread)" "local:2 e1:2 e2:2" "each engine's own docker ps: 2 containers of it"
svc_drain prod spread 60
ok $? "spread drains to 0"

# ---- binpack memory: one instance filled before the next ----
# Every engine is this machine: its memory is MemTotal; tasks that reserve
# 40% of it fit two to an instance.
MEM=$(($(jget "$C/instances/e1/instance.json" "[r['integerValue'] for r in d['registeredResources'] if r['name'] == 'MEMORY'][0]") * 2 / 5))
family pack "$MEM"
# counts SERVICE: the instances' task counts of the service, sorted ("0 0 2")
counts() { where_svc "$1" | tr ' ' '\n' | cut -d: -f2 | sort -n | tr '\n' ' ' | sed 's/ $//'; }
service pack 2 '"placementStrategy": [{"type": "binpack", "field": "memory"}]'
wait_for 60 svc_steady prod pack 2
ok $? "service pack (binpack memory, ${MEM} MiB a task): 2 RUNNING"
is "$(counts pack)" "0 0 2" "both on one instance"
echo 3 >"$C/services/pack/desired_count"
wait_for 60 svc_steady prod pack 3
is "$(counts pack)" "0 1 2" "a third goes to the next instance: the first is full"
echo 7 >"$C/services/pack/desired_count"
wait_for 60 svc_at prod pack 6
ok $? "desired 7: 6 RUNNING, two on each instance"
is "$(counts pack)" "2 2 2" "(task.json: 2 2 2)"
wait_for 30 svc_events_has prod pack '\(service pack\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [a-z0-9]+\) has insufficient memory available\.'
ok $? "the seventh waits: the events say no instance has the memory"
svc_drain prod pack 60
ok $? "pack drains to 0"

# ---- distinctInstance: 4 desired on 3 instances ----

family solo 32
service solo 4 '"placementConstraints": [{"type": "distinctInstance"}]'
wait_for 60 svc_at prod solo 3
ok $? "service solo (distinctInstance, desired 4): 3 RUNNING"
is "$(where_svc solo)" "local:1 e1:1 e2:1" "one on each instance"
wait_for 30 svc_events_has prod solo '\(service solo\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [a-z0-9]+\) encountered error "DistinctInstance placement constraint unsatisfied\."\. For more information, see the Troubleshooting section\.$'
ok $? "the events say ECS's 'was unable to place a task because no container instance met all of its requirements'"
is "$(svc_key prod solo pending_count)" 0 "the fourth is not made: nothing pending"
svc_drain prod solo 60
ok $? "solo drains to 0"

# ---- memberOf a custom attribute ----

family rack 32
service rack 3 '"placementConstraints": [{"type": "memberOf", "expression": "attribute:rack == b"}]'
wait_for 60 svc_steady prod rack 3
ok $? "service rack (memberOf attribute:rack == b): 3 RUNNING"
is "$(where_svc rack)" "local:0 e1:0 e2:3" "all on e2, the one instance with rack b"
is "$(engines_of rack)" "local:0 e1:0 e2:3" "(the engines agree)"
svc_drain prod rack 60
ok $? "rack drains to 0"

# ---- a capacity-provider strategy over providers on different engines ----
# e1 is pool-a, e2 pool-b; base 1 weight 1 / weight 4 is ECS's example
# (FARGATE and FARGATE_SPOT): 6 tasks are 2 + 4, 11 are 3 + 8.

printf '{"capacityProviders": ["pool-a", "pool-b"]}\n' >"$MNT/spec/clusters/prod/cluster.json"
ok $? "cluster.json: capacity providers pool-a and pool-b"
family cap 32
service cap 6 '"capacityProviderStrategy": [{"capacityProvider": "pool-a", "base": 1, "weight": 1}, {"capacityProvider": "pool-b", "weight": 4}]'
wait_for 60 svc_steady prod cap 6
ok $? "service cap (pool-a base 1 weight 1, pool-b weight 4) x 6: RUNNING"
is "$(where_svc cap)" "local:0 e1:2 e2:4" "6 tasks: 2 on pool-a (e1), 4 on pool-b (e2)"
is "$(engines_of cap)" "local:0 e1:2 e2:4" "(the engines agree)"
echo 11 >"$C/services/cap/desired_count"
wait_for 60 svc_steady prod cap 11
ok $? "scaled to 11"
is "$(where_svc cap)" "local:0 e1:3 e2:8" "11 tasks: 3 on pool-a, 8 on pool-b"
is "$(engines_of cap)" "local:0 e1:3 e2:8" "(the engines agree)"
providers() {
	local id
	for id in $(svc_ids prod cap); do
		field "$C/tasks/$id/task.json" capacityProviderName
	done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}' | sed 's/ $//'
}
is "$(providers)" "pool-a:3 pool-b:8" "task.json's capacityProviderName says the same"
svc_drain prod cap 60
ok $? "cap drains to 0"

# ---- an engine lost under a load-balanced service ----
# web: awsvpc tasks answering "ADDRESS" on 8080, one on each instance,
# behind target group web and a listener on 127.0.0.1. e2's engine is
# killed: e2 is disconnected, then lost after
# --instance-lost-after, its task STOPPED naming it and replaced on the
# others, while requests through HAProxy keep being answered.

P1=$((18200 + $$ % 100))
URL=http://127.0.0.1:$P1
start="ip=\$(ip -o -4 addr show | awk '\$2 != \\\"lo\\\" {split(\$4, a, \\\"/\\\"); print a[1]; exit}'); mkdir /www; echo \$ip >/www/index.html; echo ok >/www/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
register web "{\"family\": \"web\", \"networkMode\": \"awsvpc\", \"containerDefinitions\": [
  {\"name\": \"web\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 32, \"stopTimeout\": 2,
   \"portMappings\": [{\"containerPort\": 8080, \"protocol\": \"tcp\"}],
   \"command\": [\"sh\", \"-c\", \"$start\"]}]}"
cat >"$MNT/spec/targetgroups/web.json" <<'JSON'
{"Protocol": "HTTP", "Port": 8080, "TargetType": "ip", "HealthCheckPath": "/health",
 "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
 "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
 "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}]}
JSON
printf '{"Listeners": [{"Port": %s, "Protocol": "HTTP", "DefaultActions": [{"Type": "forward", "TargetGroupArn": "web"}]}]}\n' \
	"$P1" >"$MNT/spec/loadbalancers/front.json"
ok $? "target group web and load balancer front (listener 127.0.0.1:$P1)"
service web 3 '"healthCheckGracePeriodSeconds": 0, "placementStrategy": [{"type": "spread", "field": "instanceId"}],
 "loadBalancers": [{"targetGroupArn": "web", "containerName": "web", "containerPort": 8080}]'
targets() { cat "$MNT/targetgroups/web/targets" 2>/dev/null; }
healthy_n() { # healthy_n N: exactly N targets, every one healthy
	local t
	t=$(targets)
	[ "$(printf '%s' "$t" | grep -c .)" = "$1" ] && [ "$(printf '%s\n' "$t" | grep -c ' healthy - task ')" = "$1" ]
}
wait_for 90 svc_steady prod web 3 && wait_for 60 healthy_n 3
ok $? "service web: 3 tasks RUNNING, 3 healthy targets"
is "$(where_svc web)" "local:1 e1:1 e2:1" "one on each instance"
seen=$(for i in $(seq 30); do curl -s --max-time 5 "$URL/"; done | sort -u | grep -c .)
is "$seen" 3 "requests through the listener reach all three (e2's task on its own engine's network)"
lost_id=$(for id in $(svc_ids prod web); do
	case "$(field "$C/tasks/$id/task.json" containerInstanceArn)" in */e2) echo "$id" ;; esac
done)

# client: requests one after another until $T/client.stop (at most 5 minutes)
rm -f "$T/client" "$T/client.stop"
(
	end=$(($(date +%s) + 300))
	while [ ! -e "$T/client.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
		r=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$URL/" 2>/dev/null)
		echo "${r:-000}" >>"$T/client"
	done
) &
CLIENT=$!

xd_kill e2
ok $? "e2's engine is killed (kill -9: its containers run on, unwatched)"
! xd_answers e2
ok $? "... and does not answer"
disconnected() { [ "$(jget "$C/instances/e2/instance.json" "d['agentConnected']")" = False ]; }
wait_for 30 disconnected
ok $? "instance e2: agentConnected false"
like "$(cat "$C/instances/e2/status")" "agent_connected: false" "its status says so"
wait_for $((LOST_AFTER + 30)) task_is prod "$lost_id" STOPPED
ok $? "after --instance-lost-after ${LOST_AFTER} s, e2's task is STOPPED"
like "$(skey "$C/tasks/$lost_id/status" stopped_reason)" "Container instance e2 was lost" \
	"... and its stoppedReason names the instance"
replaced() { svc_steady prod web 3 && [ "$(where_svc web | sed 's/.*e2:\([0-9]*\).*/\1/')" = 0 ] && healthy_n 3; }
wait_for 90 replaced
ok $? "the service is back at 3 RUNNING, none on e2, 3 healthy targets"
is "$(engines_of web)" "$(where_svc web)" "(the engines that answer agree: $(where_svc web))"
touch "$T/client.stop"
wait "$CLIENT"
CLIENT=
is "$(grep -cv '^200$' "$T/client")" 0 "no request through the listener failed ($(grep -c . "$T/client") sent)"

# e2 comes back: what its lost task left there is removed, nothing doubles
xd_start e2 202 && wait_for 60 xd_answers e2
ok $? "e2's engine answers again"
echo "# on its return e2 ran $(all_on e2) container(s) of this daemon's"
wait_for 30 connected e2
ok $? "instance e2: agentConnected true"
wait_for 60 none_on e2
ok $? "the containers e2's lost task left running there are removed"
is "$(engines_of web)" "$(where_svc web)" "no duplicates: the engines run exactly the tasks the tree shows"
is "$(($(running_on local web) + $(running_on e1 web) + $(running_on e2 web)))" 3 \
	"3 web containers run over the three engines"

svc_drain prod web 60
ok $? "web drains to 0"

# ---- a DAEMON service: one task per instance ----

family agent 32
printf '{"taskDefinition": "agent", "schedulingStrategy": "DAEMON"}\n' >"$SP/agent.json"
ok $? "service agent: schedulingStrategy DAEMON"
wait_for 60 svc_steady prod agent 3
ok $? "it runs 3 tasks"
is "$(where_svc agent)" "local:1 e1:1 e2:1" "one on each instance"
is "$(engines_of agent)" "local:1 e1:1 e2:1" "(the engines agree)"
is "$(cat "$C/services/agent/desired_count")" 3 "desired_count: the number of instances"
before=$(svc_ids prod agent | sort | tr '\n' ' ')

# a fourth instance adds a task there, and moves nothing
register_instance e3 c
ok $? "a fourth instance, e3, is registered"
ENGINES="local e1 e2 e3"
wait_for 30 connected e3 && wait_for 60 svc_steady prod agent 4
ok $? "the DAEMON runs 4 tasks"
is "$(where_svc agent)" "local:1 e1:1 e2:1 e3:1" "the new one on e3"
is "$(engines_of agent)" "local:1 e1:1 e2:1 e3:1" "(the engines agree)"
kept() { # kept IDS: every one of IDS is still a task of agent, RUNNING
	local id
	for id in $1; do svc_ids prod agent | grep -qx "$id" && task_is prod "$id" RUNNING || return 1; done
}
kept "$before"
ok $? "the three tasks it had are the same, still RUNNING"

# draining e3 stops its task there and starts none elsewhere
on_e3=$(for id in $(svc_ids prod agent); do
	case "$(field "$C/tasks/$id/task.json" containerInstanceArn)" in */e3) echo "$id" ;; esac
done)
echo DRAINING >"$C/instances/e3/state"
ok $? "echo DRAINING > instances/e3/state"
is "$(field "$C/instances/e3/instance.json" status)" DRAINING "instance.json says DRAINING"
wait_for 60 task_is prod "$on_e3" STOPPED && wait_for 60 svc_steady prod agent 3
ok $? "the DAEMON's task on e3 is STOPPED; 3 run"
is "$(skey "$C/tasks/$on_e3/status" stopped_reason)" "Container instance is draining" "... because e3 drains"
is "$(where_svc agent)" "local:1 e1:1 e2:1 e3:0" "nothing started elsewhere"
is "$(engines_of agent)" "local:1 e1:1 e2:1 e3:0" "(the engines agree)"
kept "$before"
ok $? "the other three are the same tasks, still RUNNING"
rm "$SP/agent.json"
wait_for 60 svc_empty prod agent
ok $? "deleting the DAEMON stops its tasks"
remember_tasks prod
wait_for 30 none_on e1 e2 e3
ok $? "no container of this daemon's is left on e1, e2 or e3"
no_task_containers_left
no_containers_left
done_testing
