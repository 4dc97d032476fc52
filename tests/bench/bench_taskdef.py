#!/usr/bin/env python3
"""Task-definition benchmark: registrations per second through the mount,
and whether listing and reading stay flat as revisions pile up.

usage: bench_taskdef.py BUILD_DIR
Prints figures; asserts nothing about time."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
ecsfs = os.path.join(build, "fs", "ecsfs")
tmp = tempfile.mkdtemp(prefix="ecsfs-bench-td.")
mnt, state = os.path.join(tmp, "mnt"), os.path.join(tmp, "state")
os.makedirs(mnt)
daemon = subprocess.Popen([ecsfs, "-f", "--state", state, "--docker", "unix://" + tmp + "/none", mnt],
                          stderr=open(os.path.join(tmp, "log"), "w"))


def cleanup():
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    subprocess.call(["fusermount3", "-uz", mnt], stderr=subprocess.DEVNULL)
    shutil.rmtree(tmp, ignore_errors=True)


try:
    for _ in range(200):
        if os.path.exists(os.path.join(mnt, "README")):
            break
        time.sleep(0.05)
    else:
        sys.exit("ecsfs did not mount")

    def doc(family, i):
        return ('{"family": "%s", "containerDefinitions": [{"name": "app", "image": "busybox", '
                '"memory": %d, "essential": true, "portMappings": [{"containerPort": 8080}], '
                '"environment": [{"name": "N", "value": "%d"}]}]}\n' % (family, 64 + i, i))

    def register(family, n, start=0):
        path = os.path.join(mnt, "spec", "taskdefs", family + ".json")
        t0 = time.perf_counter()
        for i in range(start, start + n):
            with open(path, "w") as f:
                f.write(doc(family, i))
        return time.perf_counter() - t0

    def plain(n):
        d = tempfile.mkdtemp(dir="/dev/shm")
        path = os.path.join(d, "web.json")
        t0 = time.perf_counter()
        for i in range(n):
            with open(path, "w") as f:
                f.write(doc("web", i))
        dt = time.perf_counter() - t0
        shutil.rmtree(d)
        return dt

    def rate(fn, seconds=1.0):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            fn()
            n += 1
        return n / (time.perf_counter() - t0)

    dt = register("web", 1000)
    dt_plain = plain(1000)
    print("register 1,000 distinct revisions: %.2f s = %.0f registrations/s" % (dt, 1000 / dt))
    print("same 1,000 writes to a tmpfs file:  %.3f s = %.0f writes/s (ratio ecsfs/tmpfs = %.3f)"
          % (dt_plain, 1000 / dt_plain, dt_plain / dt))

    rev_path = os.path.join(mnt, "taskdefs", "web", "500.json")
    ls = lambda: os.listdir(os.path.join(mnt, "taskdefs"))
    ls_family = lambda: os.listdir(os.path.join(mnt, "taskdefs", "web"))
    cat = lambda: open(rev_path).read()
    at1k = (rate(ls), rate(cat), rate(ls_family))
    register("web", 9000, 1000)
    at10k = (rate(ls), rate(cat), rate(ls_family))
    print("with  1,000 revisions: ls taskdefs/ %.0f/s, cat a revision %.0f/s, ls taskdefs/web/ %.0f/s" % at1k)
    print("with 10,000 revisions: ls taskdefs/ %.0f/s, cat a revision %.0f/s, ls taskdefs/web/ %.0f/s" % at10k)
    print("flatness 10k/1k: ls taskdefs/ %.2f, cat %.2f (1.00 = flat); ls of the family lists every revision: %.2f"
          % (at10k[0] / at1k[0], at10k[1] / at1k[1], at10k[2] / at1k[2]))
finally:
    cleanup()
