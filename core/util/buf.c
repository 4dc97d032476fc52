#include "ecsfs/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char ecsfs_buf_empty[1];

void ecsfs_buf_init(ecsfs_buf *b)
{
	b->data = ecsfs_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void ecsfs_buf_release(ecsfs_buf *b)
{
	if (b->alloc)
		free(b->data);
	ecsfs_buf_init(b);
}

void ecsfs_buf_grow(ecsfs_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	if (!b->data)
		ecsfs_buf_init(b);
	if (want <= b->alloc)
		return;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < want)
		n = n * 2;
	char *p = b->alloc ? realloc(b->data, n) : malloc(n);
	if (!p)
		abort();
	if (!b->alloc)
		p[0] = '\0';
	b->data = p;
	b->alloc = n;
}

void ecsfs_buf_reset(ecsfs_buf *b)
{
	ecsfs_buf_setlen(b, 0);
}

void ecsfs_buf_setlen(ecsfs_buf *b, size_t len)
{
	if (len > b->len) {
		ecsfs_buf_grow(b, len - b->len);
		memset(b->data + b->len, 0, len - b->len);
	}
	if (!b->alloc && len == 0) {
		ecsfs_buf_init(b);
		return;
	}
	b->len = len;
	b->data[len] = '\0';
}

void ecsfs_buf_add(ecsfs_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	ecsfs_buf_grow(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void ecsfs_buf_adds(ecsfs_buf *b, const char *s)
{
	ecsfs_buf_add(b, s, strlen(s));
}

void ecsfs_buf_addch(ecsfs_buf *b, char c)
{
	ecsfs_buf_add(b, &c, 1);
}

void ecsfs_buf_vaddf(ecsfs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	/* gcc 12 with -fsanitize=undefined reports a "null format string" here
	 * that no caller can produce (fmt is checked by the format attribute) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
	int n = vsnprintf(NULL, 0, fmt, cp);
#pragma GCC diagnostic pop
	va_end(cp);
	if (n <= 0)
		return;
	ecsfs_buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ecsfs_buf_addf(ecsfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void ecsfs_buf_setf(ecsfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	ecsfs_buf_reset(b);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void ecsfs_buf_write_at(ecsfs_buf *b, size_t off, const void *data, size_t len)
{
	if (off + len > b->len)
		ecsfs_buf_setlen(b, off + len);
	if (len)
		memcpy(b->data + off, data, len);
}

char *ecsfs_buf_detach(ecsfs_buf *b, size_t *len)
{
	char *p;
	if (!b->alloc)
		ecsfs_buf_grow(b, 0);
	p = b->data;
	if (len)
		*len = b->len;
	ecsfs_buf_init(b);
	return p;
}
