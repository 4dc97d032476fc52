#!/usr/bin/env bash
# The AWS API listener (issue 12): AWS JSON 1.1 over HTTP on the daemon's
# loop, SigV4 against STATE/credentials, and bad clients that must not stop
# the daemon or the file tree. Ports 4601-4609.
. "$(dirname "$0")/lib.sh"

PORT=4601
URL=http://127.0.0.1:$PORT
ECS=AmazonEC2ContainerServiceV20141113

# ecs ARGS...: the AWS CLI with the daemon's own credentials
ecs() {
	AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials AWS_CONFIG_FILE=/dev/null \
		aws --profile ecsfs --region us-east-1 --endpoint-url "$URL" ecs "$@"
}

# post TARGET BODY [curl options...]: status code and body of an unsigned POST
post() {
	local target=$1 body=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X POST "$URL/" \
		-H "X-Amz-Target: $target" -H 'Content-Type: application/x-amz-json-1.1' \
		--data-binary "$body" "$@"
}

# tree_serves: the file tree answers
tree_serves() { cat "$MNT/README" >/dev/null && ls "$MNT/clusters" >/dev/null; }

start_daemon --api "127.0.0.1:$PORT" || exit 1
wait_for 10 test -s "$STATE/credentials"
ok $? "the daemon made STATE/credentials on its first start"
is "$(stat -c %a "$STATE/credentials")" 600 "the credentials file is mode 0600"
like "$(cat "$STATE/credentials")" '^\[ecsfs\]' "it holds profile [ecsfs]"
like "$(sed -n 's/^aws_access_key_id = //p' "$STATE/credentials")" '^AKIA[A-Z0-9]{16}$' \
	"the access key id is AKIA and 16 upper-case letters and digits"
like "$(sed -n 's/^aws_secret_access_key = //p' "$STATE/credentials")" '^.{40}$' \
	"the secret is 40 characters"

out=$(ecs list-clusters 2>&1)
like "$out" 'clusterArns|UnknownOperationException' \
	"aws --profile ecsfs ecs list-clusters is signed and accepted (an answer past SigV4)"

code=$(post "$ECS.ListClusters" '{}')
is "$code" 403 "an unsigned request is refused with 403"
like "$(cat "$T/body")" '"__type":"MissingAuthenticationTokenException"' \
	"... as MissingAuthenticationTokenException"

out=$(AWS_ACCESS_KEY_ID=$(sed -n 's/^aws_access_key_id = //p' "$STATE/credentials") \
	AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret-wrong-secret-00 AWS_CONFIG_FILE=/dev/null \
	aws --region us-east-1 --endpoint-url "$URL" ecs list-clusters 2>&1)
like "$out" 'InvalidSignatureException' "a request signed with a wrong secret is InvalidSignatureException"

tree_serves
ok $? "the file tree serves while the API answers"
stop_daemon
ok $? "the daemon stops with 0"
like "$(cat "$LOG")" 'api: the AWS API listens on http://127.0.0.1:4601 \(SigV4' \
	"the log says where the API listens and that it checks SigV4"

# --api-auth none: said in the log, requests need no signature
start_daemon --api "127.0.0.1:$PORT" --api-auth none || exit 1
like "$(cat "$LOG")" 'WITHOUT authentication \(--api-auth none\)' "--api-auth none says so in the log"
code=$(post "$ECS.NoSuchOperation" '{}')
is "$code" 400 "an unsigned request passes SigV4 with --api-auth none (400 of the dispatcher)"
like "$(cat "$T/body")" 'UnknownOperationException' "... UnknownOperationException"
stop_daemon
ok $? "the daemon stops with 0"
done_testing
