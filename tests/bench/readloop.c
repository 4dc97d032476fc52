/*
 * readloop — how many open(O_RDONLY) + read-to-EOF + close of one path a
 * second. Each PATH is read for SECONDS in all (default 2), the paths taking
 * turns, and then one line per path is printed:
 *
 *   <path> <ops> ops in <secs> s = <ops_per_sec> ops/s (<bytes> bytes/read)
 *
 * where <bytes> is the mean length read per open (a generated file may change
 * between opens). bench_read.sh parses that line; keep its shape. Any error,
 * or an open whose first read returns 0 bytes, ends the run with a message and
 * exit status 1: a figure for a failing read is worse than none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READLOOP_BUF (64 * 1024)

static char buf[READLOOP_BUF];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One open+read-to-EOF+close. Returns the bytes read (> 0), or -1 after a
 * message on stderr.
 */
static long long read_once(const char *path)
{
	long long total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "readloop: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "readloop: read %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		total += n;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "readloop: close %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (total == 0) {
		fprintf(stderr, "readloop: %s: first read returned 0 bytes\n", path);
		return -1;
	}
	return total;
}

struct sample {
	const char *path;
	long long ops;
	long long bytes;
	double secs;
};

/* Loop on one path for about secs seconds, adding to its totals. */
static int run_slice(struct sample *s, double secs)
{
	double start = now(), elapsed;

	do {
		long long n = read_once(s->path);

		if (n < 0)
			return -1;
		s->bytes += n;
		s->ops++;
		elapsed = now() - start;
	} while (elapsed < secs);
	s->secs += elapsed;
	return 0;
}

/*
 * The paths take turns in slices of about 0.1 s rather than one whole run
 * each: on a busy or frequency-scaling machine the ratios between them then
 * compare like with like.
 */
static int bench(struct sample *samples, int n, double duration)
{
	int rounds = (int)(duration / 0.1 + 0.5);

	if (rounds < 1)
		rounds = 1;
	/* One untimed open each: fails fast, and warms every path's caches. */
	for (int i = 0; i < n; i++)
		if (read_once(samples[i].path) < 0)
			return -1;
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (run_slice(&samples[i], duration / rounds) < 0)
				return -1;
	for (int i = 0; i < n; i++) {
		const struct sample *s = &samples[i];

		printf("%s %lld ops in %.3f s = %.0f ops/s (%lld bytes/read)\n", s->path, s->ops,
		       s->secs, (double)s->ops / s->secs, s->bytes / s->ops);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: readloop [-t SECONDS] PATH...\n");
}

int main(int argc, char **argv)
{
	struct sample *samples;
	double duration = 2.0;
	int opt, n, ret;

	while ((opt = getopt(argc, argv, "t:h")) != -1) {
		switch (opt) {
		case 't': {
			char *end;

			errno = 0;
			duration = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(duration > 0) || duration > 3600) {
				fprintf(stderr,
					"readloop: bad duration '%s' "
					"(seconds, > 0, <= 3600)\n",
					optarg);
				return 2;
			}
			break;
		}
		default: usage(); return 2;
		}
	}
	if (optind == argc) {
		usage();
		return 2;
	}
	n = argc - optind;
	samples = calloc((size_t)n, sizeof(*samples));
	if (!samples) {
		perror("readloop: calloc");
		return 1;
	}
	for (int i = 0; i < n; i++)
		samples[i].path = argv[optind + i];
	ret = bench(samples, n, duration) < 0 ? 1 : 0;
	free(samples);
	return ret;
}
