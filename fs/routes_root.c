/* The top of the tree: /, README, errors, taskdefs/. */
#include <errno.h>
#include <string.h>

#include "ecsfs/util.h"
#include "ecsfs/error.h"
#include "fs.h"

static int root_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	ecsfs__dirlist_add(out, "README", S_IFREG);
	ecsfs__dirlist_add(out, "errors", S_IFREG);
	ecsfs__dirlist_add(out, "spec", S_IFDIR);
	ecsfs__dirlist_add(out, "secrets", S_IFDIR);
	ecsfs__lb_root_list(fs, out);
	ecsfs__dirlist_add(out, "taskdefs", S_IFDIR);
	ecsfs__dirlist_add(out, "clusters", S_IFDIR);
	return 0;
}

static const char readme_text[] =
    "ecsfs — an ECS-style container orchestrator whose interface is this tree\n"
    "\n"
    "Layout (ro read-only, rw read-write, wo write-only):\n"
    "\n"
    "  README                          ro  this help\n"
    "  errors                          ro  one JSON line per rejected change (tail -f it)\n"
    "  spec/                           desired state: plain files, laid out like a GitOps repo\n"
    "    taskdefs/<family>.json        write: register a revision; rm: deregister the family\n"
    "    clusters/<cluster>/           mkdir: create the cluster; rmdir: delete it\n"
    "      cluster.json                optional settings (tags, settings, capacityProviders,\n"
    "                                  defaultCapacityProviderStrategy, configuration)\n"
    "      services/<service>.json     write: create or update a service; rm: delete it\n"
    "      schedules/<name>.json       write: create or update a scheduled task\n"
    "    targetgroups/<tg>.json        ELBv2 CreateTargetGroup input (+ Attributes)\n"
    "    loadbalancers/<lb>.json       ELBv2 CreateLoadBalancer input + Listeners + Rules\n"
    "  secrets/<name>                  wo  values for task definitions' \"secrets\"\n"
    "  targetgroups/<tg>/              ro  targets, targets.json, stats, targetgroup.json\n"
    "  loadbalancers/<lb>/             ro  status, loadbalancer.json, listeners.json,\n"
    "                                  rules.json\n"
    "  taskdefs/<family>/<rev>.json    ro  registered revisions; latest -> newest ACTIVE\n"
    "  clusters/<cluster>/             live state\n"
    "    cluster.json                  ro  describe-clusters shape\n"
    "    status                        ro  \"key: value\" lines, with the container runtime's\n"
    "    events                        ro  append-only event log (tail -f it)\n"
    "    run                           rw  \"family[:rev] [count]\" or a RunTask JSON starts\n"
    "                                  tasks; a read of the same open file gives their ids\n"
    "    services/<service>/           mkdir: a service (desiredCount 0); rmdir: delete it\n"
    "      desired_count               rw  \"3\", a write scales it\n"
    "      task_definition             rw  \"web\" (follow) or \"web:4\", a write deploys\n"
    "      redeploy                    wo  a new deployment of the same revision\n"
    "      rollback                    wo  the deployment in progress goes back\n"
    "      deployment                  ro  strategy, stage, traffic split, bake time left\n"
    "      service.json status events  ro  describe-services shape, key: value, events\n"
    "      tasks/<id>                  links to ../../../tasks/<id>\n"
    "    tasks/<id>/                   task.json, status, stop (wo), logs,\n"
    "                                  containers/<name>/{status,logs}\n"
    "\n"
    "Examples:\n"
    "\n"
    "  mkdir %1$s/clusters/prod                     create a cluster (same as spec/clusters/prod)\n"
    "  cat %1$s/clusters/prod/status                what it is doing, and the runtime's state\n"
    "  tail -f %1$s/clusters/prod/events            follow its events\n"
    "  echo '{\"settings\":[{\"name\":\"containerInsights\",\"value\":\"enabled\"}]}' \\\n"
    "      > %1$s/spec/clusters/prod/cluster.json   apply cluster settings\n"
    "  printf %%s \"$PW\" > %1$s/secrets/db-password   store a secret (never readable)\n"
    "  echo web > %1$s/clusters/prod/run            start a task of the newest web\n"
    "  echo 3 > %1$s/clusters/prod/services/web/desired_count   scale a service\n"
    "  tail -f %1$s/clusters/prod/tasks/ID/logs     follow its containers' output\n"
    "  echo done > %1$s/clusters/prod/tasks/ID/stop stop it, with a reason\n"
    "  rsync -rt --delete infra/ %1$s/spec/         apply a repository of definitions\n"
    "  diff -r infra %1$s/spec                      show drift from the repository\n"
    "  tail -f %1$s/errors                          why a write was refused\n"
    "\n"
    "A refused write fails with EINVAL (bad value or document), ENOENT (unknown name),\n"
    "EEXIST (name taken), ENOTEMPTY/EBUSY (still in use) or EACCES/EPERM (wrong kind of\n"
    "access), leaves the previous state as it was, and appends its reason to errors.\n";

static int readme_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	const char *mnt = fs->mountpoint ? fs->mountpoint : "/ecs";
	/* only positional %1$s and %% appear in the text */
	for (const char *p = readme_text; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			ecsfs_buf_addch(out, '%');
			p++;
		} else if (strncmp(p, "%1$s", 4) == 0) {
			ecsfs_buf_adds(out, mnt);
			p += 3;
		} else {
			ecsfs_buf_addch(out, *p);
		}
	}
	return 0;
}

static int errors_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	return ecsfs__journal_getattr(fs, "errors", st);
}

static int errors_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
			  ecsfs_buf *out)
{
	return ecsfs_store_journal_read(fs->store, "errors", off, len, out);
}

const ecsfs__route ecsfs__routes_root[] = {
    {.pattern = "/", .type = S_IFDIR, .perm = 0755, .list = root_list},
    {.pattern = "/README",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .read = readme_read},
    {.pattern = "/errors",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .getattr = errors_getattr,
     .read_at = errors_read_at},
    /* families and revisions arrive with task definitions */
    {0},
};
