#!/usr/bin/env bash
# bench_service.sh — how fast a service converges through ecsfs, next to the
# engine's own floor measured in the same run. Prints figures, one result a
# line; asserts nothing about speed (it fails only when something does not
# work: a service that never converges, a container left behind).
#
#   scale out   echo N > desired_count until status shows running_count: N
#   scale in    echo 0 until running_count: 0 and no task of it is left
#               that is not STOPPED
#   rollout     a service steady at R tasks of web:1; register web:2; until
#               its one deployment is web:2, COMPLETED, R running (the old
#               tasks are then stopping); and until they are all STOPPED
#   floor       N times `docker run -d` in parallel until all returned
#               (running), then `docker rm -f` of them all in parallel;
#               also with a pause container and one joined to its network
#               (`--network container:<id>`), as ecsfs runs each task, and
#               the same through the Engine API (no CLI process per call),
#               which is what ecsfs itself speaks
#   floor roll  R pause+app pairs running; start R new pairs, then remove
#               the R old ones (the least a 200 %/100 % rollout must do)
#
# usage: bench_service.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_TASKS=N      tasks of the scale measures (default 20)
#   BENCH_ROLL=R       tasks of the rollout (default 10)
#
# Needs a Docker engine at /var/run/docker.sock (exit 77, skipped, without
# one) and /dev/fuse. The containers run busybox's sh, which exits 0 at once
# on SIGTERM, so stopping costs no stopTimeout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
N=${BENCH_TASKS:-20}
R=${BENCH_ROLL:-10}
IMAGE=ecsfs-busybox:latest
FOREVER="trap 'exit 0' TERM; while :; do sleep 0.2; done"
BENCH=bench_service
. "$HERE/lib_bench.sh"

[[ -x $ECSFS ]] || die "$ECSFS not built"
bench_need_engine
PAUSE_IMAGE=ecsfs-pause:$("$ECSFS" --version | awk '{print $2}')

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-service.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
FLOOR_LABEL=ecsfs-bench=$(basename "$TMP")
ECSFS_PID=

