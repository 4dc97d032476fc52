#!/usr/bin/env bash
# bench_scheduler_engine.sh — the service scheduler on the real Docker
# engine: BENCH_SERVICES services (50) of BENCH_PER tasks (4) each, one
# busybox container a task (networkMode host: no pause), 200 containers in
# all. Prints, asserting nothing about speed (it fails only when something
# does not work: a service that never converges, a container left behind):
#
#   bring up      the services written until every one runs its tasks
#   idle CPU      the daemon's CPU (utime + stime, /proc/PID/stat) over
#                 BENCH_IDLE seconds (30) with everything steady
#   passes        with `perf probe` (uprobes on the scheduler's look at one
#                 service, schedule_cb) over BENCH_PASSES seconds (61: the
#                 once-a-minute full pass falls inside): the full passes'
#                 time (every service looked at), and the looks of an idle
#                 daemon; skipped without perf
#   rolling       a new revision of all 50 task definitions at once (each
#                 service follows its family): until every service runs
#                 BENCH_PER tasks of revision 2 with one COMPLETED
#                 deployment; the daemon's CPU meanwhile, its passes and
#                 their time (probes, as above)
#
# Times of passes are wall clock: on a shared machine they include waiting
# for a CPU; the CPU figures are the daemon's own. Deployments use
# maximumPercent 100 and minimumHealthyPercent 50, so the engine never holds
# more than SERVICES x PER of the bench's containers.
#
# usage: bench_scheduler_engine.sh [BUILD_DIR]        (default: build)
# Not part of CI: run it by hand, alone on the engine (no mount test at the
# same time). Needs a Docker engine at /var/run/docker.sock (exit 77,
# skipped, without one), /dev/fuse, and root for the probes.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
SERVICES=${BENCH_SERVICES:-50}
PER=${BENCH_PER:-4}
IDLE=${BENCH_IDLE:-30}
PASSES=${BENCH_PASSES:-61}
IMAGE=ecsfs-busybox:latest
BENCH=bench_scheduler_engine
. "$HERE/lib_bench.sh"

[[ -x $ECSFS ]] || die "$ECSFS not built"
bench_need_engine

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-scheduler-engine.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
PROBES=ecsfs_bench_$$
ECSFS_PID=

# uprobes on the look at one service, entry and return: 0, or 1 without perf
add_probes() {
	command -v perf >/dev/null || return 1
	perf probe -q -x "$ECSFS" -a "$PROBES:look=schedule_cb" 2>/dev/null &&
		perf probe -q -x "$ECSFS" -a "$PROBES:look_end=schedule_cb%return" 2>/dev/null
}

