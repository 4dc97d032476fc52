/*
 * libFuzzer target for the API's request path without HTTP: the SigV4
 * Authorization parser and verifier (api/sigv4.c) and the AWS JSON 1.1
 * dispatcher (api/dispatch.c) with the read operations behind it, on an
 * empty store and the services' subsystem (no engine). An input is four lines and a body:
 *
 *   X-Amz-Target \n Authorization \n X-Amz-Date \n request target \n body...
 *
 * Checked: the parser gives 0 with slices inside the header, or -EINVAL
 * with a sentence; the verifier gives 0 or -EACCES with one of SigV4's four
 * exceptions and a printable sentence; the dispatcher always answers a JSON
 * object, 200 or 400 (never 500 on an empty store), errors with __type and
 * message; nothing leaks. See README.md beside this file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_private.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	   1796164312 /* 20261201T223152Z */
#define KEY_ID	   "AKIDFUZZEXAMPLE00000"
#define SECRET	   "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"
#define STATE_TMPL "/tmp/ecsfs-fuzz-api.XXXXXX"

static char state_dir[] = STATE_TMPL;
static uv_loop_t loop;
static ecsfs_api_core core;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "invariant broken: %s\nmessage: %s\n", what, msg ? msg : "(none)");
	abort();
}

static void remove_state(void)
{
	char cmd[128];
	ecsfs_services_free(core.services);
	uv_run(&loop, UV_RUN_DEFAULT); /* the services' handles close */
	uv_loop_close(&loop);
	ecsfs_store_close(core.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", state_dir);
}

/* One store for the whole run, empty: only read operations reach it; the
 * services' subsystem on a loop that never runs (no engine, no tasks). */
static void setup(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	if (core.store)
		return;
	if (!mkdtemp(state_dir) || ecsfs_store_open(state_dir, &core.store, &why) < 0)
		die("a store to run on", why.data);
	uv_loop_init(&loop);
	if (ecsfs_services_new(&loop, core.store, NULL, &core.services) < 0)
		die("the services' subsystem", NULL);
	core.loop = &loop;
	core.state_dir = state_dir;
	ecsfs_buf_release(&why);
	atexit(remove_state);
}

/* The next line of the input as a NUL-terminated copy (NUL bytes kept). */
static char *take_line(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += nl ? n + 1 : n;
	if (len)
		*len = n;
	return s;
}

static bool printable(const ecsfs_buf *b)
{
	if (!b->len || strlen(b->data) != b->len)
		return false;
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20)
			return false;
	return true;
}

static bool inside(ecsfs__slice s, const char *h, size_t n)
{
	return s.p >= h && s.p + s.n <= h + n;
}

static void check_parse(const char *auth)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs__sigv4_auth a;
	size_t n = strlen(auth);
	int r = ecsfs__sigv4_parse(auth, &a, &why);

	if (r == 0) {
		if (why.len)
			die("no message when the header parses", why.data);
		if (!inside(a.key_id, auth, n) || !inside(a.date, auth, n) ||
		    !inside(a.region, auth, n) || !inside(a.service, auth, n) ||
		    !inside(a.signed_headers, auth, n) || !inside(a.signature, auth, n))
			die("the parts lie inside the header", auth);
		if (a.date.n != 8 || a.signature.n != 64 || !a.signed_headers.n)
			die("a date of 8, a signature of 64, some signed headers", auth);
	} else if (r != -EINVAL || !printable(&why)) {
		die("-EINVAL with a printable sentence", why.data);
	}
	ecsfs_buf_release(&why);
}

static const char *secret_of(void *data, ecsfs__slice key)
{
	(void)data;
	return key.n == strlen(KEY_ID) && memcmp(key.p, KEY_ID, key.n) == 0 ? SECRET : NULL;
}

static void check_verify(const char *target, const char *auth, const char *date, const char *uri,
			 const uint8_t *body, size_t len)
{
	static const char *const types[] = {
	    "MissingAuthenticationTokenException", "IncompleteSignatureException",
	    "UnrecognizedClientException", "InvalidSignatureException"};
	ecsfs__sigv4_header hs[] = {
	    {{"Host", 4}, {"127.0.0.1:4566", 14}},
	    {{"X-Amz-Target", 12}, {target, strlen(target)}},
	    {{"X-Amz-Date", 10}, {date, strlen(date)}},
	    {{"Authorization", 13}, {auth, strlen(auth)}},
	};
	ecsfs__sigv4_req req = {"POST", *uri ? uri : "/", hs, *auth ? 4 : 3, body, len, NOW};
	ecsfs_buf why = ECSFS_BUF_INIT;
	const char *type = NULL;
	int r = ecsfs__sigv4_verify(&req, secret_of, NULL, &type, &why);
	bool known = false;

	if (r == 0) {
		ecsfs_buf_release(&why);
		return;
	}
	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		known |= strcmp(type, types[i]) == 0;
	if (r != -EACCES || !known || !printable(&why))
		die("-EACCES with one of SigV4's exceptions and a sentence", why.data);
	ecsfs_buf_release(&why);
}

/* Write operations would fill the store between inputs: only reads run. */
static bool is_read(const char *target)
{
	static const char *const reads[] = {"Describe", "List", "Get", "Filter"};
	const char *dot = strrchr(target, '.');
	const char *op = dot ? dot + 1 : target;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strncmp(op, reads[i], strlen(reads[i])) == 0)
			return true;
	return false;
}

static void check_dispatch(const char *target, size_t tlen, const uint8_t *body, size_t len)
{
	ecsfs__api_reply r;
	json_t *j;

	if (strlen(target) != tlen || (!is_read(target) && strchr(target, '.')))
		target = "AmazonEC2ContainerServiceV20141113.NotARead"; /* unknown: refused first */
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, target, (const char *)body, len, &r);
	if (r.status != 200 && r.status != 400)
		die("200 or 400 on an empty store", r.body.data);
	j = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (!json_is_object(j))
		die("the answer is a JSON object", r.body.data);
	if (r.status != 200 && (!json_is_string(json_object_get(j, "__type")) ||
				!json_is_string(json_object_get(j, "message"))))
		die("an error has __type and message", r.body.data);
	if (strlen(r.request_id) != 36)
		die("a request id", r.request_id);
	json_decref(j);
	ecsfs__api_reply_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	size_t tlen;
	char *target, *auth, *date, *uri;

	setup();
	target = take_line(&p, end, &tlen);
	auth = take_line(&p, end, NULL);
	date = take_line(&p, end, NULL);
	uri = take_line(&p, end, NULL);
	check_parse(auth);
	check_verify(target, auth, date, uri, p, (size_t)(end - p));
	check_dispatch(target, tlen, p, (size_t)(end - p));
	free(target);
	free(auth);
	free(date);
	free(uri);
	return 0;
}
