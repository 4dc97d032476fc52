#!/usr/bin/env bash
# bench_lb.sh — what a load balancer of ecsfs costs and whether it drops
# anything. Prints figures, one result a line; asserts nothing about speed
# (it fails when something does not work, and when the rollout loses a
# request).
#
#   direct      wrk straight to one task's own address (awsvpc, port 8080)
#   listener    wrk through the load balancer's listener on 127.0.0.1, whose
#               target group holds that one task: HAProxy's cost on top
#   rollout     a service of R tasks behind the listener rolls to a new
#               revision while C clients send requests through it, one after
#               another on keep-alive connections; every request that does
#               not get a 200 counts as failed (must print 0)
#
# usage: bench_lb.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_ROLL=R        tasks of the rollout (default 10)
#   BENCH_SECONDS=S     seconds of each wrk run (default 10)
#   BENCH_CLIENTS=C     clients during the rollout (default 8)
#
# Needs a Docker engine (exit 77, skipped, without one), haproxy and wrk.
# The tasks run busybox's httpd (a fork per connection), so the figures
# compare the two paths to the same server, not HAProxy's own ceiling.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
ECSFS=$BUILD/fs/ecsfs
R=${BENCH_ROLL:-10}
SECS=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-8}
IMAGE=ecsfs-busybox:latest
PORT=$((23000 + $$ % 4000))

die() {
	echo "bench_lb: $*" >&2
	exit 1
}

[[ -x $ECSFS ]] || die "$ECSFS not built"
if ! curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping | grep -q OK; then
	echo "bench_lb: no Docker engine at /var/run/docker.sock: skipped"
	exit 77
fi
command -v wrk >/dev/null || die "wrk is not installed (.ci/setup installs it)"
command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || die "haproxy is not installed"
(. "$HERE/../mount/lib.sh" && ensure_busybox_image) || die "cannot make $IMAGE"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench-lb.XXXXXX")
MNT=$TMP/mnt
STATE=$TMP/state
ECSFS_PID=

instance_id() {
	sqlite3 "file:$STATE/state.db?mode=ro" "SELECT value FROM meta WHERE key = 'instance'" 2>/dev/null || true
}

cleanup() {
	local rc=$? i ids inst nets p
	set +e
	if [[ -n $ECSFS_PID ]]; then
		[[ -e $MNT/clusters/bench/services/web/desired_count ]] &&
			echo 0 >"$MNT/clusters/bench/services/web/desired_count" 2>/dev/null
		rm -f "$MNT/spec/loadbalancers/front.json" 2>/dev/null
		kill -TERM "$ECSFS_PID" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$ECSFS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$ECSFS_PID" 2>/dev/null
		wait "$ECSFS_PID" 2>/dev/null
	fi
	fusermount3 -uzq "$MNT" 2>/dev/null
	# HAProxy outlives the daemon by design: stop the one this run started
	p=$(head -n1 "$STATE/haproxy/haproxy.pid" 2>/dev/null)
	[[ -n $p ]] && grep -qa haproxy "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p"
	inst=$(instance_id)
	ids=$([[ -n $inst ]] && docker ps -aq --filter "label=ecsfs.instance=$inst")
	[[ -n $ids ]] && docker rm -f $ids >/dev/null 2>&1
	# the clusters' task networks go with their containers
	nets=$([[ -n $inst ]] && docker network ls -q --filter "label=ecsfs.instance=$inst")
	[[ -n $nets ]] && docker network rm $nets >/dev/null 2>&1
	vols=$([[ -n $inst ]] && docker volume ls -q --filter "label=ecsfs.instance=$inst")
	[[ -n $vols ]] && docker volume rm -f $vols >/dev/null 2>&1
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until SECONDS COMMAND...: poll every 50 ms, bounded
wait_until() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[[ $(date +%s) -lt $end ]] || return 1
		sleep 0.05
	done
}

mkdir -p "$MNT"
"$ECSFS" -f --state "$STATE" "$MNT" >"$TMP/ecsfs.log" 2>&1 &
ECSFS_PID=$!
wait_until 10 test -e "$MNT/README" || die "ecsfs did not mount"
mkdir "$MNT/clusters/bench"
C=$MNT/clusters/bench

