#!/usr/bin/env bash
# Load balancers on HAProxy: a web-app service of 3 awsvpc tasks behind an
# internal load balancer, traffic through the listener on 127.0.0.1 with
# curl, rolling deployments, scale-in, an unhealthy task, a path rule to a
# second service, kill -9 of the daemon, deleting the service, bad input.
# One daemon and engine for the whole file; every wait is bounded.
. "$(dirname "$0")/lib.sh"

docker_suite
trap 'hap_cleanup; task_cleanup; cleanup' EXIT
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || {
	echo "Bail out! haproxy is not installed (.ci/setup installs it)"
	exit 1
}

C=$MNT/clusters/prod
SP=$MNT/spec/clusters/prod/services
# listener ports nobody else is likely to use, different per run
P1=$((21000 + $$ % 4000))
P2=$((P1 + 1))
P3=$((P1 + 2))
URL=http://127.0.0.1:$P1

# ---- helpers ----

# web_app FAMILY VERSION: the seeds' web-app shape: awsvpc, containerPort
# 8080, busybox httpd answering "VERSION ADDRESS" at / (and /api/x) and
# "ok" at /health
web_app() {
	local start="mkdir -p /www/api; ip=\$(ip -o -4 addr show | awk '\$2 != \\\"lo\\\" {split(\$4, a, \\\"/\\\"); print a[1]; exit}'); echo \\\"$2 \$ip\\\" >/www/index.html; echo \\\"$2 \$ip\\\" >/www/api/x; echo ok >/www/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
	register "$1" "{\"family\": \"$1\", \"networkMode\": \"awsvpc\", \"containerDefinitions\": [
  {\"name\": \"app\", \"image\": \"$BUSYBOX_IMAGE\", \"memory\": 64, \"essential\": true,
   \"stopTimeout\": 2,
   \"portMappings\": [{\"containerPort\": 8080, \"protocol\": \"tcp\"}],
   \"command\": [\"sh\", \"-c\", \"$start\"]}]}"
}

# service NAME FAMILY COUNT GROUP: a service behind target group GROUP
service() {
	cat >"$SP/$1.json" <<JSON
{
  "taskDefinition": "$2",
  "desiredCount": $3,
  "healthCheckGracePeriodSeconds": 0,
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
  "loadBalancers": [{"targetGroupArn": "$4", "containerName": "app", "containerPort": 8080}]
}
JSON
}

# targets GROUP: its targets file
targets() { cat "$MNT/targetgroups/$1/targets" 2>/dev/null; }
# healthy_n GROUP N: exactly N targets, every one healthy
healthy_n() {
	local t
	t=$(targets "$1")
	[ "$(printf '%s' "$t" | grep -c .)" = "$2" ] || return 1
	[ "$(printf '%s\n' "$t" | grep -c ' healthy - task ')" = "$2" ]
}
# task_addr ID: the task's own address, from task.json (ECS's ENI attachment)
task_addr() {
	jget "$C/tasks/$1/task.json" "[x['value'] for a in d.get('attachments', []) \
for x in a.get('details', []) if x['name'] == 'privateIPv4Address'][0]"
}
# answers N PATH: N requests through the listener, the distinct answers sorted
answers() {
	local i
	for i in $(seq "$2"); do curl -s --max-time 5 "$URL$1"; done | sort -u
}
# client_start FILE: a client in the background sending requests one after
# another through the listener until FILE.stop exists (at most 10 minutes);
# every request a line "ANSWER CODE" ("000" when the request failed)
client_start() {
	rm -f "$1" "$1.stop"
	(
		end=$(($(date +%s) + 600))
		while [ ! -e "$1.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
			r=$(curl -s --max-time 5 -w ' %{http_code}' "$URL/" 2>/dev/null | tr '\n' ' ')
			echo "${r:- 000}" >>"$1"
		done
	) &
	CLIENT=$!
}
client_stop() {
	touch "$1.stop"
	wait "$CLIENT"
	CLIENT=
}
# failed FILE [ALLOWED_CODE]: the requests of FILE that did not answer 200
failed() { grep -cv " 200\$" "$1"; }
sent() { grep -c . "$1"; }
lines_over() { [ "$(grep -c . "$1" 2>/dev/null)" -gt "$2" ]; }
no_targets() { [ -z "$(targets "$1")" ]; }
port_closed() { [ -z "$(ss -ltnH "sport = :$1")" ]; }
hap_restarted() { # OLD_PID: a HAProxy with another pid serves
	local p
	p=$(hap_pid)
	[ -n "$p" ] && [ "$p" != "$1" ]
}
hap_pid() { skey "$MNT/loadbalancers/front/status" haproxy | sed -n 's/.*pid \([0-9]*\).*/\1/p'; }

# ---- the target groups and the load balancer ----

tg_doc() { # PORT
	cat <<JSON
{
  "Protocol": "HTTP",
  "Port": $1,
  "TargetType": "ip",
  "HealthCheckPath": "/health",
  "HealthCheckIntervalSeconds": 5,
  "HealthCheckTimeoutSeconds": 2,
  "HealthyThresholdCount": 2,
  "UnhealthyThresholdCount": 2,
  "Matcher": {"HttpCode": "200"},
  "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]
}
JSON
}
tg_doc 8080 >"$MNT/spec/targetgroups/web.json"
ok $? "spec/targetgroups/web.json: a target group (CreateTargetGroup input)"
tg_doc 8080 >"$MNT/spec/targetgroups/api.json"
ok $? "spec/targetgroups/api.json: a second one"
WEB_ARN=$(jget "$MNT/targetgroups/web/targetgroup.json" "d['TargetGroupArn']")
like "$WEB_ARN" "^arn:aws:elasticloadbalancing:local:000000000000:targetgroup/web/[0-9a-f]{16}\$" \
	"targetgroup.json: describe-target-groups shape with the ARN"
cat >"$MNT/spec/loadbalancers/front.json" <<JSON
{
  "Type": "application",
  "Listeners": [{
    "Port": $P1,
    "Protocol": "HTTP",
    "DefaultActions": [{"Type": "forward", "TargetGroupArn": "$WEB_ARN"}],
    "Rules": [{
      "Priority": 10,
      "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
      "Actions": [{"Type": "forward", "TargetGroupArn": "api"}]
    }]
  }]
}
JSON
ok $? "spec/loadbalancers/front.json: an internal load balancer with a listener and a rule"
wait_for 30 grep -q "^listener $P1: HTTP 127.0.0.1:$P1\$" "$MNT/loadbalancers/front/status"
ok $? "status: the listener listens on 127.0.0.1:$P1"
ss -ltnH "sport = :$P1" | grep -q "127.0.0.1:$P1"
ok $? "internal: bound to 127.0.0.1 only (ss)"
! ss -ltnH "sport = :$P1" | awk '{print $4}' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):'
ok $? "... and not to every address"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/")" 503 \
	"a group without targets answers 503, like ALB"
is "$(jget "$MNT/loadbalancers/front/rules.json" "len(d['Rules'])")" 2 \
	"rules.json: the rule and the default"
like "$(jget "$MNT/loadbalancers/front/rules.json" "d['Rules'][0]['RuleArn']")" \
	":listener-rule/app/front/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}\$" "each rule has its ARN"
is "$(jget "$MNT/loadbalancers/front/loadbalancer.json" "d['Scheme'] + ' ' + d['State']['Code']")" \
	"internal active" "loadbalancer.json: internal (the default here) and active"

# ---- a web-app service of 3 behind it ----

web_app web v1
service web web 3 web
ok $? "service web: web-app (awsvpc, containerPort 8080) x 3 behind target group web"
wait_for 120 healthy_n web 3
ok $? "three healthy targets"
remember_tasks prod
ids=$(svc_ids prod web)
is "$(printf '%s\n' "$ids" | grep -c .)" 3 "three tasks"
addrs=$(for id in $ids; do task_addr "$id"; done | sort -u)
is "$(printf '%s\n' "$addrs" | grep -c .)" 3 "three distinct addresses: $(echo $addrs)"
! ss -ltnH "sport = :8080" | grep -q .
ok $? "no host port 8080 is bound"
for id in $ids; do
	targets web | grep -qx "$(task_addr "$id"):8080 healthy - task $id"
done
ok $? "targets: one line per task, ADDRESS:PORT STATE REASON task ID"
seen=$(answers / 60 | awk '{print $2}' | sort -u)
is "$seen" "$addrs" "requests through 127.0.0.1:$P1 reach all three tasks"
is "$(jget "$MNT/targetgroups/web/targets.json" \
	"sorted(set(t['TargetHealth']['State'] for t in d['TargetHealthDescriptions']))")" \
	"['healthy']" "targets.json: describe-target-health shape"
wait_for 10 awk '$3 > 0 {n++} END {exit n != 3}' "$MNT/targetgroups/web/stats"
ok $? "stats: HAProxy counted requests for each of the three"

# ---- a path rule to a second service ----

web_app api api
service api api 1 api
wait_for 120 healthy_n api 1
ok $? "service api: one healthy target in group api"
remember_tasks prod
like "$(curl -s --max-time 5 "$URL/api/x")" "^api " "/api/* goes to the api service"
like "$(curl -s --max-time 5 "$URL/")" "^v1 " "/ still goes to web"

# ---- rolling deployment v1 -> v2 under traffic ----

client_start "$T/roll"
web_app web v2
wait_for 240 svc_all_rev prod web web:2 3
ok $? "the service rolled to web:2"
wait_for 60 healthy_n web 3
ok $? "three healthy targets after the rollout (the old ones left)"
client_stop "$T/roll"
is "$(failed "$T/roll")" 0 "zero failed requests during the rollout ($(sent "$T/roll") sent)"
remember_tasks prod
is "$(answers / 30 | awk '{print $1}' | sort -u)" v2 "afterwards only v2 answers"

# ---- scale-in 3 -> 1 under traffic ----

client_start "$T/scale"
echo 1 >"$C/services/web/desired_count"
wait_for 120 svc_at prod web 1
ok $? "scaled in to 1"
wait_for 60 healthy_n web 1
ok $? "one target left"
client_stop "$T/scale"
is "$(failed "$T/scale")" 0 "zero failed requests during scale-in ($(sent "$T/scale") sent)"

# ---- a task whose /health starts failing ----

sick=$(svc_ids prod web)
ctr=$(engine_ids "ecsfs.task=$sick" | head -n1)
for c in $(engine_ids "ecsfs.task=$sick"); do
	docker exec "$c" rm -f /www/health >/dev/null 2>&1 && ctr=$c
done
# (the service deregisters an unhealthy target at once, so its `unhealthy`
# line may live for less than a read; test_lb_haproxy shows it and its reason)
wait_for 60 grep -q "(task $sick) failed ELB health checks in (target-group $WEB_ARN)" \
	"$C/services/web/events"
ok $? "its target turns unhealthy, and the service says so in ECS's words"
replaced() { ! svc_ids prod web | grep -qx "$sick" && healthy_n web 1; }
wait_for 120 replaced
ok $? "and replaces it with a healthy task"
remember_tasks prod

# ---- kill -9 of the daemon while traffic flows ----

before=$(targets web)
pid_before=$(hap_pid)
client_start "$T/kill"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -uz "$MNT" 2>/dev/null
n_kill=$(grep -c . "$T/kill" 2>/dev/null)
wait_for 10 lines_over "$T/kill" $((${n_kill:-0} + 20))
ok $? "requests are answered while the daemon is gone"
start_daemon || exit 1
wait_for 30 test -e "$MNT/targetgroups/web/targets"
wait_for 30 healthy_n web 1
ok $? "after the restart the target is healthy"
client_stop "$T/kill"
is "$(failed "$T/kill")" 0 "zero failed requests across kill -9 and restart ($(sent "$T/kill") sent)"
is "$(targets web)" "$before" "the same targets after the restart"
is "$(hap_pid)" "$pid_before" "the same HAProxy, re-adopted"
like "$(skey "$MNT/loadbalancers/front/status" haproxy)" "adopted" "status says it was adopted"

# ---- services find each other by name ----

web_task=$(svc_ids prod web | head -n1)
web_ctr=$(docker ps -q --no-trunc --filter "label=ecsfs.task=$web_task" --filter "label=ecsfs.container=app")
# (busybox nslookup has its own resolver; the static libc one cannot load NSS)
api_addr=$(docker exec "$web_ctr" busybox nslookup api 2>/dev/null | awk '/^Address: / {print $2}' | tail -n1)
is "$api_addr" "$(task_addr "$(svc_ids prod api)")" "a task of web finds the api service by its name"
# (and its wget crashes in the same way: a request by hand through nc)
like "$(docker exec "$web_ctr" sh -c "printf 'GET /api/x HTTP/1.0\r\n\r\n' | nc -w 5 $api_addr 8080" | tail -n1)" \
	"^api " "... and reaches it there"

# ---- more rules, applied by a hitless reload under traffic ----

client_start "$T/reload"
cat >"$MNT/spec/loadbalancers/front.json" <<JSON
{
  "Listeners": [{
    "Port": $P1,
    "DefaultActions": [{"Type": "forward", "TargetGroupArn": "$WEB_ARN"}],
    "Rules": [
      {"Priority": 10, "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
       "Actions": [{"Type": "forward", "TargetGroupArn": "api"}]},
      {"Priority": 20, "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}],
       "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}]},
      {"Priority": 30, "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["yes"]}}],
       "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
         {"TargetGroupArn": "api", "Weight": 1}, {"TargetGroupArn": "web", "Weight": 0}]}}]},
      {"Priority": 40, "Conditions": [{"Field": "path-pattern", "Values": ["/old"]}],
       "Actions": [{"Type": "redirect", "RedirectConfig": {"Path": "/new", "StatusCode": "HTTP_301"}}]}
    ]
  }]
}
JSON
ok $? "front.json rewritten with host-header, http-header and redirect rules"
wait_for 30 grep -q '^state: active$' "$MNT/loadbalancers/front/status"
is "$(curl -s --max-time 5 -H 'Host: shop.example.com' "$URL/")" teapot "host-header rule: a fixed response"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: shop.example.com' "$URL/")" 418 \
	"... with its status"
