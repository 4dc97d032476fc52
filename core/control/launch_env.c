/*
 * A container's environment: environmentFiles (local paths), then
 * environment, then secrets, a later definition of a name winning. The env
 * step runs last of a container's steps, so that no secret is fetched
 * before another error can be reported.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"

/* ---- a container: environment ---- */

/* Secrets and environment-file contents are the only text here that did
 * not come through a JSON parser, so they may not be UTF-8. */
static int env_set(json_t *env, const char *name, const char *value, size_t len)
{
	json_t *v = json_stringn(value, len);

	if (!v || json_object_set_new(env, name, v) < 0)
		return -EINVAL;
	return 0;
}

/* A ResourceInitializationError: what ECS reports when a task cannot get
 * what its containers need before they start. */
__attribute__((format(printf, 3, 4))) static int resource_error(struct lc *l, int err,
								const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_setf(l->why, "ResourceInitializationError: ");
	va_start(ap, fmt);
	ecsfs_buf_vaddf(l->why, fmt, ap);
	va_end(ap);
	return err;
}

static int read_file(struct lc *l, const char *path, ecsfs_buf *out)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO must not hang the daemon; it is refused below */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return resource_error(l, -ENOENT,
				      "failed to read env files: file %s for container %s: %s",
				      path, l->name, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = resource_error(l, -ENOENT,
				   "failed to read env files: %s for container %s is not a "
				   "regular file",
				   path, l->name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = resource_error(l, -ENOENT,
					   "failed to read env files: file %s for container %s: %s",
					   path, l->name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > ECSFS_ENV_FILE_MAX) {
			r = ecsfs__lc_fail(l, "%s is larger than %u bytes", path,
					   ECSFS_ENV_FILE_MAX);
			goto out;
		}
		ecsfs_buf_add(out, chunk, (size_t)n);
	}
out:
	close(fd);
	return r;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * One environment file, as ECS's agent reads one: lines are trimmed of
 * blanks; blank lines and lines starting with '#' are skipped; the rest is
 * NAME=VALUE split at the first '='. Like the agent, a line without '=',
 * with an empty name or with an empty value sets nothing. A later line
 * wins over an earlier one.
 */
static int env_file(struct lc *l, const char *path, json_t *env)
{
	ecsfs_buf data = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT;
	size_t line = 0;
	char *p, *end, *eol, *eq, *e;
	int r;

	if (path[0] != '/') {
		r = ecsfs__lc_fail(l, "'%s' must be an absolute path to a local file", path);
		goto out;
	}
	if ((r = read_file(l, path, &data)) < 0)
		goto out;
	if (memchr(data.data, '\0', data.len)) {
		r = ecsfs__lc_fail(l, "%s holds a NUL byte", path);
		goto out;
	}
	for (p = data.data, end = data.data + data.len; p < end; p = eol + 1) {
		line++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		for (e = eol; e > p && blank(e[-1]); e--)
			;
		while (p < e && blank(*p))
			p++;
		if (p == e || *p == '#')
			continue;
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq || eq == p || eq + 1 == e)
			continue;
		ecsfs_buf_reset(&name);
		ecsfs_buf_add(&name, p, (size_t)(eq - p));
		if (env_set(env, name.data, eq + 1, (size_t)(e - eq - 1)) < 0) {
			r = ecsfs__lc_fail(l, "%s, line %zu: not UTF-8 text", path, line);
			goto out;
		}
	}
out:
	ecsfs_buf_release(&data);
	ecsfs_buf_release(&name);
	return r;
}

