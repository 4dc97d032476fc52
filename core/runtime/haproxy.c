/* ecsfs — HAProxy driver (first landing: the interface only; every call
 * reports -ENOSYS until the driver lands). */
#include <errno.h>
#include <stdlib.h>

#include "ecsfs/haproxy.h"

struct ecsfs_hap_config {
	int unused;
};

ecsfs_hap_config *ecsfs_hap_config_new(void)
{
	ecsfs_hap_config *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	return c;
}

void ecsfs_hap_config_free(ecsfs_hap_config *c)
{
	free(c);
}

#define NOT_YET(err) \
	ecsfs_err_set(err, ECSFS_E_SERVER, -ENOSYS, "the HAProxy driver is not built yet")

int ecsfs_hap_config_add_frontend(ecsfs_hap_config *c, const char *name, const char *addr, int port,
				  ecsfs_hap_mode mode, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_hap_config_add_rule(ecsfs_hap_config *c, const char *frontend,
			      const ecsfs_hap_cond *conds, size_t nconds,
			      const ecsfs_hap_action *action, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_hap_config_set_default(ecsfs_hap_config *c, const char *frontend,
				 const ecsfs_hap_action *action, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_hap_config_add_backend(ecsfs_hap_config *c, const ecsfs_hap_backend *b, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_hap_config_add_server(ecsfs_hap_config *c, const char *backend, const ecsfs_hap_server *s,
				ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_hap_config_render(const ecsfs_hap_config *c, const char *state_dir, bool with_servers,
			    ecsfs_buf *out, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_haproxy_new(uv_loop_t *loop, const ecsfs_haproxy_opts *o, ecsfs_haproxy **out,
		      ecsfs_err *err)
{
	return NOT_YET(err);
}

void ecsfs_haproxy_close(ecsfs_haproxy *h, void (*done)(void *data), void *data)
{
}

int ecsfs_haproxy_apply(ecsfs_haproxy *h, ecsfs_hap_config *c, ecsfs_hap_done_cb cb, void *data,
			ecsfs_err *err)
{
	ecsfs_hap_config_free(c);
	return NOT_YET(err);
}

int ecsfs_haproxy_server_set(ecsfs_haproxy *h, const char *backend, const ecsfs_hap_server *s,
			     ecsfs_hap_done_cb cb, void *data, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_haproxy_server_remove(ecsfs_haproxy *h, const char *backend, const char *name,
				ecsfs_hap_done_cb cb, void *data, ecsfs_err *err)
{
	return NOT_YET(err);
}

int ecsfs_haproxy_frontend_error(ecsfs_haproxy *h, const char *name, ecsfs_err *err)
{
	return NOT_YET(err);
}

void ecsfs_haproxy_get_info(ecsfs_haproxy *h, ecsfs_hap_info *out)
{
	*out = (ecsfs_hap_info){.state = ECSFS_HAP_STOPPED, .err = -ENOSYS};
}

void ecsfs_haproxy_set_change_cb(ecsfs_haproxy *h, void (*cb)(void *data), void *data)
{
}

int ecsfs_haproxy_servers(ecsfs_haproxy *h, const char *backend, ecsfs_hap_servers_cb cb,
			  void *data)
{
	return -ENOSYS;
}
