#!/usr/bin/env bash
# A container instance over TCP with TLS (issue 16): a CA, a server and a
# client certificate made with the openssl CLI; a dockerd of the test's own
# on tcp://127.0.0.1:2386 with --tlsverify (bridge ecsfs-t1, 10.204.0.0/16);
# registered with its tls paths. First with the wrong CA (agentConnected
# false, the reason shown, nothing else waits), then the right one: the
# instance registers the engine's CPUs and memory, a task placed there runs
# on that engine, its logs are followed and its metrics sampled through
# /ecs. Refused: a missing key file (EINVAL, the previous document kept),
# the same engine registered twice, TLS with a unix socket; accepted but
# shown as not answering: a port where nothing listens and a peer that
# takes the connection and says nothing.
. "$(dirname "$0")/lib.sh"

XD=$T/dockerd
XD_PORT=2386
XD_BRIDGE=ecsfs-t1
XD_PID=
MUTE_PID=
PKI=$T/pki
C=$MNT/clusters/prod
SI=$MNT/spec/clusters/prod/instances

xd() {
	docker -H "tcp://127.0.0.1:$XD_PORT" --tlsverify --tlscacert "$PKI/ca.pem" \
		--tlscert "$PKI/cert.pem" --tlskey "$PKI/key.pem" "$@"
}
xd_answers() { xd version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# make_pki: two CAs (the second one trusted by nobody), the engine's
# certificate for 127.0.0.1 and localhost, and the client's
make_pki() {
	mkdir -p "$PKI" && cd "$PKI" || return 1
	local ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	openssl req -x509 $ec -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=ecsfs-test-ca &&
		openssl req -x509 $ec -keyout other-key.pem -out other-ca.pem -days 2 \
			-subj /CN=ecsfs-other-ca &&
		openssl req $ec -keyout server-key.pem -out server.csr -subj /CN=localhost &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
			>server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
			-days 2 -extfile server.ext -out server.pem &&
		openssl req $ec -keyout key.pem -out client.csr -subj /CN=ecsfs &&
		printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
			-days 2 -extfile client.ext -out cert.pem
	local rc=$?
	cd - >/dev/null
	return $rc
}

xd_start() {
	mkdir -p "$XD/data" "$XD/exec"
	engine_bridge "$XD_BRIDGE" 10.204.0.1/24 || return 1
	rm -f "$XD/docker.pid"
	dockerd --data-root "$XD/data" --exec-root "$XD/exec" -H "tcp://127.0.0.1:$XD_PORT" \
		--tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/server.pem" \
		--tlskey "$PKI/server-key.pem" --pidfile "$XD/docker.pid" --bridge "$XD_BRIDGE" \
		--iptables=false --ip-masq=false >>"$T/dockerd.log" 2>&1 &
	XD_PID=$!
	wait_for 60 xd_answers
}

xd_cleanup() {
	local ids
	if [ -n "$XD_PID" ] && xd_answers; then
		ids=$(xd ps -aq)
		[ -n "$ids" ] && xd rm -f $ids >/dev/null 2>&1
	fi
	engine_term "$XD_PID"
	XD_PID=
	engine_unmount "$XD"
	ip link show "$XD_BRIDGE" >/dev/null 2>&1 && ip link del "$XD_BRIDGE"
	[ -n "$MUTE_PID" ] && kill "$MUTE_PID" 2>/dev/null && wait "$MUTE_PID" 2>/dev/null
	MUTE_PID=
}

trap 'task_cleanup; xd_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
command -v openssl >/dev/null || {
	echo "1..0 # SKIP no openssl"
	exit 0
}
make_pki >>"$T/openssl.log" 2>&1
ok $? "a CA, the engine's and the client's certificates are made"
xd_start
ok $? "a dockerd with --tlsverify answers on tcp://127.0.0.1:$XD_PORT"
docker save "$BUSYBOX_IMAGE" | xd load >/dev/null
ok $? "it has the busybox image"
start_daemon --metrics-interval 1 || exit 1
mkdir "$C"
echo '{"settings": [{"name": "containerInsights", "value": "enabled"}]}' \
	>"$MNT/spec/clusters/prod/cluster.json"

# instance NAME ENDPOINT CA KEY: the document of a TLS instance
instance() {
	printf '{"endpoint": "%s", "tls": {"ca": "%s", "cert": "%s", "key": "%s"},
 "attributes": [{"name": "site", "value": "remote"}]}\n' "$2" "$3" "$PKI/cert.pem" "$4"
}
ijson() { jget "$C/instances/$1/instance.json" "$2"; }
connected() { [ "$(ijson "$1" "d['agentConnected']")" = "$2" ]; }

