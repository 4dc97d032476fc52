#!/usr/bin/env bash
# The AWS API listener (issue 12): AWS JSON 1.1 over HTTP on the daemon's
# loop, SigV4 against STATE/credentials, and bad clients — unsigned, wrongly
# signed, replayed, not JSON, 11 MB, slow-loris, 1,000 at once — after each
# of which the daemon and the file tree keep answering. Ports 4601-4609.
. "$(dirname "$0")/lib.sh"

PORT=4601
URL=http://127.0.0.1:$PORT
ECS=AmazonEC2ContainerServiceV20141113
CLIENT=$(dirname "$0")/api_client.py
CREDS=$STATE/credentials
# Debian's AWS CLI v2 and Python (python3-boto3), not another one first on PATH
AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=aws
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# ecs ARGS...: the AWS CLI with the daemon's own credentials
ecs() {
	AWS_SHARED_CREDENTIALS_FILE=$CREDS AWS_CONFIG_FILE=/dev/null \
		"$AWS" --profile ecsfs --region us-east-1 --endpoint-url "$URL" ecs "$@"
}

# post TARGET BODY [curl options...]: the status code of an unsigned POST;
# the answer's body in $T/body, its headers in $T/headers
post() {
	local target=$1 body=$2
	shift 2
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST "$URL/" \
		-H "X-Amz-Target: $target" -H 'Content-Type: application/x-amz-json-1.1' \
		--data-binary "$body" "$@"
}

# signed TARGET BODY [MINUTES]: "STATUS BODY" of a request botocore signed
# with the daemon's key, as of MINUTES from now
signed() {
	printf '%s' "$2" >"$T/req"
	"$PY" "$CLIENT" post "$URL" "$CREDS" "$1" "$T/req" "${3:-0}"
}

# tree_serves: the file tree answers
tree_serves() { cat "$MNT/README" >/dev/null && ls "$MNT/clusters" >/dev/null; }

# api_serves: a signed request gets an answer past SigV4 (200, or 400 of the dispatcher)
api_serves() { signed "$ECS.ListClusters" '{}' | grep -Eq '^(200|400) '; }

# both_serve WHAT: the file tree and the API answer after WHAT
both_serve() {
	tree_serves
	ok $? "the file tree answers after $1"
	api_serves
	ok $? "the API answers after $1"
}

skip() { # skip DESCRIPTION REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

start_daemon --api "127.0.0.1:$PORT" || exit 1

# ---- the credentials file ----
test -s "$CREDS"
ok $? "the daemon made STATE/credentials on its first start"
is "$(stat -c %a "$CREDS")" 600 "the credentials file is mode 0600"
like "$(cat "$CREDS")" '^(#[^\n]*\n)*\[ecsfs\]' "it holds profile [ecsfs]"
KEY=$(sed -n 's/^aws_access_key_id = //p' "$CREDS")
like "$KEY" '^AKIA[A-Z0-9]{16}$' "the access key id is AKIA and 16 upper-case letters and digits"
like "$(sed -n 's/^aws_secret_access_key = //p' "$CREDS")" '^.{40}$' "the secret is 40 characters"

# ---- signed requests ----
out=$(ecs list-clusters 2>&1)
rc=$?
if printf '%s' "$out" | grep -q UnknownOperationException; then
	HAVE_LIST=
	ok 0 "aws --profile ecsfs ecs list-clusters passes SigV4 (ListClusters is not served yet)"
else
	HAVE_LIST=1
	is "$rc" 0 "aws --profile ecsfs ecs list-clusters works"
	like "$out" '"clusterArns"' "... and answers clusterArns"
fi
out=$(AWS_SHARED_CREDENTIALS_FILE=$CREDS AWS_CONFIG_FILE=/dev/null \
	"$AWS" --profile ecsfs --region eu-west-3 --endpoint-url "$URL" logs describe-log-groups 2>&1)
like "$out" '"logGroups"|UnknownOperationException' \
	"a request signed for service logs in region eu-west-3 passes SigV4 too"
read -r code rest < <(signed "$ECS.NoSuchOperation" '{}')
is "$code" 400 "a signed unknown operation is a 400"
like "$rest" '"__type":"UnknownOperationException"' "... UnknownOperationException"
read -r code rest < <(signed "$ECS.ListClusters" 'this is not JSON')
if [ -n "$HAVE_LIST" ]; then
	is "$code" 400 "a signed body that is not JSON is a 400"
	like "$rest" '"__type":"SerializationException"' "... SerializationException"
else
	skip "a signed body that is not JSON is SerializationException" "no operation is served yet"
fi
curl -s -D "$T/headers" -o /dev/null -X POST "$URL/" >/dev/null
like "$(cat "$T/headers")" 'x-amzn-RequestId: [0-9a-f-]{36}' "answers carry x-amzn-RequestId"
like "$(cat "$T/headers")" 'Content-Type: application/x-amz-json-1.1' \
	"... and Content-Type application/x-amz-json-1.1"

# ---- refused requests ----
code=$(post "$ECS.ListClusters" '{}')
is "$code" 403 "an unsigned request is refused with 403"
like "$(cat "$T/body")" '"__type":"MissingAuthenticationTokenException"' \
	"... as MissingAuthenticationTokenException"
out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret-wrong-secret-00 \
	AWS_CONFIG_FILE=/dev/null "$AWS" --region us-east-1 --endpoint-url "$URL" ecs list-clusters 2>&1)
