/*
 * Tags by ARN (ecsfs/tag.h): a cluster's live in its cluster.json, every
 * other resource's in the store; ECS's limits and merge rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "tap.h"
#include "tap_err.h"

static ecsfs_store *s;
static ecsfs_err err = ECSFS_ERR_INIT;

static json_t *tags(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!j) {
		printf("Bail out! bad test JSON %s\n", text);
		exit(1);
	}
	return j;
}

/* The tags of arn as compact JSON (freed by the next call). */
static const char *shown(const char *arn)
{
	static char *last;
	json_t *t = NULL;
	free(last);
	last = NULL;
	if (ecsfs_tags_get(s, arn, &t) == 0) {
		last = json_dumps(t, JSON_COMPACT);
		json_decref(t);
	}
	return last;
}

static void check_store_tags(void)
{
	const char *arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1";
	json_t *t;

	is_str(shown(arn), "[]", "no tags at first");
	t = tags("[{\"key\":\"b\",\"value\":\"1\"},{\"key\":\"a\",\"value\":\"2\"}]");
	works(ecsfs_tags_put(s, arn, t, &err), "tag");
	json_decref(t);
	t = tags("[{\"key\":\"b\",\"value\":\"3\"},{\"key\":\"c\"}]");
	works(ecsfs_tags_put(s, arn, t, &err), "tag again: one changes, one is new");
	json_decref(t);
	is_str(shown(arn),
	       "[{\"key\":\"b\",\"value\":\"3\"},{\"key\":\"a\",\"value\":\"2\"},"
	       "{\"key\":\"c\",\"value\":\"\"}]",
	       "merged in the order keys came");
	t = tags("[\"a\",\"zz\"]");
	works(ecsfs_tags_remove(s, arn, t, &err), "untag (an unknown key is ignored)");
	json_decref(t);
	is_str(shown(arn), "[{\"key\":\"b\",\"value\":\"3\"},{\"key\":\"c\",\"value\":\"\"}]",
	       "one key gone");
	is_int(ecsfs_tags_drop(s, arn), 0, "drop");
	is_str(shown(arn), "[]", "none left");
}

static void check_limits(void)
{
	const char *arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2";
	json_t *t = json_array();

	for (int i = 0; i < 50; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		json_array_append_new(t, json_pack("{s:s, s:s}", "key", k, "value", "v"));
	}
	works(ecsfs_tags_put(s, arn, t, &err), "50 tags");
	json_decref(t);
	t = tags("[{\"key\":\"one-more\",\"value\":\"v\"}]");
	fails(ecsfs_tags_put(s, arn, t, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER, "a 51st tag");
	json_decref(t);
	t = tags("[{\"key\":\"AWS:x\",\"value\":\"v\"}]");
	fails(ecsfs_tags_put(s, arn, t, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "the aws: prefix");
	is_str(err.msg.data, "tags[0].key: 'AWS:x': the aws: prefix is reserved", "says why");
	json_decref(t);
	t = tags("[{\"key\":\"\",\"value\":\"v\"}]");
	fails(ecsfs_tags_check(t, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER, "an empty key");
	json_decref(t);
	t = json_array();
	char big[300];
	memset(big, 'v', 257);
	big[257] = '\0';
	json_array_append_new(t, json_pack("{s:s, s:s}", "key", "k", "value", big));
	fails(ecsfs_tags_check(t, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER, "a 257-byte value");
	json_decref(t);
	ecsfs_tags_drop(s, arn);
}

static void check_cluster_tags(void)
{
	const char *arn = "arn:aws:ecs:us-east-1:000000000000:cluster/prod";
	ecsfs_buf data = ECSFS_BUF_INIT;
	json_t *t;

	fails(ecsfs_tags_resource_check(s, arn, &err), -ENOENT, ECSFS_E_RESOURCE_NOT_FOUND,
	      "no such cluster yet");
	works(ecsfs_cluster_create(s, "prod", &err), "create");
	works(ecsfs_tags_resource_check(s, arn, &err), "the cluster takes tags");
	t = tags("[{\"key\":\"team\",\"value\":\"core\"}]");
	works(ecsfs_tags_put(s, arn, t, &err), "tag the cluster");
	json_decref(t);
	is_str(shown(arn), "[{\"key\":\"team\",\"value\":\"core\"}]", "its tags");
	ok(ecsfs_store_file_get(s, "/spec/clusters/prod", "cluster.json", NULL, &data) == 0 &&
	       strstr(data.data, "\"team\""),
	   "cluster.json shows them");
	t = tags("[\"team\"]");
	works(ecsfs_tags_remove(s, arn, t, &err), "untag the cluster");
	json_decref(t);
	is_str(shown(arn), "[]", "none left");
	ecsfs_buf_release(&data);
	fails(ecsfs_tags_resource_check(s, "arn:aws:ecs:us-east-1:000000000000:volume/x", &err),
	      -EINVAL, ECSFS_E_INVALID_PARAMETER, "an ARN of no taggable kind");
	fails(ecsfs_tags_resource_check(s, "prod", &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "not an ARN");
	fails(ecsfs_tags_resource_check(s, "arn:aws:ecs:us-east-1:000000000000:service/prod/web",
					&err),
	      -ENOENT, ECSFS_E_RESOURCE_NOT_FOUND, "no such service");
	fails(ecsfs_tags_resource_check(
		  s, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:9", &err),
	      -ENOENT, ECSFS_E_RESOURCE_NOT_FOUND, "no such revision");
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-tags-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (!mkdtemp(dir))
		return 1;
	is_int(ecsfs_store_open(dir, &s, &why), 0, "store opens");
	check_store_tags();
	check_limits();
	check_cluster_tags();
	shown(""); /* frees the last one */
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
