#!/usr/bin/env bash
# The GitOps loop against a running mount: apply this repository, show that
# a re-apply changes nothing and that drift is visible, then prune.
#   examples/gitops/apply.sh [/ecs]
set -euo pipefail
ECS=${1:-/ecs}
repo=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/taskdefs" "$repo/clusters" "$work/"

echo "== apply"
rsync -rt --delete --itemize-changes "$work/" "$ECS/spec/"
ls "$ECS/taskdefs" "$ECS/clusters"

echo "== re-apply (prints nothing: no change)"
rsync -rt --delete --itemize-changes "$work/" "$ECS/spec/"

echo "== drift (none right after an apply)"
diff -r "$work" "$ECS/spec" && echo "no drift"

echo "== a change in git: web gets more memory -> a new revision"
sed -i 's/"memory": 128/"memory": 256/' "$work/taskdefs/web.json"
# -c: same size, and possibly the same second as the first copy
rsync -rtc --delete "$work/" "$ECS/spec/"
readlink "$ECS/taskdefs/web/latest"

echo "== prune: worker and staging removed from git"
rm -r "$work/taskdefs/worker.json" "$work/clusters/staging"
rsync -rt --delete --itemize-changes "$work/" "$ECS/spec/"
ls "$ECS/clusters"
echo "(worker is deregistered after its 3 s grace period)"
