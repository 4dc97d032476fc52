#!/usr/bin/env bash
# What a task definition's fields become in the engine, checked with
# docker inspect and from inside the containers: secrets and environment,
# resources and process settings, volumes, port mappings and network modes.
. "$(dirname "$0")/lib.sh"
docker_suite
TK=$MNT/clusters/prod/tasks
Q="'" # a single quote, for the single-quoted JSON of register
LONGJ="trap ${Q}exit 0${Q} TERM; sleep 3600 \\u0026 wait" # $LONG, in a JSON string

rid() { runtime_id prod "$1" "$2"; }
insp() { docker inspect -f "$2" "$1" 2>&1; } # insp ID TEMPLATE
# free_port FROM: a TCP port from FROM up that nothing listens on now
free_port() {
	python3 - "$1" <<'PY'
import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[1]) + 900):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
PY
}
running() { wait_task 60 prod "$1" RUNNING; }
# fill KEY=VALUE...: stdin with each KEY replaced by its VALUE, literally
fill() {
	python3 -c '
import sys
s = sys.stdin.read()
for a in sys.argv[1:]:
    k, v = a.split("=", 1)
    s = s.replace(k, v)
sys.stdout.write(s)' "$@"
}

# ---- secrets and environment ----
printf s3cr3t >"$MNT/secrets/db-password"
ok $? "printf s3cr3t > secrets/db-password"
is "$(ls "$MNT/secrets")" "db-password" "secrets/ lists it"
cat "$MNT/secrets/db-password" >/dev/null 2>&1
ok $(( $? == 0 )) "it cannot be read back"
register sec "$(printf '%s' '{"family": "sec", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "environment": [{"name": "A", "value": "1"}],
   "secrets": [{"name": "DB_PASSWORD", "valueFrom": "db-password"},
               {"name": "ARN_PW", "valueFrom": "arn:aws:secretsmanager:local:000000000000:secret:db-password"},
               {"name": "SSM_PW", "valueFrom": "arn:aws:ssm:local:000000000000:parameter/db-password"}],
   "command": ["sh", "-c", "h() { printf %s \"$1\" | md5sum | cut -c1-32; }; echo len=${#DB_PASSWORD} a=$A; [ $(h \"$DB_PASSWORD\") = SUM ] && echo match; [ $(h \"$ARN_PW\") = SUM ] && echo arn-match; [ $(h \"$SSM_PW\") = SUM ] && echo ssm-match; LONGJ"]}]}' |
	fill "SUM=$(printf s3cr3t | md5sum | cut -c1-32)" "LONGJ=$LONGJ")"
register nosec '{"family": "nosec", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "secrets": [{"name": "P", "valueFrom": "missing-one"}],
   "command": ["sh", "-c", "'"$LONGJ"'"]}]}'
ids=$(run_task prod sec)
idn=$(run_task prod nosec)
running "$ids"
ok $? "a task with secrets runs"
L=$TK/$ids/containers/app/logs
wait_for 10 log_has "$L" '^ssm-match$'
is "$(cat "$L" | tr '\n' ' ')" "len=6 a=1 match arn-match ssm-match " \
	"the container sees the secret (by name, by Secrets Manager ARN, by SSM ARN) and its environment"
out=$(grep -rl --exclude=stop s3cr3t "$MNT/clusters" "$MNT/taskdefs" "$MNT/spec" "$MNT/errors" "$MNT/README" 2>&1)
is "$out" "" "the secret's value is in no file of the tree"
is "$(insp "$(rid "$ids" app)" '{{json .Config.Labels}}' | grep -c s3cr3t)" "0" "nor in the container's labels"
is "$(grep -c s3cr3t "$LOG")" "0" "nor in the daemon's log"
wait_task 60 prod "$idn" STOPPED
ok $? "a task whose secret does not exist stops"
R=$(jget "$TK/$idn/task.json" 'd.get("stoppedReason", "")')
like "$R" "ResourceInitializationError" "stoppedReason says ResourceInitializationError"
like "$R" "missing-one" "and names the secret"
is "$(engine_ids "ecsfs.task=$idn")" "" "nothing of it is left in the engine"

