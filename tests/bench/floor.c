/*
 * floor — the smallest FUSE filesystem we can write: one read-only file
 * "/file" of constant content, served by the libfuse3 low-level API on a
 * single thread. bench_read.sh reads it next to the real ecsfs mount, so the
 * figure it gives is the floor any FUSE design reaches on this machine: the
 * cost of the kernel round trips alone (LOOKUP when the entry expires, OPEN,
 * RELEASE), with no work behind them.
 *
 * Usage: floor -s SIZE [-o OPTS] MOUNTPOINT
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP, then unmounts.
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314
#endif

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_FILE_INO	2
#define FLOOR_FILE_NAME "file"
#define FLOOR_MAX_SIZE	(64 * 1024 * 1024)

/* The timeouts a design that knows its file never changes would choose. */
static const double floor_timeout = 1.0;

static char *floor_content;
static size_t floor_size;
static struct timespec floor_time;

static void floor_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atim = floor_time;
	st->st_mtim = floor_time;
	st->st_ctim = floor_time;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)floor_size;
		st->st_blocks = (blkcnt_t)((floor_size + 511) / 512);
	}
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, FLOOR_FILE_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FLOOR_FILE_INO;
	e.generation = 1;
	e.attr_timeout = floor_timeout;
	e.entry_timeout = floor_timeout;
	floor_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != FLOOR_FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	floor_stat(ino, &st);
	fuse_reply_attr(req, &st, floor_timeout);
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FLOOR_FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	/*
	 * The content never changes, so the page cache may keep it across
	 * opens. No flush handler: the kernel gets ENOSYS once and stops
	 * sending FLUSH on close.
	 */
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	size_t n = 0;

	(void)ino;
	(void)fi;
	if (off >= 0 && (size_t)off < floor_size) {
		n = floor_size - (size_t)off;
		if (n > size)
			n = size;
	}
	fuse_reply_buf(req, n ? floor_content + off : NULL, n);
}

static void floor_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	static const struct {
		const char *name;
		fuse_ino_t ino;
	} ents[] = {
	    {".", FUSE_ROOT_ID},
	    {"..", FUSE_ROOT_ID},
	    {FLOOR_FILE_NAME, FLOOR_FILE_INO},
	};
	char buf[512];
	size_t used = 0;

	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i >= 0 && (size_t)i < sizeof(ents) / sizeof(ents[0]); i++) {
		struct stat st;
		size_t len;

		floor_stat(ents[i].ino, &st);
		len = fuse_add_direntry(req, buf + used, size - used, ents[i].name, &st, i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
}

static const struct fuse_lowlevel_ops floor_ops = {
    .lookup = floor_lookup,
    .getattr = floor_getattr,
    .open = floor_open,
    .read = floor_read,
    .readdir = floor_readdir,
};

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s -s SIZE [-o OPTS] MOUNTPOINT\n", argv0);
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	const char *mountpoint;
	long long size = -1;
	int opt, ret = 1;

	while ((opt = getopt(argc, argv, "s:o:h")) != -1) {
		switch (opt) {
		case 's': {
			char *end;

			errno = 0;
			size = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || size < 0 || size > FLOOR_MAX_SIZE) {
				fprintf(stderr, "%s: bad size '%s' (0..%d)\n", argv[0], optarg,
					FLOOR_MAX_SIZE);
				return 2;
			}
			break;
		}
		case 'o':
			if (fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, optarg))
				goto out_args;
			break;
		default: usage(argv[0]); return 2;
		}
	}
	if (size < 0 || optind != argc - 1) {
		usage(argv[0]);
		fuse_opt_free_args(&args);
		return 2;
	}
	mountpoint = argv[optind];

	floor_size = (size_t)size;
	floor_content = malloc(floor_size ? floor_size : 1);
	if (!floor_content) {
		perror("malloc");
		goto out_args;
	}
	for (size_t i = 0; i < floor_size; i++)
		floor_content[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	clock_gettime(CLOCK_REALTIME, &floor_time);

	/* fuse_session_new wants argv[0] first. */
	if (fuse_opt_insert_arg(&args, 0, argv[0]))
		goto out_content;
	se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
	if (!se)
		goto out_content;
	if (fuse_set_signal_handlers(se))
		goto out_session;
	if (fuse_session_mount(se, mountpoint))
		goto out_signals;

	/* A signal ends the loop with the signal number: a clean exit. */
	ret = fuse_session_loop(se) < 0 ? 1 : 0;

	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_content:
	free(floor_content);
out_args:
	fuse_opt_free_args(&args);
	return ret;
}
