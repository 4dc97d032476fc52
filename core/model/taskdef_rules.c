/*
 * Task definitions: validation of a RegisterTaskDefinition document.
 *
 * Two passes. The first is the shape checker along the field tables of
 * taskdef_shape.c: names, JSON types, required fields, enumerations and
 * plain ranges. The second, which may then trust the types, checks what
 * ties fields together: the family, task size and Fargate's sizes, volumes,
 * container names and references, totals, and dependsOn cycles here; each
 * container's own rules in taskdef_container.c.
 *
 * Every message starts with the path of the field it is about
 * ("containerDefinitions[1].memory").
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecsfs/shape.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/taskdef_private.h"

/*
 * Parse a task-level size: an integer or a string of one ("1024"), or a
 * decimal number and a unit worth 1024 ("1 vCPU", ".25 vcpu", "2GB",
 * "0.5 GB"; case and the space do not matter). ECS converts the same way.
 */
int ecsfs_taskdef_parse_size(const json_t *val, const char *unit, long long *out)
{
	const char *s = json_string_value(val);
	long long whole = 0, frac = 0, scale = 1;
	int digits = 0;

	if (json_is_integer(val)) {
		*out = json_integer_value(val);
		return *out >= 0 && *out <= ECSFS_I32_MAX ? 0 : -EINVAL;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if ((whole = whole * 10 + (*s - '0')) > ECSFS_I32_MAX)
			return -EINVAL;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (scale >= 1000000)
				return -EINVAL;
			frac = frac * 10 + (*s - '0');
			scale *= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	if (*s == ' ')
		s++;
	if (!*s) {
		if (scale != 1)
			return -EINVAL; /* "0.5" of what? */
		*out = whole;
		return 0;
	}
	if (strcasecmp(s, unit) != 0)
		return -EINVAL;
	/* whole < 2^31 and scale <= 10^6: no overflow in 64 bits */
	long long n = (whole * scale + frac) * 1024;
	if (n % scale || n / scale > ECSFS_I32_MAX)
		return -EINVAL;
	*out = n / scale;
	return 0;
}

struct fargate_size {
	long long cpu, lo, hi, step;
};

/* Fargate's task sizes, from ECS's "Task size" table. */
static const struct fargate_size fargate_sizes[] = {
    {256, 512, 512, 1},		{256, 1024, 2048, 1024},      {512, 1024, 4096, 1024},
    {1024, 2048, 8192, 1024},	{2048, 4096, 16384, 1024},    {4096, 8192, 30720, 1024},
    {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
};

static bool fargate_fits(const struct fargate_size *f, long long cpu, long long mem)
{
	return f->cpu == cpu && mem >= f->lo && mem <= f->hi && (mem - f->lo) % f->step == 0;
}

static int check_fargate(struct ecsfs__td_check *v)
{
	const size_t n = sizeof(fargate_sizes) / sizeof(fargate_sizes[0]);
	ecsfs_buf sizes = ECSFS_BUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (fargate_fits(&fargate_sizes[i], v->task_cpu, v->task_mem))
			return 0;
	for (i = 0; i < n; i++) {
		const struct fargate_size *f = &fargate_sizes[i];
		if (f->cpu != v->task_cpu)
			continue;
		if (sizes.len)
			ecsfs_buf_adds(&sizes, ", ");
		if (f->lo == f->hi)
			ecsfs_buf_addf(&sizes, "%lld", f->lo);
		else
			ecsfs_buf_addf(&sizes, "%lld to %lld in steps of %lld", f->lo, f->hi,
				       f->step);
	}
	if (!sizes.len) {
		ecsfs_shape_path(v->sc, "cpu");
		return ecsfs_shape_fail(
		    v->sc,
		    "%lld is not a Fargate task size; use 256, 512, 1024, 2048, 4096, "
		    "8192 or 16384",
		    v->task_cpu);
	}
	ecsfs_shape_path(v->sc, "memory");
	r = ecsfs_shape_fail(v->sc, "%lld MiB does not go with cpu %lld on Fargate; use %s",
			     v->task_mem, v->task_cpu, sizes.data);
	ecsfs_buf_release(&sizes);
	return r;
}

/* Task-level cpu, memory, network mode and launch types. */
static int check_task_level(struct ecsfs__td_check *v, const json_t *doc)
{
	const json_t *cpu = json_object_get(doc, "cpu"), *mem = json_object_get(doc, "memory");
	const json_t *compat = json_object_get(doc, "requiresCompatibilities");
	const json_t *e;
	size_t i;

	v->mode = ecsfs__td_str(doc, "networkMode") ? ecsfs__td_str(doc, "networkMode") : "bridge";
	v->mode_unset = !ecsfs__td_str(doc, "networkMode");
	json_array_foreach(compat, i, e) {
		if (strcmp(json_string_value(e), "FARGATE") == 0)
			v->fargate = true;
	}
	v->task_cpu = v->task_mem = -1;
	if (cpu && ecsfs_taskdef_parse_size(cpu, "vcpu", &v->task_cpu) < 0) {
		ecsfs_shape_path(v->sc, "cpu");
		if (json_is_integer(cpu))
			return ecsfs_shape_fail(v->sc, "%lld is outside 0..%lld",
						(long long)json_integer_value(cpu), ECSFS_I32_MAX);
		return ecsfs_shape_fail(
		    v->sc, "'%s' is neither CPU units (\"1024\") nor vCPUs (\"1 vCPU\")",
		    ecsfs_shape_shown(v->sc, json_string_value(cpu)));
	}
	if (mem && ecsfs_taskdef_parse_size(mem, "gb", &v->task_mem) < 0) {
		ecsfs_shape_path(v->sc, "memory");
		if (json_is_integer(mem))
			return ecsfs_shape_fail(v->sc, "%lld is outside 0..%lld",
						(long long)json_integer_value(mem), ECSFS_I32_MAX);
		return ecsfs_shape_fail(v->sc, "'%s' is neither MiB (\"2048\") nor GB (\"2 GB\")",
					ecsfs_shape_shown(v->sc, json_string_value(mem)));
	}
	if (v->fargate) {
		if (strcmp(v->mode, "awsvpc") != 0) {
			ecsfs_shape_path(v->sc, "networkMode");
			return ecsfs_shape_fail(
			    v->sc, "FARGATE requires awsvpc, got %s%s", v->mode,
			    ecsfs__td_str(doc, "networkMode") ? "" : " (the default)");
		}
		if (v->task_cpu < 0) {
			ecsfs_shape_path(v->sc, "cpu");
			return ecsfs_shape_fail(v->sc,
						"missing; FARGATE requires a task-level cpu");
		}
		if (v->task_mem < 0) {
			ecsfs_shape_path(v->sc, "memory");
			return ecsfs_shape_fail(v->sc,
						"missing; FARGATE requires a task-level memory");
		}
		return check_fargate(v);
	}
	if (v->task_cpu >= 0 && (v->task_cpu < 128 || v->task_cpu > 196608)) {
		ecsfs_shape_path(v->sc, "cpu");
		return ecsfs_shape_fail(
		    v->sc, "%lld units is outside ECS's 128..196608 (0.125 to 192 vCPUs)",
		    v->task_cpu);
	}
	if (v->task_mem >= 0 && v->task_mem < ECSFS__DOCKER_MIN_MEMORY) {
		ecsfs_shape_path(v->sc, "memory");
		return ecsfs_shape_fail(v->sc, "%lld MiB is below Docker's minimum of %d MiB",
					v->task_mem, ECSFS__DOCKER_MIN_MEMORY);
	}
	return 0;
}

static int check_volumes(struct ecsfs__td_check *v)
{
	static const char *const kinds[] = {"host", "dockerVolumeConfiguration",
					    "efsVolumeConfiguration",
					    "fsxWindowsFileServerVolumeConfiguration"};
	const json_t *vol, *dvc;
	size_t i, j;
	int r;

	json_array_foreach(v->volumes, i, vol) {
		const char *name = ecsfs__td_str(vol, "name"), *first = NULL;
		ecsfs_shape_path(v->sc, "volumes[%zu].name", i);
		if ((r = ecsfs_shape_name(v->sc, name, "volume", ecsfs_name_check)) < 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(ecsfs__td_str(json_array_get(v->volumes, j), "name"), name) == 0)
				return ecsfs_shape_fail(
				    v->sc, "'%s' is also the name of volumes[%zu]", name, j);
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
			if (!json_object_get(vol, kinds[j]))
				continue;
			if (first) {
				ecsfs_shape_path(v->sc, "volumes[%zu].%s", i, kinds[j]);
				return ecsfs_shape_fail(v->sc, "cannot be combined with %s", first);
			}
			first = kinds[j];
		}
		dvc = json_object_get(vol, "dockerVolumeConfiguration");
		if (ecsfs__td_bool(dvc, "autoprovision", false) &&
		    strcmp(ecsfs__td_str(dvc, "scope") ? ecsfs__td_str(dvc, "scope") : "task",
			   "shared") != 0) {
			ecsfs_shape_path(v->sc,
					 "volumes[%zu].dockerVolumeConfiguration.autoprovision", i);
			return ecsfs_shape_fail(v->sc, "only applies to volumes with scope shared");
		}
	}
	return 0;
}

/* Can this healthCheck ever report HEALTHY? ["NONE"] turns checks off. */
static bool reports_health(const json_t *hc)
{
	const json_t *cmd = json_object_get(hc, "command");

	return hc && strcmp(json_string_value(json_array_get(cmd, 0)), "NONE") != 0;
}

/* Names (unique), essential and health of every container. */
static int collect_containers(struct ecsfs__td_check *v, const json_t *defs)
{
	const json_t *c;
	size_t i;
	int r;

	ecsfs_shape_path(v->sc, "containerDefinitions");
	if (json_array_size(defs) == 0)
		return ecsfs_shape_fail(v->sc, "must hold at least one container");
	if (json_array_size(defs) > ECSFS__TD_MAX_CONTAINERS)
		return ecsfs_shape_fail(v->sc, "at most %d containers, got %zu",
					ECSFS__TD_MAX_CONTAINERS, json_array_size(defs));
	json_array_foreach(defs, i, c) {
		const char *name = ecsfs__td_str(c, "name");

		ecsfs_shape_path(v->sc, "containerDefinitions[%zu].name", i);
		if ((r = ecsfs_shape_name(v->sc, name, "container", ecsfs_name_check)) < 0)
			return r;
		if (ecsfs__td_find(v, name) >= 0)
			return ecsfs_shape_fail(v->sc,
						"'%s' is also the name of containerDefinitions[%d]",
						name, ecsfs__td_find(v, name));
		v->c[i].def = c;
		v->c[i].name = name;
		v->c[i].essential = ecsfs__td_bool(c, "essential", true);
		v->c[i].healthy = reports_health(json_object_get(c, "healthCheck"));
		v->n = i + 1;
	}
	for (i = 0; i < v->n; i++)
		if (v->c[i].essential)
			return 0;
	ecsfs_shape_path(v->sc, "containerDefinitions");
	return ecsfs_shape_fail(
	    v->sc, "no container is essential; at least one must be (essential defaults to "
		   "true)");
}

/* Depth-first search for a dependsOn cycle through container `i`. */
static int find_cycle(struct ecsfs__td_check *v, size_t i, int *color, size_t *stack, size_t depth)
{
	const json_t *dep;
	size_t k;
	int r;

	color[i] = 1; /* on the stack */
	stack[depth] = i;
	json_array_foreach(json_object_get(v->c[i].def, "dependsOn"), k, dep) {
		size_t t = (size_t)ecsfs__td_find(v, ecsfs__td_str(dep, "containerName"));
		if (color[t] == 1) {
			size_t from = 0;
			while (stack[from] != t)
				from++;
			ecsfs_shape_path(v->sc, "containerDefinitions[%zu].dependsOn", t);
			ecsfs_buf cycle = ECSFS_BUF_INIT;
			for (size_t s = from; s <= depth; s++)
				ecsfs_buf_addf(&cycle, "%s -> ", v->c[stack[s]].name);
			ecsfs_buf_adds(&cycle, v->c[t].name);
			r = ecsfs_shape_fail(v->sc, "cycle %s", cycle.data);
			ecsfs_buf_release(&cycle);
			return r;
		}
		if (color[t] == 0 && (r = find_cycle(v, t, color, stack, depth + 1)) < 0)
			return r;
	}
	color[i] = 2; /* done */
	return 0;
}

static int check_cycles(struct ecsfs__td_check *v)
{
	int color[ECSFS__TD_MAX_CONTAINERS] = {0};
	size_t stack[ECSFS__TD_MAX_CONTAINERS];
	int r;

	for (size_t i = 0; i < v->n; i++)
		if (color[i] == 0 && (r = find_cycle(v, i, color, stack, 0)) < 0)
			return r;
	return 0;
}

/* What all containers reserve together must fit the task's size. */
static int check_totals(struct ecsfs__td_check *v)
{
	long long cpu = 0, mem = 0;

	for (size_t i = 0; i < v->n; i++) {
		const json_t *c = v->c[i].def;
		long long res = ecsfs__td_int(c, "memoryReservation", -1);
		cpu += ecsfs__td_int(c, "cpu", 0);
		mem += res >= 0 ? res : ecsfs__td_int(c, "memory", 0);
	}
	if (v->task_cpu >= 0 && cpu > v->task_cpu) {
		ecsfs_shape_path(v->sc, "cpu");
		return ecsfs_shape_fail(v->sc,
					"%lld units is less than the %lld the containers reserve",
					v->task_cpu, cpu);
	}
	if (v->task_mem >= 0 && mem > v->task_mem) {
		ecsfs_shape_path(v->sc, "memory");
		return ecsfs_shape_fail(v->sc,
					"%lld MiB is less than the %lld MiB the containers reserve",
					v->task_mem, mem);
	}
	return 0;
}

static int check_family(struct ecsfs__td_check *v, const char *family, const json_t *doc)
{
	const char *field = ecsfs__td_str(doc, "family");
	int r;

	ecsfs_shape_path(v->sc, "family");
	if ((r = ecsfs_shape_name(v->sc, family, "family", ecsfs_name_check)) < 0)
		return r;
	if (field && strcmp(field, family) != 0)
		return ecsfs_shape_fail(v->sc, "'%s' does not match the file name '%s'",
					ecsfs_shape_shown(v->sc, field), family);
	return 0;
}

static int check_semantics(struct ecsfs__td_check *v, const char *family, const json_t *doc)
{
	const json_t *proxy = json_object_get(doc, "proxyConfiguration");
	int r;

	v->volumes = json_object_get(doc, "volumes");
	if ((r = check_family(v, family, doc)) < 0 ||
	    (r = ecsfs_tags_check_reserved(v->sc, doc)) < 0 || (r = check_task_level(v, doc)) < 0 ||
	    (r = check_volumes(v)) < 0 ||
	    (r = collect_containers(v, json_object_get(doc, "containerDefinitions"))) < 0)
		return r;
	for (size_t i = 0; i < v->n; i++)
		if ((r = ecsfs__td_check_container(v, i)) < 0)
			return r;
	if ((r = check_cycles(v)) < 0 || (r = check_totals(v)) < 0)
		return r;
	if (proxy && ecsfs__td_find(v, ecsfs__td_str(proxy, "containerName")) < 0) {
		ecsfs_shape_path(v->sc, "proxyConfiguration.containerName");
		return ecsfs_shape_fail(
		    v->sc, "no container is named '%s'",
		    ecsfs_shape_shown(v->sc, ecsfs__td_str(proxy, "containerName")));
	}
	return 0;
}

int ecsfs_taskdef_check_doc(const char *family, const json_t *doc, ecsfs_err *err)
{
	struct ecsfs__td_check v = {0};
	ecsfs_shape_ctx sc;
	int r;

	ecsfs_shape_ctx_init(&sc, err, NULL);
	v.sc = &sc;
	if (!json_is_object(doc))
		r = ecsfs_shape_fail(&sc, "a task definition must be a JSON object");
	else if ((r = ecsfs_shape_walk(&sc, &ecsfs__taskdef_shape, doc)) == 0)
		r = check_semantics(&v, family, doc);
	ecsfs_shape_ctx_release(&sc);
	return r;
}

int ecsfs_taskdef_validate(const char *family, const json_t *doc, ecsfs_buf *why)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int r = ecsfs_taskdef_check_doc(family, doc, &err);

	if (r < 0)
		ecsfs_buf_setf(why, "%s", err.msg.data);
	ecsfs_err_release(&err);
	return r;
}
