#!/usr/bin/env bash
# Task definitions through spec/taskdefs/ and taskdefs/: register, revise,
# re-apply as a no-op, deregister; every way of writing a file.
. "$(dirname "$0")/lib.sh"

start_daemon --docker unix://$T/no-docker.sock
S=$MNT/spec/taskdefs
D=$MNT/taskdefs
field() { # field FILE EXPR
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
revs() { ls -v "$D/$1" 2>/dev/null | tr '\n' ' '; }

cat > "$T/web.json" <<'JSON'
{
  "family": "web",
  "taskRoleArn": "arn:aws:iam::123456789012:role/web",
  "containerDefinitions": [
    {"name": "app", "image": "busybox", "memory": 64, "essential": true,
     "portMappings": [{"containerPort": 8080}]}
  ],
  "tags": [{"key": "team", "value": "core"}]
}
JSON
cp "$T/web.json" "$S/web.json"
ok $? "cp a task definition into spec/taskdefs/"
is "$(revs web)" "1.json latest " "revision 1 is registered, with latest"
is "$(readlink "$D/web/latest")" "1.json" "latest points at it"
is "$(field "$D/web/1.json" 'd["taskDefinitionArn"], d["revision"], d["status"]')" \
	"('arn:aws:ecs:local:000000000000:task-definition/web:1', 1, 'ACTIVE')" "describe shape: ARN, revision, status"
is "$(field "$D/web/1.json" 'd["taskRoleArn"], d["tags"][0]["key"], d["containerDefinitions"][0]["portMappings"][0]["protocol"]')" \
	"('arn:aws:iam::123456789012:role/web', 'team', 'tcp')" "kept-only fields shown, defaults filled"
like "$(field "$D/web/1.json" 'd["registeredAt"]')" "^20[0-9]{2}-" "registeredAt is set"
cmp -s "$T/web.json" "$S/web.json"
ok $? "the spec file reads back the exact bytes"
is "$(ls "$D")" "web" "taskdefs/ lists the family"

# idempotent re-apply: reformatted, keys reordered
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(dict(reversed(list(d.items())))))' "$T/web.json" > "$S/web.json"
is "$(revs web)" "1.json latest " "the same document reformatted makes no new revision"
sed 's/"memory": 64/"memory": 128/' "$T/web.json" > "$S/web.json"
is "$(revs web)" "1.json 2.json latest " "a change makes revision 2"
is "$(readlink "$D/web/latest")" "2.json" "latest follows"

# editors
sed -i 's/"memory": 128/"memory": 256/' "$S/web.json"
is "$(revs web)" "1.json 2.json 3.json latest " "sed -i registers revision 3"
vim -u NONE -N -es -c 'set backup' -c 'set backupcopy=no' -c '%s/"memory": 256/"memory": 200/' -c 'wq' "$S/web.json" </dev/null
is "$(revs web)" "1.json 2.json 3.json 4.json latest " "vim (rename-away backup) registers revision 4"
rm -f "$S/web.json~"
became_inactive() { grep -q INACTIVE "$D/web/3.json"; }
wait_for 5 became_inactive
ok $(( $? == 0 )) "the rename-away was an update: revision 3 stays ACTIVE after the grace period"
python3 - "$S/web.json" <<'PY'
import sys
src = open(sys.argv[1]).read().replace('"memory": 200', '"memory": 300')
with open(sys.argv[1], "w") as f:
    f.write(src)
PY
is "$(revs web)" "1.json 2.json 3.json 4.json 5.json latest " "python open().write() registers revision 5"
sed 's/"memory": 64/"memory": 310/' "$T/web.json" | tee "$S/web.json" >/dev/null
sed 's/"memory": 64/"memory": 320/' "$T/web.json" | cat > "$S/web.json"
echo "$(sed 's/"memory": 64/"memory": 330/' "$T/web.json")" > "$S/web.json"
vim -u NONE -N -es -c '%s/"memory": 330/"memory": 340/' -c 'wq' "$S/web.json" </dev/null
is "$(revs web)" "1.json 2.json 3.json 4.json 5.json 6.json 7.json 8.json 9.json latest " "tee, cat >, echo > and plain vim each register a revision"
mkdir -p "$T/inplace"
sed 's/"memory": 64/"memory": 350/' "$T/web.json" > "$T/inplace/web.json"
rsync -t -I --inplace "$T/inplace/web.json" "$S/web.json"
is "$(readlink "$D/web/latest")" "10.json" "rsync --inplace registers a revision"
is "$(ls -A "$S" | tr '\n' ' ')" "web.json " "no scratch files left behind"

