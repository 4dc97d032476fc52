/*
 * Task definitions: the rules of one container — its port mappings,
 * health check, dependsOn, links, mount points, volumesFrom, ulimits,
 * environment and memory — against each other, the other containers and
 * the task (see model/taskdef_private.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "model/taskdef_private.h"

static bool has_volume(const struct ecsfs__td_check *v, const char *name)
{
	const json_t *vol;
	size_t i;

	json_array_foreach(v->volumes, i, vol) {
		if (strcmp(ecsfs__td_str(vol, "name"), name) == 0)
			return true;
	}
	return false;
}

/* Parse "lo-hi" of containerPortRange. */
static int parse_port_range(const char *s, long long *lo, long long *hi)
{
	long long *p = lo;

	*lo = *hi = 0;
	for (int part = 0; part < 2; part++, p = hi) {
		int digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 6; s++, digits++)
			*p = *p * 10 + (*s - '0');
		if (!digits || *p < 1 || *p > 65535)
			return -EINVAL;
		if (part == 0 && *s++ != '-')
			return -EINVAL;
	}
	return *s == '\0' && *lo <= *hi ? 0 : -EINVAL;
}

static bool port_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

struct port_span {
	long long lo, hi;
	const char *proto;
};

static int check_port_mapping(struct ecsfs__td_check *v, const json_t *pm, struct port_span *span)
{
	const json_t *port = json_object_get(pm, "containerPort");
	const char *range = ecsfs__td_str(pm, "containerPortRange");
	const json_t *host = json_object_get(pm, "hostPort");
	const char *name = ecsfs__td_str(pm, "name");
	bool bridge_or_vpc = !strcmp(v->mode, "bridge") || !strcmp(v->mode, "awsvpc");
	size_t mark;

	span->proto = ecsfs__td_str(pm, "protocol") ? ecsfs__td_str(pm, "protocol") : "tcp";
	if (!port && !range) {
		ecsfs_shape_key(v->sc, "containerPort");
		return ecsfs_shape_fail(v->sc, "missing; give containerPort or containerPortRange");
	}
	if (port && range) {
		ecsfs_shape_key(v->sc, "containerPortRange");
		return ecsfs_shape_fail(v->sc, "cannot be combined with containerPort");
	}
	if (range) {
		mark = ecsfs_shape_key(v->sc, "containerPortRange");
		if (parse_port_range(range, &span->lo, &span->hi) < 0)
			return ecsfs_shape_fail(
			    v->sc, "'%s' is not a range \"first-last\" of ports 1..65535",
			    ecsfs_shape_shown(v->sc, range));
		if (!bridge_or_vpc)
			return ecsfs_shape_fail(v->sc, "needs networkMode bridge or awsvpc, not %s",
						v->mode);
		ecsfs_shape_pop(v->sc, mark);
		if (host) {
			ecsfs_shape_key(v->sc, "hostPort");
			return ecsfs_shape_fail(v->sc,
						"cannot be combined with containerPortRange");
		}
	} else {
		span->lo = span->hi = json_integer_value(port);
	}
	/* Without a networkMode a task gets its own address on the cluster's
	 * network, as in awsvpc, so awsvpc's port rule holds for it too. */
	if (host && port &&
	    (!strcmp(v->mode, "host") || !strcmp(v->mode, "awsvpc") || v->mode_unset) &&
	    json_integer_value(host) != span->lo) {
		ecsfs_shape_key(v->sc, "hostPort");
		return ecsfs_shape_fail(v->sc,
					"%lld must equal containerPort %lld in %s network mode",
					(long long)json_integer_value(host), span->lo,
					v->mode_unset ? "awsvpc (the default)" : v->mode);
	}
	if (ecsfs__td_str(pm, "appProtocol") && !bridge_or_vpc) {
		ecsfs_shape_key(v->sc, "appProtocol");
		return ecsfs_shape_fail(v->sc, "needs networkMode bridge or awsvpc, not %s",
					v->mode);
	}
	if (name && !port_name_ok(name)) {
		ecsfs_shape_key(v->sc, "name");
		return ecsfs_shape_fail(
		    v->sc,
		    "'%s' must be 1 to 64 lowercase letters, digits, '_' or '-', not "
		    "starting with '-'",
		    ecsfs_shape_shown(v->sc, name));
	}
	return 0;
}