# ---- resources, process and security settings ----
# (privileged is not run: an engine inside an unprivileged container refuses it)
register conf '{"family": "conf", "containerDefinitions": [
  {"name": "conf", "image": "ecsfs-busybox:latest", "memory": 64, "cpu": 128, "essential": true,
   "workingDirectory": "/tmp", "user": "65534", "dockerLabels": {"team": "core"},
   "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
   "readonlyRootFilesystem": true, "stopTimeout": 7,
   "hostname": "web-host", "extraHosts": [{"hostname": "db.local", "ipAddress": "10.1.2.3"}],
   "dnsServers": ["10.0.0.2"],
   "linuxParameters": {"initProcessEnabled": true, "sharedMemorySize": 32,
     "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
     "tmpfs": [{"containerPath": "/scratch", "size": 16}]},
   "command": ["sh", "-c", "echo cwd=$(pwd) uid=$(id -u) host=$(hostname) nofile=$(ulimit -n); grep db.local /etc/hosts; grep nameserver /etc/resolv.conf; touch /rootfs-test 2>/dev/null && echo rootfs=rw || echo rootfs=ro; touch /scratch/x && echo tmpfs=ok; echo scratch-kb=$(df -k /scratch | tail -n 1 | awk '"$Q"'{print $2}'"$Q"'); echo shm-kb=$(df -k /dev/shm | tail -n 1 | awk '"$Q"'{print $2}'"$Q"'); echo conf-end; '"$LONGJ"'"]},
  {"name": "plain", "image": "ecsfs-busybox:latest", "essential": false, "memoryReservation": 16,
   "command": ["sh", "-c", "echo host=$(hostname); grep db.local /etc/hosts; echo plain-end; '"$LONGJ"'"]}]}'
is "$(readlink "$MNT/taskdefs/conf/latest")" "1.json" "the settings' task definition registers"
idc=$(run_task prod conf)
running "$idc"
ok $? "it runs"
C1=$(rid "$idc" conf)
C2=$(rid "$idc" plain)
is "$(insp "$C1" '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}')" "67108864 67108864" "memory 64: Memory and MemorySwap 64 MiB (no swap)"
is "$(insp "$C1" '{{.HostConfig.CpuShares}}')" "128" "cpu 128: CpuShares 128"
is "$(insp "$C2" '{{.HostConfig.CpuShares}} {{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}}')" "2 0 16777216" \
	"no cpu: CpuShares 2; no memory: no limit; memoryReservation 16: 16 MiB"
is "$(insp "$C1" '{{.Config.WorkingDir}} {{.Config.User}} {{index .Config.Labels "team"}}')" "/tmp 65534 core" \
	"workingDirectory, user, dockerLabels"
is "$(insp "$C1" '{{json .HostConfig.Ulimits}}')" '[{"Name":"nofile","Hard":2048,"Soft":1024}]' "ulimits"
is "$(insp "$C1" '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Init}} {{.HostConfig.Privileged}}')" "true true false" \
	"readonlyRootFilesystem, initProcessEnabled"
is "$(insp "$C1" '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}}')" '["NET_ADMIN"] ["MKNOD"]' "capabilities add and drop"
like "$(insp "$C1" '{{json .HostConfig.Tmpfs}}')" '"/scratch"' "tmpfs"
is "$(insp "$C1" '{{.HostConfig.ShmSize}}')" "33554432" "sharedMemorySize 32: ShmSize 32 MiB"
is "$(insp "$C1" '{{.Config.StopTimeout}}') $(insp "$C2" '{{.Config.StopTimeout}}')" "7 30" "stopTimeout 7, and 30 by default"
wait_for 10 log_has "$TK/$idc/containers/conf/logs" '^conf-end$'
L=$(cat "$TK/$idc/containers/conf/logs")
like "$L" "cwd=/tmp uid=65534 host=web-host nofile=1024" "inside: working directory, user, hostname, ulimit"
like "$L" "10\.1\.2\.3[[:space:]]+db\.local" "inside: extraHosts in /etc/hosts"
# awsvpc: the cluster network's DNS answers (service names), dnsServers are its upstream
like "$L" "nameserver 127\.0\.0\.11" "inside: the engine's DNS of the cluster network in /etc/resolv.conf"
like "$L" "rootfs=ro" "inside: the root filesystem is read-only"
like "$L" "tmpfs=ok" "inside: the tmpfs is writable"
like "$L" "scratch-kb=16384" "inside: the tmpfs has its size (16 MiB)"
like "$L" "shm-kb=32768" "inside: /dev/shm has sharedMemorySize"
pc=$(docker ps -q --filter "label=ecsfs.task=$idc" --filter "label=ecsfs.container=~pause")
is "$(insp "$pc" '{{.Config.Hostname}} {{json .HostConfig.ExtraHosts}} {{json .HostConfig.Dns}}')" \
	'web-host ["db.local:10.1.2.3"] ["10.0.0.2"]' "hostname, extraHosts and dnsServers are set on the pause (awsvpc)"
wait_for 10 log_has "$TK/$idc/containers/plain/logs" '^plain-end$'
L=$(cat "$TK/$idc/containers/plain/logs")
like "$L" "host=web-host" "the task's other container shares the hostname (the pause's)"
like "$L" "10\.1\.2\.3[[:space:]]+db\.local" "and its /etc/hosts"

