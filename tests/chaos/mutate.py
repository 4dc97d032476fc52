"""Mutated documents into every kind of spec file and control file.

  mutate.py MNT STATE_DB COUNT SEED KIND=PATH=BASEFILE...

For each kind, the base document (already applied) is mutated — high-bit
byte flips, truncation, a field of the wrong type, deep nesting, huge
numbers, invalid UTF-8 — and written over PATH (open O_TRUNC, write,
close). Every mutation must be refused: the write or the close fails, the
daemon answers, exactly one line is added to MNT/errors, the file still
reads the base bytes and the store's rows (all but the journals) are the
same. One line per failure on stdout ("FAIL kind op: why"), then
"figures N REFUSED ACCEPTED BADLINES CHANGED DEAD" and one
"op OP N" line per operator.
"""
import errno
import hashlib
import json
import os
import random
import sqlite3
import sys
import time

JOURNALS = ("journal", "journal_head")


def state(db):
    """A digest per table of the store, the journals left out."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for t in tables:
            if t in JOURNALS:
                continue
            h = hashlib.sha256()
            for row in sorted(repr(r) for r in con.execute('SELECT * FROM "%s"' % t)):
                h.update(row.encode())
            out[t] = h.hexdigest()
        return out
    finally:
        con.close()


def errors_count(mnt):
    with open(os.path.join(mnt, "errors"), "rb") as f:
        return f.read().count(b"\n")


def write(path, data):
    """None when the write and close succeeded, else the errno name."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    err = None
    try:
        os.write(fd, data)
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    try:
        os.close(fd)
    except OSError as e:
        err = err or errno.errorcode.get(e.errno, str(e.errno))
    return err


# ---- operators on JSON documents (each returns bytes that are no document) ----

def paths(v, here=()):
    """Every (path, value) below v, v itself excluded."""
    if isinstance(v, dict):
        items = v.items()
    elif isinstance(v, list):
        items = enumerate(v)
    else:
        return
    for k, x in items:
        yield here + (k,), x
        yield from paths(x, here + (k,))


def replaced(doc, path, value):
    doc = json.loads(json.dumps(doc))
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return doc


def wrong_type(v, rnd):
    if isinstance(v, bool):
        return rnd.choice(["true", 1, [True]])
    if isinstance(v, (int, float)):
        return rnd.choice([str(v) + "x", [v], {"n": v}, True])
    if isinstance(v, str):
        return rnd.choice([12345, [v], {"s": v}, False])
    if isinstance(v, list):
        return rnd.choice([{"items": v}, "list", 7])
    if isinstance(v, dict):
        return rnd.choice([[v], "object", 0])
    return "null"


def op_flip(base, doc, rnd):
    b = bytearray(base.rstrip())
    for i in rnd.sample(range(len(b)), min(len(b), rnd.randint(1, 3))):
        b[i] ^= 0x80
    return bytes(b)


def op_truncate(base, doc, rnd):
    b = base.rstrip()
    return b[:rnd.randrange(1, len(b))]


def op_type(base, doc, rnd):
    path, v = rnd.choice(list(paths(doc)))
    return json.dumps(replaced(doc, path, wrong_type(v, rnd))).encode()


def op_nest(base, doc, rnd):
    depth = rnd.choice([100, 3000, 20000])
    path, _ = rnd.choice(list(paths(doc)))
    text = json.dumps(replaced(doc, path, "@NEST@"))
    return text.replace('"@NEST@"', "[" * depth + "]" * depth).encode()


