/*
 * ecsfs — what the Docker client's files all need: the API prefix, URL
 * escaping, the engine's error text, and JSON-lines streams (/events, pull
 * progress). It calls nothing of the client itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_private.h"

void ecsfs__docker_error_text(const ecsfs_buf *body, size_t max, ecsfs_buf *out)
{
	json_t *j = json_loadb(body->data, body->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	size_t i;

	if (msg) {
		ecsfs_buf_addf(out, "%.*s", (int)max, msg);
	} else {
		for (i = 0; i < body->len && i < max; i++) {
			unsigned char c = (unsigned char)body->data[i];

			ecsfs_buf_addch(out, c < ' ' || c == 0x7f ? ' ' : (char)c);
		}
	}
	json_decref(j);
}

void ecsfs__url_escape(ecsfs_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			ecsfs_buf_addch(out, (char)c);
		} else {
			ecsfs_buf_addch(out, '%');
			ecsfs_buf_addch(out, hex[c >> 4]);
			ecsfs_buf_addch(out, hex[c & 15]);
		}
	}
}

void ecsfs__docker_prefix(struct docker *d, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "/v%s", d->api[0] ? d->api : ECSFS_DOCKER_API_MIN);
}

void ecsfs__jsonl_init(struct ecsfs__jsonl *j)
{
	ecsfs_buf_init(&j->line);
	j->skipping = false;
}

void ecsfs__jsonl_release(struct ecsfs__jsonl *j)
{
	ecsfs_buf_release(&j->line);
}

static int jsonl_line(struct ecsfs__jsonl *j, ecsfs__jsonl_fn fn, void *data)
{
	json_t *v = json_loadb(j->line.data, j->line.len, 0, NULL);
	int r = 0;

	ecsfs_buf_reset(&j->line);
	if (v) {
		r = fn(data, v);
		json_decref(v);
	}
	return r;
}

int ecsfs__jsonl_feed(struct ecsfs__jsonl *j, const char *p, size_t n, ecsfs__jsonl_fn fn,
		      void *data)
{
	int r;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (!j->skipping && take > ECSFS__DOCKER_JSONL_MAX - j->line.len) {
			j->skipping = true;
			ecsfs_buf_reset(&j->line);
		}
		if (!j->skipping)
			ecsfs_buf_add(&j->line, p, take);
		if (!nl)
			break;
		p += take + 1;
		n -= take + 1;
		if (j->skipping) {
			j->skipping = false;
			continue;
		}
		r = jsonl_line(j, fn, data);
		if (r < 0)
			return r;
	}
	return 0;
}

int ecsfs__jsonl_finish(struct ecsfs__jsonl *j, ecsfs__jsonl_fn fn, void *data)
{
	bool skipping = j->skipping;

	j->skipping = false;
	if (skipping || !j->line.len) {
		ecsfs_buf_reset(&j->line);
		return 0;
	}
	return jsonl_line(j, fn, data);
}