# ---- volumes: a host path, a task volume shared by two containers, volumesFrom ----
HV=$T/hostvol
mkdir -p "$HV"
chmod 777 "$HV"
register vols "$(printf '%s' '{"family": "vols",
  "volumes": [{"name": "hostvol", "host": {"sourcePath": "HOSTDIR"}}, {"name": "scratch"}],
  "containerDefinitions": [
  {"name": "writer", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "mountPoints": [{"sourceVolume": "hostvol", "containerPath": "/data"}, {"sourceVolume": "scratch", "containerPath": "/shared"}],
   "command": ["sh", "-c", "echo from-container > /data/out.txt; echo shared-data > /shared/x; LONGJ"]},
  {"name": "reader", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/shared", "readOnly": true}],
   "command": ["sh", "-c", "while [ ! -f /shared/x ]; do sleep 0.1; done; echo saw=$(cat /shared/x); touch /shared/y 2>/dev/null && echo ro=no || echo ro=yes; LONGJ"]},
  {"name": "from", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "volumesFrom": [{"sourceContainer": "writer"}],
   "command": ["sh", "-c", "while [ ! -f /data/out.txt ]; do sleep 0.1; done; echo from-saw=$(cat /data/out.txt); LONGJ"]}]}' |
	fill "HOSTDIR=$HV" "LONGJ=$LONGJ")"
is "$(readlink "$MNT/taskdefs/vols/latest")" "1.json" "the volumes' task definition registers"
idv=$(run_task prod vols)
running "$idv"
ok $? "it runs"
wait_for 10 test -s "$HV/out.txt"
is "$(cat "$HV/out.txt" 2>&1)" "from-container" "a host sourcePath volume: the host sees what the container wrote"
wait_for 10 log_has "$TK/$idv/containers/reader/logs" '^ro='
is "$(cat "$TK/$idv/containers/reader/logs" | tr '\n' ' ')" "saw=shared-data ro=yes " \
	"a task volume is shared by two containers, read-only where asked"
wait_for 10 log_has "$TK/$idv/containers/from/logs" '^from-saw='
is "$(cat "$TK/$idv/containers/from/logs")" "from-saw=from-container" "volumesFrom gives another container's mounts"
vol=$(docker volume ls -q --filter "label=ecsfs.task=$idv")
is "$(echo "$vol" | grep -c .)" "1" "the task volume is an engine volume labelled with the task"

# ---- ports: awsvpc (the default) and bridge ----
# from 18300: no other test file listens there, and CI runs two mount tests
# at a time (.ci/test)
P1=$(free_port 18300)
P2=$(free_port $((P1 + 1)))
P3=$(free_port $((P2 + 1)))
register webport "$(printf '%s' '{"family": "webport", "containerDefinitions": [
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "portMappings": [{"containerPort": PORT}],
   "command": ["sh", "-c", "mkdir -p /www && echo hi-from-task > /www/index.html && exec httpd -f -p PORT -h /www"]},
  {"name": "client", "image": "ecsfs-busybox:latest", "memory": 32, "essential": false,
   "command": ["sh", "-c", "for i in $(seq 100); do wget -q -O- http://127.0.0.1:PORT/ \u0026\u0026 break; sleep 0.2; done; LONGJ"]}]}' |
	fill "PORT=$P1" "LONGJ=$LONGJ")"
register bridged '{"family": "bridged", "networkMode": "bridge", "containerDefinitions": [
  {"name": "web", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "portMappings": [{"containerPort": 8080, "hostPort": 0}],
   "command": ["sh", "-c", "mkdir -p /www && echo hi-from-bridge > /www/index.html && exec httpd -f -p 8080 -h /www"]}]}'
idp=$(run_task prod webport)
idb=$(run_task prod bridged)
running "$idp"
ok $? "awsvpc: a web server and its client run"
wait_for 30 log_has "$TK/$idp/containers/client/logs" '^hi-from-task$'
ok $? "the containers of a task share localhost: the client reached the server at 127.0.0.1:$P1"
get() { curl -s --max-time 2 "http://${3:-127.0.0.1}:$1/"; }
served() { [ "$(get "$1" "$2" "${3:-}")" = "$2" ]; }
served_at() { [ "$(get "$2" x "$1")" = "$3" ]; }
addr=$(skey "$TK/$idp/status" address)
like "$addr" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "awsvpc: the task has its own address ($addr)"
wait_for 20 served_at "$addr" "$P1" hi-from-task
ok $? "containerPort $P1 is reachable at the task's own address $addr:$P1"
pause_p=$(docker ps -q --filter "label=ecsfs.task=$idp" --filter "label=ecsfs.container=~pause")
is "$(docker port "$pause_p" 2>&1)" "" "and nothing of it is published on the host"
is "$(jget "$TK/$idp/task.json" '[c["networkBindings"] for c in d["containers"]]')" \
	"[[], []]" "networkBindings are empty in awsvpc mode (the address is the task's own)"
