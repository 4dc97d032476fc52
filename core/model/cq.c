/*
 * ecsfs — the cluster query language of ECS (memberOf expressions and
 * ListContainerInstances filters): its parser.
 *
 *   expr    := or
 *   or      := and { ("||" | "or") and }
 *   and     := unary { ("&&" | "and") unary }
 *   unary   := ("!" | "not") unary | "(" expr ")" | test
 *   test    := subject operator [argument]
 *   argument:= value | "[" value { "," value } "]"
 *   value   := 'quoted' | "quoted" | a bare word
 *
 * A bare word ends at a blank, at ")" that closes nothing opened inside
 * it (so "=~ (a|b).*" is one pattern), and inside a list at "," or "]".
 * Every error names the 1-based byte position where the text went wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"
#include "model/cq_private.h"

typedef struct parser {
	const char *s;
	size_t pos, len;
	int depth;
	ecsfs_err *err;
	char shown[64];
} parser;

/* User text for a message: at most 40 bytes, anything but printable
 * ASCII shown as '?'. Valid until the next call. */
static const char *shown(parser *p, const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n && k < 40 && s[k]; k++)
		p->shown[k] = (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '?';
	p->shown[k] = '\0';
	return p->shown;
}

static int fail_at(parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (!p->err)
		return -EINVAL;
	ecsfs_buf_reset(&p->err->msg);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&p->err->msg, fmt, ap);
	va_end(ap);
	ecsfs_buf_addf(&p->err->msg, " at position %zu", at + 1);
	p->err->kind = ECSFS_E_INVALID_PARAMETER;
	p->err->code = -EINVAL;
	return -EINVAL;
}

