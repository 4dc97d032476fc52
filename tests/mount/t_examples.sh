#!/usr/bin/env bash
# The examples stay true: examples/gitops applies to a fresh mount, and its
# script runs the whole loop.
. "$(dirname "$0")/lib.sh"
EX=$(cd "$(dirname "$0")/../../examples" && pwd)

start_daemon --docker unix://$T/no-docker.sock
out=$("$EX/gitops/apply.sh" "$MNT" 2>&1)
ok $? "examples/gitops/apply.sh runs against a mount"
like "$out" "no drift" "it reports no drift after the apply"
is "$(readlink "$MNT/taskdefs/web/latest")" "2.json" "its change made revision 2 of web"
is "$(ls "$MNT/clusters")" "prod" "its prune removed the staging cluster"
worker_gone() { ! ls "$MNT/taskdefs" | grep -q worker; }
wait_for 15 worker_gone
ok $? "and deregistered worker after the grace period"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$MNT/taskdefs/worker/1.json")" "INACTIVE" "worker:1 is INACTIVE"
is "$(wc -l < "$MNT/errors")" "0" "nothing was refused"
done_testing
