#!/usr/bin/env bash
# Task networking on the real engine: awsvpc tasks each have their own
# address on their cluster's network, with nothing published on the host;
# a service's tasks answer to its name in the engine's DNS, and a task that
# stops leaves the name before it stops; addresses survive a kill -9 of the
# daemon; bridge tasks get a dynamic host port; the cluster's network goes
# with the cluster. Traffic only to 127.0.0.1 and this test's own network.
. "$(dirname "$0")/lib.sh"
docker_suite
TK=$MNT/clusters/prod/tasks
Q="'"
LONGJ="trap ${Q}exit 0${Q} TERM; sleep 3600 \\u0026 wait" # $LONG, in a JSON string
INST=$(instance_id)
addr_of() { skey "$TK/$1/status" address; }
pause_of() { engine_ids "ecsfs.task=$1" | while read -r c; do
	[ "$(docker inspect -f '{{index .Config.Labels "ecsfs.container"}}' "$c")" = "~pause" ] && echo "$c"
done; }
page() { curl -s --max-time 2 "http://$1/"; }
answers() { [ -n "$(page "$1")" ]; }

# A web server on 8080 that answers its task's hostname; it ignores SIGTERM,
# so a stop takes its stopTimeout (2 s) and the task is seen STOPPING.
register web '{"family": "web", "networkMode": "awsvpc", "containerDefinitions": [
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "portMappings": [{"containerPort": 8080}],
   "command": ["sh", "-c", "trap '"$Q$Q"' TERM; mkdir -p /www \u0026\u0026 hostname > /www/index.html \u0026\u0026 httpd -f -p 8080 -h /www"]}]}'

# ---- three replicas with the same containerPort, each its own address ----
ids=$(run_task prod "web 3")
is "$(echo "$ids" | grep -c .)" "3" "run web 3: three tasks"
all_web_running() {
	local i
	for i in $ids; do task_is prod "$i" RUNNING || return 1; done
}
wait_for 60 all_web_running
ok $? "all three run at once with containerPort 8080 (nothing binds the host's port)"
addrs=$(for i in $ids; do addr_of "$i"; done)
is "$(echo "$addrs" | grep -Ec '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$')" "3" "each status shows an address"
is "$(echo "$addrs" | sort -u | grep -c .)" "3" "three distinct addresses: $(echo $addrs)"
first=$(echo "$ids" | head -n 1)
A1=$(addr_of "$first")
P1=$(pause_of "$first")
# the daemon names its network by the engine's id: names need not be unique
NETID=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$P1")
NET=$(docker network inspect -f '{{.Name}}' "$NETID")
like "$NET" '^ecsfs-prod(-[0-9a-f]{8})?$' "the pause is on the cluster's network ($NET)"
is "$(docker network inspect -f '{{index .Labels "ecsfs.cluster"}} {{index .Labels "ecsfs.instance"}}' "$NETID")" \
	"prod $INST" "which is labelled with its cluster and this state directory"
is "$(docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$P1")" "$A1" \
	"the engine agrees on the first task's address"
bound=$(for i in $ids; do docker port "$(pause_of "$i")"; done)
is "$bound" "" "no host port is bound for any of them"
served=0
for a in $addrs; do wait_for 20 answers "$a:8080" && served=$((served + 1)); done
is "$served" "3" "each answers on its own address at 8080"
is "$(for a in $addrs; do page "$a:8080"; done | sort -u | grep -c .)" "3" "with three different answers"
is "$(jget "$TK/$first/task.json" '[(a["type"], a["status"]) for a in d["attachments"]]')" \
	"[('ElasticNetworkInterface', 'ATTACHED')]" "task.json: an ElasticNetworkInterface attachment, ATTACHED"
is "$(jget "$TK/$first/task.json" '{x["name"]: x["value"] for x in d["attachments"][0]["details"]}["privateIPv4Address"]')" \
	"$A1" "with privateIPv4Address"
like "$(jget "$TK/$first/task.json" 'sorted(x["name"] for x in d["attachments"][0]["details"])')" \
	"macAddress.*networkInterfaceId.*privateIPv4Address.*subnetId" "and macAddress, networkInterfaceId, subnetId"
is "$(jget "$TK/$first/task.json" 'd["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]')" \
	"$A1" "containers[].networkInterfaces[].privateIpv4Address"
is "$(jget "$TK/$first/task.json" 'd["containers"][0]["networkBindings"]')" "[]" "and no networkBindings"