like "$(curl -s --max-time 5 -H 'X-Canary: yes' "$URL/")" "^api " "http-header rule: weight 1 to api, 0 to web"
like "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 "$URL/old")" "^301 http://[^ ]*/new\$" \
	"redirect rule: 301 to /new"
like "$(curl -s --max-time 5 "$URL/")" "^v2 " "everything else: the default action"
client_stop "$T/reload"
is "$(failed "$T/reload")" 0 "zero failed requests across the reload ($(sent "$T/reload") sent)"
is "$(jget "$MNT/loadbalancers/front/rules.json" "len(d['Rules'])")" 5 "rules.json: four rules and the default"

# ---- GitOps: a repository with target groups and load balancers ----

mkdir -p "$T/infra/targetgroups" "$T/infra/loadbalancers"
tg_doc 8080 >"$T/infra/targetgroups/repo-tg.json"
echo "{\"Listeners\": [{\"Port\": $P3, \"DefaultActions\": [{\"Type\": \"forward\", \"TargetGroupArn\": \"repo-tg\"}]}]}" \
	>"$T/infra/loadbalancers/repo-lb.json"
rsync -rt "$T/infra/" "$MNT/spec/"
ok $? "rsync -rt of a repository with targetgroups/ and loadbalancers/ (l before t)"
wait_for 30 grep -q "^listener $P3: HTTP 127.0.0.1:$P3\$" "$MNT/loadbalancers/repo-lb/status"
ok $? "its load balancer listens, its forward found its group"
! grep -q '^waiting:' "$MNT/loadbalancers/repo-lb/status"
ok $? "... and nothing waits"
is "$(rsync -rti "$T/infra/" "$MNT/spec/")" "" "re-applying sends nothing"
is "$(diff -r "$T/infra/loadbalancers" "$MNT/spec/loadbalancers" | grep -v '^Only in /' )" "" \
	"diff -r: the files are the bytes written"
