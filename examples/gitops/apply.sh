#!/usr/bin/env bash
# The GitOps loop against a running mount, step by step (README.md says
# what each step shows):
#   1 apply this repository with rsync -rt --delete, wait until the services run
#   2 re-apply: nothing to do
#   3 drift: a live change, seen by diff -r
#   4 restore: the next apply puts git's value back
#   5 a change in git: a new revision, a rolling deployment
#   6 prune: the worker family and the staging cluster removed from git
#   7 clean up: an empty repository removes everything this script made
#
#   examples/gitops/apply.sh [/ecs]
#
# rsync --delete makes spec/ exactly this repository, so the script refuses a
# tree whose spec/ holds anything else. It needs a Docker engine and the image
# ecsfs-busybox:latest, which it imports from /bin/busybox when it is missing.
set -euo pipefail
ECS=${1:-/ecs}
IMAGE=ecsfs-busybox:latest
repo=$(cd "$(dirname "$0")" && pwd)
base=$(mktemp -d)
work=$base/infra # the checkout: a copy we can change as a commit would
empty=$base/empty
step=setup
made_secret=0

say() { printf '\n== %s\n' "$*"; }
run() { # run CMD...: show a command (quoted as you would type it), then run it
	local a line='$'
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./:=-]*) line="$line '${a//\'/\'\\\'\'}'" ;;
		*) line="$line $a" ;;
		esac
	done
	printf '%s\n' "$line"
	"$@"
}
die() {
	echo "apply.sh: $*" >&2
	exit 1
}

# until_ok SECONDS WHAT CMD...: wait for CMD to succeed, at most SECONDS
until_ok() {
	local limit=$(($1 * 10)) what=$2 i=0
	shift 2
	printf '   waiting until %s ...' "$what"
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if ((i >= limit)); then
			echo " gave up after $((limit / 10)) s"
			return 1
		fi
		sleep 0.1
	done
	echo " yes ($((i / 10)) s)"
}

svc() { echo "$ECS/clusters/$1/services/$2"; }
# running_tasks CLUSTER SERVICE: the service's tasks that are RUNNING
running_tasks() {
	local id
	for id in $(ls "$(svc "$1" "$2")/tasks"); do
		grep -qx 'last_status: RUNNING' "$ECS/clusters/$1/tasks/$id/status" && echo "$id"
	done
}
# steady CLUSTER SERVICE N: N tasks run and no other is listed, one
# deployment, "state: steady"
steady() {
	local st
	st=$(cat "$(svc "$1" "$2")/status") || return 1
	grep -qx "running_count: $3" <<<"$st" && grep -qx 'pending_count: 0' <<<"$st" &&
		grep -qx 'state: steady' <<<"$st" && [ "$(grep -c '^deployment' <<<"$st")" = 1 ] &&
		[ "$(ls "$(svc "$1" "$2")/tasks" | wc -l)" = "$3" ] &&
		[ "$(running_tasks "$1" "$2" | wc -l)" = "$3" ]
}
deployments() { grep '^deployment' "$(svc "$1" "$2")/status"; }
rolling() { [ "$(deployments "$1" "$2" | wc -l)" -ge 2 ]; }
on_rev() { deployments prod web | grep -q "PRIMARY web:$1 COMPLETED"; }
gone() { ! ls "$ECS/$1" | grep -qx "$2"; }
empty_dir() { [ -z "$(ls "$ECS/$1")" ]; }

# page: what web serves, through the host port of one of its tasks
page() {
	local id port
	id=$(running_tasks prod web | sed -n 1p)
	port=$(grep -o '"hostPort": [0-9]*' "$ECS/clusters/prod/tasks/$id/task.json" | sed -n 1p | grep -o '[0-9]*$') || true
	printf '$ curl http://127.0.0.1:%s/   (task %s)\n' "${port:-?}" "$id"
	curl -s --max-time 3 "http://127.0.0.1:$port/" || echo "(not reachable from here)"
}

# ensure_image: the engine cannot reach a registry; import Debian's static
# busybox (package busybox-static) as $IMAGE when it is missing
ensure_image() {
	command -v docker >/dev/null || return 0 # trust the engine has it
	docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
	[ -x /bin/busybox ] || die "$IMAGE is missing and /bin/busybox too (apt-get install busybox-static)"
	local root=$base/rootfs a
	mkdir -p "$root/bin" "$root/tmp" "$root/www"
	cp /bin/busybox "$root/bin/busybox"
	for a in sh echo sleep cat wget httpd mkdir ls; do ln -s busybox "$root/bin/$a"; done
	echo "importing $IMAGE from /bin/busybox"
	tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
	rm -rf "$root"
}

