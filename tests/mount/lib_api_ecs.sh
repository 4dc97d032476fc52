# What the mount tests of the ECS operations share (t_api_task.sh,
# t_api_service.sh, t_api_views.sh): a daemon with the API on a port of
# ecs2's range (4621-4629), and the AWS CLI v2 and boto3 from Debian,
# signed with the daemon's own credentials (profile ecsfs).
. "$(dirname "$0")/lib.sh"

AWS=/usr/bin/aws
PY3=/usr/bin/python3

# api_suite PORT: docker_suite with the API listening on 127.0.0.1:PORT
api_suite() {
	API_PORT=$1
	API_URL=http://127.0.0.1:$API_PORT
	trap 'task_cleanup; cleanup' EXIT
	need_docker
	ensure_busybox_image || {
		echo "Bail out! cannot make $BUSYBOX_IMAGE"
		exit 1
	}
	start_daemon --api "127.0.0.1:$API_PORT" || exit 1
	wait_for 10 test -s "$STATE/credentials" || {
		echo "Bail out! no STATE/credentials"
		exit 1
	}
	mkdir "$MNT/clusters/prod"
}

# ecs ARGS...: `aws ecs` against the daemon, signed with profile ecsfs
ecs() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
		AWS_PAGER= "$AWS" --profile ecsfs --region us-east-1 --endpoint-url "$API_URL" \
		--output json ecs "$@"
}

# jq_py EXPR: a python expression over the JSON document d read from stdin
# (a tuple prints as its items joined by spaces)
jq_py() {
	"$PY3" -c 'import json,sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$1"
}
