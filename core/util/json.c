#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"

int ecsfs_json_parse_object(const char *data, size_t len, json_t **out, ecsfs_buf *why)
{
	json_error_t err;
	const char *nul = memchr(data, '\0', len);
	json_t *j;

	/* a raw NUL is never JSON, but jansson takes one right after a number
	 * or a literal as the end of the token and reads on ({"a":1<NUL>}) */
	if (nul) {
		ecsfs_buf_setf(why, "invalid JSON at byte %zu: a NUL byte", (size_t)(nul - data));
		return -EINVAL;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		ecsfs_buf_setf(why, "invalid JSON at line %d, column %d: %s", err.line, err.column,
			       err.text);
		return -EINVAL;
	}
	if (!json_is_object(j)) {
		ecsfs_buf_setf(why, "the document must be a JSON object");
		json_decref(j);
		return -EINVAL;
	}
	*out = j;
	return 0;
}

/*
 * A pushdown recogniser of JSON prefixes: it accepts exactly the inputs
 * that some continuation turns into a JSON object. jansson alone cannot
 * tell, since it reports an error at the token it was reading, which for a
 * truncated input is also the last one.
 */
enum want {
	W_VALUE,	/* a value */
	W_KEY_OR_END,	/* after '{' */
	W_KEY,		/* after ',' in an object */
	W_COLON,	/* after a key */
	W_COMMA_OR_END, /* after a member or element */
	W_ELEM_OR_END,	/* after '[' */
	W_DONE,		/* after the top-level object: only blanks */
};

#define PREFIX_DEPTH 512

/* Length of the number at p (<= n) if it is a prefix of a valid number, else 0. */
static size_t number_prefix(const char *p, size_t n, bool *complete)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i == n)
		return *complete = false, i;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	*complete = true;
	if (i < n && p[i] == '.') {
		i++;
		*complete = false;
		if (i < n && !(p[i] >= '0' && p[i] <= '9'))
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, *complete = true;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		*complete = false;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i < n && !(p[i] >= '0' && p[i] <= '9'))
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, *complete = true;
	}
	return i;
}

/* Past the string starting at p[0] == '"'; n when it runs to the end; 0 if bad. */
static size_t string_prefix(const char *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (++i == n)
			return n;
		if (p[i] == 'u') {
			for (int k = 0; k < 4; k++) {
				if (++i == n)
					return n;
				if (!strchr("0123456789abcdefABCDEF", p[i]))
					return 0;
			}
		} else if (!strchr("\"\\/bfnrt", p[i])) {
			return 0;
		}
	}
	return n;
}

/* The state of a prefix scan: the position, what may come next, and the
 * open objects and arrays. */
struct scan {
	const char *p;
	size_t len, i;
	enum want w;
	int depth;
	char stack[PREFIX_DEPTH];
};

static void close_container(struct scan *s)
{
	s->i++;
	s->depth--;
	s->w = s->depth ? W_COMMA_OR_END : W_DONE;
}

/* After a value inside an object or array: ',' or its end. */
static bool after_value(struct scan *s, char c)
{
	bool in_object = s->stack[s->depth - 1] == '{';

	if (c == ',') {
		s->i++;
		s->w = in_object ? W_KEY : W_VALUE;
		return true;
	}
	if (c != (in_object ? '}' : ']'))
		return false;
	close_container(s);
	return true;
}

static bool key(struct scan *s, char c)
{
	size_t n;

	if (c == '}' && s->w == W_KEY_OR_END) {
		close_container(s);
		return true;
	}
	if (c != '"' || !(n = string_prefix(s->p + s->i, s->len - s->i)))
		return false;
	s->i += n;
	s->w = W_COLON;
	return true;
}

/* A string, literal or number, which may be cut off by the end. */
static bool scalar(struct scan *s, char c)
{
	const char *p = s->p + s->i;
	size_t left = s->len - s->i, n;

	if (c == '"') {
		n = string_prefix(p, left);
	} else if (c == 't' || c == 'f' || c == 'n') {
		const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		for (n = 0; lit[n] && n < left && p[n] == lit[n]; n++)
			;
		if (lit[n] && n < left)
			return false;
	} else {
		bool complete = false;
		if (!(n = number_prefix(p, left, &complete)) || (!complete && n < left))
			return false;
	}
	if (!n)
		return false;
	s->i += n;
	s->w = W_COMMA_OR_END;
	return true;
}

static bool value(struct scan *s, char c)
{
	if (c == ']' && s->w == W_ELEM_OR_END) {
		close_container(s);
		return true;
	}
	if (s->depth == 0 && c != '{')
		return false; /* the document must be an object */
	if (c != '{' && c != '[')
		return scalar(s, c);
	if (s->depth == PREFIX_DEPTH)
		return false;
	s->stack[s->depth++] = c;
	s->i++;
	s->w = c == '{' ? W_KEY_OR_END : W_ELEM_OR_END;
	return true;
}

bool ecsfs_json_prefix_ok(const char *data, size_t len)
{
	struct scan s = {.p = data, .len = len, .i = 0, .w = W_VALUE, .depth = 0};
	bool ok = true;

	while (ok && s.i < len) {
		char c = data[s.i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			s.i++;
			continue;
		}
		switch (s.w) {
		case W_DONE: ok = false; break;
		case W_COLON:
			ok = c == ':';
			s.i++;
			s.w = W_VALUE;
			break;
		case W_COMMA_OR_END: ok = after_value(&s, c); break;
		case W_KEY_OR_END:
		case W_KEY: ok = key(&s, c); break;
		case W_ELEM_OR_END:
		case W_VALUE: ok = value(&s, c); break;
		}
	}
	return ok;
}

static int load_document(const char *what, const char *name, const char *data, size_t len,
			 size_t max, bool partial, ecsfs_json_validate_fn validate, json_t **out,
			 ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *doc;
	int r;

	if (len > max)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s is %zu bytes; the limit is %zu", what, len, max);
	if (memchr(data, '\0', len))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s holds a NUL byte; it must be JSON text", what);
	if ((r = ecsfs_json_parse_object(data, len, &doc, &why)) < 0) {
		if (!partial || !ecsfs_json_prefix_ok(data, len))
			ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
		else
			r = 0;
		ecsfs_buf_release(&why);
		return r;
	}
	if ((r = validate(name, doc, err)) < 0 || !out)
		json_decref(doc);
	else
		*out = doc;
	return r;
}

int ecsfs_json_check_document(const char *what, const char *name, const char *data, size_t len,
			      size_t max, bool partial, ecsfs_json_validate_fn validate,
			      ecsfs_err *err)
{
	return load_document(what, name, data, len, max, partial, validate, NULL, err);
}

int ecsfs_json_load_document(const char *what, const char *name, const char *data, size_t len,
			     size_t max, ecsfs_json_validate_fn validate, json_t **out,
			     ecsfs_err *err)
{
	return load_document(what, name, data, len, max, false, validate, out, err);
}

void ecsfs_json_canonical(const json_t *j, ecsfs_buf *out)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		abort();
	ecsfs_buf_adds(out, s);
	free(s);
}

void ecsfs_json_pretty(const json_t *j, ecsfs_buf *out)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (!s)
		abort();
	ecsfs_buf_adds(out, s);
	ecsfs_buf_addch(out, '\n');
	free(s);
}