# bad input: errno seen by the writer, one errors line, nothing changed
before=$(cat "$S/web.json")
n0=$(errors_count)
out=$( (echo '{"containerDefinitions": [' > "$S/web.json") 2>&1)
is "$(cat "$S/web.json")" "$before" "a truncated document changes nothing"
is "$(errors_count)" "$((n0 + 1))" "one errors line"
out=$( (echo '{"containerDefinitions": "app"}' > "$S/web.json") 2>&1)
like "$out" "write error: Invalid argument" "wrong types: the shell's own echo sees EINVAL"
like "$(tail -n 1 "$MNT/errors")" "containerDefinitions" "naming the field"
out=$( (echo '{"containerDefinitions": [{"name": "a", "image": "x", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "READY"}]}, {"name": "b", "image": "x", "memory": 64}]}' > "$S/web.json") 2>&1)
like "$out" "Invalid argument" "an unknown condition name is EINVAL"
like "$(tail -n 1 "$MNT/errors")" "dependsOn" "naming dependsOn"
out=$( (printf '\x00\x01junk' > "$S/web.json") 2>&1)
like "$out" "Invalid argument" "binary junk: echo sees EINVAL"
out=$(python3 - "$S/web.json" <<'PY'
import errno, sys
f = open(sys.argv[1], "w")
f.write('{"family": "api", "containerDefinitions": [{"name": "a", "image": "x", "memory": 64}]}')
try:
    f.close(); print("closed")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
is "$out" "EINVAL" "python's close() sees EINVAL for a wrong family"
like "$(tail -n 1 "$MNT/errors")" "family" "a family that does not match the file name is refused, naming the field"
out=$( (echo '{}' > "$S/bad name.json") 2>&1)
like "$out" "Invalid argument" "a family with spaces is EINVAL at once"
test ! -e "$S/bad name.json"
ok $? "and leaves no file"
python3 -c 'import sys; sys.stdout.write("{\"containerDefinitions\": [" + " " * (10 << 20) + "]}")' > "$T/big.json"
out=$( (cat "$T/big.json" > "$S/web.json") 2>&1)
like "$out" "Invalid argument" "a 10 MB document is refused while it is written"
like "$(tail -n 1 "$MNT/errors")" "65536" "naming ECS's 64 KiB limit"
is "$(cat "$S/web.json")" "$before" "and the spec bytes are untouched"
is "$(revs web)" "1.json 2.json 3.json 4.json 5.json 6.json 7.json 8.json 9.json 10.json latest " "no revision was made by bad input"
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"

# deregistration
rm "$D/web/10.json"
ok $? "rm taskdefs/web/10.json deregisters it"
is "$(revs web)" "1.json 2.json 3.json 4.json 5.json 6.json 7.json 8.json 9.json latest " "it leaves the listing"
is "$(field "$D/web/10.json" 'd["status"]')" "INACTIVE" "but stays readable, INACTIVE"
like "$(field "$D/web/10.json" 'd["deregisteredAt"]')" "^20" "with deregisteredAt"
is "$(readlink "$D/web/latest")" "9.json" "latest falls back to the newest ACTIVE"
like "$(cat "$S/web.json")" '"memory": 340' "the spec file shows the newest ACTIVE revision's bytes"
out=$(rm "$D/web/10.json" 2>&1)
ok $(( $? == 0 )) "deregistering it twice is refused"
rm "$S/web.json"
ok $? "rm spec/taskdefs/web.json deregisters the family"
family_gone() { [ -z "$(ls "$D")" ]; }
wait_for 15 family_gone
ok $? "after its grace period the family leaves taskdefs/"
is "$(field "$D/web/1.json" 'd["status"]')" "INACTIVE" "its revisions stay readable, INACTIVE"
cp "$T/web.json" "$S/web.json"
is "$(revs web)" "11.json latest " "registering again continues the numbering (revision 11)"

# rsync: apply, no-op re-apply, checksum mode
mkdir -p "$T/infra/taskdefs"
for f in api worker; do
	sed "s/\"web\"/\"$f\"/" "$T/web.json" > "$T/infra/taskdefs/$f.json"
done
cp "$T/web.json" "$T/infra/taskdefs/web.json"
rsync -rt --delete "$T/infra/" "$MNT/spec/"
ok $? "rsync -rt applies a directory of task definitions"
is "$(ls "$D" | tr '\n' ' ')" "api web worker " "all families registered"
is "$(rsync -rt --delete --itemize-changes "$T/infra/" "$MNT/spec/")" "" "a second rsync -rt transfers nothing"
is "$(rsync -rc --delete --itemize-changes "$T/infra/" "$MNT/spec/")" "" "rsync -rc finds nothing to change"
is "$(revs api)" "1.json latest " "and no revision was added"
diff -r "$T/infra" "$MNT/spec" >/dev/null
ok $? "diff -r shows no drift"

done_testing
