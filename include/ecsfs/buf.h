/* ecsfs — growable byte buffer (after git's strbuf). */
#ifndef ECSFS_BUF_H
#define ECSFS_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer. `data` is always NUL-terminated (the NUL is not
 * counted in `len`), so it can be used as a C string when it holds text.
 * Initialise with ECSFS_BUF_INIT or ecsfs_buf_init(); release with
 * ecsfs_buf_release(). Allocation failure aborts: every caller would have
 * to fail the same way, and the daemon cannot do anything useful without
 * memory.
 */
typedef struct ecsfs_buf {
	char *data;
	size_t len;
	size_t alloc;
} ecsfs_buf;

extern char ecsfs_buf_empty[];
#define ECSFS_BUF_INIT                \
	{                             \
		ecsfs_buf_empty, 0, 0 \
	}

void ecsfs_buf_init(ecsfs_buf *b);
void ecsfs_buf_release(ecsfs_buf *b);
/* Make room for `extra` more bytes beyond len. */
void ecsfs_buf_grow(ecsfs_buf *b, size_t extra);
void ecsfs_buf_reset(ecsfs_buf *b);
void ecsfs_buf_add(ecsfs_buf *b, const void *data, size_t len);
void ecsfs_buf_adds(ecsfs_buf *b, const char *s);
void ecsfs_buf_addch(ecsfs_buf *b, char c);
__attribute__((format(printf, 2, 3))) void ecsfs_buf_addf(ecsfs_buf *b, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void ecsfs_buf_vaddf(ecsfs_buf *b, const char *fmt,
							   va_list ap);
/* Replace the contents with the formatted text. */
__attribute__((format(printf, 2, 3))) void ecsfs_buf_setf(ecsfs_buf *b, const char *fmt, ...);
/* Set the length to `len` (<= current len, or zero-filled when larger). */
void ecsfs_buf_setlen(ecsfs_buf *b, size_t len);
/* Write `len` bytes at `off`, zero-filling any gap; grows as needed. */
void ecsfs_buf_write_at(ecsfs_buf *b, size_t off, const void *data, size_t len);
/* Hand the storage to the caller (who frees it) and reset the buffer. */
char *ecsfs_buf_detach(ecsfs_buf *b, size_t *len);

#endif
