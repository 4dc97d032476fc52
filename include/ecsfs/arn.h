/*
 * ecsfs — Amazon Resource Names, built in one place:
 * arn:<partition>:<service>:<region>:<account>:<resource>
 *
 * The region and account are the daemon's (DESIGN §6: --region, default
 * us-east-1; --account-id, default 000000000000), set once at start before
 * any other thread runs, and read everywhere after.
 */
#ifndef ECSFS_ARN_H
#define ECSFS_ARN_H

#include <jansson.h>

#include "ecsfs/buf.h"

#define ECSFS_ARN_PARTITION	  "aws"
#define ECSFS_ARN_DEFAULT_REGION  "us-east-1"
#define ECSFS_ARN_DEFAULT_ACCOUNT "000000000000"

/*
 * Set the region and the account ARNs carry; NULL keeps the current one.
 * A region is 1 to 32 of [a-z0-9-]; an account is 12 digits. Returns 0, or
 * -EINVAL with a sentence in *why (nothing changed).
 */
int ecsfs_arn_configure(const char *region, const char *account, ecsfs_buf *why);

/* The configured region and account. */
const char *ecsfs_arn_region(void);
const char *ecsfs_arn_account(void);

/* Append the ARN of a resource of `service` ("ecs", "elasticloadbalancing",
 * ...) in the daemon's region and account; the resource is formatted
 * ("task/%s/%s"). */
void ecsfs_arn(ecsfs_buf *out, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a global service (no region): "arn:aws:iam::<account>:root". */
void ecsfs_arn_global(ecsfs_buf *out, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same as a new JSON string (for describe shapes). */
json_t *ecsfs_arn_json(const char *service, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * If `s` is an ARN of `service` (any partition, region and account), the
 * resource part of it ("cluster/prod" of "arn:aws:ecs:r:a:cluster/prod");
 * else NULL.
 */
const char *ecsfs_arn_resource(const char *s, const char *service);

#endif
