/* RunTask overrides applied to a copy of a task definition. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"
#include "ecsfs/taskdef.h"

/* ---- RunTask overrides ---- */

/* environment of an override: a name already set gets the new value in
 * place, a new one is appended. */
static int merge_env(struct lc *l, json_t *c, const json_t *add)
{
	json_t *env = json_object_get(c, "environment"), *have;
	const json_t *e;
	size_t i, k;
	int r;

	if (!env) {
		env = must(json_array());
		set(c, "environment", env);
	}
	if ((r = ecsfs__lc_check_type(l, env, J_ARR)) < 0)
		return r;
	for (i = 0; i < json_array_size(add); i++) {
		const char *name;
		bool done = false;
		size_t mark = l->at.len;
		if ((r = ecsfs__lc_element(l, add, i, &e)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "name", &name)) < 0)
			return r;
		if (!name)
			return ecsfs__lc_fail(l, "needs a name");
		json_array_foreach(env, k, have) {
			if (is(json_string_value(json_object_get(have, "name")), name)) {
				json_array_set_new(env, k, must(json_deep_copy(e)));
				done = true;
				break;
			}
		}
		if (!done)
			push(env, json_deep_copy(e));
		ecsfs__lc_at_pop(l, mark);
	}
	return 0;
}

static json_t *find_container(json_t *taskdef, const char *name)
{
	json_t *defs = json_object_get(taskdef, "containerDefinitions"), *c;
	size_t i;

	json_array_foreach(defs, i, c) {
		if (is(json_string_value(json_object_get(c, "name")), name))
			return c;
	}
	return NULL;
}

static int container_override(struct lc *l, json_t *taskdef, const json_t *o)
{
	static const char *const replaced[] = {"command", "cpu", "memory", "memoryReservation",
					       "resourceRequirements"};
	const char *name, *key;
	json_t *c, *v;
	size_t i;
	int r;

	if ((r = ecsfs__lc_get_str(l, o, "name", &name)) < 0)
		return r;
	if (!name) {
		ecsfs__lc_at_key(l, "name");
		return ecsfs__lc_fail(l, "missing; it is required");
	}
	if (!(c = find_container(taskdef, name))) {
		ecsfs__lc_at_key(l, "name");
		return ecsfs__lc_fail(l, "no container named %s in the task definition", name);
	}
	json_object_foreach((json_t *)o, key, v) {
		size_t mark = ecsfs__lc_at_key(l, key);
		bool known = false;
		for (i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++) {
			if (strcmp(key, replaced[i]) == 0) {
				set(c, key, json_deep_copy(v));
				known = true;
			}
		}
		if (strcmp(key, "environment") == 0) {
			if ((r = ecsfs__lc_check_type(l, v, J_ARR)) < 0 ||
			    (r = merge_env(l, c, v)) < 0)
				return r;
		} else if (strcmp(key, "environmentFiles") == 0) {
			json_t *files = json_object_get(c, "environmentFiles");
			if ((r = ecsfs__lc_check_type(l, v, J_ARR)) < 0)
				return r;
			if (!files) {
				files = must(json_array());
				set(c, "environmentFiles", files);
			}
			if (!json_is_array(files))
				return ecsfs__lc_fail(l, "cannot be added to the container's own");
			for (i = 0; i < json_array_size(v); i++)
				push(files, json_deep_copy(json_array_get(v, i)));
		} else if (!known && strcmp(key, "name") != 0) {
			return ecsfs__lc_fail(
			    l, "unknown field; a container override may set command, "
			       "environment, environmentFiles, cpu, memory, "
			       "memoryReservation and resourceRequirements");
		}
		ecsfs__lc_at_pop(l, mark);
	}
	return 0;
}

int ecsfs_launch_apply_overrides(json_t *taskdef, const json_t *overrides, ecsfs_buf *why)
{
	static const char *const task_fields[] = {"cpu", "memory", "taskRoleArn",
						  "executionRoleArn", "ephemeralStorage"};
	const char *key, *family;
	json_t *v;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	struct lc l;
	size_t i;
	int r = 0;

	memset(&l, 0, sizeof(l));
	l.why = why;
	ecsfs_buf_init(&l.at);
	ecsfs_buf_adds(&l.at, "overrides");
	if (!overrides || json_is_null(overrides))
		goto out;
	if ((r = ecsfs__lc_check_type(&l, overrides, J_OBJ)) < 0)
		goto out;
	if (!json_is_object(taskdef)) {
		r = ecsfs__lc_fail(&l, "the task definition is not a JSON object");
		goto out;
	}
	json_object_foreach((json_t *)overrides, key, v) {
		size_t mark = ecsfs__lc_at_key(&l, key), base = l.at.len;
		size_t n = sizeof(task_fields) / sizeof(task_fields[0]);
		for (i = 0; i < n && strcmp(key, task_fields[i]) != 0; i++)
			;
		if (i < n) {
			set(taskdef, key, json_deep_copy(v));
		} else if (strcmp(key, "containerOverrides") == 0) {
			if ((r = ecsfs__lc_check_type(&l, v, J_ARR)) < 0)
				goto out;
			for (size_t k = 0; k < json_array_size(v); k++) {
				const json_t *o;
				if ((r = ecsfs__lc_element(&l, v, k, &o)) < 0 ||
				    (r = container_override(&l, taskdef, o)) < 0)
					goto out;
				ecsfs__lc_at_pop(&l, base);
			}
		} else if (strcmp(key, "inferenceAcceleratorOverrides") == 0) {
			/* describe-tasks shows it: kept with the task, no meaning here */
			if ((r = ecsfs__lc_check_type(&l, v, J_ARR)) < 0)
				goto out;
		} else {
			r = ecsfs__lc_fail(
			    &l, "unknown field; overrides may set containerOverrides, cpu, "
				"memory, taskRoleArn, executionRoleArn, ephemeralStorage and "
				"inferenceAcceleratorOverrides");
			goto out;
		}
		ecsfs__lc_at_pop(&l, mark);
	}
	/* the result must still be a task definition ECS would accept: an
	 * override may break memory >= memoryReservation, or fit no more */
	family = json_string_value(json_object_get(taskdef, "family"));
	if ((r = ecsfs_taskdef_validate(family ? family : "overrides", taskdef, &msg)) < 0)
		ecsfs_buf_setf(why, "overrides: they make the task definition invalid: %s",
			       msg.data);
out:
	ecsfs_buf_release(&msg);
	ecsfs_buf_release(&l.at);
	return r;
}
