/* ecsfs — a map from strings to pointers (open addressing). */
#ifndef ECSFS_STRMAP_H
#define ECSFS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A map from NUL-terminated strings to pointers: lookups, inserts and
 * deletes in O(1) on average. The map keeps its own copy of each key; the
 * values are the caller's. Caller-owned storage: ECSFS_STRMAP_INIT or
 * ecsfs_strmap_init(), then ecsfs_strmap_release(). Allocation failure
 * aborts, as ecsfs_buf's does.
 */
typedef struct ecsfs_strmap_slot {
	char *key; /* NULL: empty */
	uint32_t hash;
	void *value;
} ecsfs_strmap_slot;

typedef struct ecsfs_strmap {
	ecsfs_strmap_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
} ecsfs_strmap;

#define ECSFS_STRMAP_INIT  \
	{                  \
		NULL, 0, 0 \
	}

void ecsfs_strmap_init(ecsfs_strmap *m);
/* Free the keys and the table (not the values). */
void ecsfs_strmap_release(ecsfs_strmap *m);
/* The value of `key`, or NULL when it is not there. */
void *ecsfs_strmap_get(const ecsfs_strmap *m, const char *key);
/* Is `key` there (whatever its value, NULL included)? */
bool ecsfs_strmap_has(const ecsfs_strmap *m, const char *key);
/* Set `key` to `value`; the value it had, or NULL. */
void *ecsfs_strmap_put(ecsfs_strmap *m, const char *key, void *value);
/* Remove `key`; the value it had, or NULL. */
void *ecsfs_strmap_del(ecsfs_strmap *m, const char *key);
/*
 * Each entry once, in no order: start with *pos = 0; false at the end.
 * The map must not change during the walk (take the keys first).
 */
bool ecsfs_strmap_next(const ecsfs_strmap *m, size_t *pos, const char **key, void **value);

#endif
