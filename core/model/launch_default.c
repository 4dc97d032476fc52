/* ecsfs — the cluster's default capacity provider strategy, for tasks and
 * services that name no launch type (see launch_default.h). */
#include "model/launch_default.h"

json_t *ecsfs__cluster_default_strategy(ecsfs_store *s, const char *cluster)
{
	ecsfs_cluster_row row;
	json_t *doc = NULL, *cps = NULL;

	ecsfs_cluster_row_init(&row);
	if (ecsfs_store_cluster_get(s, cluster, &row) == 0 && row.settings.len)
		doc = json_loadb(row.settings.data, row.settings.len, 0, NULL);
	cps = json_object_get(doc, "defaultCapacityProviderStrategy");
	cps = json_array_size(cps) ? json_incref(cps) : NULL;
	json_decref(doc);
	ecsfs_cluster_row_release(&row);
	return cps;
}
