/*
 * The store: the errors journal's rate limit. Every refused change is a
 * line of /ecs/errors, each synced to disk: a client that retries a bad
 * write in a loop would make the daemon sync thousands of identical lines a
 * second. So the same refusal (same line but for its time) more than
 * ECSFS_ERRORS_BURST times within a second is counted instead of written,
 * and one line says how many there were when the burst ends (another line
 * comes, the same one comes after the second, or the journal is read).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "store/store_private.h"

/* What makes two lines the same refusal: the line without its time. */
static char *key_of(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	char *key;

	if (!json_is_object(j)) {
		json_decref(j);
		return strdup(line);
	}
	json_object_del(j, "time");
	key = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return key;
}

/* The line that says how many repeats were not written. */
static int write_summary(ecsfs_store *s)
{
	struct ecsfs__errors_limit *l = &s->errors;
	json_t *j = json_loads(l->key ? l->key : "{}", 0, NULL), *o;
	char when[32], *line;
	int r = 0;

	if (!l->suppressed)
		goto out;
	ecsfs_time_iso(ecsfs_now_ns(), when);
	o = json_pack("{s:s, s:O?, s:O?, s:O?, s:I}", "time", when, "path",
		      json_object_get(j, "path"), "errno", json_object_get(j, "errno"), "message",
		      json_object_get(j, "message"), "repeated", (json_int_t)l->suppressed);
	line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	l->suppressed = 0;
	r = line ? ecsfs_store_journal_append(s, "errors", line) : -ENOMEM;
	free(line);
out:
	json_decref(j);
	return r;
}

int ecsfs_store_error_append(ecsfs_store *s, const char *line)
{
	struct ecsfs__errors_limit *l = &s->errors;
	int64_t now = ecsfs_mono_ns();
	char *key = key_of(line);
	int r;

	if (!key)
		return -ENOMEM;
	if (l->key && strcmp(key, l->key) == 0 && now - l->since < 1000000000ll) {
		free(key);
		if (++l->seen > ECSFS_ERRORS_BURST) {
			l->suppressed++;
			return 0;
		}
		return ecsfs_store_journal_append(s, "errors", line);
	}
	write_summary(s);
	free(l->key);
	l->key = key;
	l->since = now;
	l->seen = 1;
	r = ecsfs_store_journal_append(s, "errors", line);
	return r;
}

void ecsfs__errors_flush(ecsfs_store *s, const char *stream)
{
	if (s->errors.suppressed && strcmp(stream, "errors") == 0)
		write_summary(s);
}

void ecsfs__errors_release(ecsfs_store *s)
{
	ecsfs__errors_flush(s, "errors");
	free(s->errors.key);
	s->errors.key = NULL;
}
