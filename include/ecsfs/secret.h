/* ecsfs — secrets: write-only values that task definitions' "secrets"
 * name and launches inject; nothing shows them. */
#ifndef ECSFS_SECRET_H
#define ECSFS_SECRET_H

#include <stddef.h>

#include "ecsfs/error.h"
#include "ecsfs/store.h"

/*
 * May a secret named `name` hold `len` bytes? The name follows ECS's name
 * rule; the value is at most ECSFS_SECRET_MAX bytes (InvalidParameter/-EINVAL).
 */
int ecsfs_secret_check(const char *name, size_t len, ecsfs_err *err);

/* At most this many secrets (a local stand-in: Secrets Manager's own quota is
 * far larger, and each is a row the store keeps). */
#define ECSFS_SECRETS_MAX 10000

/* Store (or replace) secret `name`, durably, after ecsfs_secret_check().
 * LimitExceeded -ENOSPC for a new one past ECSFS_SECRETS_MAX. */
int ecsfs_secret_put(ecsfs_store *s, const char *name, const void *value, size_t len,
		     ecsfs_err *err);

/* Forget secret `name`. ResourceNotFound/-ENOENT when there is none. */
int ecsfs_secret_delete(ecsfs_store *s, const char *name, ecsfs_err *err);

#endif
