/*
 * FilterLogEvents' patterns for unstructured events — terms that must all
 * appear, "quoted phrases", ?term (at least one), -term (none) — and log
 * lines as JSON strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/logstream_private.h"

enum term_kind { T_ALL, T_ANY, T_NONE };

struct term {
	enum term_kind kind;
	char *text;
	size_t len;
};

struct lfilter {
	struct term *v;
	size_t n;
	bool has_any;
};

void ecsfs__lfilter_free(struct lfilter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
	free(f);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One term from *p: "phrase" or a word, its kind from a leading ? or -. */
static int next_term(const char **p, struct term *t, ecsfs_err *err)
{
	const char *s = *p, *end;

	t->kind = T_ALL;
	if (*s == '?' || *s == '-') {
		t->kind = *s == '?' ? T_ANY : T_NONE;
		s++;
	}
	if (*s == '"') {
		end = strchr(++s, '"');
		if (!end)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "filterPattern: a quoted phrase has no closing quote");
		*p = end + 1;
	} else {
		for (end = s; *end && !blank(*end); end++)
			;
		*p = end;
	}
	t->len = (size_t)(end - s);
	t->text = strndup(s, t->len);
	if (!t->text)
		abort();
	return 0;
}

int ecsfs__lfilter_parse(const char *pattern, struct lfilter **out, ecsfs_err *err)
{
	struct lfilter *f;
	const char *p = pattern;

	*out = NULL;
	while (p && blank(*p))
		p++;
	if (!p || !*p || strcmp(p, "\"\"") == 0)
		return 0;
	if (*p == '{' || *p == '[' || *p == '%')
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "filterPattern: JSON, space-delimited and regular-expression "
				     "patterns are not supported here; use terms, \"quoted "
				     "phrases\", ?term and -term");
	f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	while (*p) {
		struct term t;
		int r;
		if (blank(*p)) {
			p++;
			continue;
		}
		if ((r = next_term(&p, &t, err)) < 0) {
			ecsfs__lfilter_free(f);
			return r;
		}
		f->v = realloc(f->v, (f->n + 1) * sizeof(*f->v));
		if (!f->v)
			abort();
		f->v[f->n++] = t;
		f->has_any = f->has_any || t.kind == T_ANY;
	}
	*out = f;
	return 0;
}

bool ecsfs__lfilter_match(const struct lfilter *f, const char *msg, size_t len)
{
	bool any = false;

	if (!f)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		const struct term *t = &f->v[i];
		bool found = t->len == 0 || memmem(msg, len, t->text, t->len) != NULL;
		if ((t->kind == T_ALL && !found) || (t->kind == T_NONE && found))
			return false;
		any = any || (t->kind == T_ANY && found);
	}
	return !f->has_any || any;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *ecsfs__lmessage(const char *msg, size_t len)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j;
	size_t i = 0;

	j = json_stringn(msg, len);
	if (j)
		return j;
	while (i < len) {
		size_t n = utf8_seq((const unsigned char *)msg + i, len - i);
		if (n) {
			ecsfs_buf_add(&b, msg + i, n);
			i += n;
		} else {
			ecsfs_buf_adds(&b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
		}
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	ecsfs_buf_release(&b);
	return j ? j : json_string("");
}
