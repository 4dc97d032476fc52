/*
 * The shape checker (see ecsfs/shape.h): walks a document along tables of
 * fields, building the path of the field it is at, and stops at the first
 * thing wrong with a message that starts with that path.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ecsfs/shape.h"

/* Longest piece of user text quoted in a message (and longest key or
 * field name compared for a "did you mean"). */
#define SHOW_MAX 64

static const ecsfs_field tag_fields[] = {
    {"key", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .min = 1, .max = 128},
    {"value", ECSFS_JSON_STRING, 0, .max = 256},
};
static const ecsfs_shape tag_shape = ECSFS_SHAPE(tag_fields);

const ecsfs_field ecsfs_item_string = {.type = ECSFS_JSON_STRING};
const ecsfs_field ecsfs_item_int32 = {
    .type = ECSFS_JSON_INT, .lo = ECSFS_I32_MIN, .hi = ECSFS_I32_MAX};
const ecsfs_field ecsfs_item_tag = {.type = ECSFS_JSON_OBJECT, .shape = &tag_shape};

/* ---- context, path and messages ---- */

void ecsfs_shape_ctx_init(ecsfs_shape_ctx *c, ecsfs_err *err, void *user)
{
	c->err = err;
	ecsfs_buf_init(&c->path);
	ecsfs_buf_init(&c->shown);
	c->user = user;
}

void ecsfs_shape_ctx_release(ecsfs_shape_ctx *c)
{
	ecsfs_buf_release(&c->path);
	ecsfs_buf_release(&c->shown);
}

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Append at most SHOW_MAX bytes of `s`, non-printable bytes as \xHH. */
static void add_printable(ecsfs_buf *b, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '\'')
			ecsfs_buf_addch(b, (char)c);
		else
			ecsfs_buf_addf(b, "\\x%02x", c);
	}
	if (s[i])
		ecsfs_buf_adds(b, "...");
}

const char *ecsfs_shape_shown(ecsfs_shape_ctx *c, const char *s)
{
	ecsfs_buf_reset(&c->shown);
	add_printable(&c->shown, s);
	return c->shown.data;
}

/* A key that is not a plain identifier is shown quoted, so the path stays
 * readable and its end (": ") unambiguous. */
size_t ecsfs_shape_key(ecsfs_shape_ctx *c, const char *key)
{
	size_t mark = c->path.len;
	size_t n = strlen(key);
	bool plain = n > 0 && n <= SHOW_MAX;

	for (size_t i = 0; plain && i < n; i++)
		plain = plain_char((unsigned char)key[i]);
	if (mark)
		ecsfs_buf_addch(&c->path, '.');
	if (plain) {
		ecsfs_buf_adds(&c->path, key);
	} else {
		ecsfs_buf_addch(&c->path, '"');
		add_printable(&c->path, key);
		ecsfs_buf_addch(&c->path, '"');
	}
	return mark;
}

size_t ecsfs_shape_index(ecsfs_shape_ctx *c, size_t i)
{
	size_t mark = c->path.len;
	ecsfs_buf_addf(&c->path, "[%zu]", i);
	return mark;
}

void ecsfs_shape_pop(ecsfs_shape_ctx *c, size_t mark)
{
	ecsfs_buf_setlen(&c->path, mark);
}

void ecsfs_shape_path(ecsfs_shape_ctx *c, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_reset(&c->path);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&c->path, fmt, ap);
	va_end(ap);
}

/* On failure the walk returns at once, so the path is left as it is. */
int ecsfs_shape_fail(ecsfs_shape_ctx *c, const char *fmt, ...)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ecsfs_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ecsfs_err_set(c->err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s: %s",
		      c->path.len ? c->path.data : "(document)", msg.data);
	ecsfs_buf_release(&msg);
	return -EINVAL;
}

int ecsfs_shape_name(ecsfs_shape_ctx *c, const char *s, const char *what,
		     int (*rule)(const char *s, const char *what, ecsfs_buf *why))
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	int r;

	if ((r = rule(s, what, &msg)) < 0) {
		/* the message may quote the name, control characters and all */
		for (size_t i = 0; i < msg.len; i++)
			if ((unsigned char)msg.data[i] < 0x20 || msg.data[i] == 0x7f)
				msg.data[i] = '?';
		r = ecsfs_shape_fail(c, "%s", msg.data);
	}
	ecsfs_buf_release(&msg);
	return r;
}

/* ---- unknown fields ---- */

const ecsfs_field *ecsfs_shape_field(const ecsfs_shape *sh, const char *key)
{
	for (size_t i = 0; i < sh->n; i++)
		if (strcmp(sh->fields[i].name, key) == 0)
			return &sh->fields[i];
	return NULL;
}

