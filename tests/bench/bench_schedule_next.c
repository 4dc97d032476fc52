/*
 * The cost of computing next fires: 1,000 schedules of mixed expressions
 * (cron with lists, ranges, steps, L/W/#, in six zones; rate; at), each
 * parsed once, then its next fire and its next five computed, timed over
 * several rounds. Prints microseconds per schedule. usage: bench_schedule_next [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ecsfs/cron.h"

#define N 1000

static const char *const exprs[] = {
    "cron(0 6 ? * MON-FRI *)", "cron(0/15 * * * ? *)", "cron(30 2 * * ? *)",
    "cron(0 0 L * ? *)",       "cron(0 9 LW * ? *)",   "cron(0 12 15W * ? *)",
    "cron(0 18 ? * 6L *)",     "cron(0 7 ? * 2#1 *)",  "cron(5-55/10 8-17 ? * 2-6 *)",
    "cron(0 0 29 2 ? *)",      "cron(0 22-2 * * ? *)", "cron(0 3 1 JAN,JUL ? 2027-2030)",
    "rate(5 minutes)",	       "rate(1 hour)",	       "rate(7 days)",
    "at(2027-06-01T09:00:00)",
};
static const char *const zones[] = {"UTC",	    "America/New_York",	   "Europe/London",
				    "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo"};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	size_t ne = sizeof(exprs) / sizeof(exprs[0]), nz = sizeof(zones) / sizeof(zones[0]);
	ecsfs_cron *c[N];
	ecsfs_tz *tz[6];
	ecsfs_err err = ECSFS_ERR_INIT;
	int64_t after = 1767225600000ll, sink = 0; /* 2026-01-01 */

	for (size_t z = 0; z < nz; z++)
		if (ecsfs_tz_load(zones[z], &tz[z], &err) < 0)
			tz[z] = ecsfs_tz_utc();
	double t0 = now_us();
	for (int i = 0; i < N; i++)
		if (ecsfs_cron_parse(exprs[i % ne], &c[i], &err) < 0)
			return 1;
	double parse = now_us() - t0;
	double one = 0, five = 0;
	for (int r = 0; r < rounds; r++) {
		int64_t at = after + (int64_t)r * 3600 * 1000 * 37;
		t0 = now_us();
		for (int i = 0; i < N; i++) {
			ecsfs_cron_ctx ctx = {tz[(i / ne) % nz], after, 60000};
			int64_t next;
			if (ecsfs_cron_next(c[i], &ctx, at, &next) == 0)
				sink += next;
		}
		one += now_us() - t0;
		t0 = now_us();
		for (int i = 0; i < N; i++) {
			ecsfs_cron_ctx ctx = {tz[(i / ne) % nz], after, 60000};
			int64_t next = at;
			for (int k = 0; k < 5 && ecsfs_cron_next(c[i], &ctx, next, &next) == 0; k++)
				sink += next;
		}
		five += now_us() - t0;
	}
	printf("schedules                    %d (%zu expressions x %zu zones)\n", N, ne, nz);
	printf("parse                        %8.2f us per schedule\n", parse / N);
	printf("next fire                    %8.2f us per schedule (%d rounds)\n", one / rounds / N,
	       rounds);
	printf("next five fires (status)     %8.2f us per schedule\n", five / rounds / N);
	printf("all 1,000 next fires         %8.3f ms\n", one / rounds / 1000);
	for (int i = 0; i < N; i++)
		ecsfs_cron_free(c[i]);
	for (size_t z = 0; z < nz; z++)
		ecsfs_tz_free(tz[z]);
	ecsfs_err_release(&err);
	return sink == 42; /* keep the work */
}
