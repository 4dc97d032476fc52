#!/usr/bin/env python3
"""Timing helpers of bench_task.sh, in one process so that polling costs no
fork per look.

  task_timer.py run MNT CLUSTER LINE...   write each LINE to clusters/CLUSTER/run
        (one r+ handle each, ids read back), then poll every task's status
        every 10 ms until all show last_status RUNNING. Prints
        "first=<s> all=<s>" then the ids, one a line.
  task_timer.py stop MNT CLUSTER REASON ID...   write REASON to each task's
        stop file, poll until all are STOPPED. Prints "all=<s>".
  task_timer.py floor N LABEL IMAGE [pause PAUSE_IMAGE]   N tasks' worth of
        `docker run -d` at once (a thread each): one container per task, or
        with `pause` a pause container plus one joined to its network
        namespace. Prints "all=<s>" then the container ids.
  task_timer.py cpu PID SECONDS   CPU seconds (user+system) PID used over
        SECONDS. Prints "cpu=<s> wall=<s>".

A poll that exceeds its limit (120 s) exits 1 with what was still missing.
"""
import os
import subprocess
import sys
import threading
import time

POLL = 0.010
LIMIT = 120.0


def status_of(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("last_status: "):
                    return line[len("last_status: "):].strip()
    except OSError:
        return None
    return None


def wait_all(mnt, cluster, ids, want, t0):
    """Poll until every task shows `want`; return (first, all) in seconds from t0."""
    left = set(ids)
    first = None
    while left:
        for i in list(left):
            s = status_of(os.path.join(mnt, "clusters", cluster, "tasks", i, "status"))
            if s == want:
                left.discard(i)
                if first is None:
                    first = time.perf_counter() - t0
            elif s == "STOPPED" and want != "STOPPED":
                sys.exit("task %s STOPPED while waiting for %s" % (i, want))
        if not left:
            break
        if time.perf_counter() - t0 > LIMIT:
            sys.exit("still not %s after %.0f s: %s" % (want, LIMIT, " ".join(sorted(left))))
        time.sleep(POLL)
    return first, time.perf_counter() - t0


def cmd_run(mnt, cluster, lines):
    path = os.path.join(mnt, "clusters", cluster, "run")
    ids = []
    t0 = time.perf_counter()
    for line in lines:
        with open(path, "r+") as f:
            f.write(line + "\n")
            f.seek(0)
            ids += f.read().split()
    first, all_ = wait_all(mnt, cluster, ids, "RUNNING", t0)
    print("first=%.3f all=%.3f" % (first, all_))
    print("\n".join(ids))


def cmd_stop(mnt, cluster, reason, ids):
    t0 = time.perf_counter()
    for i in ids:
        with open(os.path.join(mnt, "clusters", cluster, "tasks", i, "stop"), "w") as f:
            f.write(reason + "\n")
    _, all_ = wait_all(mnt, cluster, ids, "STOPPED", t0)
    print("all=%.3f" % all_)


def docker_run(args):
    out = subprocess.run(["docker", "run", "-d"] + args, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def cmd_floor(n, label, image, pause_image):
    ids, errors = [], []
    lock = threading.Lock()

    def one():
        try:
            got = []
            if pause_image:
                p = docker_run(["--label", label, "--network", "bridge", pause_image])
                got.append(p)
                got.append(docker_run(["--label", label, "--network", "container:" + p,
                                       image, "sleep", "3600"]))
            else:
                got.append(docker_run(["--label", label, "--network", "bridge",
                                       image, "sleep", "3600"]))
            with lock:
                ids.extend(got)
        except subprocess.CalledProcessError as e:
            with lock:
                errors.append(e.stderr.strip())

    threads = [threading.Thread(target=one) for _ in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        sys.exit("docker run failed: %s" % errors[0])
    print("all=%.3f" % dt)
    print("\n".join(ids))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the command: state is field 3, utime 14 and stime 15 (man proc)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cmd_cpu(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.perf_counter()
    print("cpu=%.3f wall=%.3f" % (c1 - c0, t1 - t0))


def main(argv):
    if len(argv) >= 4 and argv[1] == "run":
        cmd_run(argv[2], argv[3], argv[4:])
    elif len(argv) >= 5 and argv[1] == "stop":
        cmd_stop(argv[2], argv[3], argv[4], argv[5:])
    elif len(argv) in (5, 7) and argv[1] == "floor":
        cmd_floor(int(argv[2]), argv[3], argv[4], argv[6] if len(argv) == 7 else None)
    elif len(argv) == 4 and argv[1] == "cpu":
        cmd_cpu(int(argv[2]), float(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