static int env_files(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *f;
	size_t i, mark;
	int r;

	if ((r = ecsfs__lc_get(l, c, "environmentFiles", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "environmentFiles");
	for (i = 0; i < json_array_size(list); i++) {
		const char *path;
		size_t m = l->at.len;
		if ((r = ecsfs__lc_element(l, list, i, &f)) < 0 ||
		    (r = ecsfs__lc_get_str(l, f, "value", &path)) < 0)
			return r;
		if (!path)
			return ecsfs__lc_fail(l, "needs a value: the path of a local file");
		ecsfs__lc_at_key(l, "value");
		if ((r = env_file(l, path, env)) < 0)
			return r;
		ecsfs__lc_at_pop(l, m);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

static int env_list(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *e;
	size_t i, mark, base;
	int r;

	if ((r = ecsfs__lc_get(l, c, "environment", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "environment");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name, *value;
		if ((r = ecsfs__lc_element(l, list, i, &e)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "name", &name)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "value", &value)) < 0)
			return r;
		if (!name || !*name || strchr(name, '=') || !value)
			return ecsfs__lc_fail(l, "needs a name without '=' and a value");
		set(env, name, json_string(value));
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* The name a secret's valueFrom stands for: an ARN's last ':' or '/'
 * field, or valueFrom itself. */
static const char *secret_name(const char *from)
{
	const char *colon, *slash;

	if (strncmp(from, "arn:", 4) != 0)
		return from;
	colon = strrchr(from, ':');
	slash = strrchr(from, '/');
	return (slash && slash > colon ? slash : colon) + 1;
}

static int resolve_secret(struct lc *l, const char *name, const char *from, json_t *env)
{
	ecsfs_buf value = ECSFS_BUF_INIT;
	int r;

	r = l->ctx->secret ? l->ctx->secret(l->ctx->secret_data, secret_name(from), &value)
			   : -ENOENT;
	if (r == -ENOENT)
		r = resource_error(l, r,
				   "unable to pull secrets or registry auth: secret %s for "
				   "container %s does not exist",
				   from, l->name);
	else if (r < 0)
		r = resource_error(l, r,
				   "unable to pull secrets or registry auth: secret %s for "
				   "container %s: %s",
				   from, l->name, strerror(-r));
	else if (memchr(value.data, '\0', value.len) || env_set(env, name, value.data, value.len))
		/* the message must not show any of the value */
		r = resource_error(l, -EINVAL,
				   "secret %s for container %s is not text that an environment "
				   "variable can hold",
				   from, l->name);
	explicit_bzero(value.data, value.len);
	ecsfs_buf_release(&value);
	return r;
}

static int secrets(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *s;
	size_t i, mark, base;
	int r;

	if ((r = ecsfs__lc_get(l, c, "secrets", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "secrets");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name, *from;
		if ((r = ecsfs__lc_element(l, list, i, &s)) < 0 ||
		    (r = ecsfs__lc_get_str(l, s, "name", &name)) < 0 ||
		    (r = ecsfs__lc_get_str(l, s, "valueFrom", &from)) < 0)
			return r;
		if (!name || !*name || strchr(name, '=') || !from || !*from)
			return ecsfs__lc_fail(l, "needs a name without '=' and a valueFrom");
		if ((r = resolve_secret(l, name, from, env)) < 0)
			return r;
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* Env: environment files (in order), then environment, then secrets; a
 * later definition of a name wins. */
int ecsfs__launch_step_env(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	json_t *env = must(json_object()), *list, *v;
	ecsfs_buf kv = ECSFS_BUF_INIT;
	const char *name;
	int r;

	if ((r = env_files(l, c, env)) < 0 || (r = env_list(l, c, env)) < 0 ||
	    (r = secrets(l, c, env)) < 0)
		goto out;
	if (!json_object_size(env))
		goto out;
	list = must(json_array());
	set(config, "Env", list);
	json_object_foreach(env, name, v) {
		ecsfs_buf_setf(&kv, "%s=", name);
		ecsfs_buf_add(&kv, json_string_value(v), json_string_length(v));
		push(list, json_stringn(kv.data, kv.len));
	}
	explicit_bzero(kv.data, kv.len);
out:
	ecsfs_buf_release(&kv);
	json_decref(env);
	return r;
}
