/* ecsfs — GET /metrics on the API listener: Prometheus text. */
#ifndef ECSFS_API_PROMETHEUS_H
#define ECSFS_API_PROMETHEUS_H

#include <microhttpd.h>

#include "api.h"

/*
 * Answer `con` when the request is GET /metrics (Prometheus's scrape: the
 * newest sample of every task, service and cluster, text format 0.0.4,
 * unsigned like any scrape); 1 when the request is something else, for
 * the caller to answer. 503 when the daemon samples nothing.
 */
int ecsfs__api_prometheus(const ecsfs_api_core *core, struct MHD_Connection *con,
			  const char *method, const char *url, enum MHD_Result *answer);

#endif