static void skip_blanks(parser *p)
{
	while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static bool at_end(parser *p)
{
	skip_blanks(p);
	return p->pos >= p->len;
}

/* Whether the text at the position is `w` followed by no word character. */
static bool word_is(parser *p, const char *w)
{
	size_t n = strlen(w);
	char c;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
		return false;
	c = p->pos + n < p->len ? p->s[p->pos + n] : ' ';
	return !(isalnum((unsigned char)c) || c == '_' || c == ':' || c == '.' || c == '-');
}

static bool take(parser *p, const char *tok)
{
	size_t n = strlen(tok);

	skip_blanks(p);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, tok, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static bool take_word(parser *p, const char *w)
{
	skip_blanks(p);
	if (!word_is(p, w))
		return false;
	p->pos += strlen(w);
	return true;
}

static struct cq_node *node_new(enum cq_kind k)
{
	struct cq_node *n = calloc(1, sizeof(*n));

	if (n)
		n->kind = k;
	return n;
}

/* ---- subjects and operators ---- */

static const struct {
	const char *name;
	enum cq_subject subject;
} subjects[] = {
    {"ec2InstanceId", CQ_INSTANCE_ID},	     {"agentConnected", CQ_AGENT_CONNECTED},
    {"agentVersion", CQ_AGENT_VERSION},	     {"registeredAt", CQ_REGISTERED_AT},
    {"runningTasksCount", CQ_RUNNING_TASKS}, {"task:group", CQ_TASK_GROUP},
};

/* Operators, longest spelling first where one is a prefix of another. */
static const struct {
	const char *tok;
	bool word;
	enum cq_op op;
} operators[] = {
    {"==", false, CQ_EQ},
    {"!=", false, CQ_NE},
    {">=", false, CQ_GE},
    {"<=", false, CQ_LE},
    {">", false, CQ_GT},
    {"<", false, CQ_LT},
    {"=~", false, CQ_MATCHES},
    {"!~", false, CQ_NOT_MATCHES},
    {"!in", true, CQ_NOT_IN},
    {"!exists", true, CQ_NOT_EXISTS},
    {"equals", true, CQ_EQ},
    {"not_equals", true, CQ_NE},
    {"greater_than_equal", true, CQ_GE},
    {"greater_than", true, CQ_GT},
    {"less_than_equal", true, CQ_LE},
    {"less_than", true, CQ_LT},
    {"exists", true, CQ_EXISTS},
    {"not_exists", true, CQ_NOT_EXISTS},
    {"in", true, CQ_IN},
    {"not_in", true, CQ_NOT_IN},
    {"matches", true, CQ_MATCHES},
    {"not_matches", true, CQ_NOT_MATCHES},
};

#define OPS_STRING (1u << CQ_EQ | 1u << CQ_NE | 1u << CQ_IN | 1u << CQ_NOT_IN)
#define OPS_MATCH  (1u << CQ_MATCHES | 1u << CQ_NOT_MATCHES)
#define OPS_ORDER \
	(1u << CQ_EQ | 1u << CQ_NE | 1u << CQ_GT | 1u << CQ_GE | 1u << CQ_LT | 1u << CQ_LE)
#define OPS_EXIST (1u << CQ_EXISTS | 1u << CQ_NOT_EXISTS)

/* The operators each subject takes (ECS's documented lists; attributes
 * take every operator). */
static unsigned subject_ops(enum cq_subject s)
{
	switch (s) {
	case CQ_ATTRIBUTE: return OPS_STRING | OPS_MATCH | OPS_ORDER | OPS_EXIST;
	case CQ_INSTANCE_ID:
	case CQ_AGENT_CONNECTED: return OPS_STRING | OPS_MATCH;
	case CQ_TASK_GROUP: return OPS_STRING | OPS_MATCH | OPS_EXIST;
	case CQ_AGENT_VERSION:
	case CQ_REGISTERED_AT:
	case CQ_RUNNING_TASKS: return OPS_ORDER;
	}
	return 0;
}

/* A character that can be part of an attribute name (ECS: letters,
 * digits, '-', '_', '/', '\', '.'; '@' and ':' are seen in the wild). */
static bool attr_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-_/\\.@:", c);
}

static int parse_subject(parser *p, struct cq_node *n)
{
	static const char attr[] = "attribute:";
	size_t at = p->pos, k;

	if (p->len - p->pos >= sizeof(attr) - 1 &&
	    memcmp(p->s + p->pos, attr, sizeof(attr) - 1) == 0) {
		p->pos += sizeof(attr) - 1;
		for (k = p->pos; k < p->len && attr_char(p->s[k]); k++)
			;
		if (k == p->pos || k - p->pos > 128)
			return fail_at(p, p->pos,
				       "an attribute name of 1 to 128 characters is expected");
		n->subject = CQ_ATTRIBUTE;
		n->attr = strndup(p->s + p->pos, k - p->pos);
		p->pos = k;
		return n->attr ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		if (word_is(p, subjects[i].name)) {
			n->subject = subjects[i].subject;
			p->pos += strlen(subjects[i].name);
			return 0;
		}
	for (k = at; k < p->len && !isspace((unsigned char)p->s[k]) && k - at < 40; k++)
		;
	if (k == at)
		return fail_at(p, at,
			       "a subject is expected (attribute:<name>, ec2InstanceId, "
			       "agentConnected, agentVersion, registeredAt, "
			       "runningTasksCount or task:group)");
	return fail_at(p, at, "unknown subject '%s'", shown(p, p->s + at, k - at));
}

static int parse_operator(parser *p, struct cq_node *n)
{
	size_t at;

	skip_blanks(p);
	at = p->pos;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
		if (operators[i].word
			? !word_is(p, operators[i].tok)
			: strncmp(p->s + p->pos, operators[i].tok, strlen(operators[i].tok)) != 0)
			continue;
		if (!(subject_ops(n->subject) & (1u << operators[i].op)))
			return fail_at(p, at, "operator '%s' cannot be used with this subject",
				       operators[i].tok);
		n->op = operators[i].op;
		p->pos += strlen(operators[i].tok);
		return 0;
	}
	if (p->pos >= p->len)
		return fail_at(p, at, "an operator is expected");
	return fail_at(p, at, "unknown operator");
}

/* ---- values ---- */

/* One value: quoted, or a bare word (see the top of the file). */
static int parse_value(parser *p, bool in_list, char **out)
{
	size_t at, start;
	int depth = 0;

	skip_blanks(p);
	at = p->pos;
	if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"')) {
		char q = p->s[p->pos];
		const char *end = memchr(p->s + p->pos + 1, q, p->len - p->pos - 1);
		if (!end)
			return fail_at(p, at, "unterminated quoted value");
		*out = strndup(p->s + at + 1, (size_t)(end - p->s) - at - 1);
		p->pos = (size_t)(end - p->s) + 1;
		return *out ? 0 : -ENOMEM;
	}
	for (start = p->pos; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];
		if (isspace((unsigned char)c) || (in_list && (c == ',' || c == ']')) ||
		    ((c == '&' || c == '|') && p->s[p->pos + 1] == c))
			break;
		if (c == '(')
			depth++;
		if (c == ')' && depth-- == 0)
			break;
	}
	if (p->pos == start)
		return fail_at(p, at, "a value is expected");
	if (depth > 0)
		return fail_at(p, at, "a '(' in this value is not closed (quote the value)");
	*out = strndup(p->s + start, p->pos - start);
	return *out ? 0 : -ENOMEM;
}

