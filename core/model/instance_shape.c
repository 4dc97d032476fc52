/*
 * The container instance document (spec/clusters/<c>/instances/<name>.json):
 * its shape tables and the rules between its fields.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/instance.h"
#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "model/instance_private.h"

/* unix:///absolute/path or tcp://host:port */
static int endpoint_rule(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *s = json_string_value(v), *colon;
	char *end;
	long port;

	if (strncmp(s, "unix://", 7) == 0) {
		if (s[7] != '/' || strlen(s) > 7 + 107)
			return ecsfs_shape_fail(c, "'%s': a unix socket is unix:///absolute/path",
						ecsfs_shape_shown(c, s));
		return 0;
	}
	if (strncmp(s, "tcp://", 6) != 0)
		return ecsfs_shape_fail(c, "'%s' is neither unix:///path nor tcp://host:port",
					ecsfs_shape_shown(c, s));
	colon = strrchr(s + 6, ':');
	if (!colon || colon == s + 6 || strpbrk(s + 6, "/ ?#@"))
		return ecsfs_shape_fail(c, "'%s': a TCP endpoint is tcp://host:port",
					ecsfs_shape_shown(c, s));
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 1 || port > 65535)
		return ecsfs_shape_fail(c, "'%s': the port must be 1 to 65535",
					ecsfs_shape_shown(c, s));
	return 0;
}

/* Does the file at `fd` hold a PEM block (certificate or key) near its
 * start? Reads at most 64 KiB. */