like "$out" 'InvalidSignatureException' "a request signed with a wrong secret: InvalidSignatureException"
out=$(AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA AWS_SECRET_ACCESS_KEY=x AWS_CONFIG_FILE=/dev/null \
	"$AWS" --region us-east-1 --endpoint-url "$URL" ecs list-clusters 2>&1)
like "$out" 'UnrecognizedClientException' "an unknown access key id: UnrecognizedClientException"
code=$(post "$ECS.ListClusters" '{}' -H 'Authorization: AWS4-HMAC-SHA256 Credential=nonsense')
is "$code" 403 "a malformed Authorization header is a 403"
like "$(cat "$T/body")" 'IncompleteSignatureException' "... IncompleteSignatureException"
read -r code rest < <(signed "$ECS.ListClusters" '{}' -20)
is "$code" 403 "a request signed 20 minutes ago (a replay) is refused with 403"
like "$rest" '"__type":"InvalidSignatureException","message":"Signature expired' \
	"... InvalidSignatureException, Signature expired"
read -r code rest < <(signed "$ECS.ListClusters" '{}' 20)
is "$code" 403 "a request signed 20 minutes ahead is refused with 403"
read -r code rest < <(signed "$ECS.ListClusters" '{}' -10)
like "$code" '^(200|400)$' "a request signed 10 minutes ago is inside the window"
both_serve "refused signatures"

# ---- other methods, paths, sizes ----
code=$(curl -s -o "$T/body" -w '%{http_code}' "$URL/")
is "$code" 405 "GET / is a 405"
like "$(cat "$T/body")" '"__type":"UnknownOperationException"' "... with an AWS error body"
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$URL/other/path" --data-binary '{}')
is "$code" 404 "POST to another path is a 404"
head -c 11000000 /dev/zero | tr '\0' 'a' >"$T/big"
code=$(post "$ECS.ListClusters" "@$T/big")
is "$code" 413 "an 11 MB body is a 413"
like "$(cat "$T/body")" '"__type":"SerializationException".*10 MiB' "... with a JSON error naming the limit"
code=$(post "$ECS.ListClusters" "@$T/big" -H 'Transfer-Encoding: chunked')
is "$code" 413 "an 11 MB chunked body (no Content-Length) is a 413 too"
both_serve "11 MB bodies"

# ---- a slow-loris client ----
"$PY" "$CLIENT" loris "$URL" 50 60 >"$T/loris" &
LORIS=$!
wait_for 10 grep -q '^holding 50' "$T/loris"
ok $? "50 connections each send half a request header and hold it"
for i in 1 2 3; do
	api_serves || break
done
ok $? "other requests are served while they hold"
tree_serves
ok $? "the file tree answers while they hold"
wait "$LORIS"
like "$(tail -n 1 "$T/loris")" '^closed 50 of 50 after' \
	"the daemon drops every half-sent request after its idle timeout ($(tail -n 1 "$T/loris"))"
both_serve "the slow-loris clients"

# ---- 1,000 connections at once ----
out=$("$PY" "$CLIENT" flood "$URL" "$CREDS" "$ECS.ListClusters" 1000 "$MNT/README")
like "$out" '^connected 1000 answered 1000 ' "1,000 concurrent connections are all answered ($out)"
like "$out" 'file read 2 times$' "... and the file tree answers while all 1,000 are open"
if [ -n "$HAVE_LIST" ]; then
	like "$out" 'statuses \{"200": 1000\}' "... all 200"
else
	like "$out" 'statuses \{"400": 1000\}' "... all past SigV4 (400 UnknownOperation)"
fi
both_serve "1,000 connections"
stop_daemon
ok $? "the daemon stops with 0"
like "$(cat "$LOG")" 'api: the AWS API listens on http://127.0.0.1:4601 \(SigV4' \
	"the log says where the API listens and that it checks SigV4"

# ---- the next start reads the same key; --api-auth none ----
start_daemon --api "127.0.0.1:$PORT" --api-auth none || exit 1
is "$(sed -n 's/^aws_access_key_id = //p' "$CREDS")" "$KEY" "the next start keeps the same key"
like "$(cat "$LOG")" 'WITHOUT authentication \(--api-auth none\)' "--api-auth none says so in the log"
code=$(post "$ECS.NoSuchOperation" '{}')
is "$code" 400 "an unsigned request passes with --api-auth none (400 of the dispatcher)"
like "$(cat "$T/body")" 'UnknownOperationException' "... UnknownOperationException"
out=$(AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_CONFIG_FILE=/dev/null \
	"$AWS" --region local --endpoint-url "$URL" ecs list-clusters 2>&1)
like "$out" 'clusterArns|UnknownOperationException' "any key works with --api-auth none"
stop_daemon
ok $? "the daemon stops with 0"

# ---- a port another program holds ----
"$PY" -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4602)); s.listen(); print("held", flush=True); time.sleep(120)' >"$T/holder" &
HOLDER=$!
wait_for 10 grep -q held "$T/holder"
start_daemon --api 127.0.0.1:4602 || exit 1
like "$(cat "$LOG")" 'AWS API is not available on 127.0.0.1:4602: 127.0.0.1:4602 is in use by another program' \
	"a port in use is a clear line in the log"
tree_serves
ok $? "... and the file tree serves without the API"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
stop_daemon
ok $? "the daemon stops with 0"
start_daemon --api nonsense || exit 1
like "$(cat "$LOG")" '--api takes ADDR:PORT' "a bad --api is a clear line in the log"
stop_daemon
ok $? "the daemon stops with 0"
done_testing