# ---- service discovery: a task finds a service by its name ----
printf '%s\n' '{"taskDefinition": "web", "desiredCount": 2}' >"$MNT/spec/clusters/prod/services/api.json"
wait_for 60 svc_at prod api 2
ok $? "service api runs 2 tasks"
remember_tasks prod
api_addrs=$(for i in $(svc_ids prod api); do addr_of "$i"; done | sort)
register client '{"family": "client", "containerDefinitions": [
  {"name": "client", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "for i in $(seq 100); do busybox nslookup api > /tmp/ns \u0026\u0026 break; sleep 0.1; done; sed -n '"$Q"'s/^Address: //p'"$Q"' /tmp/ns; echo got=$(wget -q -O- http://api:8080/); '"$LONGJ"'"]}]}'
idc=$(run_task prod client)
wait_for 30 log_has "$TK/$idc/logs" '^client \| got='
ok $? "a task of the cluster looked the service up"
L=$(cat "$TK/$idc/containers/client/logs")
is "$(echo "$L" | grep -Ev 'got=|:' | sort)" "$api_addrs" "the name api resolves to the service's two addresses"
got=$(echo "$L" | sed -n 's/^got=//p')
like "$got" '^[0-9a-f]{12}$' "and http://api:8080/ reached one of them ($got)"
C_C=$(runtime_id prod "$idc" client)
resolves() { docker exec "$C_C" busybox nslookup api 2>/dev/null | sed -n 's/^Address: //p'; }
gone=$(svc_ids prod api | head -n 1)
GA=$(addr_of "$gone")
echo "stop for the test" >"$TK/$gone/stop"
not_listed() { ! resolves | grep -qxF "$GA"; }
wait_for 10 not_listed
ok $? "a task that is stopped leaves the name ($GA)"
st=$(skey "$TK/$gone/status" last_status)
isnt_stopped() { [ "$1" != STOPPED ]; }
isnt_stopped "$st"
ok $? "before it has stopped (it is $st: the name goes first)"
wait_task 30 prod "$gone" STOPPED
ok $? "then it stops"

# ---- bridge: the engine's default bridge, a dynamic host port ----
register bridged '{"family": "bridged", "networkMode": "bridge", "containerDefinitions": [
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "portMappings": [{"containerPort": 8080, "hostPort": 0}],
   "command": ["sh", "-c", "mkdir -p /www \u0026\u0026 echo hi-from-bridge > /www/index.html \u0026\u0026 exec httpd -f -p 8080 -h /www"]}]}'
idb=$(run_task prod bridged)
wait_task 30 prod "$idb" RUNNING
ok $? "a bridge task runs"
is "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$(pause_of "$idb")")" "bridge" "its pause is on the engine's bridge"
HP=$(jget "$TK/$idb/task.json" 'd["containers"][0]["networkBindings"][0]["hostPort"]' 2>&1)
like "$HP" '^[1-9][0-9]*$' "hostPort 0: networkBindings show the engine's pick ($HP)"
bridge_served() { [ "$(page "127.0.0.1:$HP")" = hi-from-bridge ]; }
wait_for 20 bridge_served
ok $? "reachable on 127.0.0.1:$HP"
is "$(skey "$TK/$idb/status" address)" "" "a bridge task has no address of its own"

# ---- kill -9 of the daemon: addresses are read back, not given again ----
before=$(for i in $ids; do echo "$i $(addr_of "$i")"; done)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
start_daemon
ok $? "a new daemon starts on the same state after kill -9"
wait_for 30 all_web_running
ok $? "the three web tasks are RUNNING"
after=$(for i in $ids; do echo "$i $(addr_of "$i")"; done)
is "$after" "$before" "with the same addresses"
is "$(docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$P1")" "$A1" \
	"which the engine still gives them"
wait_for 10 answers "$A1:8080"
ok $? "and the first still answers there"

# ---- the cluster's network goes with the cluster ----
rm "$MNT/spec/clusters/prod/services/api.json"
wait_for 60 svc_gone prod api
ok $? "the service is deleted"
remember_tasks prod
stop_all_tasks prod 60
ok $? "every task stops"
rmdir "$MNT/clusters/prod"
ok $? "the cluster is deleted"
net_gone() { ! docker network inspect "$NETID" >/dev/null 2>&1; }
wait_for 30 net_gone
ok $? "and its network $NET is removed from the engine"
is "$(docker network ls -q --filter "label=ecsfs.instance=$INST")" "" "no network of this state directory is left"
no_containers_left
echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
