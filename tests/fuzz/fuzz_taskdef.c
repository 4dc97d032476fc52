/*
 * libFuzzer target for ecsfs_taskdef_validate(): any JSON object must give
 * 0, or -EINVAL with one printable sentence that starts with a field path;
 * the document must come back unchanged, the answer must not change when
 * asked twice, and nothing may leak (LeakSanitizer runs at exit of each
 * input). See README.md beside this file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/taskdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "invariant broken: %s\nmessage: %s\n", what, msg);
	abort();
}

static bool plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* One key of a path: a plain name, or "..." as the validator quotes odd keys. */
static const char *key(const char *p)
{
	const char *start = p;

	if (*p != '"') {
		while (plain(*p))
			p++;
		return p > start ? p : NULL;
	}
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && *++p != 'x')
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

/* Does `msg` start with "path: " and go on with a sentence? */
static bool starts_with_path(const char *msg)
{
	const char *p = key(msg);

	while (p && *p != ':') {
		if (*p == '.') {
			p = key(p + 1);
		} else if (*p == '[' && p[1] >= '0' && p[1] <= '9') {
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
			p = *p == ']' ? p + 1 : NULL;
		} else {
			p = NULL;
		}
	}
	return p && p[1] == ' ' && p[2] != '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ecsfs_buf why = ECSFS_BUF_INIT, again = ECSFS_BUF_INIT;
	json_t *doc, *copy;
	int r, r2;

	/* JSON_ALLOW_NUL as well: NUL bytes in strings reach the validator */
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	copy = json_deep_copy(doc);
	r = ecsfs_taskdef_validate("fuzz", doc, &why);
	if (r != 0 && r != -EINVAL)
		die("returns 0 or -EINVAL", why.data);
	if (r == 0 && why.len != 0)
		die("no message on success", why.data);
	if (r == -EINVAL) {
		if (why.len == 0 || strlen(why.data) != why.len)
			die("a message on failure, without NUL bytes", why.data);
		if (!starts_with_path(why.data))
			die("the message starts with a field path", why.data);
		for (size_t i = 0; i < why.len; i++)
			if ((unsigned char)why.data[i] < 0x20 || why.data[i] == 0x7f)
				die("the message has no control characters", why.data);
		if (why.len > 4096)
			die("the message is one sentence, not a dump", why.data);
	}
	if (!json_equal(doc, copy))
		die("the document is left unchanged", why.data);
	r2 = ecsfs_taskdef_validate("fuzz", doc, &again);
	if (r2 != r || strcmp(why.data, again.data) != 0)
		die("the same answer twice", again.data);
	json_decref(copy);
	json_decref(doc);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&again);
	return 0;
}