static int check_port_mappings(struct ecsfs__td_check *v, const json_t *list)
{
	size_t n = json_array_size(list), i, j, mark;
	struct port_span *spans;
	int r = 0;

	if (!n)
		return 0;
	if (!strcmp(v->mode, "none"))
		return ecsfs_shape_fail(v->sc, "are not possible in none network mode");
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		abort(); /* as ecsfs_buf does: nothing useful is left to do */
	for (i = 0; i < n && r == 0; i++) {
		mark = ecsfs_shape_index(v->sc, i);
		if ((r = check_port_mapping(v, json_array_get(list, i), &spans[i])) < 0)
			break;
		for (j = 0; j < i; j++) {
			if (strcmp(spans[i].proto, spans[j].proto) != 0 ||
			    spans[i].hi < spans[j].lo || spans[j].hi < spans[i].lo)
				continue;
			ecsfs_shape_key(v->sc,
					json_object_get(json_array_get(list, i), "containerPort")
					    ? "containerPort"
					    : "containerPortRange");
			r = ecsfs_shape_fail(v->sc,
					     "%lld/%s is already mapped by portMappings[%zu]",
					     spans[i].lo > spans[j].lo ? spans[i].lo : spans[j].lo,
					     spans[i].proto, j);
			break;
		}
		if (r == 0)
			ecsfs_shape_pop(v->sc, mark);
	}
	free(spans);
	return r;
}

static int check_health_check(struct ecsfs__td_check *v, const json_t *hc)
{
	const json_t *cmd = json_object_get(hc, "command");
	const char *first = json_string_value(json_array_get(cmd, 0));

	if (strcmp(first, "NONE") == 0)
		return 0;
	if (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) {
		ecsfs_shape_key(v->sc, "command");
		ecsfs_shape_index(v->sc, 0);
		return ecsfs_shape_fail(v->sc, "must be CMD, CMD-SHELL or NONE, got '%s'",
					ecsfs_shape_shown(v->sc, first));
	}
	if (json_array_size(cmd) < 2) {
		ecsfs_shape_key(v->sc, "command");
		return ecsfs_shape_fail(v->sc, "%s needs a command after it", first);
	}
	return 0;
}

/* A field that names another container of the task (dependsOn,
 * volumesFrom): its index in *t. */
static int other_container(struct ecsfs__td_check *v, size_t self, const char *name,
			   const char *verb, int *t)
{
	*t = ecsfs__td_find(v, name);
	if (*t < 0)
		return ecsfs_shape_fail(v->sc, "no container is named '%s'",
					ecsfs_shape_shown(v->sc, name));
	if ((size_t)*t == self)
		return ecsfs_shape_fail(v->sc, "a container cannot %s itself", verb);
	return 0;
}

static int check_depends_on(struct ecsfs__td_check *v, size_t self, const json_t *list)
{
	const json_t *dep;
	size_t i;

	json_array_foreach(list, i, dep) {
		const char *target = ecsfs__td_str(dep, "containerName");
		const char *cond = ecsfs__td_str(dep, "condition");
		size_t mark = ecsfs_shape_index(v->sc, i);
		int t, r;

		ecsfs_shape_key(v->sc, "containerName");
		if ((r = other_container(v, self, target, "depend on", &t)) < 0)
			return r;
		ecsfs_shape_pop(v->sc, mark);
		ecsfs_shape_index(v->sc, i);
		ecsfs_shape_key(v->sc, "condition");
		if ((!strcmp(cond, "COMPLETE") || !strcmp(cond, "SUCCESS")) && v->c[t].essential)
			return ecsfs_shape_fail(
			    v->sc, "%s needs a non-essential container, and %s is essential", cond,
			    target);
		if (!strcmp(cond, "HEALTHY") && !v->c[t].healthy)
			return ecsfs_shape_fail(v->sc, "HEALTHY needs %s to have a healthCheck",
						target);
		ecsfs_shape_pop(v->sc, mark);
	}
	return 0;
}