static int add_value(struct cq_node *n, char *v)
{
	char **nv = realloc(n->vals, (n->nvals + 1) * sizeof(*nv));

	if (!nv) {
		free(v);
		return -ENOMEM;
	}
	n->vals = nv;
	n->vals[n->nvals++] = v;
	return 0;
}

/* "[a, b, c]" (ECS's form) or "(a, b, c)". */
static int parse_list(parser *p, struct cq_node *n)
{
	char close, *v;
	int r;

	skip_blanks(p);
	if (p->pos >= p->len || (p->s[p->pos] != '[' && p->s[p->pos] != '('))
		return fail_at(p, p->pos, "a list such as [a, b] is expected");
	close = p->s[p->pos++] == '[' ? ']' : ')';
	for (;;) {
		if (n->nvals == ECSFS_CQ_LIST_MAX)
			return fail_at(p, p->pos, "a list holds at most %d values",
				       ECSFS_CQ_LIST_MAX);
		if ((r = parse_value(p, true, &v)) < 0 || (r = add_value(n, v)) < 0)
			return r;
		if (take(p, ","))
			continue;
		if (take(p, close == ']' ? "]" : ")"))
			return 0;
		return fail_at(p, p->pos, "',' or '%c' is expected", close);
	}
}

/* Numbers and dates are read once, at parse time. */
static int read_number(parser *p, struct cq_node *n, size_t at)
{
	const char *v = n->vals[0];
	char *end;

	if (n->subject == CQ_RUNNING_TASKS) {
		errno = 0;
		n->num = strtoll(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end || errno)
			return fail_at(p, at, "'%s' is not a whole number", shown(p, v, strlen(v)));
	} else if (n->subject == CQ_REGISTERED_AT) {
		char buf[40];
		int64_t ns;
		size_t len = strlen(v);

		snprintf(buf, sizeof(buf), "%s%s", v, len == 10 ? "T00:00:00" : "");
		if (len > 25 || ecsfs_time_parse(buf, strlen(buf), ECSFS_TIME_NO_ZONE, &ns) < 0)
			return fail_at(p, at,
				       "'%s' is not a date such as 2018-06-18 or "
				       "2018-06-18T22:28:28Z",
				       shown(p, v, strlen(v)));
		n->num = ns / 1000000;
	} else if (n->subject == CQ_AGENT_CONNECTED && strcmp(v, "true") && strcmp(v, "false")) {
		return fail_at(p, at, "agentConnected is true or false");
	}
	return 0;
}

/* What the pattern engine is not given: patterns whose compiled form
 * could grow without bound (a quantifier on a quantifier, large or many
 * {n,m} bounds) or whose matching needs backtracking (back-references). */
