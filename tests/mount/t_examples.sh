#!/usr/bin/env bash
# The examples stay true: examples/gitops/apply.sh runs its whole loop
# (apply, no-op, drift, restore, rolling change, prune, clean up) against a
# fresh mount with a real engine, twice in a row, and refuses a tree it does
# not own.
. "$(dirname "$0")/lib.sh"
trap 'task_cleanup; cleanup' EXIT
EX=$(cd "$(dirname "$0")/../../examples" && pwd)

need_docker
ensure_busybox_image || { echo "Bail out! cannot make $BUSYBOX_IMAGE"; exit 1; }
start_daemon || exit 1

# section OUT N: the output of step N of apply.sh, up to the next step
section() { printf '%s\n' "$1" | sed -n "/^== $2\\./,/^== /p" | sed '1d;$d'; }

for run in 1 2; do
	out=$("$EX/gitops/apply.sh" "$MNT" 2>&1)
	rc=$?
	ok $rc "run $run: examples/gitops/apply.sh runs the whole loop against a mount"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -n 40 | sed 's/^/#   /'
	s1=$(section "$out" 1)
	like "$s1" 'waiting until prod/web runs 2 healthy tasks \.\.\. yes' "run $run: step 1 applies and web runs 2 healthy tasks"
	like "$s1" 'waiting until staging/worker runs 1 task \.\.\. yes' "run $run: and staging/worker runs"
	like "$s1" 'hello from [0-9a-f]{12}' "run $run: web serves its page through the published port"
	s2=$(section "$out" 2)
	like "$s2" '^\$ rsync -rt --delete --itemize-changes infra/ ' "run $run: step 2 re-applies"
	is "$(printf '%s\n' "$s2" | grep -Ec '^([<>.ch][fdLDS]|\*deleting)')" "0" "run $run: and rsync itemizes nothing"
	like "$(section "$out" 2)" '\(same deployment: ' "run $run: and keeps the deployment"
	s3=$(section "$out" 3)
	like "$s3" '> +"desiredCount": 5,' "run $run: step 3's diff -r shows the drift"
	is "$(printf '%s\n' "$s3" | grep -c '^[<>]')" "2" "run $run: and only that line (the repository is written as ecsfs prints)"
	s4=$(section "$out" 4)
	like "$s4" '^>f[^ ]* clusters/prod/services/web\.json' "run $run: step 4 sends web.json back"
	like "$s4" 'no drift' "run $run: and no drift is left"
	s5=$(section "$out" 5)
	like "$s5" 'PRIMARY web:[0-9]+ IN_PROGRESS' "run $run: step 5 shows the rolling deployment"
	like "$s5" 'has reached a steady state' "run $run: which reaches a steady state"
	like "$s5" 'hello again from' "run $run: serving the new greeting"
	s6=$(section "$out" 6)
	like "$s6" 'cluster staging is deleted \.\.\. yes' "run $run: step 6 prunes the staging cluster"
	like "$s6" 'family worker is deregistered .* yes' "run $run: and the worker family"
	like "$out" 'no cluster is left \.\.\. yes' "run $run: step 7 removes the rest"
	is "$(ls -A "$MNT/spec")|$(ls "$MNT/clusters")|$(ls "$MNT/taskdefs")|$(ls "$MNT/secrets")" "|||" \
		"run $run: spec/, clusters/, taskdefs/ and secrets/ are empty after it"
	like "$out" 'done$' "run $run: ends with done"
done
is "$(jget "$MNT/taskdefs/web/4.json" 'd["status"], d["containerDefinitions"][1]["environment"]')" \
	"('INACTIVE', [{'name': 'GREETING', 'value': 'hello again'}])" \
	"the second run made web:3 and web:4 (revisions are never reused), deregistered at the end"
is "$(errors_count)" "0" "nothing was refused"

# a tree it does not own is refused, untouched
mkdir "$MNT/clusters/other"
out=$("$EX/gitops/apply.sh" "$MNT" 2>&1)
rc=$?
ok $((rc == 0)) "apply.sh refuses a tree whose spec/ holds other definitions"
like "$out" 'clusters/other' "naming them"
is "$(ls "$MNT/clusters")|$(ls "$MNT/taskdefs")" "other|" "and changes nothing"
rmdir "$MNT/clusters/other"

stop_daemon
ok $? "the daemon stops cleanly (exit 0)"
no_containers_left
done_testing
