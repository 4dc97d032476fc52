#include <errno.h>
#include <stdlib.h>

#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "tap.h"

static int count_cb(void *data, int64_t rev)
{
	(*(int *)data)++;
	return 0;
}

static int name_cb(void *data, const char *name)
{
	(*(int *)data)++;
	return 0;
}

static ecsfs_err err = ECSFS_ERR_INIT;

static int reg(ecsfs_store *s, const char *family, const char *doc, int64_t *rev, ecsfs_buf *why)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err_reset(&err);
	return ecsfs_taskdef_register_file(s, family, doc, strlen(doc), &meta, rev, &err);
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-taskdef-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	ecsfs_store *s;
	int64_t rev = 0, latest = 0;
	bool active;
	int n;
	const char *v1 = "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":64}],\"taskRoleArn\":\"arn:aws:iam::1:role/x\"}";
	const char *v1b = "{ \"taskRoleArn\": \"arn:aws:iam::1:role/x\",\n  \"family\": \"web\","
			  " \"containerDefinitions\": [ { \"memory\": 64, \"image\": \"busybox\", "
			  "\"name\": \"app\" } ] }\n";
	const char *v2 = "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":128}]}";

	/* the ARNs below were written for region "local" */
	ecsfs_arn_configure("local", NULL, NULL);

	if (!mkdtemp(dir))
		return 1;
	is_int(ecsfs_store_open(dir, &s, &why), 0, "open a store");
	is_int(reg(s, "web", v1, &rev, &why), 0, "register web");
	is_int(rev, 1, "as revision 1");
	is_int(reg(s, "web", v1b, &rev, &why), 0, "the same document reformatted");
	is_int(rev, 1, "makes no new revision");
	ecsfs_file_meta meta;
	ecsfs_store_file_get(s, "/spec/taskdefs", "web.json", &meta, &out);
	ok(out.len == strlen(v1b) && memcmp(out.data, v1b, out.len) == 0,
	   "but the spec file keeps the bytes last written");
	is_int(reg(s, "web", v2, &rev, &why), 0, "a changed document");
	is_int(rev, 2, "is revision 2");
	is_int(reg(s, "web", "{\"family\":\"api\",\"containerDefinitions\":[]}", &rev, &why),
	       -EINVAL, "a wrong family is refused");
	is_int(reg(s, "bad name", v1, &rev, &why), -EINVAL, "a bad family name is refused");

	json_t *d = NULL;
	is_int(ecsfs_taskdef_describe(s, "web", 1, &d, &err), 0, "describe revision 1");
	is_str(json_string_value(json_object_get(d, "taskDefinitionArn")),
	       "arn:aws:ecs:local:000000000000:task-definition/web:1", "its ARN");
	is_str(json_string_value(json_object_get(d, "taskRoleArn")), "arn:aws:iam::1:role/x",
	       "kept fields are shown");
	ok(json_is_true(json_object_get(
	       json_array_get(json_object_get(d, "containerDefinitions"), 0), "essential")),
	   "essential defaults to true");
	json_decref(d);

	is_int(ecsfs_taskdef_deregister(s, "web", 2, NULL, &err), 0, "deregister revision 2");
	is_int(ecsfs_taskdef_exists(s, "web", 2, &active), 0, "it still exists");
	ok(!active, "as INACTIVE");
	is_int(ecsfs_taskdef_latest(s, "web", &latest), 0, "latest");
	is_int(latest, 1, "falls back to revision 1");
	ecsfs_buf_reset(&out);
	ecsfs_store_file_get(s, "/spec/taskdefs", "web.json", NULL, &out);
	ok(strstr(out.data, "\"memory\":64") != NULL, "the spec file shows revision 1's bytes");
	/* the front end's answer to a second rm (EINVAL) is the core's own now */
	is_int(ecsfs_taskdef_deregister(s, "web", 2, NULL, &err), -EINVAL, "twice is EINVAL");
	is_int(ecsfs_taskdef_deregister(s, "web", 9, NULL, &err), -ENOENT,
	       "an unknown revision is ENOENT");
	n = 0;
	ecsfs_store_taskdef_revisions(s, "web", count_cb, &n);
	is_int(n, 1, "one ACTIVE revision listed");

	is_int(ecsfs_taskdef_deregister_family(s, "web", &err), 0, "deregister the family");
	is_int(ecsfs_taskdef_latest(s, "web", &latest), -ENOENT, "no ACTIVE revision left");
	is_int(ecsfs_store_file_get(s, "/spec/taskdefs", "web.json", NULL, NULL), -ENOENT,
	       "the spec file is gone");
	n = 0;
	ecsfs_store_taskdef_families(s, name_cb, &n);
	is_int(n, 0, "the family leaves the listing");
	is_int(reg(s, "web", v1, &rev, &why), 0, "register again");
	is_int(rev, 3, "revision numbers are never reused");
	n = 0;
	ecsfs_store_taskdef_families(s, name_cb, &n);
	is_int(n, 1, "listed again");

	ecsfs_store_close(s);
	tap_rmtree(dir);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&out);
	ecsfs_err_release(&err);
	return tap_done();
}