def op_huge(base, doc, rnd):
    nums = [p for p, v in paths(doc) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    path = rnd.choice(nums or [p for p, _ in paths(doc)])
    huge = rnd.choice(["1e400", "-1e400", "123456789012345678901234567890",
                       "-99999999999999999999999999"])
    text = json.dumps(replaced(doc, path, "@HUGE@"))
    return text.replace('"@HUGE@"', huge).encode()


def op_utf8(base, doc, rnd):
    strs = [p for p, v in paths(doc) if isinstance(v, str)]
    path = rnd.choice(strs or [p for p, _ in paths(doc)])
    bad = rnd.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
    text = json.dumps(replaced(doc, path, "@UTF8@")).encode()
    return text.replace(b'"@UTF8@"', b'"a' + bad + b'b"')


JSON_OPS = {"flip": op_flip, "truncate": op_truncate, "type": op_type, "nest": op_nest,
            "huge": op_huge, "utf8": op_utf8}

# ---- operators on one-line control files ----

VALUE_BAD = {
    "desired_count": [b"abc\n", b"-1\n", b"1.5\n", b"\n", b"1e999\n", b"10^11\n",
                      b"99999999999999999999\n", b'"3"\n', b"[3]\n", b"{}\n", b"3 4\n",
                      b"0x10\n", b"true\n", b"\xff\n", b"3\xc3\x28\n", b"1001\n"],
    "task_definition": [b"mut:x\n", b"mut:0\n", b"mut:-1\n", b":\n", b"mut:1:2\n", b"\n",
                        b"mut:99999999999999999999\n", b"nosuch\n", b"m\xffut\n",
                        b"[\"mut\"]\n", b"a b\n", b"mut:999\n", b"x" * 300 + b"\n"],
    "run": [b"nosuch\n", b"nosuch 1\n", b"mut 0\n", b"mut 11\n", b"mut -1\n",
            b"mut 99999999999999999999\n", b"mut:x\n", b"\xff\n",
            b'{"taskDefinition": 1}\n', b'{"taskDefinition": "nosuch", "count": 1}\n',
            b'{"taskDefinition": "mut", "count": "1"}\n', b'{"taskDefinition": "mut", "cont": 1}\n',
            b'{"taskDefinition": "mut", "count": 1e400}\n', b"[" * 5000 + b"]" * 5000 + b"\n",
            b'{"taskDefinition": "m\xc3\x28"}\n', b'{"taskDefinition": "mut"\n'],
}


def value_mutation(kind, base, rnd):
    fixed = VALUE_BAD[kind]
    name = rnd.choice(["list", "flip", "nest"])
    if name == "list":
        return name, rnd.choice(fixed)
    if name == "flip":
        return name, op_flip(base, None, rnd) + b"\n"
    depth = rnd.choice([50, 5000])
    return name, b"[" * depth + base.strip() + b"]" * depth + b"\n"


def main():
    mnt, db, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    kinds = []
    for arg in sys.argv[5:]:
        kind, path, basefile = arg.split("=", 2)
        kinds.append((kind, path, open(basefile, "rb").read()))
    rnd = random.Random(seed)
    refused = accepted = badlines = changed = dead = 0
    ops = {}
    for i in range(count):
        kind, path, base = kinds[i % len(kinds)]
        if kind in VALUE_BAD:
            name, data = value_mutation(kind, base, rnd)
        else:
            name = rnd.choice(sorted(JSON_OPS))
            data = JSON_OPS[name](base, json.loads(base), rnd)
        ops[name] = ops.get(name, 0) + 1
        before, n0 = state(db), errors_count(mnt)
        err = write(path, data)
        if not os.path.exists(os.path.join(mnt, "README")):
            dead += 1
            print("FAIL %s %s: the mount stopped answering" % (kind, name), flush=True)
            break
        if err is None:
            accepted += 1
            print("FAIL %s %s: accepted %r" % (kind, name, data[:160]), flush=True)
            continue
        refused += 1
        # the errors line is appended before the refusal is answered
        n1 = errors_count(mnt)
        if n1 != n0 + 1:
            badlines += 1
            print("FAIL %s %s: %d errors lines for one refusal (%s)" % (kind, name, n1 - n0, err))
        after = state(db)
        diff = [t for t in after if after[t] != before.get(t)]
        if diff:
            changed += 1
            print("FAIL %s %s: the store changed (%s) though refused %s" %
                  (kind, name, ",".join(diff), err))
        if kind not in VALUE_BAD and open(path, "rb").read() != base:
            changed += 1
            print("FAIL %s %s: %s no longer reads its base bytes" % (kind, name, path))
    print("figures %d %d %d %d %d %d" % (refused + accepted, refused, accepted, badlines,
                                         changed, dead))
    for name in sorted(ops):
        print("op %s %d" % (name, ops[name]))


if __name__ == "__main__":
    main()