# clean_up: an empty repository applied with --delete removes everything
# this repository made; wait until it is gone, so the script runs again
clean_up() {
	mkdir -p "$empty"
	run rsync -rt --delete empty/ "$ECS/spec/"
	until_ok 60 "no cluster is left" empty_dir clusters
	until_ok 15 "the families are deregistered" empty_dir taskdefs
	if ((made_secret)); then
		rm -f "$ECS/secrets/db-password"
		made_secret=0
	fi
}

finish() {
	local rc=$?
	if ((rc != 0)) && [ "$step" != setup ]; then
		echo "apply.sh: failed in step '$step'; removing what it made" >&2
		clean_up >&2 || true
	fi
	cd /
	rm -rf "$base"
	exit $rc
}
trap finish EXIT

test -e "$ECS/README" || die "$ECS is not an ecsfs mount"
extra=$(cd "$ECS/spec" && find . -mindepth 1 | grep -Ev '^\./(README\.md|taskdefs|taskdefs/(web|worker)\.json|clusters|clusters/(prod|staging)|clusters/(prod|staging)/(cluster\.json|services|services/(web|worker)\.json))$') || true
[ -z "$extra" ] || die "$ECS/spec holds definitions this example does not own (rsync --delete would remove them):
$extra"
ensure_image
if ! ls "$ECS/secrets" | grep -qx db-password; then
	printf %s 'example-only' >"$ECS/secrets/db-password" # web's "secrets" names it
	made_secret=1
fi
mkdir "$work"
cp -r "$repo/README.md" "$repo/taskdefs" "$repo/clusters" "$work/"
cd "$base"
step=apply

say "1. apply: clusters are created, families registered, services started"
run rsync -rt --delete --itemize-changes infra/ "$ECS/spec/"
run ls "$ECS/clusters" "$ECS/taskdefs"
until_ok 90 "prod/web runs 2 healthy tasks" steady prod web 2
until_ok 60 "staging/worker runs 1 task" steady staging worker 1
run cat "$(svc prod web)/status"
page

step=re-apply
say "2. re-apply: rsync finds nothing to send (no output), nothing changes"
before=$(deployments prod web)
run rsync -rt --delete --itemize-changes infra/ "$ECS/spec/"
run ls "$ECS/taskdefs/web"
[ "$(deployments prod web)" = "$before" ] && echo "(same deployment: $before)"

step=drift
say "3. drift: someone scales web by hand; diff -r shows it"
echo "\$ echo 5 > $(svc prod web)/desired_count"
echo 5 >"$(svc prod web)/desired_count"
run diff -r infra "$ECS/spec" || true

step=restore
say "4. restore: the next apply sends web.json back, with git's desiredCount"
run rsync -rt --delete --itemize-changes infra/ "$ECS/spec/"
run cat "$(svc prod web)/desired_count"
run diff -r infra "$ECS/spec" && echo "no drift"
until_ok 60 "prod/web is back at 2 tasks" steady prod web 2

step=change
say "5. a change in git: a new greeting is a new revision; web rolls to it"
run sed -i 's/"value": "hello"/"value": "hello again"/' infra/taskdefs/web.json
run rsync -rt --delete --itemize-changes infra/ "$ECS/spec/"
rev=$(readlink "$ECS/taskdefs/web/latest")
rev=${rev%.json}
run readlink "$ECS/taskdefs/web/latest"
until_ok 20 "a second deployment appears" rolling prod web
run deployments prod web
until_ok 120 "every task runs web:$rev" on_rev "$rev"
until_ok 60 "the old deployment is gone" steady prod web 2
run deployments prod web
run tail -n 4 "$(svc prod web)/events"
page

step=prune
say "6. prune: worker and staging removed from git"
run rm -r infra/taskdefs/worker.json infra/clusters/staging
run rsync -rt --delete --itemize-changes infra/ "$ECS/spec/"
run ls "$ECS/spec/clusters"
echo "(the spec tree forgets staging at once; its service drains, then the cluster goes)"
until_ok 60 "cluster staging is deleted" gone clusters staging
until_ok 15 "family worker is deregistered (after its 3 s grace)" gone taskdefs worker
run diff -r infra "$ECS/spec" && echo "no drift"

step=clean-up
say "7. clean up: an empty repository removes the rest"
clean_up
step=finished
echo "done"
