/* Secrets: the rules of secrets/<name> and of the API's secret values. */
#include <errno.h>

#include "ecsfs/secret.h"
#include "ecsfs/util.h"

int ecsfs_secret_check(const char *name, size_t len, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_name_check(name, "secret", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if (len > ECSFS_SECRET_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "a secret holds at most %u bytes", ECSFS_SECRET_MAX);
	return 0;
}

int ecsfs_secret_put(ecsfs_store *s, const char *name, const void *value, size_t len,
		     ecsfs_err *err)
{
	uint64_t n = 0;
	int r;

	if ((r = ecsfs_secret_check(name, len, err)) < 0)
		return r;
	if ((r = ecsfs_store_secret_count_other(s, name, &n)) == 0 && n >= ECSFS_SECRETS_MAX)
		return ecsfs_err_set(
		    err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
		    "cannot store secret %s: there are %llu secrets, the limit is %d", name,
		    (unsigned long long)n, ECSFS_SECRETS_MAX);
	if (r < 0 || (r = ecsfs_store_secret_put(s, name, value, len)) < 0)
		return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot store secret %s: %s", name,
				     ecsfs_store_last_error(s));
	return 0;
}

int ecsfs_secret_delete(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	int r = ecsfs_store_secret_delete(s, name);

	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, r, "secret %s does not exist",
				     name);
	if (r < 0)
		return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot delete secret %s: %s", name,
				     ecsfs_store_last_error(s));
	return 0;
}
