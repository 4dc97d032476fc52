/* ARNs (see ecsfs/arn.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "ecsfs/arn.h"

static char region[33] = ECSFS_ARN_DEFAULT_REGION;
static char account[13] = ECSFS_ARN_DEFAULT_ACCOUNT;

static bool region_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool account_ok(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n == 12;
}

int ecsfs_arn_configure(const char *r, const char *a, ecsfs_buf *why)
{
	if (r && !region_ok(r)) {
		ecsfs_buf_setf(why, "region '%.64s' must be 1 to 32 of a-z, 0-9 and '-'", r);
		return -EINVAL;
	}
	if (a && !account_ok(a)) {
		ecsfs_buf_setf(why, "account id '%.64s' must be 12 digits", a);
		return -EINVAL;
	}
	if (r)
		strcpy(region, r);
	if (a)
		strcpy(account, a);
	return 0;
}

const char *ecsfs_arn_region(void)
{
	return region;
}

const char *ecsfs_arn_account(void)
{
	return account;
}

static void add_arn(ecsfs_buf *out, const char *service, const char *in, const char *fmt,
		    va_list ap)
{
	ecsfs_buf_addf(out, "arn:%s:%s:%s:%s:", ECSFS_ARN_PARTITION, service, in, account);
	ecsfs_buf_vaddf(out, fmt, ap);
}

void ecsfs_arn(ecsfs_buf *out, const char *service, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_arn(out, service, region, fmt, ap);
	va_end(ap);
}

void ecsfs_arn_global(ecsfs_buf *out, const char *service, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_arn(out, service, "", fmt, ap);
	va_end(ap);
}

json_t *ecsfs_arn_json(const char *service, const char *fmt, ...)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j;
	va_list ap;

	va_start(ap, fmt);
	add_arn(&b, service, region, fmt, ap);
	va_end(ap);
	j = json_stringn(b.data, b.len);
	ecsfs_buf_release(&b);
	return j;
}

const char *ecsfs_arn_resource(const char *s, const char *service)
{
	size_t n = strlen(service);
	const char *p;

	if (strncmp(s, "arn:", 4) != 0 || !(p = strchr(s + 4, ':')))
		return NULL;
	p++; /* past the partition */
	if (strncmp(p, service, n) != 0 || p[n] != ':')
		return NULL;
	p += n + 1;
	/* region, then account */
	for (int i = 0; i < 2; i++)
		if (!(p = strchr(p, ':')))
			return NULL;
		else
			p++;
	return p;
}