static const char *pattern_refused(const char *s)
{
	size_t braces = 0;
	bool after_quantifier = false;

	if (strlen(s) > ECSFS_CQ_PATTERN_MAX)
		return "is longer than 256 characters";
	for (const char *c = s; *c; c++) {
		bool q = *c == '*' || *c == '+' || *c == '?' || *c == '{';

		if (c[0] == '\\' && c[1] >= '1' && c[1] <= '9')
			return "uses a back-reference";
		if (q && after_quantifier)
			return "puts a quantifier on a quantifier";
		after_quantifier = q;
		if (c[0] == '\\' && c[1]) {
			c++;
		} else if (*c == '{') {
			char *end;
			unsigned long lo = strtoul(c + 1, &end, 10), hi = lo;
			if (*end == ',' && end[1] != '}')
				hi = strtoul(end + 1, &end, 10);
			else if (*end == ',')
				end++;
			if (lo > 100 || hi > 100 || ++braces > 4)
				return "has repetition bounds over 100, or more than 4 of them";
			if (*end == '}')
				c = end; /* the bound is one quantifier */
		}
	}
	return NULL;
}

/* Java's patterns are close to POSIX extended ones for what placement
 * expressions use; a few shorthand classes are spelled out. The whole
 * value must match (Java's matches()). */
static int compile_pattern(parser *p, struct cq_node *n, size_t at)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	const char *why = pattern_refused(n->vals[0]);
	int r;

	if (why)
		return fail_at(p, at, "the pattern %s", why);
	ecsfs_buf_addf(&b, "^(");
	for (const char *c = n->vals[0]; *c; c++) {
		if (c[0] == '\\' && c[1] && strchr("dws", c[1])) {
			ecsfs_buf_addf(&b, "%s",
				       c[1] == 'd'   ? "[0-9]"
				       : c[1] == 'w' ? "[A-Za-z0-9_]"
						     : "[[:space:]]");
			c++;
		} else {
			ecsfs_buf_add(&b, c, 1);
		}
	}
	ecsfs_buf_addf(&b, ")$");
	r = regcomp(&n->re, b.data, REG_EXTENDED | REG_NOSUB);
	ecsfs_buf_release(&b);
	if (r != 0)
		return fail_at(p, at, "'%s' is not a valid pattern",
			       shown(p, n->vals[0], strlen(n->vals[0])));
	n->has_re = true;
	return 0;
}

static int parse_argument(parser *p, struct cq_node *n)
{
	char *v;
	size_t at;
	int r;

	if (n->op == CQ_EXISTS || n->op == CQ_NOT_EXISTS)
		return 0;
	skip_blanks(p);
	at = p->pos;
	if (n->op == CQ_IN || n->op == CQ_NOT_IN)
		return parse_list(p, n);
	if ((r = parse_value(p, false, &v)) < 0 || (r = add_value(n, v)) < 0)
		return r;
	if (n->op == CQ_MATCHES || n->op == CQ_NOT_MATCHES)
		return compile_pattern(p, n, at);
	return read_number(p, n, at);
}

/* ---- expressions ---- */

static int parse_or(parser *p, struct cq_node **out);
static int parse_unary(parser *p, struct cq_node **out);