static int check_links(struct ecsfs__td_check *v, size_t self, const json_t *list)
{
	const json_t *e;
	size_t i;

	if (json_array_size(list) && strcmp(v->mode, "bridge") != 0)
		return ecsfs_shape_fail(v->sc, "are supported only in bridge network mode, not %s",
					v->mode);
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e), *colon = strchr(s, ':');
		size_t len = colon ? (size_t)(colon - s) : strlen(s);
		size_t t, mark = ecsfs_shape_index(v->sc, i);

		for (t = 0; t < v->n; t++)
			if (strlen(v->c[t].name) == len && !strncmp(v->c[t].name, s, len))
				break;
		if (t == v->n)
			return ecsfs_shape_fail(v->sc, "'%s' does not name a container",
						ecsfs_shape_shown(v->sc, s));
		if (t == self)
			return ecsfs_shape_fail(v->sc, "a container cannot link to itself");
		if (colon && !colon[1])
			return ecsfs_shape_fail(v->sc, "'%s' has an empty alias",
						ecsfs_shape_shown(v->sc, s));
		ecsfs_shape_pop(v->sc, mark);
	}
	return 0;
}

static int check_mount_points(struct ecsfs__td_check *v, const json_t *list)
{
	const json_t *mp;
	size_t i, j;

	json_array_foreach(list, i, mp) {
		const char *src = ecsfs__td_str(mp, "sourceVolume");
		const char *dst = ecsfs__td_str(mp, "containerPath");
		size_t mark = ecsfs_shape_index(v->sc, i);

		if (!has_volume(v, src)) {
			ecsfs_shape_key(v->sc, "sourceVolume");
			return ecsfs_shape_fail(v->sc, "'%s' is not the name of a task volume",
						ecsfs_shape_shown(v->sc, src));
		}
		for (j = 0; j < i; j++) {
			if (strcmp(ecsfs__td_str(json_array_get(list, j), "containerPath"), dst) !=
			    0)
				continue;
			ecsfs_shape_key(v->sc, "containerPath");
			return ecsfs_shape_fail(v->sc,
						"'%s' is already mounted by mountPoints[%zu]",
						ecsfs_shape_shown(v->sc, dst), j);
		}
		ecsfs_shape_pop(v->sc, mark);
	}
	return 0;
}

static int check_volumes_from(struct ecsfs__td_check *v, size_t self, const json_t *list)
{
	const json_t *vf;
	size_t i;

	json_array_foreach(list, i, vf) {
		const char *src = ecsfs__td_str(vf, "sourceContainer");
		size_t mark = ecsfs_shape_index(v->sc, i);
		int t, r;

		ecsfs_shape_key(v->sc, "sourceContainer");
		if ((r = other_container(v, self, src, "take volumes from", &t)) < 0)
			return r;
		ecsfs_shape_pop(v->sc, mark);
	}
	return 0;
}

static int check_ulimits(struct ecsfs__td_check *v, const json_t *list)
{
	const json_t *u;
	size_t i, j;

	json_array_foreach(list, i, u) {
		const char *name = ecsfs__td_str(u, "name");
		long long soft = ecsfs__td_int(u, "softLimit", 0),
			  hard = ecsfs__td_int(u, "hardLimit", 0);
		size_t mark = ecsfs_shape_index(v->sc, i);

		for (j = 0; j < i; j++) {
			if (strcmp(ecsfs__td_str(json_array_get(list, j), "name"), name) != 0)
				continue;
			ecsfs_shape_key(v->sc, "name");
			return ecsfs_shape_fail(v->sc, "%s is already set by ulimits[%zu]", name,
						j);
		}
		/* -1 is unlimited */
		if (hard != -1 && (soft == -1 || soft > hard)) {
			ecsfs_shape_key(v->sc, "softLimit");
			return ecsfs_shape_fail(v->sc, "%lld is above hardLimit %lld", soft, hard);
		}
		ecsfs_shape_pop(v->sc, mark);
	}
	return 0;
}

