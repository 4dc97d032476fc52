#!/usr/bin/env bash
# Container Insights metrics of real containers, sampled every second: a
# CPU burner reads what the engine's own counter says over the same seconds, a task that
# fills 64 MiB of tmpfs shows it in MemoryUtilized, a download of 8 MiB
# over the cluster network adds up in NetworkRxBytes; the files of tasks,
# services and the cluster, metrics.csv, Prometheus text on GET /metrics,
# and a cluster without Container Insights showing the basic figures only.
. "$(dirname "$0")/lib.sh"
PORT=4651
trap 'task_cleanup; cleanup' EXIT
need_docker
ensure_busybox_image || {
	echo "Bail out! cannot make $BUSYBOX_IMAGE"
	exit 1
}
start_daemon --metrics-interval 1 --api 127.0.0.1:$PORT --api-auth none || exit 1
mkdir "$MNT/clusters/prod"
C=$MNT/clusters/prod
echo '{"settings": [{"name": "containerInsights", "value": "enabled"}]}' >"$MNT/spec/clusters/prod/cluster.json"

# mkey FILE KEY: a figure of a metrics file
mkey() { skey "$1" "$2"; }
has_key() { [ -n "$(mkey "$1" "$2")" ]; }

register burn "{\"cpu\": \"256\", \"memory\": \"256\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\",
   \"command\": [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do :; done\"]}]}"
register mem "{\"memory\": \"512\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\",
   \"linuxParameters\": {\"tmpfs\": [{\"containerPath\": \"/data\", \"size\": 128}]},
   \"command\": [\"sh\", \"-c\", \"dd if=/dev/zero of=/data/f bs=1048576 count=64 2>/dev/null; $FOREVER\"]}]}"
register www "{\"memory\": \"128\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\",
   \"command\": [\"sh\", \"-c\", \"mkdir /www; dd if=/dev/zero of=/www/f bs=1048576 count=8 2>/dev/null; httpd -p 8080 -h /www; $FOREVER\"]}]}"

# ---- a CPU burner: CpuUtilized near the engine's own figure ----
echo '{"taskDefinition": "burn", "desiredCount": 1}' >"$MNT/spec/clusters/prod/services/burn.json"
wait_for 60 svc_steady prod burn 1
ok $? "service burn runs 1 task"
B=$(svc_ids prod burn)
wait_for 30 has_key "$C/tasks/$B/metrics" CpuUtilized.1m
ok $? "the burner's metrics file has a CPU figure"
ls "$C/tasks/$B" | grep -qx metrics.csv
ok $? "tasks/<id>/ lists metrics and metrics.csv"
# the engine's own counter over a window of our samples: both measure it
engine_cpu() {
	curl -s --unix-socket "$DOCKER_SOCK" \
		"http://d/containers/$(runtime_id prod "$B" app)/stats?stream=false&one-shot=true" |
		python3 -c 'import json,sys,time; print(time.time(), json.load(sys.stdin)["cpu_stats"]["cpu_usage"]["total_usage"])'
}
rows() { wc -l <"$C/tasks/$B/metrics.csv"; }
e0=$(engine_cpu)
n0=$(rows)
more_rows() { [ "$(rows)" -ge $((n0 + 5)) ]; }
wait_for 30 more_rows
e1=$(engine_cpu)
verdict=$(python3 - "$C/tasks/$B/metrics.csv" "$e0" "$e1" <<'PY'
import csv, sys, datetime
(t0, u0), (t1, u1) = [map(float, a.split()) for a in sys.argv[2:4]]
engine = (u1 - u0) / (t1 - t0) / 1e9 * 1024
t = lambda r: datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
ours = [float(r["CpuUtilized"]) for r in csv.DictReader(open(sys.argv[1]))
        if r["CpuUtilized"] and t0 + 0.5 < t(r) <= t1 + 0.5]
mean = sum(ours) / len(ours) if ours else -1
print("%s %.0f %.0f" % (abs(mean - engine) <= max(150, 0.35 * engine), mean, engine))
PY
)
is "${verdict%% *}" "True" "CpuUtilized over 5 samples (${verdict#* } units: ours, the engine's) agrees with the engine's counter"
is "$(mkey "$C/tasks/$B/metrics" CpuReserved)" "256" "CpuReserved: the task's cpu"
util=$(mkey "$C/tasks/$B/metrics" CPUUtilization)
is "$(python3 -c "print(float('$util') > 50)")" "True" "CPUUtilization $util % of 256 units"
is "$(mkey "$C/services/burn/metrics" RunningTaskCount)" "1" "service: RunningTaskCount 1"
is "$(mkey "$C/services/burn/metrics" DesiredTaskCount)" "1" "service: DesiredTaskCount 1"
is "$(mkey "$C/metrics" ServiceCount)" "1" "cluster: ServiceCount 1"

