#!/usr/bin/env bash
# The spec tree's file behaviour (DESIGN §3) with every way people write
# files: echo, cat, cp, python, sed -i, vim, rsync; scratch files and
# rename-to-apply; validation early at write() and late at close().
. "$(dirname "$0")/lib.sh"

start_daemon --docker unix://$T/no-docker.sock
mkdir "$MNT/clusters/prod"
C=$MNT/spec/clusters/prod/cluster.json
live() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d.get("tags")))' "$MNT/clusters/prod/cluster.json"; }

echo '{"tags": [{"key": "team", "value": "core"}]}' > "$C"
ok $? "echo a cluster.json"
is "$(cat "$C")" '{"tags": [{"key": "team", "value": "core"}]}' "it reads back the bytes written"
is "$(live)" '[{"key": "team", "value": "core"}]' "and the live cluster.json shows it"
like "$(tail -n 1 "$MNT/clusters/prod/events")" "settings were applied" "an event says so"
good=$(cat "$C")

# early rejection: the shell's own echo sees the error
n0=$(errors_count)
out=$( (echo '{"tags" [oops' > "$C") 2>&1)
rc=$?
ok $(( rc == 0 )) "echo of broken JSON fails"
like "$out" "write error: Invalid argument" "bash's echo reports EINVAL from write()"
is "$(cat "$C")" "$good" "the previous bytes are untouched"
is "$(errors_count)" "$((n0 + 1))" "exactly one errors line"
like "$(tail -n 1 "$MNT/errors")" 'invalid JSON at line 1, column' "naming jansson's line and column"

# late rejection: valid JSON, bad document -> close() fails
n0=$(errors_count)
out=$(python3 - "$C" 2>&1 <<'PY'
import sys, errno
f = open(sys.argv[1], "w")
f.write('{"colour": "blue"}\n')
try:
    f.close()
    print("closed fine")
except OSError as e:
    print("close failed", errno.errorcode[e.errno])
PY
)
is "$out" "close failed EINVAL" "python's close() gets EINVAL for an invalid document"
is "$(cat "$C")" "$good" "the previous bytes are untouched"
is "$(errors_count)" "$((n0 + 1))" "one errors line"
like "$(tail -n 1 "$MNT/errors")" 'colour: unknown field' "naming the field"

printf '{"tags": [' > "$C" 2>/dev/null
is "$(cat "$C")" "$good" "a truncated document changes nothing"
like "$(tail -n 1 "$MNT/errors")" 'line 1, column 10' "and says where it ends"
printf '\001\002\003binary' > "$C" 2>/dev/null
ok $(( $? == 0 )) "binary junk fails at write()"
is "$(cat "$C")" "$good" "and changes nothing"
python3 -c 'import sys; sys.stdout.write("{\"tags\": [" + " " * (10 << 20) + "]}")' > "$T/big.json"
out=$( (cat "$T/big.json" > "$C") 2>&1)
ok $(( $? == 0 )) "a 10 MB document fails"
like "$(tail -n 1 "$MNT/errors")" 'the limit is 65536' "because of the size limit"
is "$(cat "$C")" "$good" "and changes nothing"
kill -0 "$DAEMON_PID"
ok $? "the daemon is alive"

# python writes in pieces, at offsets, with truncate
python3 - "$C" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for part in ['{"tags": ', '[{"key": "a", ', '"value": "1"}]}', '\n']:
        f.write(part); f.flush()
PY
ok $? "python open().write() in several pieces"
is "$(live)" '[{"key": "a", "value": "1"}]' "applied once whole"
python3 - "$C" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
data = os.pread(fd, 4096, 0)
new = data.replace(b'"1"', b'"22"')
os.pwrite(fd, new, 0)
os.ftruncate(fd, len(new))
os.close(fd)
PY
is "$(live)" '[{"key": "a", "value": "22"}]' "pwrite at an offset plus ftruncate (rsync --inplace's way)"

