/*
 * ecsfs — what one task reserves on an instance: the task-level cpu and
 * memory when the definition sets them, else the sum over its containers
 * (cpu; memory, the hard limit, else memoryReservation), and the host
 * ports it binds there (hostPort in bridge mode, containerPort in host
 * mode; awsvpc and none tasks have their own namespace and bind none).
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/taskdef.h"
#include "control/placement_private.h"

static int64_t int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

static int add_ports(const json_t *c, bool host_mode, uint16_t *ports, size_t max, size_t *n)
{
	const json_t *pm;
	size_t i;

	json_array_foreach(json_object_get(c, "portMappings"), i, pm) {
		int64_t p = host_mode ? int_of(pm, "containerPort") : int_of(pm, "hostPort");
		bool seen = false;

		if (p <= 0 || p > 65535)
			continue;
		for (size_t k = 0; k < *n; k++)
			seen = seen || ports[k] == (uint16_t)p;
		if (seen)
			continue;
		if (*n == max)
			return -EINVAL;
		ports[(*n)++] = (uint16_t)p;
	}
	return 0;
}

int ecsfs_place_size(const json_t *taskdef, int64_t *cpu, int64_t *memory, uint16_t *ports,
		     size_t max, size_t *nports)
{
	const json_t *tcpu = json_object_get(taskdef, "cpu"),
		     *tmem = json_object_get(taskdef, "memory");
	const char *mode = json_string_value(json_object_get(taskdef, "networkMode"));
	bool bridge = mode && strcmp(mode, "bridge") == 0, host = mode && strcmp(mode, "host") == 0;
	int64_t c = 0, m = 0;
	long long v;
	const json_t *ctr;
	size_t i, n = 0;

	if (!json_is_object(taskdef))
		return -EINVAL;
	json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, ctr) {
		int64_t hard = int_of(ctr, "memory");
		c += int_of(ctr, "cpu");
		m += hard ? hard : int_of(ctr, "memoryReservation");
		if ((bridge || host) && ports && add_ports(ctr, host, ports, max, &n) < 0)
			return -EINVAL;
	}
	if (tcpu && ecsfs_taskdef_parse_size(tcpu, "vcpu", &v) == 0)
		c = v;
	else if (tcpu)
		return -EINVAL;
	if (tmem && ecsfs_taskdef_parse_size(tmem, "gb", &v) == 0)
		m = v;
	else if (tmem)
		return -EINVAL;
	*cpu = c;
	*memory = m;
	if (nports)
		*nports = n;
	return 0;
}
