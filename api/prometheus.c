/* ecsfs — GET /metrics: the metrics sampler's Prometheus text. */
#include <string.h>

#include "ecsfs/metrics.h"
#include "prometheus.h"

#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

int ecsfs__api_prometheus(const ecsfs_api_core *core, struct MHD_Connection *con,
			  const char *method, const char *url, enum MHD_Result *answer)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	struct MHD_Response *resp;
	unsigned status = MHD_HTTP_OK;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 || strcmp(url, "/metrics") != 0)
		return 1;
	if (core->metrics)
		ecsfs_metrics_prometheus(core->metrics, &text);
	else {
		ecsfs_buf_adds(&text, "# the daemon samples no metrics\n");
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	resp = MHD_create_response_from_buffer(text.len, text.data ? text.data : (char *)"",
					       MHD_RESPMEM_MUST_COPY);
	ecsfs_buf_release(&text);
	if (!resp) {
		*answer = MHD_NO;
		return 0;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_TYPE);
	*answer = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return 0;
}
