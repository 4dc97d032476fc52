#!/usr/bin/env bash
# The runtime boundary as users see it: clusters/<c>/status and the daemon
# log tell whether the Docker engine answers; the mount works either way.
. "$(dirname "$0")/lib.sh"

SOCK=$T/engine.sock
start_daemon --docker "unix://$SOCK"
mkdir "$MNT/clusters/prod"
ok $? "the mount works with no engine"
S=$MNT/clusters/prod/status
like "$(cat "$S")" "runtime: docker unreachable" "status says the engine is unreachable"
like "$(cat "$S")" "runtime_detail: cannot connect to $SOCK" "and why"
like "$(cat "$LOG")" "unreachable: cannot connect to $SOCK" "so does the daemon log"
like "$(cat "$MNT/clusters/prod/cluster.json")" '"registeredContainerInstancesCount": 0' "no capacity while it is away"

# an engine appears: the daemon finds it without a restart
python3 "$(dirname "$0")/fake_engine.py" "$SOCK" 1.41 &
ENGINE=$!
reachable() { grep -q "runtime: docker reachable" "$S"; }
wait_for 30 reachable
ok $? "an engine that appears is found (retry with backoff)"
like "$(cat "$S")" "runtime_api_version: 1.41" "the API version is negotiated"
like "$(cat "$S")" "runtime_version: 99.0.0-fake" "the engine's version is shown"
like "$(cat "$MNT/clusters/prod/cluster.json")" '"registeredContainerInstancesCount": 1' "the local instance counts once reachable"

# it goes away: noticed by the periodic ping
kill "$ENGINE"; wait "$ENGINE" 2>/dev/null
unreachable() { grep -q "runtime: docker unreachable" "$S"; }
wait_for 30 unreachable
ok $? "an engine that goes away is noticed"
like "$(cat "$LOG")" "is unreachable" "and logged"

# a newer engine: the client speaks its own highest version
python3 "$(dirname "$0")/fake_engine.py" "$SOCK" 1.47 &
ENGINE=$!
wait_for 30 reachable
like "$(cat "$S")" "runtime_api_version: 1.43" "a newer engine is spoken to at our highest version"
kill "$ENGINE"; wait "$ENGINE" 2>/dev/null
stop_daemon

# the real engine, when one answers (CI starts one)
if curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping | grep -q OK; then
	start_daemon
	wait_for 30 reachable
	ok $? "the real Docker engine is reachable through the default endpoint"
	want=$(curl -s --unix-socket /var/run/docker.sock http://d/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])')
	is "$(grep runtime_version: "$S")" "runtime_version: $want" "and its version is the engine's"
	stop_daemon
elif [ "${ECSFS_REQUIRE_DOCKER:-0}" = 1 ]; then
	ok 1 "a Docker engine must answer at /var/run/docker.sock (ECSFS_REQUIRE_DOCKER=1)"
else
	echo "# no Docker engine at /var/run/docker.sock: real-engine checks not run"
fi

done_testing