/* Edit distance, ignoring case, of two strings of at most SHOW_MAX bytes. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[SHOW_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			size_t best = diag + (ca != cb);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *ecsfs_shape_suggest(const ecsfs_shape *sh, const char *key)
{
	size_t n = strlen(key), best = 3;
	const char *name = NULL;

	if (n > SHOW_MAX)
		return NULL;
	for (size_t i = 0; i < sh->n; i++) {
		const ecsfs_field *f = &sh->fields[i];
		if ((f->flags & ECSFS_F_IGNORED) || strlen(f->name) > SHOW_MAX)
			continue;
		size_t d = distance(key, f->name);
		if (d < best && d < n) {
			best = d;
			name = f->name;
		}
	}
	return name;
}

/* ---- values ---- */

static bool one_of(const char *const *set, const char *s)
{
	for (; *set; set++)
		if (strcmp(*set, s) == 0)
			return true;
	return false;
}

static int fail_one_of(ecsfs_shape_ctx *c, const char *const *set, const char *got)
{
	ecsfs_buf list = ECSFS_BUF_INIT;
	int r;

	for (size_t i = 0; set[i]; i++)
		ecsfs_buf_addf(&list, "%s%s", i == 0 ? "" : set[i + 1] ? ", " : " or ", set[i]);
	r = ecsfs_shape_fail(c, "must be %s, got '%s'", list.data, ecsfs_shape_shown(c, got));
	ecsfs_buf_release(&list);
	return r;
}

/* The wrong-type message: "must be a string", "must be an array of
 * objects", "must be a string or an integer". */
static int fail_type(ecsfs_shape_ctx *c, const ecsfs_field *f)
{
	static const struct {
		unsigned type;
		const char *one, *many;
	} names[] = {
	    {ECSFS_JSON_STRING, "a string", "strings"},	 {ECSFS_JSON_INT, "an integer", "integers"},
	    {ECSFS_JSON_NUMBER, "a number", "numbers"},	 {ECSFS_JSON_BOOL, "a boolean", "booleans"},
	    {ECSFS_JSON_OBJECT, "an object", "objects"}, {ECSFS_JSON_ARRAY, "an array", "arrays"},
	    {ECSFS_JSON_MAP, "an object", "objects"},	 {ECSFS_JSON_NULL, "null", "nulls"},
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	ecsfs_buf what = ECSFS_BUF_INIT;
	int r;

	if (f->type_msg)
		return ecsfs_shape_fail(c, "%s", f->type_msg);
	for (size_t i = 0; i < n; i++) {
		if (!(f->type & names[i].type))
			continue;
		ecsfs_buf_addf(&what, "%s%s", what.len ? " or " : "must be ", names[i].one);
		if ((names[i].type & (ECSFS_JSON_ARRAY | ECSFS_JSON_MAP)) && f->of) {
			const char *of = "values";
			for (size_t k = 0; k < n; k++)
				if (f->of->type == names[k].type)
					of = names[k].many;
			ecsfs_buf_addf(&what, " of %s", of);
		}
	}
	r = ecsfs_shape_fail(c, "%s", what.data);
	ecsfs_buf_release(&what);
	return r;
}

static int check_string(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *val)
{
	const char *s = json_string_value(val);
	size_t n = strlen(s);

	if (n != json_string_length(val))
		return ecsfs_shape_fail(c, "must not contain NUL bytes");
	if ((f->flags & ECSFS_F_NONEMPTY) && n == 0)
		return ecsfs_shape_fail(c, "must not be empty");
	if (f->max && (n < f->min || n > f->max)) {
		if (f->min)
			return ecsfs_shape_fail(c, "must be %zu to %zu characters", f->min, f->max);
		return ecsfs_shape_fail(c, "must be at most %zu characters", f->max);
	}
	if (!f->max && n < f->min)
		return ecsfs_shape_fail(c, "must be at least %zu characters", f->min);
	if (f->oneof && !one_of(f->oneof, s))
		return fail_one_of(c, f->oneof, s);
	if (f->rule)
		return ecsfs_shape_name(c, s, f->what, f->rule);
	return 0;
}

static int check_range(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *val)
{
	if (!f->lo && !f->hi)
		return 0;
	if (json_is_integer(val)) {
		long long x = json_integer_value(val);
		if (x < f->lo && f->hi == ECSFS_I32_MAX)
			return ecsfs_shape_fail(c, "%lld is below the minimum %lld", x, f->lo);
		if (x < f->lo || x > f->hi)
			return ecsfs_shape_fail(c, "%lld is outside %lld..%lld", x, f->lo, f->hi);
		return 0;
	}
	double d = json_number_value(val);
	if (d < (double)f->lo || d > (double)f->hi)
		return ecsfs_shape_fail(c, "%g is outside %lld..%lld", d, f->lo, f->hi);
	return 0;
}

static int check_array(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *arr)
{
	size_t n = json_array_size(arr), i, mark;
	json_t *e;
	int r;

	if ((f->flags & ECSFS_F_NONEMPTY) && n == 0)
		return ecsfs_shape_fail(c, "must not be empty");
	if (n < f->min)
		return ecsfs_shape_fail(c, "must hold at least %zu entr%s, got %zu", f->min,
					f->min == 1 ? "y" : "ies", n);
	if (f->max && n > f->max)
		return ecsfs_shape_fail(c, "at most %zu entries, got %zu", f->max, n);
	if (!f->of)
		return 0;
	json_array_foreach(arr, i, e) {
		mark = ecsfs_shape_index(c, i);
		if ((r = ecsfs_shape_value(c, f->of, e)) < 0)
			return r;
		ecsfs_shape_pop(c, mark);
	}
	return 0;
}

static int check_map(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *obj)
{
	const char *key;
	json_t *val;
	int r;

	if (!f->of)
		return 0;
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)obj, key, val) {
		size_t mark = ecsfs_shape_key(c, key);
		if ((r = ecsfs_shape_value(c, f->of, val)) < 0)
			return r;
		ecsfs_shape_pop(c, mark);
	}
	return 0;
}

