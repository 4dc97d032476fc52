/*
 * ecsfs — one checker for the shape of every JSON document (task
 * definitions, cluster.json, CreateService, RunTask, target groups, load
 * balancers, schedules, scaling, ...).
 *
 * A document is described as data: an ecsfs_shape is the table of the
 * fields an object may hold, each an ecsfs_field with its JSON type(s),
 * whether it is required, an integer range, a set of allowed strings or a
 * name rule, the shape of a nested object, the element of an array (and
 * how many it may hold). Unknown fields are refused, with a "did you mean"
 * for a near miss. Rules between fields go in hooks: a field's `check`
 * runs once its own value passed, a shape's `check` once every field of
 * the object passed, so a hook may trust the types it reads.
 *
 * Every message starts with the path of the field it is about, the way a
 * user would write it: "containerDefinitions[1].memory: 128 is below
 * memoryReservation 256". A key that is not a plain identifier is shown
 * quoted; user text in messages is shortened and made printable.
 *
 * Errors: -EINVAL with kind ECSFS_E_INVALID_PARAMETER and the message in
 * err->msg.
 */
#ifndef ECSFS_SHAPE_H
#define ECSFS_SHAPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"

/* JSON types a field accepts (a set: ECSFS_JSON_STRING | ECSFS_JSON_INT). */
#define ECSFS_JSON_STRING 0x01u /* a string without NUL bytes */
#define ECSFS_JSON_INT	  0x02u /* an integer */
#define ECSFS_JSON_NUMBER 0x04u /* an integer or a real */
#define ECSFS_JSON_BOOL	  0x08u /* true or false */
#define ECSFS_JSON_OBJECT 0x10u /* an object described by `shape` (any object when NULL) */
#define ECSFS_JSON_ARRAY  0x20u /* an array, each element described by `of` */
#define ECSFS_JSON_MAP	  0x40u /* an object with free keys, each value described by `of` */
#define ECSFS_JSON_NULL	  0x80u /* null */
#define ECSFS_JSON_ANY	  0xffu

/* Field flags. */
#define ECSFS_F_REQUIRED 0x01u /* must be present */
#define ECSFS_F_NONEMPTY 0x02u /* a string or an array must not be empty */
#define ECSFS_F_KEPT	 0x04u /* kept only: checked, stored and shown; no local meaning */
#define ECSFS_F_IGNORED                                                  \
	0x08u /* a response field (describe output): any value, dropped, \
		 never offered as a "did you mean" */

#define ECSFS_I32_MAX 2147483647LL
#define ECSFS_I32_MIN (-2147483647LL - 1)

typedef struct ecsfs_shape_ctx ecsfs_shape_ctx;
typedef struct ecsfs_shape ecsfs_shape;

/* A hook: 0, or the result of ecsfs_shape_fail(). The context's path is
 * the field's (or the object's) own; `val` passed the built-in checks. */
typedef int (*ecsfs_shape_hook)(ecsfs_shape_ctx *c, const json_t *val);

typedef struct ecsfs_field {
	const char *name; /* the key; unused for an element (`of`) */
	unsigned type;	  /* ECSFS_JSON_* set */
	unsigned flags;	  /* ECSFS_F_* */
	/* OBJECT: the fields of the nested object (NULL: any object) */
	const ecsfs_shape *shape;
	/* ARRAY: each element; MAP: each value */
	const struct ecsfs_field *of;
	/* STRING: the allowed values, NULL-terminated */
	const char *const *oneof;
	/* STRING: a name rule such as ecsfs_name_check(): 0, or -EINVAL with
	 * a sentence in *why (control characters in it are shown as '?') */
	int (*rule)(const char *s, const char *what, ecsfs_buf *why);
	const char *what; /* the rule's `what` ("container", "cluster") */
	/* INT, NUMBER: lo..hi; both 0: any value. With hi ECSFS_I32_MAX the
	 * message says "below the minimum". */
	long long lo, hi;
	/* ARRAY: least and most elements; STRING: least and most bytes
	 * (max 0: no limit) */
	size_t min, max;
	/* the message for a value of the wrong type, instead of "must be a
	 * string" (e.g. "must be a string such as \"1024\" or an integer") */
	const char *type_msg;
	ecsfs_shape_hook check; /* after the built-in checks of this value */
} ecsfs_field;

struct ecsfs_shape {
	const ecsfs_field *fields;
	size_t n;
	ecsfs_shape_hook check; /* after every field of the object passed */
};

/* The state of one check: where it is and what went wrong. Caller-owned:
 * ecsfs_shape_ctx_init() / ecsfs_shape_ctx_release(). `user` is the
 * caller's, for its hooks (the file name a field must match, ...). */
struct ecsfs_shape_ctx {
	ecsfs_err *err;
	ecsfs_buf path;	 /* the field being checked */
	ecsfs_buf shown; /* user text made printable for a message */
	void *user;
};

