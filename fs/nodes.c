/* Inode numbers for paths: the kernel names nodes by number, we by path. */
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct ecsfs__nodes {
	ecsfs__node **by_ino, **by_path;
	ecsfs__node *generated; /* the generated files, for invalidations */
	size_t nbuckets, count;
	uint64_t next_ino;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void link_ino(struct ecsfs__nodes *n, ecsfs__node *node)
{
	size_t b = node->ino % n->nbuckets;
	node->next_ino = n->by_ino[b];
	n->by_ino[b] = node;
}

static void link_path(struct ecsfs__nodes *n, ecsfs__node *node)
{
	size_t b = hash_str(node->path) % n->nbuckets;
	node->next_path = n->by_path[b];
	n->by_path[b] = node;
}

static void unlink_path(struct ecsfs__nodes *n, ecsfs__node *node)
{
	ecsfs__node **pp = &n->by_path[hash_str(node->path) % n->nbuckets];
	while (*pp && *pp != node)
		pp = &(*pp)->next_path;
	if (*pp)
		*pp = node->next_path;
	node->next_path = NULL;
}

static void rehash(struct ecsfs__nodes *n, size_t nbuckets)
{
	ecsfs__node **old = n->by_ino;
	size_t oldn = n->nbuckets;

	n->by_ino = calloc(nbuckets, sizeof(*n->by_ino));
	n->by_path = (free(n->by_path), calloc(nbuckets, sizeof(*n->by_path)));
	if (!n->by_ino || !n->by_path)
		abort();
	n->nbuckets = nbuckets;
	for (size_t i = 0; i < oldn; i++) {
		ecsfs__node *node = old[i], *next;
		for (; node; node = next) {
			next = node->next_ino;
			link_ino(n, node);
			if (node->path)
				link_path(n, node);
		}
	}
	free(old);
}

struct ecsfs__nodes *ecsfs__nodes_new(void)
{
	struct ecsfs__nodes *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	rehash(n, 256);
	n->next_ino = FUSE_ROOT_ID;
	ecsfs__node *root = ecsfs__nodes_ref(n, "/");
	root->nlookup = 1; /* the root lives as long as the mount */
	return n;
}

void ecsfs__nodes_free(struct ecsfs__nodes *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nbuckets; i++) {
		ecsfs__node *node = n->by_ino[i], *next;
		for (; node; node = next) {
			next = node->next_ino;
			free(node->copy);
			free(node->path);
			free(node);
		}
	}
	free(n->by_ino);
	free(n->by_path);
	free(n);
}

ecsfs__node *ecsfs__nodes_by_ino(struct ecsfs__nodes *n, uint64_t ino)
{
	ecsfs__node *node = n->by_ino[ino % n->nbuckets];
	while (node && node->ino != ino)
		node = node->next_ino;
	return node;
}

ecsfs__node *ecsfs__nodes_by_path(struct ecsfs__nodes *n, const char *path)
{
	ecsfs__node *node = n->by_path[hash_str(path) % n->nbuckets];
	while (node && strcmp(node->path, path) != 0)
		node = node->next_path;
	return node;
}

ecsfs__node *ecsfs__nodes_ref(struct ecsfs__nodes *n, const char *path)
{
	ecsfs__node *node = ecsfs__nodes_by_path(n, path);
	if (node) {
		node->nlookup++;
		return node;
	}
	if (n->count + 1 > n->nbuckets)
		rehash(n, n->nbuckets * 2);
	node = calloc(1, sizeof(*node));
	if (!node || !(node->path = strdup(path)))
		abort();
	node->ino = n->next_ino++;
	node->nlookup = 1;
	link_ino(n, node);
	link_path(n, node);
	n->count++;
	return node;
}

void ecsfs__nodes_forget(struct ecsfs__nodes *n, uint64_t ino, uint64_t count)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(n, ino);
	if (!node || ino == FUSE_ROOT_ID)
		return;
	node->nlookup = node->nlookup > count ? node->nlookup - count : 0;
	if (node->nlookup || node->pending || node->writer || node->cached_open)
		return;
	if (node->generated) {
		if (node->gen_prev)
			node->gen_prev->gen_next = node->gen_next;
		else
			n->generated = node->gen_next;
		if (node->gen_next)
			node->gen_next->gen_prev = node->gen_prev;
	}
	ecsfs__node **pp = &n->by_ino[ino % n->nbuckets];
	while (*pp != node)
		pp = &(*pp)->next_ino;
	*pp = node->next_ino;
	if (node->path)
		unlink_path(n, node);
	free(node->copy);
	free(node->path);
	free(node);
	n->count--;
}

void ecsfs__nodes_rename(struct ecsfs__nodes *n, const char *from, const char *to)
{
	ecsfs__node *src = ecsfs__nodes_by_path(n, from);
	ecsfs__node *dst = ecsfs__nodes_by_path(n, to);
	if (dst == src)
		return;
	if (dst) {
		unlink_path(n, dst);
		free(dst->path);
		dst->path = NULL;
	}
	if (src) {
		unlink_path(n, src);
		free(src->path);
		if (!(src->path = strdup(to)))
			abort();
		link_path(n, src);
	}
}

size_t ecsfs__nodes_count(struct ecsfs__nodes *n)
{
	return n->count;
}

void ecsfs__nodes_add_generated(struct ecsfs__nodes *n, ecsfs__node *node)
{
	if (node->generated)
		return;
	node->generated = true;
	node->gen_prev = NULL;
	node->gen_next = n->generated;
	if (n->generated)
		n->generated->gen_prev = node;
	n->generated = node;
}

void ecsfs__nodes_each_generated(struct ecsfs__nodes *n, const char *prefix,
				 void (*fn)(void *data, ecsfs__node *node), void *data)
{
	size_t len = strlen(prefix);
	for (ecsfs__node *node = n->generated, *next; node; node = next) {
		next = node->gen_next;
		if (node->path && strncmp(node->path, prefix, len) == 0)
			fn(data, node);
	}
}
