"""Concurrent writers to the files of one service.

  writers.py LIVE SPEC WRITERS WRITES

WRITERS processes each make WRITES writes, every one its own open (O_TRUNC),
write and close: even-numbered writers put "N\\n" into LIVE (desired_count),
odd-numbered ones a CreateService document with desiredCount N into SPEC,
at the same time. Values are distinct: writer * WRITES + i, so WRITERS x
WRITES must stay within desiredCount's 0..1000. Prints one line per write, in the order the closes
returned: "MS VALUE ok" or "MS VALUE err ERRNO".
"""
import errno
import os
import sys
import time


def one(path, data):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return "ok"
    except OSError as e:
        return "err " + errno.errorcode.get(e.errno, str(e.errno))


def writer(w, live, spec, writes, nwriters, out):
    lines = []
    for i in range(writes):
        value = w * writes + i
        if w % 2 == 0:
            res = one(live, b"%d\n" % value)
        else:
            res = one(spec, b'{"desiredCount": %d}\n' % value)
        lines.append("%d %d %s\n" % (time.monotonic_ns() // 1000, value, res))
    os.write(out, "".join(lines).encode())


def main():
    live, spec, nwriters, writes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    r, wfd = os.pipe()
    pids = []
    for w in range(nwriters):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            writer(w, live, spec, writes, nwriters, wfd)
            os._exit(0)
        pids.append(pid)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    for pid in pids:
        os.waitpid(pid, 0)
    lines = sorted(data.decode().splitlines(), key=lambda l: int(l.split()[0]))
    sys.stdout.write("".join(l + "\n" for l in lines))


if __name__ == "__main__":
    main()