/* Braced macro bodies, which clang-format would spread over four lines. */
/* clang-format off */
/* A shape from a static array of fields, with an optional object hook. */
#define ECSFS_SHAPE(t)         {(t), sizeof(t) / sizeof((t)[0]), NULL}
#define ECSFS_SHAPE_HOOK(t, h) {(t), sizeof(t) / sizeof((t)[0]), (h)}
/* An element of an array or a value of a map, written in place:
 * .of = ECSFS_ITEM(.type = ECSFS_JSON_STRING, .oneof = protocols) */
#define ECSFS_ITEM(...) (&(const ecsfs_field){.name = NULL, __VA_ARGS__})

/* Table entries for the common cases; anything else is written with
 * designated initializers: {"x", ECSFS_JSON_INT, 0, .lo = 1, .hi = 9}
 * (positional-only entries warn under -Wmissing-field-initializers). */
#define ECSFS_STR(n, fl)           {.name = (n), .type = ECSFS_JSON_STRING, .flags = (fl)}
#define ECSFS_STR_OF(n, fl, set)   {.name = (n), .type = ECSFS_JSON_STRING, .flags = (fl), .oneof = (set)}
#define ECSFS_INT(n, fl, l, h)     {.name = (n), .type = ECSFS_JSON_INT, .flags = (fl), .lo = (l), .hi = (h)}
#define ECSFS_BOOL(n, fl)          {.name = (n), .type = ECSFS_JSON_BOOL, .flags = (fl)}
#define ECSFS_OBJ(n, fl, s)        {.name = (n), .type = ECSFS_JSON_OBJECT, .flags = (fl), .shape = &(s)}
#define ECSFS_ARR(n, fl, item, mx) {.name = (n), .type = ECSFS_JSON_ARRAY, .flags = (fl), .of = (item), .max = (mx)}
#define ECSFS_MAP(n, fl, item)     {.name = (n), .type = ECSFS_JSON_MAP, .flags = (fl), .of = (item)}
#define ECSFS_IGNORE(n)            {.name = (n), .type = ECSFS_JSON_ANY, .flags = ECSFS_F_IGNORED}
/* Arrays of strings, of objects of shape s (at most mx; 0: no limit). */
#define ECSFS_STRS(n, fl)          ECSFS_ARR(n, fl, &ecsfs_item_string, 0)
#define ECSFS_OBJS(n, fl, s, mx)   ECSFS_ARR(n, fl, ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &(s)), mx)
/* clang-format on */

/* Elements every document uses. */
extern const ecsfs_field ecsfs_item_string; /* any string */
extern const ecsfs_field ecsfs_item_int32;  /* an integer of 32 bits */
extern const ecsfs_field ecsfs_item_tag;    /* {"key": 1-128 bytes, "value": 0-256} (ECS tags) */

/*
 * Check `doc` against `sh`: 0, or -EINVAL with "<path>: <reason>" in
 * err->msg (kind ECSFS_E_INVALID_PARAMETER). A document that is not an
 * object gets "(document): must be an object". `user` is handed to hooks.
 */
int ecsfs_shape_check(const ecsfs_shape *sh, const json_t *doc, void *user, ecsfs_err *err);

void ecsfs_shape_ctx_init(ecsfs_shape_ctx *c, ecsfs_err *err, void *user);
void ecsfs_shape_ctx_release(ecsfs_shape_ctx *c);

/* Check object `obj` against `sh` at the context's current path (what
 * ecsfs_shape_check() does below the top, for hooks and second passes). */
int ecsfs_shape_walk(ecsfs_shape_ctx *c, const ecsfs_shape *sh, const json_t *obj);
/* Check one value against one field description at the current path. */
int ecsfs_shape_value(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *val);

/*
 * The path. ecsfs_shape_key() appends ".key" (or just "key" at the top),
 * ecsfs_shape_index() appends "[i]"; both return a mark for
 * ecsfs_shape_pop(), which cuts the path back to it. ecsfs_shape_path()
 * replaces the whole path ("containerDefinitions[%zu].name").
 */
size_t ecsfs_shape_key(ecsfs_shape_ctx *c, const char *key);
size_t ecsfs_shape_index(ecsfs_shape_ctx *c, size_t i);
void ecsfs_shape_pop(ecsfs_shape_ctx *c, size_t mark);
void ecsfs_shape_path(ecsfs_shape_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record "<path>: <formatted reason>" (path "(document)" when empty) as
 * an InvalidParameter error; returns -EINVAL. */
int ecsfs_shape_fail(ecsfs_shape_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Apply a name rule (ecsfs_name_check()) to `s`, failing with its
 * sentence at the current path. */
int ecsfs_shape_name(ecsfs_shape_ctx *c, const char *s, const char *what,
		     int (*rule)(const char *s, const char *what, ecsfs_buf *why));
/* User text made printable and at most 64 bytes long, for a message;
 * valid until the next call on the same context. */
const char *ecsfs_shape_shown(ecsfs_shape_ctx *c, const char *s);

/* The known field of `sh` an unknown `key` is most likely a typo of, or
 * NULL (ignored fields are never offered). */
const char *ecsfs_shape_suggest(const ecsfs_shape *sh, const char *key);

/* The field of `sh` named `key`, or NULL. */
const ecsfs_field *ecsfs_shape_field(const ecsfs_shape *sh, const char *key);

#endif