static int check_environment(struct ecsfs__td_check *v, const json_t *list)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *name = ecsfs__td_str(e, "name");
		if (!strchr(name, '='))
			continue;
		ecsfs_shape_index(v->sc, i);
		ecsfs_shape_key(v->sc, "name");
		return ecsfs_shape_fail(v->sc, "'%s' must not contain '='",
					ecsfs_shape_shown(v->sc, name));
	}
	return 0;
}

/* Container memory against Docker's floor, its reservation and the task. */
static int check_memory(struct ecsfs__td_check *v, const json_t *c)
{
	long long mem = ecsfs__td_int(c, "memory", -1),
		  res = ecsfs__td_int(c, "memoryReservation", -1);

	if (mem < 0 && res < 0 && v->task_mem < 0) {
		ecsfs_shape_key(v->sc, "memory");
		return ecsfs_shape_fail(v->sc,
					"missing; without a task-level memory each container needs "
					"memory or memoryReservation");
	}
	if (mem >= 0 && mem < ECSFS__DOCKER_MIN_MEMORY) {
		ecsfs_shape_key(v->sc, "memory");
		return ecsfs_shape_fail(v->sc, "%lld MiB is below Docker's minimum of %d MiB", mem,
					ECSFS__DOCKER_MIN_MEMORY);
	}
	if (res >= 0 && res < ECSFS__DOCKER_MIN_MEMORY) {
		ecsfs_shape_key(v->sc, "memoryReservation");
		return ecsfs_shape_fail(v->sc, "%lld MiB is below Docker's minimum of %d MiB", res,
					ECSFS__DOCKER_MIN_MEMORY);
	}
	if (mem >= 0 && res >= 0 && res > mem) {
		ecsfs_shape_key(v->sc, "memory");
		return ecsfs_shape_fail(v->sc, "%lld is below memoryReservation %lld", mem, res);
	}
	if (mem >= 0 && v->task_mem >= 0 && mem > v->task_mem) {
		ecsfs_shape_key(v->sc, "memory");
		return ecsfs_shape_fail(v->sc, "%lld is above the task's memory %lld", mem,
					v->task_mem);
	}
	if (res >= 0 && v->task_mem >= 0 && res > v->task_mem) {
		ecsfs_shape_key(v->sc, "memoryReservation");
		return ecsfs_shape_fail(v->sc, "%lld is above the task's memory %lld", res,
					v->task_mem);
	}
	return 0;
}

/* When `c` has the field `key`, evaluate `call` (which may use the field's
 * value as f_) with the field's path, and return on failure. */
#define CHECK_FIELD(v, c, key, call)                             \
	do {                                                     \
		const json_t *f_ = json_object_get(c, key);      \
		if (f_) {                                        \
			size_t m_ = ecsfs_shape_key(v->sc, key); \
			if ((r = (call)) < 0)                    \
				return r;                        \
			ecsfs_shape_pop(v->sc, m_);              \
		}                                                \
	} while (0)

int ecsfs__td_check_container(struct ecsfs__td_check *v, size_t i)
{
	const json_t *c = v->c[i].def;
	int r;

	ecsfs_shape_path(v->sc, "containerDefinitions[%zu]", i);
	if ((r = check_memory(v, c)) < 0)
		return r;
	CHECK_FIELD(v, c, "portMappings", check_port_mappings(v, f_));
	CHECK_FIELD(v, c, "healthCheck", check_health_check(v, f_));
	CHECK_FIELD(v, c, "dependsOn", check_depends_on(v, i, f_));
	CHECK_FIELD(v, c, "links", check_links(v, i, f_));
	CHECK_FIELD(v, c, "mountPoints", check_mount_points(v, f_));
	CHECK_FIELD(v, c, "volumesFrom", check_volumes_from(v, i, f_));
	CHECK_FIELD(v, c, "ulimits", check_ulimits(v, f_));
	CHECK_FIELD(v, c, "environment", check_environment(v, f_));
	if (!strcmp(v->mode, "awsvpc")) {
		CHECK_FIELD(v, c, "hostname",
			    ecsfs_shape_fail(v->sc, "is not supported in awsvpc network mode"));
		CHECK_FIELD(v, c, "extraHosts",
			    ecsfs_shape_fail(v->sc, "are not supported in awsvpc network mode"));
	}
	return 0;
}
