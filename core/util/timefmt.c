#include <stdio.h>
#include <time.h>

#include "ecsfs/util.h"

int64_t ecsfs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ecsfs_time_iso(int64_t ns, char out[32])
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char head[24];
	gmtime_r(&s, &tm);
	strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03uZ", head, (unsigned)((ns / 1000000) % 1000));
}

void ecsfs_json_set_time(json_t *o, const char *key, int64_t ns)
{
	char iso[32];

	if (!ns)
		return;
	ecsfs_time_iso(ns, iso);
	json_object_set_new(o, key, json_string(iso));
}
