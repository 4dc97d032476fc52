#!/usr/bin/env python3
"""Per-call timings of AWS API operations with boto3 (bench_api.sh's helper).

usage:
  api_timer.py ENDPOINT setup CLUSTER FAMILY SERVICE      (a reference emulator only)
  api_timer.py ENDPOINT describe CLUSTER SERVICE CALLS
  api_timer.py ENDPOINT runtask CLUSTER FAMILY RUNS COUNT [LAUNCH_TYPE]
  api_timer.py ENDPOINT logs-setup GROUP STREAM LINES      (a reference emulator only)
  api_timer.py ENDPOINT logs GROUP STREAM CALLS

Credentials: with ECSFS_PROFILE set, that profile of the shared credentials
file (AWS_SHARED_CREDENTIALS_FILE, the daemon's STATE/credentials); else
the fixed keys a reference emulator takes. Prints one line of KEY=VALUE
figures (milliseconds unless said), or "unsupported=OPERATION" when the
endpoint does not serve an operation.
"""
import os
import statistics
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

POLL_S = 0.01  # DescribeTasks polls while waiting for RUNNING


def client(endpoint, service):
    cfg = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)
    profile = os.environ.get("ECSFS_PROFILE")
    if profile:
        session = boto3.Session(profile_name=profile, region_name="us-east-1")
    else:
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint, config=cfg)


def figures(ms):
    ms = sorted(ms)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return "calls=%d median=%.2f p90=%.2f p99=%.2f max=%.2f per_s=%.0f" % (
        len(ms), statistics.median(ms), pick(0.90), pick(0.99), ms[-1], 1000 * len(ms) / sum(ms))


def timed(fn, calls):
    fn()  # warm: the connection, the client's model
    ms = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        ms.append(1000 * (time.perf_counter() - t))
    return ms


def unsupported(e):
    code = e.response.get("Error", {}).get("Code", "")
    return code in ("UnknownOperationException", "InvalidAction", "NotImplemented")


def setup(endpoint, cluster, family, service):
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "app", "image": "ecsfs-busybox:latest", "memory": 32, "essential": True,
         "command": ["sleep", "3600"]}])
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=family,
                       desiredCount=0)
    print("setup=ok")


def describe(endpoint, cluster, service, calls):
    ecs = client(endpoint, "ecs")
    call = lambda: ecs.describe_services(cluster=cluster, services=[service])
    print(figures(timed(call, calls)))


def wait_running(ecs, cluster, arns, t0):
    """Seconds from t0 until every task is (or was) RUNNING, or None."""
    left, deadline = set(arns), t0 + 120
    while left and time.perf_counter() < deadline:
        for t in ecs.describe_tasks(cluster=cluster, tasks=list(left))["tasks"]:
            # an emulator without containers may move past RUNNING between polls
            if t["lastStatus"] in ("RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING"):
                left.discard(t["taskArn"])
            elif t["lastStatus"] == "STOPPED":
                return None
        if left:
            time.sleep(POLL_S)
    return None if left else time.perf_counter() - t0


def runtask(endpoint, cluster, family, runs, count, launch_type=None):
    ecs = client(endpoint, "ecs")
    # (an emulator's EC2 launch type wants registered instances: it is given FARGATE)
    extra = {"launchType": launch_type} if launch_type else {}
    times, arns_all = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = ecs.run_task(cluster=cluster, taskDefinition=family, count=count, **extra)
        arns = [t["taskArn"] for t in out["tasks"]]
        if len(arns) != count:
            sys.exit("run_task started %d of %d: %s" % (len(arns), count, out.get("failures")))
        took = wait_running(ecs, cluster, arns, t0)
        if took is None:
            sys.exit("a task did not reach RUNNING")
        times.append(1000 * took)
        arns_all += arns
    for arn in arns_all:
        ecs.stop_task(cluster=cluster, task=arn, reason="bench done")
    print("runs=%d count=%d median=%.1f min=%.1f max=%.1f all=%s" % (
        runs, count, statistics.median(times), min(times), max(times),
        ",".join("%.0f" % t for t in times)))


def logs_setup(endpoint, group, stream, lines):
    logs = client(endpoint, "logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": "line %d" % i} for i in range(1, lines + 1)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    print("logs_setup=ok")


def logs_calls(endpoint, group, stream, calls):
    logs = client(endpoint, "logs")
    get = lambda: logs.get_log_events(logGroupName=group, logStreamName=stream,
                                      startFromHead=True, limit=100)
    flt = lambda: logs.filter_log_events(logGroupName=group, filterPattern='"line 5"')
    n = len(logs.filter_log_events(logGroupName=group)["events"])
    print("events=%d get100 %s" % (n, figures(timed(get, calls))))
    print("events=%d filter %s" % (n, figures(timed(flt, calls))))


def main(argv):
    endpoint, what, args = argv[1], argv[2], argv[3:]
    ops = {
        "setup": lambda: setup(endpoint, *args),
        "describe": lambda: describe(endpoint, args[0], args[1], int(args[2])),
        "runtask": lambda: runtask(endpoint, args[0], args[1], int(args[2]), int(args[3]),
                                   args[4] if len(args) > 4 else None),
        "logs-setup": lambda: logs_setup(endpoint, args[0], args[1], int(args[2])),
        "logs": lambda: logs_calls(endpoint, args[0], args[1], int(args[2])),
    }
    try:
        ops[what]()
    except botocore.exceptions.ClientError as e:
        if unsupported(e):
            print("unsupported=%s" % e.operation_name)
            return 0
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
