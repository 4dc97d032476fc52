#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"

int ecsfs_json_parse_object(const char *data, size_t len, json_t **out, ecsfs_buf *why)
{
	json_error_t err;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);

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

bool ecsfs_json_prefix_ok(const char *data, size_t len)
{
	char stack[PREFIX_DEPTH];
	int depth = 0;
	enum want w = W_VALUE;
	size_t i = 0;

	while (i < len) {
		char c = data[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		switch (w) {
		case W_DONE: return false;
		case W_COLON:
			if (c != ':')
				return false;
			i++;
			w = W_VALUE;
			continue;
		case W_COMMA_OR_END:
			if (c == ',') {
				i++;
				w = stack[depth - 1] == '{' ? W_KEY : W_VALUE;
				continue;
			}
			if (c != (stack[depth - 1] == '{' ? '}' : ']'))
				return false;
			i++;
			depth--;
			w = depth ? W_COMMA_OR_END : W_DONE;
			continue;
		case W_KEY_OR_END:
		case W_KEY:
			if (c == '}' && w == W_KEY_OR_END) {
				i++;
				depth--;
				w = depth ? W_COMMA_OR_END : W_DONE;
				continue;
			}
			if (c != '"')
				return false;
			{
				size_t n = string_prefix(data + i, len - i);
				if (!n)
					return false;
				i += n;
			}
			w = W_COLON;
			continue;
		case W_ELEM_OR_END:
			if (c == ']') {
				i++;
				depth--;
				w = depth ? W_COMMA_OR_END : W_DONE;
				continue;
			}
			/* fall through */
		case W_VALUE:
			if (depth == 0 && c != '{')
				return false; /* the document must be an object */
			if (c == '{' || c == '[') {
				if (depth == PREFIX_DEPTH)
					return false;
				stack[depth++] = c;
				i++;
				w = c == '{' ? W_KEY_OR_END : W_ELEM_OR_END;
				continue;
			}
			if (c == '"') {
				size_t n = string_prefix(data + i, len - i);
				if (!n)
					return false;
				i += n;
			} else if (c == 't' || c == 'f' || c == 'n') {
				const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
				size_t k = 0;
				while (lit[k] && i + k < len && data[i + k] == lit[k])
					k++;
				if (lit[k] && i + k < len)
					return false;
				i += k;
			} else {
				bool complete;
				size_t n = number_prefix(data + i, len - i, &complete);
				if (!n)
					return false;
				if (!complete && i + n < len)
					return false;
				i += n;
			}
			w = W_COMMA_OR_END;
			continue;
		}
	}
	return true;
}

int ecsfs_json_check_document(const char *what, const char *name, const char *data, size_t len,
			      size_t max, bool partial, ecsfs_json_validate_fn validate,
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
	r = validate(name, doc, err);
	json_decref(doc);
	return r;
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