rm "$MNT/spec/loadbalancers/repo-lb.json" "$MNT/spec/targetgroups/repo-tg.json"

# ---- editors: sed -i, and a rename away and back (vim) is an update ----

before=$(targets web)
sed -i 's/"HealthyThresholdCount": 2/"HealthyThresholdCount": 3/' "$MNT/spec/targetgroups/web.json"
ok $? "sed -i on a target group"
is "$(jget "$MNT/targetgroups/web/targetgroup.json" "d['HealthyThresholdCount']")" 3 \
	"... applies (targetgroup.json)"
mv "$MNT/spec/targetgroups/web.json" "$MNT/spec/targetgroups/web.json~" &&
	cp "$MNT/spec/targetgroups/web.json~" "$MNT/spec/targetgroups/web.json" &&
	rm "$MNT/spec/targetgroups/web.json~"
ok $? "renamed away, written again, the backup removed (as vim saves)"
never_within 5 no_targets web
ok $? "the group never went away: its targets stayed through the grace period"
is "$(targets web)" "$before" "the same targets, still healthy"

# ---- bad input ----

n0=$(errors_count)
echo '{"Protocol": "HTTP", "Port": 80, "HealthCheckPth": "/"}' >"$MNT/spec/targetgroups/bad.json" 2>/dev/null
ok $((!$?)) "a target group with an unknown field is refused"
like "$(tail -n1 "$MNT/errors")" '"errno":"EINVAL".*HealthCheckPth: unknown field .*HealthCheckPath' \
	"... EINVAL, with a did-you-mean in /ecs/errors"