# deep nesting is refused (and frees what it parsed)
python3 -c 'import sys; sys.stdout.write("{\"configuration\": " + "[" * 700 + "]" * 700 + "}")' > "$T/deep.json"
out=$( (cat "$T/deep.json" > "$C") 2>&1)
like "$(tail -n 1 "$MNT/errors")" "configuration" "a deeply nested document is refused, naming the field"

# O_APPEND writers see their own size through stat
out=$(python3 - "$MNT/spec/append.txt" <<'PY'
import os, sys
p = sys.argv[1]
open(p, "w").write("0123456789")
fd = os.open(p, os.O_WRONLY | os.O_APPEND)
os.write(fd, b"AAAA")
os.stat(p)
os.write(fd, b"BBBB")
os.close(fd)
print(open(p).read())
PY
)
is "$out" "0123456789AAAABBBB" "O_APPEND writes with a stat between them keep every byte"
rm -f "$MNT/spec/append.txt"

# cp, cat >, tee
printf '{"tags": [{"key": "via", "value": "cp"}]}\n' > "$T/c.json"
cp "$T/c.json" "$C"
is "$(live)" '[{"key": "via", "value": "cp"}]' "cp"
cat "$T/c.json" | sed 's/cp/cat/' > "$C"
is "$(live)" '[{"key": "via", "value": "cat"}]' "cat >"
sed 's/cp/tee/' "$T/c.json" | tee "$C" >/dev/null
is "$(live)" '[{"key": "via", "value": "tee"}]' "tee"

# editors: sed -i and vim leave no scratch files behind
sed -i 's/tee/sed/' "$C"
ok $? "sed -i"
is "$(live)" '[{"key": "via", "value": "sed"}]' "sed -i applies through rename-to-apply"
vim -u NONE -N -es -c '%s/sed/vim/' -c 'wq' "$C" </dev/null
ok $? "vim -es writes"
is "$(live)" '[{"key": "via", "value": "vim"}]' "vim's write applies"
is "$(ls -A "$MNT/spec/clusters/prod" | tr '\n' ' ')" "cluster.json " "no scratch files left behind"
vim -u NONE -N -es -c 'set backup' -c 'set backupcopy=no' -c '%s/vim/vimbak/' -c 'wq' "$C" </dev/null
is "$(live)" '[{"key": "via", "value": "vimbak"}]' "vim with a rename-away backup applies too"
rm -f "$MNT/spec/clusters/prod/cluster.json~"