# ---- the wrong CA: registered, not connected, says why ----
instance t1 "tcp://localhost:$XD_PORT" "$PKI/other-ca.pem" "$PKI/key.pem" >"$SI/t1.json"
ok $? "t1 registers (with a CA that did not sign the engine's certificate)"
reason_shown() { ijson t1 "d.get('statusReason', '')" | grep -q 'certificate'; }
wait_for 15 reason_shown
ok $? "instance.json: agentConnected false, statusReason says why"
like "$(ijson t1 "d['agentConnected'], d.get('statusReason')")" \
	"^\(False, 'cannot connect to localhost:$XD_PORT over TLS: SSL certificate problem" \
	"... in curl's words: $(ijson t1 "d.get('statusReason')")"
like "$(cat "$C/instances/t1/status")" "agent_connected: false" "status: agent_connected: false"
like "$(skey "$C/instances/t1/status" why)" 'SSL certificate problem' "status: why"

# ---- the right CA: connected, its resources and attributes ----
instance t1 "tcp://localhost:$XD_PORT" "$PKI/ca.pem" "$PKI/key.pem" >"$SI/t1.json"
ok $? "t1 is updated with the CA that signed it"
wait_for 20 connected t1 True
ok $? "agentConnected true"
has_cpu() { [ "$(ijson t1 "[r['integerValue'] for r in d['registeredResources'] if r['name'] == 'CPU'][0]")" != 0 ]; }
wait_for 10 has_cpu
ncpu=$(xd info --format '{{.NCPU}}')
mem=$(($(xd info --format '{{.MemTotal}}') / 1048576))
is "$(ijson t1 "[r['integerValue'] for r in d['registeredResources'] if r['name'] == 'CPU'][0]")" \
	"$((ncpu * 1024))" "registeredResources CPU = 1024 x the engine's $ncpu CPUs"
is "$(ijson t1 "[r['integerValue'] for r in d['registeredResources'] if r['name'] == 'MEMORY'][0]")" \
	"$mem" "registeredResources MEMORY = its memory in MiB"
is "$(ijson t1 "sorted((a['name'], a.get('value')) for a in d['attributes'] if a['name'] in ('ecs.os-type', 'ecs.availability-zone', 'site'))")" \
	"[('ecs.availability-zone', 'local'), ('ecs.os-type', 'linux'), ('site', 'remote')]" \
	"attributes: ecs.os-type, ecs.availability-zone and the document's"
like "$(ijson t1 "[a['value'] for a in d['attributes'] if a['name'] == 'ecs.cpu-architecture'][0]")" \
	'^(x86_64|arm64)$' "attribute ecs.cpu-architecture"
is "$(ijson t1 "d['versionInfo']['dockerVersion']")" "DockerServer: $(xd version --format '{{.Server.Version}}')" \
	"versionInfo: the engine's version"

# ---- refused: a missing key, the same engine twice, TLS on a unix socket ----
before=$(cat "$SI/t1.json")
e0=$(errors_count)
instance t1 "tcp://localhost:$XD_PORT" "$PKI/ca.pem" "$PKI/missing-key.pem" >"$T/t1.json"
cp "$T/t1.json" "$SI/t1.json" 2>"$T/cp.err"
ok $((! $?)) "a document naming a missing key file is refused"
like "$(cat "$T/cp.err")" 'Invalid argument' "... with EINVAL"
is "$(errors_count)" "$((e0 + 1))" "... and one line in /ecs/errors"
like "$(tail -n 1 "$MNT/errors")" "\"EINVAL\".*tls\.key: $PKI/missing-key.pem: No such file or directory" \
	"... naming tls.key"
is "$(cat "$SI/t1.json")" "$before" "the previous document is unchanged"
connected t1 True
ok $? "... and t1 still connected"

instance t2 "tcp://127.0.0.1:$XD_PORT" "$PKI/ca.pem" "$PKI/key.pem" >"$T/t2.json"
cp "$T/t2.json" "$SI/t2.json" 2>/dev/null
ok $((! $?)) "the same engine as another instance (127.0.0.1 is localhost) is refused"
like "$(tail -n 1 "$MNT/errors")" "endpoint: tcp://127.0.0.1:$XD_PORT is instance t1 of cluster prod already" \
	"... /ecs/errors names the instance that has it"
test ! -e "$SI/t2.json" && test ! -e "$C/instances/t2"
ok $? "... and t2 is not made"
# (refused at close, as every check against other instances: cp sees it)
echo '{"endpoint": "unix:///run/docker.sock"}' >"$T/t2.json"
cp "$T/t2.json" "$SI/t2.json" 2>/dev/null
ok $((! $?)) "the daemon's own engine under another path (/run is /var/run) is refused"
like "$(tail -n 1 "$MNT/errors")" "daemon's own engine" "... saying so"
instance t2 "unix:///run/t2.sock" "$PKI/ca.pem" "$PKI/key.pem" >"$SI/t2.json" 2>/dev/null
ok $((! $?)) "tls with a unix:// endpoint is refused"
like "$(tail -n 1 "$MNT/errors")" 'tls: only a tcp:// endpoint uses TLS' "... naming tls"
echo '{"endpoint": "tcp://127.0.0.1"}' >"$SI/t2.json" 2>/dev/null
ok $((! $?)) "an endpoint without a port is refused"
like "$(tail -n 1 "$MNT/errors")" 'endpoint: .* a TCP endpoint is tcp://host:port' "... naming endpoint"

