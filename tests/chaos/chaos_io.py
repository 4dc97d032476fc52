"""What the chaos tests do from Python: writes that report their errno,
an engine sampler, and the timeline check of the kill -9 storm.

  chaos_io.py write PATH TEXT...     each TEXT written to PATH (open O_TRUNC
                                     | O_CREAT, write, close) in turn; one line each:
                                     "ok" or "err ERRNO-NAME"
  chaos_io.py sample SOCK INSTANCE CONTAINER OUT
                                     every 50 ms until OUT.stop exists: "MS N"
                                     lines, N the engine's running containers
                                     named CONTAINER of that instance
  chaos_io.py bound SAMPLES CHANGES MAXPCT
                                     the storm's check: prints "SAMPLES MAX
                                     OVERSHOOT" over the samples, the bound at
                                     each being maximumPercent of the highest
                                     desiredCount in effect since the last
                                     steady point (CHANGES: "MS desired N" and
                                     "MS steady" lines)
"""
import errno
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse


def write(path, texts):
    for text in texts:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
            try:
                os.write(fd, text.encode("utf-8", "surrogateescape"))
            finally:
                os.close(fd)
            print("ok", flush=True)
        except OSError as e:
            print("err", errno.errorcode.get(e.errno, str(e.errno)), flush=True)


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, sock_path):
        super().__init__("localhost", timeout=5)
        self.sock_path = sock_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.sock_path)


def sample(sock_path, instance, container, out):
    filters = json.dumps({"label": ["ecsfs.instance=" + instance,
                                    "ecsfs.container=" + container],
                          "status": ["running"]})
    url = "/containers/json?filters=" + urllib.parse.quote(filters)
    conn = None
    with open(out, "a") as f:
        while not os.path.exists(out + ".stop"):
            try:
                if conn is None:
                    conn = UnixConnection(sock_path)
                conn.request("GET", url)
                n = len(json.loads(conn.getresponse().read()))
                f.write("%d %d\n" % (int(time.monotonic() * 1000), n))
                f.flush()
            except (OSError, ValueError, http.client.HTTPException):
                conn = None
            time.sleep(0.05)


def cap(desired, maxpct):
    # the scheduler's own: maximumPercent of desiredCount, never below it
    return max(desired, desired * maxpct // 100)


def bound(samples, changes, maxpct):
    events = []
    for line in open(changes):
        parts = line.split()
        if parts[1] == "desired":
            events.append((int(parts[0]), int(parts[2])))
        else:
            events.append((int(parts[0]), None))
    events.sort()
    n = high = over = 0
    for line in open(samples):
        ms, count = map(int, line.split())
        # the highest desiredCount since the last steady point before ms
        top, cur = 0, 0
        for t, d in events:
            if t > ms:
                break
            if d is None:
                top = cur
            else:
                cur = d
                top = max(top, d)
        n += 1
        high = max(high, count)
        over = max(over, count - cap(top, maxpct))
    print(n, high, over)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2], sys.argv[3:])
    elif cmd == "sample":
        sample(*sys.argv[2:6])
    elif cmd == "bound":
        bound(sys.argv[2], sys.argv[3], int(sys.argv[4]))
