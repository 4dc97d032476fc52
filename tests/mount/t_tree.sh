#!/usr/bin/env bash
# The tree skeleton and clusters, through a real mount with ls, cat, mkdir,
# rmdir, echo, stat and python's open().
. "$(dirname "$0")/lib.sh"

start_daemon --docker unix://$T/no-docker.sock
ok $? "the daemon mounts"

is "$(ls "$MNT" | tr '\n' ' ')" "README clusters errors secrets spec taskdefs " "ls / shows the tree"
is "$(ls -A "$MNT/spec" | wc -l)" "0" "an empty spec/ lists nothing, like an empty repository"
test -d "$MNT/spec/taskdefs" && test -d "$MNT/spec/clusters"
ok $? "yet its fixed directories answer lookups"
like "$(cat "$MNT/README")" "clusters/<cluster>/ +mkdir: create the cluster" "README shows the layout"
like "$(cat "$MNT/README")" "mkdir $MNT/clusters/prod" "README has examples with the mount point"
is "$(stat -c %s "$MNT/README")" "$(cat "$MNT/README" | wc -c)" "README reports its exact size"
is "$(stat -c %s "$MNT/errors")" "0" "errors starts empty"

# clusters: mkdir in the live tree shows in the spec tree and back
mkdir "$MNT/clusters/prod"
ok $? "mkdir clusters/prod"
test -d "$MNT/spec/clusters/prod"
ok $? "spec/clusters/prod appears at once"
mkdir "$MNT/spec/clusters/staging"
ok $? "mkdir spec/clusters/staging"
is "$(ls "$MNT/clusters" | tr '\n' ' ')" "prod staging " "both clusters listed in the live tree"
is "$(ls "$MNT/spec/clusters" | tr '\n' ' ')" "prod staging " "and in the spec tree"
is "$(ls "$MNT/spec" | tr '\n' ' ')" "clusters " "spec/ lists clusters/ once it holds one"
is "$(ls "$MNT/clusters/prod" | tr '\n' ' ')" "cluster.json events instances metrics metrics.csv run services status tasks " "a cluster's live files"
is "$(ls -A "$MNT/spec/clusters/prod" | wc -l)" "0" "its spec directory mirrors an empty repo directory"
test -d "$MNT/spec/clusters/prod/services"
ok $? "spec services/ always answers a lookup (mkdir -p, rsync)"
mkdir -p "$MNT/spec/clusters/prod/services"
ok $? "mkdir -p of spec services/ succeeds"

json=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(d["clusterName"], d["clusterArn"], d["status"], d["settings"][0]["name"])' "$MNT/clusters/prod/cluster.json")
is "$json" "prod arn:aws:ecs:local:000000000000:cluster/prod ACTIVE containerInsights" "cluster.json has describe-clusters shape"
like "$(cat "$MNT/clusters/prod/status")" "^name: prod" "status is key: value lines"
like "$(cat "$MNT/clusters/prod/status")" "runtime: docker unreachable" "status says the engine is unreachable"
like "$(cat "$MNT/clusters/prod/events")" "\(cluster prod\) was created\." "events has the creation"

for f in clusters/prod/cluster.json clusters/prod/status clusters/prod/events README errors; do
	is "$(stat -c %s "$MNT/$f")" "$(cat "$MNT/$f" | wc -c)" "stat size of $f equals its bytes"
done

