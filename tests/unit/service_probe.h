/* What the service tests share: reading a service's status and events the
 * way a user would, without a mount. */
#ifndef ECSFS_TEST_SERVICE_PROBE_H
#define ECSFS_TEST_SERVICE_PROBE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/service.h"
#include "ecsfs/store.h"

/* "key: value" of service `name`'s status in `cluster`, as a number (-1
 * when absent). */
__attribute__((unused)) static long long probe_stat_num(ecsfs_services *sv, const char *cluster,
							const char *name, const char *key)
{
	ecsfs_buf st = ECSFS_BUF_INIT;
	char pat[64];
	long long v = -1;
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s: ", key);
	if (ecsfs_service_status(sv, cluster, name, &st) == 0 && (p = strstr(st.data, pat)))
		v = atoll(p + strlen(pat));
	ecsfs_buf_release(&st);
	return v;
}

/* Does the service's status hold `text`? */
__attribute__((unused)) static bool probe_status_has(ecsfs_services *sv, const char *cluster,
						     const char *name, const char *text)
{
	ecsfs_buf st = ECSFS_BUF_INIT;
	bool r = ecsfs_service_status(sv, cluster, name, &st) == 0 && strstr(st.data, text);
	ecsfs_buf_release(&st);
	return r;
}

/* Do the service's events hold `text`? */
__attribute__((unused)) static bool probe_events_have(ecsfs_store *s, const char *cluster,
						      const char *name, const char *text)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	bool r;
	ecsfs_service_events_stream(cluster, name, &stream);
	ecsfs_store_journal_read(s, stream.data, 0, 1 << 22, &out);
	r = strstr(out.data, text) != NULL;
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&out);
	return r;
}

#endif