# ---- engines that do not answer: shown, and nothing else waits ----
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 2388))
s.listen(64)
print("listening", flush=True)
time.sleep(600)' >"$T/mute.out" 2>&1 &
MUTE_PID=$!
wait_for 10 grep -q listening "$T/mute.out"
instance mute "tcp://127.0.0.1:2388" "$PKI/ca.pem" "$PKI/key.pem" >"$SI/mute.json"
ok $? "an engine that takes the connection and says nothing registers"
echo '{"endpoint": "tcp://127.0.0.1:2389"}' >"$SI/dead.json"
ok $? "an engine where nothing listens registers"
dead_why() { skey "$C/instances/dead/status" why | grep -q 'Connection refused'; }
wait_for 10 dead_why
ok $? "dead: status says why ($(skey "$C/instances/dead/status" why))"
connected dead False
ok $? "dead: agentConnected false"

register hello "{\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\",
  \"memory\": 32, \"command\": [\"sh\", \"-c\",
  \"trap 'exit 0' TERM; i=0; while :; do i=\$((i+1)); echo \\\"hello \$i from \$(hostname)\\\"; sleep 0.2; done\"]}]}"
# while the mute one's probe hangs, the local engine and t1 answer
t0=$(date +%s%N)
L=$(run_task prod '{"taskDefinition": "hello", "placementConstraints": [{"type": "memberOf", "expression": "attribute:site !exists"}]}')
ok $? "a task for the local engine starts"
R=$(run_task prod '{"taskDefinition": "hello", "placementConstraints": [{"type": "memberOf", "expression": "attribute:site == remote"}]}')
ok $? "a task for the TLS instance starts"
wait_task 60 prod "$L" RUNNING
ok $? "the local task runs"
wait_task 60 prod "$R" RUNNING
ok $? "the TLS instance's task runs ($(( ($(date +%s%N) - t0) / 1000000 )) ms for both)"
like "$(jget "$C/tasks/$R/task.json" "d['containerInstanceArn']")" 'container-instance/prod/t1$' \
	"task.json: containerInstanceArn is t1"
like "$(jget "$C/tasks/$L/task.json" "d['containerInstanceArn']")" 'container-instance/prod/local$' \
	"... and local for the other"
mute_why() { skey "$C/instances/mute/status" why | grep -q 'no answer'; }
wait_for 15 mute_why
ok $? "mute: status says why ($(skey "$C/instances/mute/status" why))"
connected mute False
ok $? "mute: agentConnected false"

rid=$(runtime_id prod "$R" app)
xd inspect -f '{{.State.Running}}' "$rid" 2>/dev/null | grep -qx true
ok $? "its container runs on the TLS engine"
docker inspect "$rid" >/dev/null 2>&1
ok $((! $?)) "... and not on the local one"

# logs over TLS: followed as they grow
logs_at() { [ "$(grep -c '^app | hello' "$C/tasks/$R/logs")" -ge "$1" ]; }
wait_for 20 logs_at 3
ok $? "tasks/<id>/logs has the container's lines"
n=$(grep -c '^app | hello' "$C/tasks/$R/logs")
wait_for 20 logs_at $((n + 5))
ok $? "... and grows as it writes ($n lines, then more)"
like "$(grep -m1 '^hello' "$C/tasks/$R/containers/app/logs")" '^hello [0-9]+ from ' \
	"containers/app/logs: the container's own lines"

# metrics of a task on the TLS engine
has_metric() { [ -n "$(skey "$C/tasks/$R/metrics" "$1")" ]; }
wait_for 30 has_metric MemoryUtilized
ok $? "tasks/<id>/metrics of the TLS task: MemoryUtilized $(skey "$C/tasks/$R/metrics" MemoryUtilized)"
wait_for 30 has_metric CpuUtilized
ok $? "... CpuUtilized $(skey "$C/tasks/$R/metrics" CpuUtilized)"
wait_for 30 has_metric MemoryUtilized || true
running_two() { [ "$(skey "$C/metrics" RunningTaskCount)" = 2 ]; }
wait_for 20 running_two
ok $? "the cluster's metrics count both tasks"
is "$(ijson t1 "d['runningTasksCount']")" "1" "t1: runningTasksCount 1"

# ---- done: the tasks stop, their containers go from both engines ----
remember_tasks prod
stop_all_tasks prod 60
ok $? "every task stops"
gone_remote() { [ -z "$(xd ps -aq --filter "label=ecsfs.task=$R")" ]; }
wait_for 30 gone_remote
ok $? "the TLS engine has no container of the task left"
rm "$SI/mute.json" "$SI/dead.json"
ok $? "the silent instances deregister"
no_task_containers_left
stop_daemon
ok $? "the daemon exits 0 (under ASan: nothing leaked)"
done_testing
