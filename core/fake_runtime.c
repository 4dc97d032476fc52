/*
 * ecsfs — the fake runtime: an engine that is there (or not) because a
 * test says so. It needs no loop: everything happens in the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ecsfs/runtime.h"

#define FAKE_API_VERSION "1.43"

struct fake_runtime {
	ecsfs_runtime rt; /* first: ecsfs_runtime * converts to struct fake_runtime * */
	ecsfs_runtime_info info;
};

static int fake_start(ecsfs_runtime *rt)
{
	return 0;
}

static void fake_info(ecsfs_runtime *rt, ecsfs_runtime_info *out)
{
	*out = ((struct fake_runtime *)rt)->info;
}

static void fake_close(ecsfs_runtime *rt, void (*done)(void *data), void *data)
{
	free(rt);
	if (done)
		done(data);
}

static const ecsfs_runtime_ops fake_ops = {
    .start = fake_start,
    .info = fake_info,
    .close = fake_close,
};

static void fake_set(struct fake_runtime *f, bool reachable, const char *detail)
{
	ecsfs_runtime_info *in = &f->info;

	if (in->reachable != reachable)
		in->since = (int64_t)time(NULL);
	in->reachable = reachable;
	snprintf(in->version, sizeof(in->version), "%s", reachable ? "fake" : "");
	snprintf(in->api_version, sizeof(in->api_version), "%s", reachable ? FAKE_API_VERSION : "");
	if (reachable)
		in->detail[0] = '\0';
	else
		snprintf(in->detail, sizeof(in->detail), "%s",
			 detail && *detail ? detail : "unreachable");
}

ecsfs_runtime *ecsfs_fake_runtime_new(void)
{
	struct fake_runtime *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->rt.ops = &fake_ops;
	snprintf(f->info.name, sizeof(f->info.name), "fake");
	snprintf(f->info.endpoint, sizeof(f->info.endpoint), "fake://");
	fake_set(f, true, NULL);
	f->info.since = (int64_t)time(NULL);
	return &f->rt;
}

/*
 * Make the fake engine reachable or not; `detail` (may be NULL) says why
 * not. Calls rt->on_change every time, even when nothing changed, so a
 * test can use it to make the layer above look again.
 */
void ecsfs_fake_runtime_set_reachable(ecsfs_runtime *rt, bool reachable, const char *detail)
{
	fake_set((struct fake_runtime *)rt, reachable, detail);
	if (rt->on_change)
		rt->on_change(rt, rt->on_change_data);
}
