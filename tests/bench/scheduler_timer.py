#!/usr/bin/env python3
"""Per-call timings of EventBridge Scheduler and EventBridge rules with boto3
(bench_scheduler_api.sh's helper).

usage: scheduler_timer.py ENDPOINT CLUSTER_ARN CALLS FILL

FILL schedules are created first (so ListSchedules and the lookups by name
have company), then each operation is timed CALLS times: CreateSchedule,
GetSchedule, UpdateSchedule, ListSchedules (a page of 100), DeleteSchedule,
PutRule, PutTargets, ListTargetsByRule. Credentials as api_timer.py takes
them (ECSFS_PROFILE, or the fixed keys of a reference emulator). Prints one
line per operation: "OP calls=N median=… p90=… p99=… max=… per_s=…" (ms).
"""
import os
import sys

import boto3
import botocore.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_timer import figures  # noqa: E402


def client(endpoint, service):
    cfg = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)
    profile = os.environ.get("ECSFS_PROFILE")
    if profile:
        session = boto3.Session(profile_name=profile, region_name="us-east-1")
    else:
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint, config=cfg)


def timed_each(fn, items):
    import time
    ms = []
    for i in items:
        t = time.perf_counter()
        fn(i)
        ms.append(1000 * (time.perf_counter() - t))
    return ms


def main():
    endpoint, cluster_arn, calls, fill = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sc, ev = client(endpoint, "scheduler"), client(endpoint, "events")
    target = {"Arn": cluster_arn, "RoleArn": "arn:aws:iam::000000000000:role/bench",
              "EcsParameters": {"TaskDefinitionArn": "bench", "TaskCount": 1}}

    def create(name, expr="cron(0 6 * * ? *)"):
        sc.create_schedule(Name=name, ScheduleExpression=expr, Target=target,
                           FlexibleTimeWindow={"Mode": "OFF"})

    for i in range(fill):
        create("fill-%04d" % i)
    names = ["b-%04d" % i for i in range(calls)]
    runs = [
        ("CreateSchedule", lambda n: create(n)),
        ("GetSchedule", lambda n: sc.get_schedule(Name=n)),
        ("UpdateSchedule", lambda n: sc.update_schedule(
            Name=n, ScheduleExpression="rate(1 hour)", Target=target,
            FlexibleTimeWindow={"Mode": "OFF"})),
        ("ListSchedules", lambda n: sc.list_schedules(MaxResults=100)),
        ("DeleteSchedule", lambda n: sc.delete_schedule(Name=n)),
        ("PutRule", lambda n: ev.put_rule(Name=n, ScheduleExpression="rate(1 day)")),
        ("PutTargets", lambda n: ev.put_targets(Rule=n, Targets=[dict(target, Id="t")])),
        ("ListTargetsByRule", lambda n: ev.list_targets_by_rule(Rule=n)),
    ]
    sc.list_schedules(MaxResults=1)  # warm: the connection, the clients' models
    ev.list_rules(Limit=1)
    for op, fn in runs:
        print("%s %s" % (op, figures(timed_each(fn, names))))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
