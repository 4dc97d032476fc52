/* The load-balancer controller without a data plane, and target group references. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/lb.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"
#include "tap.h"

static ecsfs_store *s;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-lb-XXXXXX";
static int changes;

static void on_change(void *data)
{
	(void)data;
	changes++;
}

static void put_group(const char *name, const char *doc)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err err = ECSFS_ERR_INIT;
	if (ecsfs_targetgroup_apply(s, name, doc, strlen(doc), &meta, &err) < 0)
		printf("# %s\n", err.msg.data);
	ecsfs_err_release(&err);
}

static void test_refs(void)
{
	char name[ECSFS_ELB_NAME_MAX + 1], id[17], arn[200];
	ecsfs_err err = ECSFS_ERR_INIT;

	is_int(ecsfs_targetgroup_ref_name("web", name, &err), 0, "a bare name is a reference");
	is_str(name, "web", "... to itself");
	ecsfs_elb_id("targetgroup", "web", id);
	is_int(strlen(id), 16, "ids have 16 hex digits");
	snprintf(arn, sizeof(arn),
		 "arn:aws:elasticloadbalancing:us-east-1:000000000000:"
		 "targetgroup/web/%s",
		 id);
	is_int(ecsfs_targetgroup_ref_name(arn, name, &err), 0, "an ARN is a reference");
	is_str(name, "web", "... to the name inside");
	is_int(ecsfs_targetgroup_ref_name("arn:aws:elasticloadbalancing:us-east-1:0:"
					  "targetgroup/web/0000000000000000",
					  name, &err),
	       -EINVAL, "an ARN with another id is refused");
	is_int(ecsfs_targetgroup_ref_name("-web", name, &err), -EINVAL, "a leading hyphen");
	is_int(ecsfs_targetgroup_ref_name("a_b", name, &err), -EINVAL, "an underscore");
	is_int(ecsfs_targetgroup_ref_name("abcdefghijabcdefghijabcdefghijabc", name, &err), -EINVAL,
	       "33 characters");
	ecsfs_err_release(&err);
}

static int count_cb(void *data, const char *name)
{
	(*(int *)data)++;
	return 0;
}

static void test_store_rows(void)
{
	ecsfs_buf doc = ECSFS_BUF_INIT;
	int64_t created = 0;
	int n = 0;

	is_int(ecsfs_store_elb_put(s, "targetgroup", "a", 5, "{\"Port\":80}"), 0, "put a row");
	is_int(ecsfs_store_elb_put(s, "loadbalancer", "a", 6, "{}"), 0, "same name, other kind");
	is_int(ecsfs_store_elb_get(s, "targetgroup", "a", &created, &doc), 0, "get it");
	ok(created == 5 && strcmp(doc.data, "{\"Port\":80}") == 0, "created and document kept");
	ecsfs_store_elb_list(s, "targetgroup", count_cb, &n);
	is_int(n, 1, "listed by kind");
	is_int(ecsfs_store_elb_delete(s, "targetgroup", "a"), 0, "delete");
	is_int(ecsfs_store_elb_delete(s, "targetgroup", "a"), -ENOENT, "delete again: ENOENT");
	is_int(ecsfs_store_elb_get(s, "loadbalancer", "a", NULL, NULL), 0, "the other stays");
	ecsfs_store_elb_delete(s, "loadbalancer", "a");
	ecsfs_buf_release(&doc);
}

static void test_targets(void)
{
	ecsfs_lb *lb;
	ecsfs_err err = ECSFS_ERR_INIT;

	is_int(ecsfs_lb_new(&loop, s, NULL, &lb), 0, "a controller without a data plane");
	ecsfs_lb_set_change_cb(lb, on_change, NULL);
	is_int(ecsfs_lb_group_exists(lb, "web", &err), -ENOENT, "no group yet");
	ok(strstr(err.msg.data, "web"), "the message names it: %s", err.msg.data);
	put_group("web", "{\"Protocol\":\"HTTP\",\"Port\":80}");
	is_int(ecsfs_lb_group_exists(lb, "web", &err), 0, "a spec document makes it exist");
	is_int(ecsfs_lb_register(lb, "web", "prod", "svc", "t1", "10.0.0.2", 8080, &err), 0,
	       "register");
	is_int(ecsfs_lb_register(lb, "web", "prod", "svc", "t1", "10.0.0.2", 8080, &err), 0,
	       "register again is idempotent");
	is_int(ecsfs_lb_register(lb, "nope", "prod", "svc", "t1", "10.0.0.2", 8080, &err), -ENOENT,
	       "register in an unknown group");
	is_int(ecsfs_lb_register(lb, "web", "prod", "svc", "t2", "10.0.0.3", 0, &err), -EINVAL,
	       "port 0");
	is_int(ecsfs_lb_target_state(lb, "web", "t1"), ECSFS_TARGET_INITIAL, "initial first");
	uv_run(&loop, UV_RUN_NOWAIT);
	is_int(ecsfs_lb_target_state(lb, "web", "t1"), ECSFS_TARGET_HEALTHY,
	       "healthy once looked at (no data plane)");
	ok(changes > 0, "the change callback ran");
	is_int(ecsfs_lb_deregister(lb, "web", "t1", &err), 0, "deregister");
	is_int(ecsfs_lb_target_state(lb, "web", "t1"), ECSFS_TARGET_DRAINING, "draining");
	is_int(ecsfs_lb_deregister(lb, "web", "t1", &err), 0, "deregister again");
	uv_run(&loop, UV_RUN_NOWAIT);
	is_int(ecsfs_lb_target_state(lb, "web", "t1"), ECSFS_TARGET_NONE,
	       "gone once its connections ended");
	is_int(ecsfs_lb_deregister(lb, "web", "t9", &err), 0, "deregister of no target is 0");
	ecsfs_lb_free(lb);
	uv_run(&loop, UV_RUN_DEFAULT);
	ecsfs_err_release(&err);
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	if (!mkdtemp(dir) || ecsfs_store_open(dir, &s, &why) < 0) {
		printf("Bail out! %s\n", why.data);
		return 1;
	}
	uv_loop_init(&loop);
	test_refs();
	test_store_rows();
	test_targets();
	uv_loop_close(&loop);
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	tap_rmtree(dir);
	return tap_done();
}
