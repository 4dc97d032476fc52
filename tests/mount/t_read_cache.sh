#!/usr/bin/env bash
# Generated files in the kernel's page cache (fs/fuse_cache.c): a change,
# made by a write to the tree or by the API, and the reads right after it
# agree, hundreds of times over: no stale content, no stale size, no stale
# name. No engine is used (services without a task definition start
# nothing). API on port 4711.
. "$(dirname "$0")/lib.sh"

PY3=/usr/bin/python3
PORT=4711
start_daemon --docker "unix://$T/no-docker.sock" --api "127.0.0.1:$PORT" || exit 1
ok $? "the daemon mounts"
wait_for 10 test -s "$STATE/credentials"
ok $? "with its API credentials"

C=$MNT/clusters/c
mkdir "$C" && mkdir "$C/services/web"
ok $? "a cluster and a service without a task definition"
S=$C/services/web

# the cache is warm: the same bytes open after open, and the same size
a=$(cat "$C/status") && b=$(cat "$C/status")
is "$b" "$a" "an unchanged file reads the same twice"
is "$(stat -c %s "$C/status")" "$(cat "$C/status" | wc -c)" "and reports its exact size"

# ---- writes to the tree: echo, then read at once ----
bad=0
for i in $(seq 1 300); do
	n=$((i % 7 * 3))
	echo "$n" >"$S/desired_count" || bad=$((bad + 1))
	[ "$(cat "$S/desired_count")" = "$n" ] || bad=$((bad + 1))
	grep -q "\"desiredCount\": $n," "$S/service.json" || bad=$((bad + 1))
	grep -q "^desired_count: $n\$" "$S/status" || bad=$((bad + 1))
	[ "$(stat -c %s "$S/service.json")" = "$(wc -c <"$S/service.json")" ] || bad=$((bad + 1))
	[ "$(stat -c %s "$S/desired_count")" = "$((${#n} + 1))" ] || bad=$((bad + 1))
done
is "$bad" "0" "300 times echo N > desired_count, then cat, service.json, status and stat: all agree"

bad=0
for i in $(seq 1 300); do
	n=$((i % 2 * 100 + i % 3)) # the size of service.json moves too
	echo "$n" >"$S/desired_count"
	[ "$(stat -c %s "$S/desired_count")" = "$((${#n} + 1))" ] || bad=$((bad + 1))
	[ "$(stat -c %s "$S/service.json")" = "$(wc -c <"$S/service.json")" ] || bad=$((bad + 1))
done
is "$bad" "0" "300 more, stat first: the sizes right after each write are exact"

# ---- the API: each change, then the files at once ----
out=$(AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
	"$PY3" - "$MNT" "$PORT" <<'EOF'
import os, sys, json, boto3
mnt, port = sys.argv[1], sys.argv[2]
ecs = boto3.Session(profile_name="ecsfs", region_name="us-east-1").client(
    "ecs", endpoint_url="http://127.0.0.1:%s" % port)
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
def read(p):
    with open(p, "rb") as f:
        return f.read()
svc = mnt + "/clusters/c/services/web"
for i in range(200):
    n = i % 9
    ecs.update_service(cluster="c", service="web", desiredCount=n)
    check(read(svc + "/desired_count") == b"%d\n" % n, "desired_count %d" % n)
    body = read(svc + "/service.json")
    check(json.loads(body)["desiredCount"] == n, "service.json %d" % n)
    check(os.stat(svc + "/service.json").st_size == len(body), "service.json size %d" % n)
    st = read(mnt + "/clusters/c/status")
    check(os.stat(mnt + "/clusters/c/status").st_size == len(st), "status size %d" % i)
for i in range(40):
    name = "k%d" % (i % 3)
    ecs.create_cluster(clusterName=name)
    check(os.path.isdir(mnt + "/clusters/" + name), "cluster %s appears" % name)
    check(name in os.listdir(mnt + "/clusters"), "cluster %s listed" % name)
    st = read(mnt + "/clusters/%s/status" % name)
    check(os.stat(mnt + "/clusters/%s/status" % name).st_size == len(st), "size " + name)
    ecs.put_cluster_capacity_providers(cluster=name, capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": i + 1}])
    doc = json.loads(read(mnt + "/clusters/%s/cluster.json" % name))
    check(doc["defaultCapacityProviderStrategy"][0]["weight"] == i + 1, "strategy " + name)
    ecs.delete_cluster(cluster=name)
    check(not os.path.exists(mnt + "/clusters/" + name), "cluster %s goes" % name)
for i in range(40):
    td = ecs.register_task_definition(family="f", containerDefinitions=[
        {"name": "a", "image": "busybox", "memory": 16 + i}])["taskDefinition"]
    rev = td["revision"]
    check(os.readlink(mnt + "/taskdefs/f/latest") == "%d.json" % rev, "latest %d" % rev)
    check("%d.json" % rev in os.listdir(mnt + "/taskdefs/f"), "listed %d" % rev)
    doc = json.loads(read(mnt + "/taskdefs/f/%d.json" % rev))
    check(doc["containerDefinitions"][0]["memory"] == 16 + i, "revision %d" % rev)
    if rev > 1:
        ecs.deregister_task_definition(taskDefinition="f:%d" % (rev - 1))
        old = json.loads(read(mnt + "/taskdefs/f/%d.json" % (rev - 1)))
        check(old["status"] == "INACTIVE", "deregistered %d" % (rev - 1))
print(len(bad), bad[:5])
EOF
)
is "$out" "0 []" "API changes (update-service, clusters, capacity providers, task definitions), each read at once: all agree"

# ---- nothing of an engine: this daemon had none ----
stop_daemon
ok $? "the daemon stops cleanly"
if docker_answers; then
	inst=$(instance_id)
	is "$(engine_ids "ecsfs.instance=$inst" | wc -l)" "0" "the engine holds nothing of this state directory"
fi
done_testing
