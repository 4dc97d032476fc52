/* STATE/credentials: made on first start, read back on later ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credentials.h"

#define FILE_MAX 65536 /* bytes of a credentials file worth reading */

static const char upper_alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char secret_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n characters drawn uniformly from set (rejection sampling, no modulo bias). */
static int random_chars(const char *set, char *out, size_t n)
{
	size_t m = strlen(set), limit = 256 - 256 % m;
	unsigned char b[64];

	for (size_t i = 0; i < n;) {
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return -errno ? -errno : -EIO;
		for (size_t j = 0; j < sizeof(b) && i < n; j++)
			if (b[j] < limit)
				out[i++] = set[b[j] % m];
	}
	out[n] = '\0';
	return 0;
}

int ecsfs__creds_generate(ecsfs__creds *out)
{
	ecsfs__creds c;
	int r;

	memcpy(c.key_id, "AKIA", 4);
	if ((r = random_chars(upper_alnum, c.key_id + 4, 16)) < 0 ||
	    (r = random_chars(secret_chars, c.secret, 40)) < 0)
		return r;
	*out = c;
	return 0;
}

static char *trim(char *s)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One "key = value" line of the profile into out. */
static void take_line(char *line, ecsfs__creds *out)
{
	char *eq = strchr(line, '='), *k, *v;
	if (!eq)
		return;
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	if (strlen(v) >= sizeof(out->key_id))
		return;
	if (strcmp(k, "aws_access_key_id") == 0)
		strcpy(out->key_id, v);
	else if (strcmp(k, "aws_secret_access_key") == 0)
		strcpy(out->secret, v);
}

int ecsfs__creds_parse(const char *text, ecsfs__creds *out, ecsfs_buf *why)
{
	ecsfs__creds c = {{0}, {0}};
	ecsfs_buf copy = ECSFS_BUF_INIT;
	bool in_profile = false;
	char *save = NULL;

	ecsfs_buf_adds(&copy, text);
	for (char *line = copy.data ? strtok_r(copy.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t = trim(line);
		if (*t == '[')
			in_profile = strcmp(t, "[" ECSFS_CREDS_PROFILE "]") == 0;
		else if (in_profile && *t != '#' && *t != ';')
			take_line(t, &c);
	}
	if (copy.data)
		explicit_bzero(copy.data, copy.len);
	ecsfs_buf_release(&copy);
	if (!c.key_id[0] || !c.secret[0]) {
		ecsfs_buf_adds(why, "it has no profile [" ECSFS_CREDS_PROFILE
				    "] with aws_access_key_id and aws_secret_access_key");
		return -EINVAL;
	}
	*out = c;
	return 0;
}

static int write_new(const char *path, ecsfs__creds *out, ecsfs_buf *why)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	ecsfs__creds c;
	int fd, r;

	if ((r = ecsfs__creds_generate(&c)) < 0) {
		ecsfs_buf_addf(why, "getrandom: %s", strerror(-r));
		return r;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		if (r != -EEXIST)
			ecsfs_buf_addf(why, "cannot create %s: %s", path, strerror(-r));
		return r;
	}
	ecsfs_buf_addf(&text,
		       "# The AWS API's access key (ecsfs made it; keep this file private).\n"
		       "[" ECSFS_CREDS_PROFILE "]\naws_access_key_id = %s\n"
		       "aws_secret_access_key = %s\n",
		       c.key_id, c.secret);
	errno = EIO; /* a short write sets none */
	r = write(fd, text.data, text.len) == (ssize_t)text.len && fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	explicit_bzero(text.data, text.len);
	ecsfs_buf_release(&text);
	if (r < 0) {
		unlink(path);
		ecsfs_buf_addf(why, "cannot write %s: %s", path, strerror(-r));
		return r;
	}
	*out = c;
	return 0;
}

static int read_existing(int fd, const char *path, ecsfs__creds *out, ecsfs_buf *why)
{
	char text[FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t before;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0700) < 0) {
		ecsfs_buf_addf(why, "%s is readable by others and cannot be made private: %s", path,
			       strerror(errno));
		return -EACCES;
	}
	n = read(fd, text, FILE_MAX);
	if (n < 0) {
		ecsfs_buf_addf(why, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	text[n] = '\0';
	before = why->len;
	ecsfs_buf_addf(why, "%s: ", path);
	r = ecsfs__creds_parse(text, out, why);
	explicit_bzero(text, (size_t)n + 1);
	if (r == 0)
		ecsfs_buf_setlen(why, before);
	return r;
}

int ecsfs__creds_load(const char *state_dir, ecsfs__creds *out, bool *created, ecsfs_buf *why)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int fd, r;

	ecsfs_buf_addf(&path, "%s/" ECSFS_CREDS_FILE, state_dir);
	for (int tries = 0; tries < 2; tries++) {
		fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			r = read_existing(fd, path.data, out, why);
			close(fd);
			*created = false;
			goto out;
		}
		if (errno != ENOENT) {
			r = -errno;
			ecsfs_buf_addf(why, "cannot open %s: %s", path.data, strerror(errno));
			goto out;
		}
		r = write_new(path.data, out, why);
		if (r != -EEXIST) { /* EEXIST: made by someone in between; read it */
			*created = r == 0;
			goto out;
		}
	}
	ecsfs_buf_addf(why, "cannot make %s", path.data);
out:
	ecsfs_buf_release(&path);
	return r;
}