# ---- memory: 64 MiB in tmpfs ----
M=$(run_task prod mem)
wait_task 60 prod "$M" RUNNING
has_mem() { [ "$(python3 -c "print(float('$(mkey "$C/tasks/$M/metrics" MemoryUtilized)' or 0) >= 60)")" = True ]; }
wait_for 30 has_mem
ok $? "MemoryUtilized reaches 64 MiB"
mu=$(mkey "$C/tasks/$M/metrics" MemoryUtilized)
is "$(python3 -c "print(60 <= float('$mu') <= 90)")" "True" "MemoryUtilized $mu MiB is 64 MiB and a little"
is "$(mkey "$C/tasks/$M/metrics" MemoryReserved)" "512" "MemoryReserved: the task's memory"

# ---- network: a download of 8 MiB from another task ----
S=$(run_task prod www)
wait_task 60 prod "$S" RUNNING
addr=$(skey "$C/tasks/$S/status" address)
served() { [ -n "$addr" ]; }
ok $? "the server has its own address ($addr)"
G=$(run_task prod "{\"taskDefinition\": \"mem\", \"overrides\": {\"containerOverrides\": [{\"name\": \"app\",
  \"command\": [\"sh\", \"-c\", \"sleep 2; wget -q -O /dev/null http://$addr:8080/f; $FOREVER\"]}]}}")
wait_task 60 prod "$G" RUNNING
rx_total() {
	python3 - "$C/tasks/$G/metrics.csv" <<'PY'
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
t = lambda r: datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
total = sum(float(b["NetworkRxBytes"] or 0) * (t(b) - t(a)) for a, b in zip(rows, rows[1:]))
print(int(total))
PY
}
got_8m() { [ "$(rx_total)" -gt 7000000 ]; }
wait_for 40 got_8m
ok $? "NetworkRxBytes add up to the 8 MiB downloaded"
is "$(python3 -c "print($(rx_total) < 12000000)")" "True" "and not much more ($(rx_total) bytes)"
head -n 1 "$C/tasks/$G/metrics.csv" | grep -q '^time,CpuUtilized,CpuReserved,MemoryUtilized'
ok $? "metrics.csv starts with its header"

# ---- Prometheus ----
prom=$(curl -s "http://127.0.0.1:$PORT/metrics")
like "$prom" "ecs_cpu_utilized_units\{cluster=\"prod\",service=\"burn\",task=\"$B\",family=\"burn\"\} [0-9]" \
	"GET /metrics: the burner's series with its labels"
like "$prom" "container=\"app\",family=\"mem\"\} " "a container's series"
like "$prom" "# TYPE ecs_running_tasks gauge" "TYPE lines"
is "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$PORT/metrics")" \
	"text/plain; version=0.0.4; charset=utf-8" "Prometheus's content type"

# ---- without Container Insights: the basic figures ----
echo '{"settings": [{"name": "containerInsights", "value": "disabled"}]}' >"$MNT/spec/clusters/prod/cluster.json"
out=$(cat "$C/services/burn/metrics")
like "$out" "CPUUtilization: " "insights disabled: CPUUtilization is still there"
ok "$(printf '%s' "$out" | grep -c -e CpuUtilized -e RunningTaskCount)" "and CpuUtilized, RunningTaskCount are not"
out=$(cat "$C/metrics" 2>&1)
like "$out" "container_insights: disabled" "the cluster's file says so"

# ---- nothing is left ----
rm "$MNT/spec/clusters/prod/services/burn.json"
remember_tasks prod
stop_all_tasks prod
ok $? "every task of the cluster is STOPPED"
[ "$tap_failed" -eq 0 ] || dump_tasks prod
stop_daemon
no_task_containers_left
no_containers_left
done_testing
