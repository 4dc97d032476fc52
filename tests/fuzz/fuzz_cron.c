/*
 * libFuzzer target for ecsfs_cron_parse() and ecsfs_cron_next(): the first
 * byte picks a time zone and a starting instant, the rest is the
 * expression. A parse gives 0, or -EINVAL with a message; a parsed
 * expression's next fire is strictly after the instant asked about, the
 * fire after it later still, and asking again just before a fire gives
 * that fire. Nothing may leak. See README.md beside this file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *expr)
{
	fprintf(stderr, "invariant broken: %s\nexpression: %s\n", what, expr);
	abort();
}

static const char *const zones[] = {"UTC",
				    "America/New_York",
				    "Europe/London",
				    "Australia/Lord_Howe",
				    "Asia/Kathmandu",
				    "Pacific/Chatham"};

static void check_next(const ecsfs_cron *c, const ecsfs_tz *tz, int64_t after, const char *expr)
{
	ecsfs_cron_ctx ctx = {tz, after + 12345, 60000};
	int64_t next, again, later;

	if (ecsfs_cron_next(c, &ctx, after, &next) < 0)
		return;
	if (next <= after)
		die("next fire not after the instant", expr);
	if (ecsfs_cron_next(c, &ctx, next - 1, &again) < 0 || again != next)
		die("asking just before a fire does not give it", expr);
	if (ecsfs_cron_next(c, &ctx, next, &later) == 0 && later <= next)
		die("the fire after a fire is not later", expr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ecsfs_tz *tz[sizeof(zones) / sizeof(zones[0])];
	ecsfs_err err = ECSFS_ERR_INIT, err2 = ECSFS_ERR_INIT;
	ecsfs_cron *c = NULL, *c2 = NULL;
	size_t nz = sizeof(zones) / sizeof(zones[0]);

	if (size == 0 || size > 4096)
		return 0;
	size_t z = data[0] % nz;
	if (!tz[z] && ecsfs_tz_load(zones[z], &tz[z], &err) < 0)
		tz[z] = ecsfs_tz_utc();
	char *expr = malloc(size);
	if (!expr)
		return 0;
	memcpy(expr, data + 1, size - 1);
	expr[size - 1] = '\0';
	int r = ecsfs_cron_parse(expr, &c, &err);
	int r2 = ecsfs_cron_parse(expr, &c2, &err2);
	if (r != 0 && r != -EINVAL)
		die("parse gave something other than 0 or -EINVAL", expr);
	if (r != r2 || strcmp(err.msg.data, err2.msg.data) != 0)
		die("a second parse answered differently", expr);
	if (r < 0 && (err.msg.len == 0 || err.kind != ECSFS_E_INVALID_PARAMETER))
		die("a refusal without a message or of the wrong kind", expr);
	if (r == 0 && err.msg.len != 0)
		die("a parse that succeeded left a message", expr);
	if (r == 0) {
		/* 2026 and 2099, shifted by the zone byte */
		check_next(c, tz[z], 1767225600000ll + (int64_t)data[0] * 3600000, expr);
		check_next(c, tz[z], 4070908800000ll - (int64_t)data[0] * 86400000, expr);
	}
	ecsfs_cron_free(c);
	ecsfs_cron_free(c2);
	ecsfs_err_release(&err);
	ecsfs_err_release(&err2);
	free(expr);
	return 0;
}