echo '{"Protocol": "HTTP", "Port": 70000}' >"$MNT/spec/targetgroups/bad.json" 2>/dev/null
ok $((!$?)) "a port out of range is refused"
like "$(tail -n1 "$MNT/errors")" '"errno":"EINVAL".*Port: 70000' "... naming the field"
lb_doc() { # PORT RULES
	printf '{"Listeners": [{"Port": %s, "DefaultActions": [{"Type": "forward", "TargetGroupArn": "web"}], "Rules": [%s]}]}\n' "$1" "$2"
}
rule() { printf '{"Priority": %s, "Conditions": [{"Field": "path-pattern", "Values": ["%s"]}], "Actions": [{"Type": "forward", "TargetGroupArn": "web"}]}' "$1" "$2"; }
lb_doc "$P3" "$(rule 5 /a), $(rule 5 /b)" >"$MNT/spec/loadbalancers/bad.json" 2>/dev/null
ok $((!$?)) "a rule priority used twice is refused"
like "$(tail -n1 "$MNT/errors")" 'Rules\[1\]\.Priority: 5 is also the priority of Rules\[0\]' "... naming both"
echo "{\"Listeners\": [{\"Port\": $P3, \"DefaultActions\": [{\"Type\": \"forward\"}]}]}" \
	>"$MNT/spec/loadbalancers/bad.json" 2>/dev/null
