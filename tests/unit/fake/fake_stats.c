/* ecsfs — the fake runtime's stats and host calls: what the test set, else
 * zeros (stats) or a small linux host. */
#include <errno.h>

#include "fake_private.h"

int ecsfs__fake_stats(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	json_t *set, *result;
	char now[40];

	if (!cb || !id || !*id)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!(c = ecsfs__fake_find(f, id))) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "No such container: %s", id);
		return 0;
	}
	set = f->stats ? json_object_get(f->stats, c->id) : NULL;
	if (set) {
		result = json_deep_copy(set);
	} else {
		ecsfs__fake_time(ecsfs__fake_tick(f), now);
		result = json_pack("{s:s, s:{s:{s:i}}, s:{}, s:{}}", "read", now, "cpu_stats",
				   "cpu_usage", "total_usage", 0, "memory_stats", "networks");
	}
	ecsfs__fake_queue_result(f, cb, data, 0, result, NULL);
	return 0;
}

int ecsfs_fake_runtime_set_stats(ecsfs_runtime *rt, const char *id, const json_t *stats)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c = ecsfs__fake_find(f, id);

	if (!c)
		return -ENOENT;
	if (!f->stats && !(f->stats = json_object()))
		return -ENOMEM;
	return json_object_set_new(f->stats, c->id, json_deep_copy(stats)) ? -ENOMEM : 0;
}

int ecsfs__fake_host(ecsfs_runtime *rt, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	json_t *result;

	if (!cb)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (f->host)
		result = json_deep_copy(f->host);
	else
		result = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s}", "NCPU", 2, "MemTotal",
				   (json_int_t)4 << 30, "OSType", "linux", "Architecture", "x86_64",
				   "Name", "fake", "ServerVersion", "0-fake");
	ecsfs__fake_queue_result(f, cb, data, 0, result, NULL);
	return 0;
}

void ecsfs_fake_runtime_set_host(ecsfs_runtime *rt, const json_t *info)
{
	struct fake_runtime *f = to_fake(rt);

	json_decref(f->host);
	f->host = json_deep_copy(info);
}
