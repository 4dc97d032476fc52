#!/usr/bin/python3
"""Services and tasks through boto3 (Debian's python3-boto3), as a program
would drive them: create a service, its waiters, paginators over
list_tasks and list_services, scale-in protection honoured on a scale-in,
run_task/stop_task with their waiters, delete. Called by t_api_service.sh:

    boto3_ecs.py ENDPOINT CREDENTIALS_FILE

Prints one line per step; exits 1 at the first that does not hold."""
import configparser
import sys

import boto3

FAST = {"Delay": 1, "MaxAttempts": 120}  # the waiters' own delays are 6-15 s


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        sys.exit(1)


def client(endpoint, creds_file):
    creds = configparser.ConfigParser()
    creds.read(creds_file)
    return boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["ecsfs"]["aws_access_key_id"],
        aws_secret_access_key=creds["ecsfs"]["aws_secret_access_key"],
    )


def paged(ecs, op, key, **kw):
    pages = list(ecs.get_paginator(op).paginate(PaginationConfig={"PageSize": 1}, **kw))
    return len(pages), [a for p in pages for a in p[key]]


def service_part(ecs):
    svc = ecs.create_service(cluster="prod", serviceName="b3", taskDefinition="web",
                             desiredCount=3, tags=[{"key": "by", "value": "boto3"}],
                             propagateTags="SERVICE")["service"]
    check(svc["status"] == "ACTIVE", "create_service b3: ACTIVE")
    ecs.get_waiter("services_stable").wait(cluster="prod", services=["b3"], WaiterConfig=FAST)
    check(True, "waiter services_stable")
    n, arns = paged(ecs, "list_tasks", "taskArns", cluster="prod", serviceName="b3")
    check(len(arns) == 3 and n >= 3, "list_tasks paginator: 3 tasks over %d pages" % n)
    tasks = ecs.describe_tasks(cluster="prod", tasks=arns, include=["TAGS"])["tasks"]
    check(all(t["lastStatus"] == "RUNNING" for t in tasks), "describe_tasks: all RUNNING")
    check(all({"key": "by", "value": "boto3"} in t["tags"] for t in tasks),
          "propagateTags SERVICE: the tasks carry the service's tags")
    _, svcs = paged(ecs, "list_services", "serviceArns", cluster="prod")
    check(any(a.endswith("/prod/b3") for a in svcs), "list_services paginator finds b3")
    keep = arns[-1]
    p = ecs.update_task_protection(cluster="prod", tasks=[keep], protectionEnabled=True,
                                   expiresInMinutes=30)["protectedTasks"][0]
    check(p["protectionEnabled"] and p["expirationDate"] is not None,
          "update_task_protection: protected, with an expirationDate (a datetime)")
    got = ecs.get_task_protection(cluster="prod", tasks=[keep])["protectedTasks"][0]
    check(got["protectionEnabled"], "get_task_protection agrees")
    ecs.update_service(cluster="prod", service="b3", desiredCount=1)
    ecs.get_waiter("services_stable").wait(cluster="prod", services=["b3"], WaiterConfig=FAST)
    _, left = paged(ecs, "list_tasks", "taskArns", cluster="prod", serviceName="b3")
    check(left == [keep], "scale in to 1 kept the protected task")
    ecs.delete_service(cluster="prod", service="b3", force=True)
    ecs.get_waiter("services_inactive").wait(cluster="prod", services=["b3"],
                                             WaiterConfig=FAST)
    check(True, "delete_service force, waiter services_inactive")


def task_part(ecs):
    out = ecs.run_task(cluster="prod", taskDefinition="web", count=2, startedBy="boto3")
    arns = [t["taskArn"] for t in out["tasks"]]
    check(len(arns) == 2 and out["failures"] == [], "run_task count 2")
    ecs.get_waiter("tasks_running").wait(cluster="prod", tasks=arns, WaiterConfig=FAST)
    check(True, "waiter tasks_running")
    for a in arns:
        ecs.stop_task(cluster="prod", task=a, reason="boto3 is done")
    ecs.get_waiter("tasks_stopped").wait(cluster="prod", tasks=arns, WaiterConfig=FAST)
    t = ecs.describe_tasks(cluster="prod", tasks=arns)["tasks"][0]
    check(t["stoppedReason"] == "boto3 is done", "waiter tasks_stopped; the stop reason")
    try:
        ecs.describe_services(cluster="nope", services=["x"])
        check(False, "an unknown cluster is refused")
    except ecs.exceptions.ClusterNotFoundException:
        check(True, "an unknown cluster: ClusterNotFoundException, as boto3 models it")


def main():
    ecs = client(sys.argv[1], sys.argv[2])
    service_part(ecs)
    task_part(ecs)


if __name__ == "__main__":
    main()
