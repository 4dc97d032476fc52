/* The HTTP listener (placeholder until the server lands). */
#include <errno.h>

#include "api_private.h"

int ecsfs_api_start(const ecsfs_api_core *core, const ecsfs_api_config *cfg, ecsfs_api **out,
		    ecsfs_buf *why)
{
	(void)core;
	(void)cfg;
	*out = NULL;
	ecsfs_buf_adds(why, "the API listener is not built yet");
	return -ENOSYS;
}

void ecsfs_api_free(ecsfs_api *api)
{
	(void)api;
}