cleanup() {
	local rc=$?
	set +e
	# the daemon first, then its containers and networks straight from the
	# engine (200 stops through the daemon would take minutes)
	[[ -n $ECSFS_PID ]] && stop_pid "$ECSFS_PID"
	fusermount3 -uzq "$MNT" 2>/dev/null
	bench_remove_engine_objects
	command -v perf >/dev/null && perf probe -q -d "$PROBES:*" 2>/dev/null
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PROBED=0
add_probes && PROBED=1
bench_start_daemon 20 --api off
mkdir "$MNT/clusters/bench"

echo "scheduler on the real engine: $SERVICES services x $PER tasks ($((SERVICES * PER))" \
	"containers), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"docker $(docker version -f '{{.Server.Version}}')"

python3 - "$MNT" "$ECSFS_PID" "$SERVICES" "$PER" "$IDLE" "$PASSES" "$IMAGE" "$PROBED" \
	"$PROBES" "$TMP" "$(instance_id)" <<'PY'
import os
import re
import signal
import statistics
import subprocess
import sys
import time

mnt, pid, services, per, idle, passes, image, probed, group, tmp, instance = sys.argv[1:]
pid, services, per, idle, passes = int(pid), int(services), int(per), int(idle), int(passes)
probed = probed == "1"
CLK = os.sysconf("SC_CLK_TCK")
LIMIT = 600.0
FOREVER = "trap 'exit 0' TERM; while :; do sleep 1; done"
SPEC = os.path.join(mnt, "spec")
SVC = os.path.join(mnt, "clusters", "bench", "services")


def die(msg):
    sys.exit("bench_scheduler_engine: " + msg)


def cpu():
    """The daemon's utime + stime, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def register(i, rev):
    write(os.path.join(SPEC, "taskdefs", "b-%02d.json" % i),
          '{"family": "b-%02d", "networkMode": "host", "containerDefinitions": [{'
          '"name": "app", "image": "%s", "memory": 16, "essential": true, "stopTimeout": 2, '
          '"environment": [{"name": "REV", "value": "%d"}], '
          '"command": ["sh", "-c", "%s"]}]}\n' % (i, image, rev, FOREVER))


def status(i):
    kv, deps = {}, []
    with open(os.path.join(SVC, "s-%02d" % i, "status")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(": ")
            if k.startswith("deployment "):
                deps.append(v)
            else:
                kv[k] = v
    return kv, deps


def converged(rev):
    def one(i):
        kv, deps = status(i)
        return (kv.get("running_count") == str(per) and kv.get("pending_count") == "0"
                and len(deps) == 1 and deps[0].startswith(
                    "PRIMARY b-%02d:%d COMPLETED, %d running" % (i, rev, per)))
    return one


def steady(i):
    return status(i)[0].get("state") == "steady"


def wait_all(cond, what):
    t0 = time.perf_counter()
    left = set(range(services))
    while left:
        for i in sorted(left):
            try:
                if cond(i):
                    left.discard(i)
            except (OSError, ValueError, KeyError):
                pass
        if not left:
            break
        if time.perf_counter() - t0 > LIMIT:
            i = min(left)
            die("%s: %d services not after %.0f s; s-%02d: %s" % (what, len(left), LIMIT, i,
                                                                   status(i)))
        time.sleep(0.5)
    return time.perf_counter() - t0


def containers():
    out = subprocess.run(["docker", "ps", "-q", "--filter", "label=ecsfs.instance=" + instance],
                         capture_output=True, text=True, check=True).stdout
    return len(out.split())


class Probes:
    """perf record of the look probes while `with` lasts; looks and passes after."""

    def __init__(self):
        self.out = os.path.join(tmp, "probes.data")
        self.looks = []

    def __enter__(self):
        if probed:
            self.p = subprocess.Popen(
                ["perf", "record", "-q", "-e", group + ":look", "-e", group + ":look_end__return",
                 "-p", str(pid), "-o", self.out], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            time.sleep(1)  # perf attaches
        return self

    def __exit__(self, *exc):
        if not probed:
            return False
        self.p.send_signal(signal.SIGINT)
        self.p.wait()
        text = subprocess.run(["perf", "script", "-i", self.out, "-F", "time,event"],
                              capture_output=True, text=True).stdout
        start = None
        for line in text.splitlines():
            m = re.match(r"\s*([0-9.]+):\s+\S+?:(look_end__return|look):", line)
            if not m:
                continue
            t = float(m.group(1))
            if m.group(2) == "look":
                start = t
            elif start is not None:
                self.looks.append((start, t))
                start = None
        os.unlink(self.out)
        return False

    def passes(self):
        """Looks one right after another (within 2 ms) are one pass."""
        out = []
        for a, b in self.looks:
            if out and a - out[-1][1] < 0.002:
                out[-1][1] = b
                out[-1][2] += 1
            else:
                out.append([a, b, 1])
        return out


def ms(v):
    return "%.2f ms" % (v * 1000)


# ---- bring up ---------------------------------------------------------------
for i in range(services):
    register(i, 1)
t0 = time.perf_counter()
for i in range(services):
    write(os.path.join(SPEC, "clusters", "bench", "services", "s-%02d.json" % i),
          '{"taskDefinition": "b-%02d", "desiredCount": %d, "deploymentConfiguration": '
          '{"maximumPercent": 100, "minimumHealthyPercent": 50}}\n' % (i, per))
up = wait_all(converged(1), "bring up")
n = containers()
if n != services * per:
    die("%d containers in the engine, not %d" % (n, services * per))
print("bring up: %d services x %d tasks until all run              %8.1f s" % (services, per, up))
wait_all(steady, "steady")

# ---- idle -------------------------------------------------------------------
time.sleep(2)
c0, t0 = cpu(), time.perf_counter()
time.sleep(idle)
c, t = cpu() - c0, time.perf_counter() - t0
print("idle: daemon CPU over %.0f s with %d tasks running            %8.2f %% (%.1f ms/s)"
      % (t, services * per, 100 * c / t, 1000 * c / t))

# ---- passes of the idle daemon -------------------------------------------------
if probed:
    with Probes() as p:
        time.sleep(passes)
    full = [b - a for a, b, k in p.passes() if k >= services]
    print("idle: looks at a service in %d s (probes)                    %8d" % (passes,
                                                                              len(p.looks)))
    if full:
        print("full pass (all %d services), %d seen: median %s, max %s (wall)"
              % (services, len(full), ms(statistics.median(full)), ms(max(full))))
    else:
        print("full pass: none in %d s" % passes)
else:
    print("passes: skipped (no perf, or probes cannot be placed)")

# ---- rolling deployment of every service ------------------------------------------
with Probes() as p:
    c0, t0 = cpu(), time.perf_counter()
    for i in range(services):
        register(i, 2)
    roll = wait_all(converged(2), "rolling deployment")
    c = cpu() - c0
print("rolling: %d services to revision 2, until all COMPLETED       %8.1f s" % (services, roll))
print("rolling: daemon CPU meanwhile                                %8.2f s (%.1f %% of one CPU)"
      % (c, 100 * c / roll))
if probed and p.looks:
    ps = p.passes()
    d = [b - a for a, b, k in ps]
    print("rolling: %d passes, %d looks (median %d a pass); pass median %s, max %s (wall)"
          % (len(ps), len(p.looks), statistics.median(k for _, _, k in ps),
             ms(statistics.median(d)), ms(max(d))))
    print("rolling: one look median %s (wall)"
          % ms(statistics.median(b - a for a, b in p.looks)))
# the old tasks' containers go as their stops complete
deadline = time.perf_counter() + LIMIT
while containers() != services * per:
    if time.perf_counter() > deadline:
        die("after the rollout %d containers run, not %d" % (containers(), services * per))
    time.sleep(0.5)
PY