# scratch files
echo hello > "$MNT/spec/notes.txt"
is "$(cat "$MNT/spec/notes.txt")" "hello" "scratch files keep what is written"
like "$(ls "$MNT/spec")" "notes.txt" "and are listed"
printf '{"tags": []}' > "$MNT/spec/clusters/prod/.cluster.json.XyZ123"
mv "$MNT/spec/clusters/prod/.cluster.json.XyZ123" "$C"
ok $? "renaming a scratch file onto cluster.json applies it"
is "$(live)" '[]' "with its content"
printf '{"nope": 1}' > "$MNT/spec/clusters/prod/.tmp.json"
n0=$(errors_count)
out=$(python3 -c '
import os, sys, errno
try:
    os.rename(sys.argv[1], sys.argv[2]); print("renamed")
except OSError as e:
    print(errno.errorcode[e.errno])' "$MNT/spec/clusters/prod/.tmp.json" "$C")
is "$out" "EINVAL" "a rename that fails validation is EINVAL"
is "$(cat "$C")" '{"tags": []}' "and the target is as it was"
is "$(errors_count)" "$((n0 + 1))" "with an errors line"
rm "$MNT/spec/clusters/prod/.tmp.json" "$MNT/spec/notes.txt"
ok $? "scratch files can be removed"
# in directories of definitions, only tools' temporaries are kept
n0=$(errors_count)
out=$(echo junk 2>&1 > "$MNT/spec/clusters/prod/notes.txt")
like "$out" "Invalid argument" "a stray file where definitions live is refused"
is "$(errors_count)" "$((n0 + 1))" "with an errors line"
test ! -e "$MNT/spec/clusters/prod/notes.txt"
ok $? "and nothing is kept"
echo s > "$MNT/spec/clusters/prod/sedAb12Cd" && echo b > "$MNT/spec/clusters/prod/cluster.json~"
ok $? "sed -i's and backup names are still scratch files"
rm "$MNT/spec/clusters/prod/sedAb12Cd" "$MNT/spec/clusters/prod/cluster.json~"

# metadata: mode and mtime stick (rsync -t / -a rely on it)
chmod 600 "$C" && touch -d '2021-05-06 07:08:09' "$C"
is "$(stat -c '%a %Y' "$C")" "600 $(date -d '2021-05-06 07:08:09' +%s)" "chmod and touch -d stick"
touch -d '2019-01-01 00:00:00' "$MNT/spec/clusters/prod"
is "$(stat -c %Y "$MNT/spec/clusters/prod")" "$(date -d '2019-01-01' +%s)" "directories keep the mtime set on them"

# rsync: apply, no-op re-apply, checksum mode, in place
mkdir -p "$T/infra/clusters/prod" "$T/infra/clusters/edge/services"
printf '{"tags": [{"key": "from", "value": "git"}]}\n' > "$T/infra/clusters/prod/cluster.json"
printf '{"settings": [{"name": "containerInsights", "value": "enhanced"}]}\n' > "$T/infra/clusters/edge/cluster.json"
touch -d '2022-02-02 02:02:02' "$T/infra/clusters/prod/cluster.json" "$T/infra/clusters/edge/cluster.json"
rmdir "$T/infra/clusters/edge/services"
out=$(rsync -rt --delete "$T/infra/" "$MNT/spec/" 2>&1)
ok $? "rsync -rt --delete applies a repository"
test -d "$MNT/clusters/edge"
ok $? "the missing cluster was created"
is "$(live)" '[{"key": "from", "value": "git"}]' "cluster.json applied"
like "$(cat "$MNT/clusters/edge/cluster.json")" '"enhanced"' "the new cluster's settings applied"
is "$(rsync -rt --delete --itemize-changes "$T/infra/" "$MNT/spec/")" "" "a second rsync -rt transfers nothing"
is "$(rsync -rc --delete --itemize-changes "$T/infra/" "$MNT/spec/")" "" "rsync -rc finds nothing to change"
diff -r "$T/infra" "$MNT/spec" >/dev/null
ok $? "diff -r shows no drift"
printf '{"tags": [{"key": "from", "value": "inplace"}]}\n' > "$T/infra/clusters/prod/cluster.json"
rsync -rt --inplace "$T/infra/" "$MNT/spec/"
is "$(live)" '[{"key": "from", "value": "inplace"}]' "rsync --inplace applies"
is "$(ls -A "$MNT/spec/clusters/prod" | tr '\n' ' ')" "cluster.json " "rsync left no temp files"

# bad places
out=$(mkdir "$MNT/spec/unknown" 2>&1)
like "$out" "Invalid argument" "unknown directories in the spec tree are EINVAL"
out=$( (echo x > "$MNT/spec/clusters/afile") 2>&1)
ok $(( $? == 0 )) "a file where a cluster directory belongs is refused"
like "$(tail -n 1 "$MNT/errors")" '"errno":"(EINVAL|EACCES)"' "with an errors line"

# secrets: write-only
printf 's3cret' > "$MNT/secrets/db-password"
ok $? "write a secret"
is "$(ls "$MNT/secrets")" "db-password" "listed by name"
out=$(cat "$MNT/secrets/db-password" 2>&1)
like "$out" "Permission denied" "never readable"
is "$(stat -c %s "$MNT/secrets/db-password")" "0" "not even its length shows"
grep -r s3cret "$MNT/clusters" "$MNT/spec" "$MNT/errors" "$MNT/README" >/dev/null 2>&1
ok $(( $? == 0 )) "the value appears in no file of the tree"
out=$( (printf x > "$MNT/secrets/bad name") 2>&1)
like "$out" "Invalid argument" "a bad secret name is EINVAL"
rm "$MNT/secrets/db-password"
ok $? "rm deletes a secret"

done_testing
