/*
 * ecsfs — the Docker client's stats call: one sample of a container's
 * counters, GET /containers/{id}/stats?stream=false&one-shot=true (the
 * engine answers at once instead of waiting a second for a second sample;
 * rates are the metrics sampler's business, from two of our samples).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker_private.h"

#define STATS_TIMEOUT_MS 20000L

struct stats_call {
	ecsfs_runtime_cb cb;
	void *data;
};

static void on_stats_done(void *data, int err, long status, const ecsfs_buf *body,
			  const char *errmsg)
{
	struct stats_call *c = data;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	json_t *result = NULL;
	int r = err;

	if (err) {
		ecsfs_buf_adds(&msg, errmsg);
	} else if (status == 200) {
		result = json_loadb(body->data, body->len, 0, NULL);
		if (!json_is_object(result)) {
			r = -EIO;
			ecsfs_buf_adds(&msg,
				       "GET /containers/stats: the engine's answer is not JSON");
		}
	} else {
		r = status == 404 ? -ENOENT : -EIO;
		ecsfs_buf_addf(&msg,
			       "GET /containers/stats: the engine answered HTTP %ld: ", status);
		ecsfs__docker_error_text(body, 160, &msg);
	}
	c->cb(c->data, r, r ? NULL : result, r ? msg.data : "");
	json_decref(result);
	ecsfs_buf_release(&msg);
	free(c);
}

int ecsfs__docker_stats(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_http_opts o = {.method = "GET", .timeout_ms = STATS_TIMEOUT_MS, .waits = true};
	struct stats_call *c;
	int r;

	if (!cb || !id || !*id)
		return -EINVAL;
	if (d->closing)
		return -ECANCELED;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->cb = cb;
	c->data = data;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/containers/");
	ecsfs__url_escape(&path, id);
	ecsfs_buf_adds(&path, "/stats?stream=false&one-shot=true");
	o.path = path.data;
	r = ecsfs_http_start(d->http, &o, on_stats_done, c, NULL);
	if (r < 0)
		free(c);
	ecsfs_buf_release(&path);
	return r;
}