static int parse_test(parser *p, struct cq_node **out)
{
	struct cq_node *n = node_new(CQ_TEST);
	int r;

	if (!n)
		return -ENOMEM;
	if ((r = parse_subject(p, n)) < 0 || (r = parse_operator(p, n)) < 0 ||
	    (r = parse_argument(p, n)) < 0) {
		ecsfs__cq_node_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static int parse_not(parser *p, struct cq_node **out)
{
	struct cq_node *inner, *n;
	int r = parse_unary(p, &inner);

	if (r < 0)
		return r;
	if (!(n = node_new(CQ_NOT))) {
		ecsfs__cq_node_free(inner);
		return -ENOMEM;
	}
	n->l = inner;
	*out = n;
	return 0;
}

static int parse_group(parser *p, struct cq_node **out)
{
	struct cq_node *n;
	int r = parse_or(p, &n);

	if (r < 0)
		return r;
	if (!take(p, ")")) {
		ecsfs__cq_node_free(n);
		return fail_at(p, p->pos, "')' is expected");
	}
	*out = n;
	return 0;
}

static int parse_unary(parser *p, struct cq_node **out)
{
	size_t at;
	int r;

	skip_blanks(p);
	at = p->pos;
	if (p->pos >= p->len)
		return fail_at(p, at, "an expression is expected");
	if (++p->depth > ECSFS_CQ_DEPTH_MAX)
		return fail_at(p, at, "nested more than %d deep", ECSFS_CQ_DEPTH_MAX);
	if (p->s[p->pos] == '!') {
		p->pos++;
		r = parse_not(p, out);
	} else if (take_word(p, "not")) {
		r = parse_not(p, out);
	} else if (take(p, "(")) {
		r = parse_group(p, out);
	} else {
		r = parse_test(p, out);
	}
	p->depth--;
	return r;
}

/* One level of binary operators: `and` over unary, `or` over `and`. */
static int parse_binary(parser *p, struct cq_node **out, enum cq_kind kind)
{
	const char *sym = kind == CQ_OR ? "||" : "&&", *word = kind == CQ_OR ? "or" : "and";
	struct cq_node *l, *r2, *n = NULL;
	int r = kind == CQ_OR ? parse_binary(p, &l, CQ_AND) : parse_unary(p, &l);

	if (r < 0)
		return r;
	while (take(p, sym) || take_word(p, word)) {
		r = kind == CQ_OR ? parse_binary(p, &r2, CQ_AND) : parse_unary(p, &r2);
		if (r == 0 && !(n = node_new(kind))) {
			ecsfs__cq_node_free(r2);
			r = -ENOMEM;
		}
		if (r < 0) {
			ecsfs__cq_node_free(l);
			return r;
		}
		n->l = l;
		n->r = r2;
		l = n;
	}
	*out = l;
	return 0;
}

static int parse_or(parser *p, struct cq_node **out)
{
	return parse_binary(p, out, CQ_OR);
}

int ecsfs_cq_parse(const char *expr, ecsfs_cq **q, ecsfs_err *err)
{
	parser p = {.s = expr, .pos = 0, .len = expr ? strlen(expr) : 0, .depth = 0, .err = err};
	struct cq_node *root = NULL;
	int r;

	if (p.len > ECSFS_PLACE_EXPRESSION_MAX)
		return fail_at(&p, ECSFS_PLACE_EXPRESSION_MAX, "longer than %d characters",
			       ECSFS_PLACE_EXPRESSION_MAX);
	if ((r = parse_or(&p, &root)) < 0)
		return r;
	if (!at_end(&p)) {
		ecsfs__cq_node_free(root);
		return fail_at(&p, p.pos, "'and', 'or' or the end is expected");
	}
	if (!(*q = calloc(1, sizeof(**q)))) {
		ecsfs__cq_node_free(root);
		return -ENOMEM;
	}
	(*q)->root = root;
	return 0;
}

void ecsfs__cq_node_free(struct cq_node *n)
{
	if (!n)
		return;
	ecsfs__cq_node_free(n->l);
	ecsfs__cq_node_free(n->r);
	free(n->attr);
	for (size_t i = 0; i < n->nvals; i++)
		free(n->vals[i]);
	free(n->vals);
	if (n->has_re)
		regfree(&n->re);
	free(n);
}

void ecsfs_cq_free(ecsfs_cq *q)
{
	if (!q)
		return;
	ecsfs__cq_node_free(q->root);
	free(q);
}

bool ecsfs_cq_match(const ecsfs_cq *q, const ecsfs_place_instance *in)
{
	ecsfs__cq_view v = {.in = in, .added_group = NULL, .added = 0};

	return ecsfs__cq_eval(q->root, &v);
}