static bool holds_pem(int fd)
{
	static const char tag[] = "-----BEGIN ";
	char buf[65536 + 1];
	size_t n = 0;
	ssize_t got;

	while (n < sizeof(buf) - 1 && (got = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return memmem(buf, n, tag, sizeof(tag) - 1) != NULL;
}

/* A TLS file must be there and readable now: a typo shows at the write,
 * not as an engine that never answers. (Read as the daemon: root reads
 * any mode, so what it cannot read is what is not a PEM file.) */
static int tls_file(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *path = json_string_value(v);
	struct stat st;
	bool pem;
	int fd;

	if (path[0] != '/')
		return ecsfs_shape_fail(c, "'%s' must be an absolute path",
					ecsfs_shape_shown(c, path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return ecsfs_shape_fail(c, "%s: %s", ecsfs_shape_shown(c, path), strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ecsfs_shape_fail(c, "%s is not a regular file", ecsfs_shape_shown(c, path));
	}
	pem = holds_pem(fd);
	close(fd);
	if (!pem)
		return ecsfs_shape_fail(c, "%s holds no PEM block (-----BEGIN ...)",
					ecsfs_shape_shown(c, path));
	return 0;
}

/* Custom attributes: ECS's name rule; ecs.* names are the agent's, but the
 * zone and the instance type may be set. */
static int attr_name(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s);

	if (n == 0 || n > 128 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/@") != n)
		return ecsfs_shape_fail(c, "'%s' must be 1 to 128 of letters, digits and _ . - / @",
					ecsfs_shape_shown(c, s));
	if (strncmp(s, "ecs.", 4) == 0 && strcmp(s, "ecs.availability-zone") != 0 &&
	    strcmp(s, "ecs.instance-type") != 0)
		return ecsfs_shape_fail(c, "'%s': ecs.* attributes are the agent's own",
					ecsfs_shape_shown(c, s));
	return 0;
}

static const ecsfs_field attr_fields[] = {
    {.name = "name", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_REQUIRED, .check = attr_name},
    {.name = "value", .type = ECSFS_JSON_STRING, .max = 128},
    ECSFS_IGNORE("targetType"),
    ECSFS_IGNORE("targetId"),
};
const ecsfs_shape ecsfs__instance_attr_shape = ECSFS_SHAPE(attr_fields);

static const ecsfs_field tls_fields[] = {
    {.name = "ca", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_REQUIRED, .check = tls_file},
    {.name = "cert", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_REQUIRED, .check = tls_file},
    {.name = "key", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_REQUIRED, .check = tls_file},
};
static const ecsfs_shape tls_shape = ECSFS_SHAPE(tls_fields);

static int whole(ecsfs_shape_ctx *c, const json_t *doc)
{
	const char *ep = json_string_value(json_object_get(doc, "endpoint"));

	if (json_object_get(doc, "tls") && strncmp(ep, "tcp://", 6) != 0) {
		ecsfs_shape_path(c, "tls");
		return ecsfs_shape_fail(c, "only a tcp:// endpoint uses TLS");
	}
	return 0;
}

static const ecsfs_field instance_fields[] = {
    {.name = "endpoint",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED,
     .check = endpoint_rule},
    ECSFS_OBJ("tls", 0, tls_shape),
    ECSFS_OBJS("attributes", 0, ecsfs__instance_attr_shape, ECSFS_INSTANCE_ATTRS_MAX),
    {.name = "capacityProvider",
     .type = ECSFS_JSON_STRING,
     .rule = ecsfs_name_check,
     .what = "capacity provider"},
};
static const ecsfs_shape instance_shape = ECSFS_SHAPE_HOOK(instance_fields, whole);

int ecsfs_instance_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r;

	(void)cluster;
	if (ecsfs_name_check(name, "container instance", &why) < 0) {
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s", why.data);
	} else if (strcmp(name, ECSFS_INSTANCE_LOCAL) == 0) {
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "the instance local is the daemon's own engine (--docker); "
				  "give this one another name");
	} else {
		r = ecsfs_shape_check(&instance_shape, doc, NULL, err);
	}
	ecsfs_buf_release(&why);
	return r;
}

int ecsfs_instance_state_check(const char *text, size_t len, ecsfs_err *err)
{
	char word[16];
	size_t a = 0, b = len;

	while (a < b && strchr(" \t\r\n", text[a]))
		a++;
	while (b > a && strchr(" \t\r\n", text[b - 1]))
		b--;
	if (b - a < sizeof(word)) {
		memcpy(word, text + a, b - a);
		word[b - a] = '\0';
		if (strcmp(word, "ACTIVE") == 0 || strcmp(word, "DRAINING") == 0)
			return 0;
	}
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "state: write ACTIVE or DRAINING");
}

/* ---- are two endpoints one engine? ---- */

/* The socket path of unix:///p or a bare /p, else NULL. */
static const char *unix_path(const char *ep)
{
	if (strncmp(ep, "unix://", 7) == 0)
		ep += 7;
	return ep[0] == '/' ? ep : NULL;
}

/* tcp://host:port as a comparable "address:port": numeric addresses in
 * their canonical form (inet_ntop), localhost as 127.0.0.1, names
 * lowercase. false for anything else. */
static bool tcp_key(const char *ep, char out[300])
{
	const char *h = ep + 6, *colon;
	char host[256], norm[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	size_t n;

	if (strncmp(ep, "tcp://", 6) != 0 || !(colon = strrchr(h, ':')) ||
	    (n = (size_t)(colon - h)) == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, addr) == 1 &&
		    inet_ntop(AF_INET6, addr, norm, sizeof(norm)))
			snprintf(host, sizeof(host), "[%s]", norm);
		else
			host[n - 1] = ']';
	} else if (strcasecmp(host, "localhost") == 0) {
		snprintf(host, sizeof(host), "127.0.0.1");
	} else if (inet_pton(AF_INET, host, addr) == 1 &&
		   inet_ntop(AF_INET, addr, norm, sizeof(norm))) {
		snprintf(host, sizeof(host), "%s", norm);
	} else {
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	snprintf(out, 300, "%s:%ld", host, strtol(colon + 1, NULL, 10));
	return true;
}

bool ecsfs__endpoint_same(const char *a, const char *b)
{
	const char *pa = unix_path(a), *pb = unix_path(b);
	char ka[300], kb[300];
	struct stat sa, sb;

	if (pa && pb) /* one socket under two names (/var/run is /run) */
		return strcmp(pa, pb) == 0 || (stat(pa, &sa) == 0 && stat(pb, &sb) == 0 &&
					       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
	if (tcp_key(a, ka) && tcp_key(b, kb))
		return strcmp(ka, kb) == 0;
	return strcmp(a, b) == 0;
}
