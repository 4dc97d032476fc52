/*
 * ecsfs — which services the scheduler looks at. A look costs a load of
 * the service's state and its tasks; at a thousand services a look at all
 * of them every second would be most of the daemon's CPU. So a service is
 * looked at when its inputs changed (its spec, one of its tasks, its
 * family's revisions, its targets' health), and on every tick while it is
 * not steady (what it does then depends on the clock: grace periods,
 * throttles, stable times, drains). Every ECSFS__FULL_PASS_NS all of them
 * are looked at anyway: the scheduler stays level-triggered, and an input
 * nobody told it about is seen within that time.
 */
#include <stdlib.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/strmap.h"
#include "ecsfs/util.h"

struct ecsfs__due {
	ecsfs_strmap set;   /* "<cluster>/<name>" of the services to look at next */
	ecsfs_strmap again; /* not steady at their last look: looked at on the tick */
	bool all;	    /* the next pass looks at every service */
	int64_t full_at;    /* when the next full pass is due */
	int64_t again_at;   /* when the next pass takes `again` */
	uint64_t looks;	    /* looks at a service so far */
};

int ecsfs__due_new(ecsfs_services *sv)
{
	if (!(sv->due = calloc(1, sizeof(*sv->due))))
		return -1;
	sv->due->all = true; /* the first pass after a start sees everything */
	return 0;
}

void ecsfs__due_free(ecsfs_services *sv)
{
	if (!sv->due)
		return;
	ecsfs_strmap_release(&sv->due->set);
	ecsfs_strmap_release(&sv->due->again);
	free(sv->due);
	sv->due = NULL;
}

void ecsfs__due_mark(ecsfs_services *sv, const char *cluster, const char *name)
{
	ecsfs_buf key = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&key, "%s/%s", cluster, name);
	ecsfs_strmap_put(&sv->due->set, key.data, NULL);
	ecsfs_buf_release(&key);
}

void ecsfs__due_again(ecsfs_services *sv, const char *cn)
{
	ecsfs_strmap_put(&sv->due->again, cn, NULL);
}

void ecsfs__due_looked(ecsfs_services *sv, const char *cn)
{
	ecsfs_strmap_del(&sv->due->again, cn);
	sv->due->looks++;
}

uint64_t ecsfs_services_looks(const ecsfs_services *sv)
{
	return sv->due->looks;
}

void ecsfs__due_all(ecsfs_services *sv)
{
	sv->due->all = true;
}

static int naming_cb(void *data, const char *cn)
{
	ecsfs_services *sv = data;
	char cluster[256];
	const char *slash = strchr(cn, '/');

	if (slash && (size_t)(slash - cn) < sizeof(cluster)) {
		memcpy(cluster, cn, (size_t)(slash - cn));
		cluster[slash - cn] = '\0';
		ecsfs_services_touch(sv, cluster, slash + 1);
	}
	return 0;
}

/*
 * Only the services whose state names the family: a GitOps apply registers
 * hundreds of families one by one, and a look at every service after each
 * of them was most of the daemon's CPU during the apply.
 */
void ecsfs__due_family(ecsfs_services *sv, const char *family)
{
	if (!family || ecsfs_store_service_list_naming(sv->store, family, naming_cb, sv) < 0)
		ecsfs_services_kick(sv);
}

bool ecsfs__due_take(ecsfs_services *sv, ecsfs_strmap *batch)
{
	int64_t now = ecsfs_mono_ns();
	bool all = sv->due->all || now >= sv->due->full_at;

	*batch = sv->due->set;
	ecsfs_strmap_init(&sv->due->set);
	/* A pass a change causes looks at what changed; those waiting on the
	 * clock go once a tick, not with every task event of a rollout. The
	 * tick's timer runs on the loop's cached time, which can lag this
	 * clock: a quarter of a tick of slack keeps it from missing them. */
	if (now >= sv->due->again_at) {
		size_t pos = 0;
		const char *key;
		void *unused;

		while (ecsfs_strmap_next(&sv->due->again, &pos, &key, &unused))
			ecsfs_strmap_put(batch, key, NULL);
		ecsfs_strmap_release(&sv->due->again);
		ecsfs_strmap_init(&sv->due->again);
		sv->due->again_at = now + ECSFS__TICK_NS - ECSFS__TICK_NS / 4;
	}
	if (all) {
		sv->due->all = false;
		sv->due->full_at = now + ECSFS__FULL_PASS_NS;
	}
	return all;
}