running "$idb"
ok $? "bridge: the task runs"
HP=$(jget "$TK/$idb/task.json" 'd["containers"][0]["networkBindings"][0]["hostPort"]' 2>&1)
like "$HP" '^[1-9][0-9]*$' "bridge, hostPort 0: networkBindings show the engine's pick ($HP)"
pause_b=$(docker ps -q --filter "label=ecsfs.task=$idb" --filter "label=ecsfs.container=~pause")
is "$(docker port "$pause_b" 8080/tcp 2>&1 | grep -F 0.0.0.0 | sed 's/.*://')" "$HP" "the engine agrees on that port"
wait_for 20 served "$HP" hi-from-bridge
ok $? "and the server is reachable there from the host"

# ---- network modes: host and none ----
register hosty "$(printf '%s' '{"family": "hosty", "networkMode": "host", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true, "stopTimeout": 2,
   "portMappings": [{"containerPort": PORT}],
   "command": ["sh", "-c", "echo host=$(hostname); mkdir -p /www && echo hi-from-host-mode > /www/index.html && exec httpd -f -p PORT -h /www"]}]}' |
	fill "PORT=$P2")"
register lonely '{"family": "lonely", "networkMode": "none", "containerDefinitions": [
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "echo ifaces=$(ls /sys/class/net | tr '"$Q"'\\n'"$Q"' '"$Q"' '"$Q"'); '"$LONGJ"'"]}]}'
idh=$(run_task prod hosty)
idn=$(run_task prod lonely)
running "$idh"
ok $? "host mode: the task runs"
is "$(engine_ids "ecsfs.task=$idh" | wc -l)" "1" "host mode: one container, no pause"
is "$(engine_ids "ecsfs.container=~pause" | grep -c "$(docker ps -aq --no-trunc --filter "label=ecsfs.task=$idh")")" "0" \
	"(none labelled ~pause)"
is "$(insp "$(rid "$idh" app)" '{{.HostConfig.NetworkMode}}')" "host" "its NetworkMode is host"
wait_for 10 log_has "$TK/$idh/containers/app/logs" '^host='
is "$(cat "$TK/$idh/containers/app/logs")" "host=$(hostname)" "it has the host's hostname"
wait_for 20 served "$P2" hi-from-host-mode
ok $? "its server listens on the host's port $P2"
is "$(jget "$TK/$idh/task.json" 'd["containers"][0]["networkBindings"]')" \
	"[{'bindIP': '0.0.0.0', 'containerPort': $P2, 'hostPort': $P2, 'protocol': 'tcp'}]" \
	"host mode: networkBindings show containerPort = hostPort (as ECS does)"
running "$idn"
ok $? "none mode: the task runs"
wait_for 10 log_has "$TK/$idn/containers/app/logs" '^ifaces='
is "$(cat "$TK/$idn/containers/app/logs")" "ifaces=lo" "none mode: the container has only lo"

# ---- a container may be called "pause" ----
register pausey '{"family": "pausey", "containerDefinitions": [
  {"name": "pause", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "echo i-am-the-pause-container; '"$LONGJ"'"]},
  {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": true,
   "command": ["sh", "-c", "'"$LONGJ"'"]}]}'
idq=$(run_task prod pausey)
wait_task 60 prod "$idq" RUNNING
ok $? "a task with a container named pause runs"
is "$(engine_ids "ecsfs.task=$idq" | wc -l)" "3" "the engine has its two containers and its pause"
rq=$(rid "$idq" pause)
is "$(insp "$rq" '{{index .Config.Labels "ecsfs.container"}} {{.Config.Image}}')" "pause ecsfs-busybox:latest" \
	"the runtimeId of container 'pause' is that container, not the task's pause"
wait_for 10 log_has "$TK/$idq/containers/pause/logs" 'i-am-the-pause-container'
ok $? "and its output is captured"

# ---- the end ----
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_all_tasks prod 90
r=$?
ok $r "every task stops through its stop file"
[ $r -eq 0 ] || dump_tasks prod
is "$(docker volume ls -q --filter "label=ecsfs.task=$idv")" "" "the task volume went with its task"
is "$(cat "$HV/out.txt" 2>&1)" "from-container" "the host path keeps what was written"
no_containers_left
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"
done_testing
