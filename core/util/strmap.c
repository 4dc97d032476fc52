/* ecsfs — a map from strings to pointers: open addressing, linear probing,
 * deletion by backward shift (no tombstones, so probes stay short). */
#include <stdlib.h>
#include <string.h>

#include "ecsfs/strmap.h"

/* FNV-1a: keys here are ids and names, short and already well spread. */
static uint32_t hash_of(const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

void ecsfs_strmap_init(ecsfs_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void ecsfs_strmap_release(ecsfs_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	ecsfs_strmap_init(m);
}

/* The slot holding `key`, or the empty one where it would go. */
static size_t find(const ecsfs_strmap *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	while (m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

static void grow(ecsfs_strmap *m)
{
	ecsfs_strmap_slot *old = m->slots;
	size_t ocap = m->cap;

	m->cap = ocap ? 2 * ocap : 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots)
		abort();
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			m->slots[find(m, old[i].key, old[i].hash)] = old[i];
	free(old);
}

void *ecsfs_strmap_get(const ecsfs_strmap *m, const char *key)
{
	const ecsfs_strmap_slot *s;

	if (m->n == 0)
		return NULL;
	s = &m->slots[find(m, key, hash_of(key))];
	return s->key ? s->value : NULL;
}

bool ecsfs_strmap_has(const ecsfs_strmap *m, const char *key)
{
	return m->n > 0 && m->slots[find(m, key, hash_of(key))].key != NULL;
}

void *ecsfs_strmap_put(ecsfs_strmap *m, const char *key, void *value)
{
	uint32_t h = hash_of(key);
	ecsfs_strmap_slot *s;
	void *was;

	/* at most 3/4 full, so a probe always ends at an empty slot */
	if (4 * (m->n + 1) > 3 * m->cap)
		grow(m);
	s = &m->slots[find(m, key, h)];
	if (s->key) {
		was = s->value;
		s->value = value;
		return was;
	}
	if (!(s->key = strdup(key)))
		abort();
	s->hash = h;
	s->value = value;
	m->n++;
	return NULL;
}

void *ecsfs_strmap_del(ecsfs_strmap *m, const char *key)
{
	size_t mask = m->cap - 1, i, j;
	void *was;

	if (m->n == 0)
		return NULL;
	i = find(m, key, hash_of(key));
	if (!m->slots[i].key)
		return NULL;
	was = m->slots[i].value;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* pull back the entries after the hole that may not sit past it */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return was;
}

bool ecsfs_strmap_next(const ecsfs_strmap *m, size_t *pos, const char **key, void **value)
{
	while (*pos < m->cap) {
		const ecsfs_strmap_slot *s = &m->slots[(*pos)++];
		if (s->key) {
			*key = s->key;
			*value = s->value;
			return true;
		}
	}
	return false;
}