web_app() { # VERSION
	local start="mkdir -p /www; echo $1 >/www/index.html; echo ok >/www/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
	printf '%s\n' "{\"family\": \"web\", \"networkMode\": \"awsvpc\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$IMAGE\", \"memory\": 64, \"essential\": true, \"stopTimeout\": 2,
   \"portMappings\": [{\"containerPort\": 8080}],
   \"command\": [\"sh\", \"-c\", \"$start\"]}]}" >"$MNT/spec/taskdefs/web.json"
}
cat >"$MNT/spec/targetgroups/web.json" <<JSON
{"Protocol": "HTTP", "Port": 8080, "TargetType": "ip", "HealthCheckPath": "/health",
 "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
 "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
 "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]}
JSON
cat >"$MNT/spec/loadbalancers/front.json" <<JSON
{"Listeners": [{"Port": $PORT, "DefaultActions": [{"Type": "forward", "TargetGroupArn": "web"}]}]}
JSON
service() { # COUNT
	cat >"$MNT/spec/clusters/bench/services/web.json" <<JSON
{"taskDefinition": "web", "desiredCount": $1,
 "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
 "loadBalancers": [{"targetGroupArn": "web", "containerName": "app", "containerPort": 8080}]}
JSON
}
healthy_n() { # N: exactly N targets, all healthy
	local t
	t=$(cat "$MNT/targetgroups/web/targets")
	[[ $(printf '%s' "$t" | grep -c .) == "$1" ]] && [[ $(printf '%s\n' "$t" | grep -c ' healthy ') == "$1" ]]
}
all_v() { # VERSION N: N tasks of the service, all of web:VERSION, all healthy targets
	local id n=0
	for id in $(ls "$C/services/web/tasks"); do
		grep -qx "task_definition: web:$1" "$C/tasks/$id/status" || return 1
		n=$((n + 1))
	done
	[[ $n == "$2" ]] && healthy_n "$2"
}

echo "load balancers: ecsfs on HAProxy $(haproxy -v | awk 'NR == 1 {print $3}') ($(nproc) CPUs," \
	"kernel $(uname -r), $SECS s per wrk run, rollout of $R tasks under $CLIENTS clients)"

# ---- one task, two paths to it --------------------------------------------
web_app v1
service 1
wait_until 120 healthy_n 1 || die "the first task did not become a healthy target"
addr=$(awk '{print $1}' "$MNT/targetgroups/web/targets")

wrk_run() { # NAME URL
	local out rps p99
	out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$2")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
	printf '  %-42s %10s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "${errs:-no errors}"
}
wrk_run "straight to the task ($addr)" "http://$addr/"
wrk_run "through the listener (127.0.0.1:$PORT)" "http://127.0.0.1:$PORT/"
wrk_run "straight to the task again" "http://$addr/"

# ---- a rollout of R tasks under load -----------------------------------------
service "$R"
wait_until 300 all_v 1 "$R" || die "the service did not reach $R healthy tasks"
python3 - "http://127.0.0.1:$PORT/" "$CLIENTS" "$TMP/client" <<'PY' &
import http.client, os, sys, threading, time, urllib.parse
url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlparse(url)
stop = out + ".stop"
ok = [0] * n
bad = [0] * n
seen = [set() for _ in range(n)]
def client(i):
    conn = None
    end = time.time() + 900
    while not os.path.exists(stop) and time.time() < end:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
            conn.request("GET", u.path)
            r = conn.getresponse()
            body = r.read()
            if r.status == 200:
                ok[i] += 1
                seen[i].add(body.strip().decode())
            else:
                bad[i] += 1
            if r.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception:
            bad[i] += 1
            if conn is not None:
                conn.close()
            conn = None
threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out, "w") as f:
    f.write("%d %d %s\n" % (sum(ok), sum(bad), ",".join(sorted(set().union(*seen)))))
PY
CLIENT=$!
sleep_until_load() { [[ -e $MNT/targetgroups/web/stats ]] && awk '{s += $3} END {exit s < 100}' "$MNT/targetgroups/web/stats"; }
wait_until 30 sleep_until_load || true
t0=$(date +%s.%N)
web_app v2
wait_until 600 all_v 2 "$R" || { touch "$TMP/client.stop"; wait "$CLIENT"; die "the rollout did not complete"; }
t1=$(date +%s.%N)
touch "$TMP/client.stop"
wait "$CLIENT"
read -r good failed answers <"$TMP/client"
printf '  %-42s %10.1f s    (%s requests answered 200, answers seen: %s)\n' \
	"rollout of $R tasks v1 -> v2" "$(echo "$t1 - $t0" | bc)" "$good" "$answers"
printf '  %-42s %10d\n' "failed requests during the rollout" "$failed"
[[ $failed == 0 ]]