/* Which of the field's types `val` is, or 0. */
static unsigned type_of(const ecsfs_field *f, const json_t *val)
{
	unsigned t = f->type;

	if (json_is_string(val))
		return t & ECSFS_JSON_STRING;
	if (json_is_integer(val) && (t & ECSFS_JSON_INT))
		return ECSFS_JSON_INT;
	if (json_is_number(val))
		return t & ECSFS_JSON_NUMBER;
	if (json_is_boolean(val))
		return t & ECSFS_JSON_BOOL;
	if (json_is_array(val))
		return t & ECSFS_JSON_ARRAY;
	if (json_is_object(val) && (t & ECSFS_JSON_OBJECT))
		return ECSFS_JSON_OBJECT;
	if (json_is_object(val))
		return t & ECSFS_JSON_MAP;
	if (json_is_null(val))
		return t & ECSFS_JSON_NULL;
	return 0;
}

int ecsfs_shape_value(ecsfs_shape_ctx *c, const ecsfs_field *f, const json_t *val)
{
	int r = 0;

	if (f->flags & ECSFS_F_IGNORED)
		return 0;
	switch (type_of(f, val)) {
	case 0: return fail_type(c, f);
	case ECSFS_JSON_STRING: r = check_string(c, f, val); break;
	case ECSFS_JSON_INT:
	case ECSFS_JSON_NUMBER: r = check_range(c, f, val); break;
	case ECSFS_JSON_OBJECT: r = f->shape ? ecsfs_shape_walk(c, f->shape, val) : 0; break;
	case ECSFS_JSON_ARRAY: r = check_array(c, f, val); break;
	case ECSFS_JSON_MAP: r = check_map(c, f, val); break;
	default: break;
	}
	if (r == 0 && f->check)
		r = f->check(c, val);
	return r;
}

/* ---- objects ---- */

static int unknown_field(ecsfs_shape_ctx *c, const ecsfs_shape *sh, const char *key)
{
	const char *maybe = ecsfs_shape_suggest(sh, key);

	if (maybe)
		return ecsfs_shape_fail(c, "unknown field (did you mean '%s'?)", maybe);
	return ecsfs_shape_fail(c, "unknown field");
}

int ecsfs_shape_walk(ecsfs_shape_ctx *c, const ecsfs_shape *sh, const json_t *obj)
{
	const char *key;
	json_t *val;
	int r;

	if (!json_is_object(obj))
		return ecsfs_shape_fail(c, "must be an object");
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)obj, key, val) {
		const ecsfs_field *f = ecsfs_shape_field(sh, key);
		size_t mark = ecsfs_shape_key(c, key);
#if JANSSON_VERSION_HEX >= 0x020e00
		/* since 2.14 jansson can hold keys with NUL bytes; none is a field */
		if (json_object_iter_key_len(json_object_key_to_iter(key)) != strlen(key))
			f = NULL;
#endif
		if (!f)
			return unknown_field(c, sh, key);
		if ((r = ecsfs_shape_value(c, f, val)) < 0)
			return r;
		ecsfs_shape_pop(c, mark);
	}
	for (size_t i = 0; i < sh->n; i++) {
		if (!(sh->fields[i].flags & ECSFS_F_REQUIRED) ||
		    json_object_get(obj, sh->fields[i].name))
			continue;
		ecsfs_shape_key(c, sh->fields[i].name);
		return ecsfs_shape_fail(c, "missing; it is required");
	}
	return sh->check ? sh->check(c, obj) : 0;
}

int ecsfs_shape_check(const ecsfs_shape *sh, const json_t *doc, void *user, ecsfs_err *err)
{
	ecsfs_shape_ctx c;
	int r;

	ecsfs_shape_ctx_init(&c, err, user);
	r = ecsfs_shape_walk(&c, sh, doc);
	ecsfs_shape_ctx_release(&c);
	return r;
}