# reads at any offset agree with the snapshot
full=$(cat "$MNT/clusters/prod/cluster.json" | md5sum)
pieces=$(python3 -c '
import sys,os
fd=os.open(sys.argv[1],os.O_RDONLY); out=b""
while True:
    b=os.read(fd,7)
    if not b: break
    out+=b
os.close(fd); sys.stdout.buffer.write(out)' "$MNT/clusters/prod/cluster.json" | md5sum)
is "$pieces" "$full" "small reads at successive offsets agree with a whole read"

# bad input: each gets its errno, an errors line, and state is unchanged
n0=$(errors_count)
out=$(mkdir "$MNT/clusters/bad name!" 2>&1)
ok $(( $? == 0 )) "mkdir of a bad name fails"
like "$out" "Invalid argument" "with EINVAL"
is "$(errors_count)" "$((n0 + 1))" "and one line in errors"
like "$(tail -n 1 "$MNT/errors")" '"errno":"EINVAL".*only letters, digits' "the line says why"
python3 -c '
import json,sys
l=open(sys.argv[1]).read().splitlines()[-1]; d=json.loads(l)
assert set(d)=={"time","path","errno","message"}, d
assert d["path"].endswith("/clusters/bad name!"), d' "$MNT/errors"
ok $? "errors lines are JSON with time, path, errno, message"
test ! -e "$MNT/clusters/bad name!"
ok $? "nothing was created"

mkdir "$MNT/spec/"$'bad\xff' 2>/dev/null
like "$(tail -n 1 "$MNT/errors")" 'bad\\\\xff' "a name that is not UTF-8 still gets its errors line, escaped"
out=$(mkdir "$MNT/clusters/prod" 2>&1)
like "$out" "File exists" "mkdir of a taken name is EEXIST"

n0=$(errors_count)
out=$( (echo hi > "$MNT/clusters/prod/status") 2>&1)
ok $(( $? == 0 )) "a write to a read-only file fails"
like "$out" "Permission denied" "with EACCES, even for root"
is "$(errors_count)" "$((n0 + 1))" "and one errors line"
like "$(cat "$MNT/clusters/prod/status")" "^name: prod" "status unchanged"

out=$(touch "$MNT/clusters/prod/newfile" 2>&1)
like "$out" "Permission denied" "live directories accept no new files (EACCES)"
out=$(cat "$MNT/clusters/prod/nosuch" 2>&1)
like "$out" "No such file" "unknown paths are ENOENT"
out=$(cat "$MNT/clusters/nosuch/status" 2>&1)
like "$out" "No such file" "files of unknown clusters are ENOENT"
out=$(ls "$MNT/nosuch" 2>&1)
like "$out" "No such file" "unknown top-level names are ENOENT"
out=$(rm "$MNT/README" 2>&1)
like "$out" "Permission denied" "rm of a generated file is EACCES"
out=$(chmod 600 "$MNT/clusters/prod/status" 2>&1)
ok $(( $? == 0 )) "chmod of a live file is refused"

# rmdir of a cluster that is not empty
echo '{"tags":[{"key":"team","value":"core"}]}' > "$MNT/spec/clusters/prod/cluster.json"
ok $? "write a cluster.json"
n0=$(errors_count)
out=$(rmdir "$MNT/spec/clusters/prod" 2>&1)
like "$out" "Directory not empty" "rmdir of a spec directory that holds files is ENOTEMPTY"
is "$(errors_count)" "$((n0 + 1))" "with an errors line"
test -d "$MNT/clusters/prod"
ok $? "the cluster is still there"
rm "$MNT/spec/clusters/prod/cluster.json"
echo notes > "$MNT/spec/clusters/prod/services/.notes.txt"
out=$(rmdir "$MNT/spec/clusters/prod" 2>&1)
like "$out" "Directory not empty" "a file deeper down (services/) also makes it ENOTEMPTY"
rm "$MNT/spec/clusters/prod/services/.notes.txt" && rmdir "$MNT/spec/clusters/prod"
ok $? "rm its files, then rmdir works (rsync --delete's order)"
test ! -e "$MNT/clusters/prod"
ok $? "gone from the live tree too"
rmdir "$MNT/clusters/staging"
ok $? "rmdir of a live cluster directory deletes it"
is "$(ls "$MNT/clusters" | wc -l)" "0" "no clusters left"
rmdir "$MNT/spec/taskdefs"
ok $? "rmdir of an empty fixed directory succeeds"
test -d "$MNT/spec/taskdefs"
ok $? "and has no effect"

# persistence: a restart keeps everything
mkdir "$MNT/clusters/keep"
echo '{"settings":[{"name":"containerInsights","value":"enabled"}]}' > "$MNT/spec/clusters/keep/cluster.json"
touch -d '2020-01-02 03:04:05.123456789' "$MNT/spec/clusters/keep/cluster.json"
stop_daemon
ok $? "SIGTERM: the daemon exits 0"
is_mounted "$MNT"
ok $(( $? == 0 )) "and unmounts"
start_daemon --docker unix://$T/no-docker.sock
ok $? "restart on the same state"
like "$(cat "$MNT/clusters/keep/cluster.json")" '"value": "enabled"' "settings survived the restart"
is "$(stat -c %y "$MNT/spec/clusters/keep/cluster.json")" "2020-01-02 03:04:05.123456789 +0000" "the spec file's mtime survived to the nanosecond"
like "$(cat "$MNT/clusters/keep/events")" "settings were applied" "events survived"

done_testing