ok $((!$?)) "an action naming no target group is refused"
like "$(tail -n1 "$MNT/errors")" '"errno":"EINVAL".*names no target group' "... EINVAL"
lb_doc "$P1" "" >"$MNT/spec/loadbalancers/bad.json" 2>/dev/null
ok $((!$?)) "a listener port another load balancer has is refused"
like "$(tail -n1 "$MNT/errors")" '"errno":"EADDRINUSE".*already a listener of load balancer front' "... EADDRINUSE"
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("up", flush=True); time.sleep(600)' "$P2" >"$T/holder" &
HOLDER=$!
wait_for 10 grep -q up "$T/holder"
lb_doc "$P2" "" >"$MNT/spec/loadbalancers/other.json" 2>/dev/null
ok $((!$?)) "a listener port another program holds is refused"
like "$(tail -n1 "$MNT/errors")" "\"errno\":\"EADDRINUSE\".*127.0.0.1:$P2 is already in use" \
	"... EADDRINUSE naming the address"
test ! -e "$MNT/spec/loadbalancers/other.json" && test ! -e "$MNT/loadbalancers/other"
ok $? "nothing of it was applied"
like "$(curl -s --max-time 5 "$URL/")" "^v2 " "the other listeners keep serving"
is "$(errors_count)" "$((n0 + 6))" "one line in /ecs/errors per refused file"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
service lost web 1 nosuchgroup 2>/dev/null
wait_for 20 grep -qi "target group.*nosuchgroup" "$C/services/lost/status"
ok $? "a service naming a target group that does not exist waits and says so"
rm -f "$SP/lost.json"

# ---- HAProxy dying ----

pid=$(hap_pid)
kill -KILL "$pid" 2>/dev/null
wait_for 60 hap_restarted "$pid"
ok $? "a killed HAProxy is started again"
wait_for 60 healthy_n web 1
like "$(curl -s --max-time 5 "$URL/")" "^v2 " "and serves again"
like "$(skey "$MNT/loadbalancers/front/status" haproxy)" "[1-9][0-9]* restarts" "status counts the restart"

# ---- deleting the service: drained first ----

client_start "$T/del"
rm "$SP/web.json"
wait_for 120 svc_gone prod web
ok $? "the service is deleted"
wait_for 30 no_targets web
ok $? "its targets left"
client_stop "$T/del"
# after the last target left, ALB answers 503; nothing before that may fail
is "$(grep -v ' 200$' "$T/del" | grep -v '^.* 503$' | grep -c .)" 0 \
	"no request failed while the service drained ($(sent "$T/del") sent)"
is "$(awk '$NF == 503 {s = 1} s && $NF == 200 {n++} END {print n + 0}' "$T/del")" 0 \
	"the targets drained before the tasks stopped (no 200 after the first 503)"

# ---- clean-up ----
rm -f "$SP/api.json"
wait_for 120 svc_gone prod api
rm -f "$MNT/spec/loadbalancers/front.json"
wait_for 30 test ! -e "$MNT/loadbalancers/front"
ok $? "the load balancer is deleted (after the grace period)"
wait_for 30 port_closed "$P1"
ok $? "... and its port is closed"
remember_tasks prod
stop_all_tasks prod 60
no_task_containers_left
stop_daemon
ok $? "the daemon stops cleanly"
no_containers_left
done_testing