cleanup() {
	local rc=$?
	set +e
	if [[ -n $ECSFS_PID ]]; then
		# scale to 0 first, so that the daemon stops its own tasks
		[[ -e $MNT/clusters/bench/services/web/desired_count ]] &&
			echo 0 >"$MNT/clusters/bench/services/web/desired_count" 2>/dev/null
		stop_pid "$ECSFS_PID"
	fi
	fusermount3 -uzq "$MNT" 2>/dev/null
	bench_remove_engine_objects "$FLOOR_LABEL"
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the daemon, a family, a service at 0 ----------------------------------
bench_start_daemon 10
mkdir "$MNT/clusters/bench"

echo "services: ecsfs next to the engine's floor ($(nproc) CPUs, kernel $(uname -r)," \
	"docker $(docker version -f '{{.Server.Version}}'), $N tasks to scale, $R to roll)"

# One python process does every measure: polling every 20 ms costs no fork.
python3 - "$MNT" "$N" "$R" "$IMAGE" "$PAUSE_IMAGE" "$FLOOR_LABEL" "$FOREVER" "$(instance_id)" <<'PY'
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

mnt, N, R, image, pause, label, forever, instance = sys.argv[1:]
N, R = int(N), int(R)
POLL, LIMIT = 0.020, 300.0
C = os.path.join(mnt, "clusters", "bench")
SVC = os.path.join(C, "services", "web")
lkey, lval = label.split("=", 1)


def die(msg):
    sys.exit("bench_service: " + msg)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def register(rev):
    write(os.path.join(mnt, "spec", "taskdefs", "web.json"), json.dumps({
        "family": "web", "containerDefinitions": [{
            "name": "app", "image": image, "memory": 64, "essential": True,
            "environment": [{"name": "REV", "value": str(rev)}],
            "command": ["sh", "-c", forever]}]}) + "\n")


def status():
    kv, deps = {}, []
    with open(os.path.join(SVC, "status")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(": ")
            if k.startswith("deployment "):
                deps.append(v)
            else:
                kv[k] = v
    return kv, deps


def wait(cond, what, t0):
    while True:
        try:
            if cond():
                return time.perf_counter() - t0
        except (OSError, ValueError, KeyError):
            pass
        if time.perf_counter() - t0 > LIMIT:
            kv, deps = status()
            die("%s: not after %.0f s; status %s %s" % (what, LIMIT, kv, deps))
        time.sleep(POLL)


def at(n, state=None):
    def cond():
        kv, _ = status()
        return (kv["running_count"] == str(n) and kv["pending_count"] == "0"
                and (state is None or kv["state"] == state))
    return cond


def none_left():
    kv, _ = status()
    if kv["running_count"] != "0" or kv["pending_count"] != "0":
        return False
    if os.listdir(os.path.join(SVC, "tasks")):  # lists the tasks not STOPPED
        return False
    return True


def rolled(rev, n):
    def cond():
        kv, deps = status()
        return (len(deps) == 1 and deps[0].endswith(
            "PRIMARY web:%d COMPLETED, %d running, 0 pending" % (rev, n))
            and kv["running_count"] == str(n))
    return cond


def scale(n):
    t0 = time.perf_counter()
    write(os.path.join(SVC, "desired_count"), "%d\n" % n)
    return t0


def engine_count(flt):
    out = subprocess.run(["docker", "ps", "-aq", "--filter", flt],
                         capture_output=True, text=True, check=True).stdout
    return len(out.split())


# ---- ecsfs ----
register(1)
write(os.path.join(mnt, "spec", "clusters", "bench", "services", "web.json"), json.dumps({
    "serviceName": "web", "taskDefinition": "web", "desiredCount": 0,
    "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}}) + "\n")

# warm up: the first task imports the pause image; shown, not counted
t0 = scale(1)
warm = wait(at(1), "warm-up to 1", t0)
wait(none_left, "warm-up to 0", scale(0))
print("ecsfs  first task of a new daemon (may import the pause)   %8.3f s" % warm)

t0 = scale(N)
e_up = wait(at(N), "scale out to %d" % N, t0)
print("ecsfs  scale out: echo %d > desired_count to running %d   %8.3f s" % (N, N, e_up))
if engine_count("label=ecsfs.instance=" + instance) != 2 * N:
    die("expected %d containers (task + pause) in the engine" % (2 * N))
t0 = scale(0)
e_down = wait(none_left, "scale in to 0", t0)
print("ecsfs  scale in: echo 0 to none left but STOPPED           %8.3f s" % e_down)

# rollout: R steady on web:1, then web:2
t0 = scale(R)
wait(at(R, "steady"), "steady at %d" % R, t0)
wait(rolled(1, R), "steady at %d of web:1" % R, t0)
t0 = time.perf_counter()
register(2)
e_roll = wait(rolled(2, R), "rollout to web:2", t0)
print("ecsfs  rollout of %d tasks: register web:2 to COMPLETED     %8.3f s" % (R, e_roll))
e_roll_all = wait(lambda: len(os.listdir(os.path.join(SVC, "tasks"))) == R and rolled(2, R)(),
                  "old tasks STOPPED", t0)
print("ecsfs  rollout of %d tasks: to every old task STOPPED        %8.3f s" % (R, e_roll_all))
e_roll_down = wait(none_left, "scale in after the rollout", scale(0))
print("ecsfs  (then scale in of %d:                                %8.3f s)" % (R, e_roll_down))
left = engine_count("label=ecsfs.instance=" + instance)
if left:
    die("%d containers of ecsfs left in the engine" % left)
print("ecsfs  containers left in the engine: 0")

# ---- the floor: the engine alone ----


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=120)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")


def api(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data,
                 headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    out = r.read()
    if r.status >= 300:
        die("engine %s %s: %d %s" % (method, path, r.status, out[:200]))
    return json.loads(out) if out else None


def api_run(conn, img, cmd=None, netns=None):
    cfg = {"Image": img, "Labels": {lkey: lval}, "HostConfig": {"Memory": 64 << 20}}
    if cmd:
        cfg["Cmd"] = cmd
    if netns:
        cfg["HostConfig"]["NetworkMode"] = "container:" + netns
    cid = api(conn, "POST", "/containers/create", cfg)["Id"]
    api(conn, "POST", "/containers/%s/start" % cid)
    return cid


def cli_run(img, cmd=None, netns=None):
    argv = ["docker", "run", "-d", "--label", label, "--memory", "64m"]
    if netns:
        argv += ["--network", "container:" + netns]
    argv.append(img)
    if cmd:
        argv += cmd
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


APP = ["sh", "-c", forever]


def one_task(via, with_pause):
    if via == "api":
        conn = UnixHTTP()
        ids = []
        if with_pause:
            ids.append(api_run(conn, pause))
        ids.append(api_run(conn, image, APP, ids[0] if with_pause else None))
        conn.close()
        return ids
    ids = []
    if with_pause:
        ids.append(cli_run(pause))
    ids.append(cli_run(image, APP, ids[0] if with_pause else None))
    return ids


def parallel(fn, args):
    out, errs = [None] * len(args), []

    def run(i):
        try:
            out[i] = fn(*args[i])
        except Exception as e:  # noqa: BLE001 -- reported below
            errs.append(e)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errs:
        die("floor: %s" % errs[0])
    return out


def floor_up(n, via, with_pause):
    t0 = time.perf_counter()
    tasks = parallel(one_task, [(via, with_pause)] * n)
    return time.perf_counter() - t0, tasks


def remove(via, cid):
    if via == "api":
        conn = UnixHTTP()
        api(conn, "DELETE", "/containers/%s?force=1" % cid)
        conn.close()
    else:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=True)


def floor_down(tasks, via):
    # the app of a pair goes before its pause, as ecsfs does it
    t0 = time.perf_counter()
    parallel(lambda ids: [remove(via, c) for c in reversed(ids)], [(t,) for t in tasks])
    return time.perf_counter() - t0


floor_down(floor_up(1, "cli", True)[1], "cli")  # warm the engine's cache of the images

res = {}
for via in ("cli", "api"):
    for with_pause in (False, True):
        up, tasks = floor_up(N, via, with_pause)
        down = floor_down(tasks, via)
        res[via, with_pause] = (up, down)
        name = "floor%s %s" % ("2" if with_pause else " ", via)
        what = "pause + joined app" if with_pause else "one container"
        print("%s %d tasks up, %-19s in parallel %8.3f s" % (name, N, what + ",", up))
        print("%s %d tasks down, docker rm -f in parallel         %8.3f s" % (name, N, down))

# the floor of a rollout: R old pairs running; R new pairs up, then the old down
rolls = {}
for via in ("cli", "api"):
    _, old = floor_up(R, via, True)
    t0 = time.perf_counter()
    parallel(one_task, [(via, True)] * R)
    floor_down(old, via)
    rolls[via] = time.perf_counter() - t0
    print("floor2 %s rollout of %d: %d pairs up, then %d old down     %8.3f s" % (via, R, R, R, rolls[via]))
    subprocess.run("docker rm -f $(docker ps -aq --filter label=%s)" % label, shell=True,
                   capture_output=True)
left = engine_count("label=" + label)
if left:
    die("%d floor containers left in the engine" % left)
print("floor  containers left in the engine: 0")

print()
for via in ("cli", "api"):
    print("ratio ecsfs/floor2 %s scale out %d = %6.2f   (floor without pause: %5.2f)" % (
        via, N, e_up / res[via, True][0], e_up / res[via, False][0]))
    print("ratio ecsfs/floor2 %s scale in  %d = %6.2f   (floor without pause: %5.2f)" % (
        via, N, e_down / res[via, True][1], e_down / res[via, False][1]))
    print("ratio ecsfs/floor2 %s rollout  %d = %6.2f   (to every old task STOPPED: %5.2f)" % (
        via, R, e_roll / rolls[via], e_roll_all / rolls[via]))
PY
