/*
 * ecsfs — the cluster query language: what an expression says of one
 * container instance. A negated operator is always the negation of its
 * positive one (an instance without attribute x is "!= v" for every v);
 * task:group == g holds when a task of group g is on the instance, and
 * != is its negation (no such task), the anti-affinity users mean.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model/cq_private.h"

int ecsfs__cq_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);

		if (x != y)
			return x < y ? -1 : 1;
		if (ea == a || eb == b) /* not a number here: compare the rest as text */
			return strcmp(ea, eb);
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if ((*ea && *ea != '.') || (*eb && *eb != '.'))
			return strcmp(a, b);
	}
	return 0;
}

static const ecsfs_place_attr *find_attr(const ecsfs_place_instance *in, const char *name)
{
	for (size_t i = 0; i < in->nattrs; i++)
		if (in->attrs[i].name && strcmp(in->attrs[i].name, name) == 0)
			return &in->attrs[i];
	return NULL;
}

/* Both whole numbers: compare them as numbers, else as text. */
static int value_cmp(const char *a, const char *b)
{
	char *ea, *eb;
	long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);

	if (*a && *b && !*ea && !*eb)
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static bool order_holds(enum cq_op op, int c)
{
	switch (op) {
	case CQ_EQ: return c == 0;
	case CQ_NE: return c != 0;
	case CQ_GT: return c > 0;
	case CQ_GE: return c >= 0;
	case CQ_LT: return c < 0;
	case CQ_LE: return c <= 0;
	default: return false;
	}
}

/* The positive form of an operator, and whether it was negated. */
static enum cq_op positive(enum cq_op op, bool *neg)
{
	*neg = op == CQ_NE || op == CQ_NOT_EXISTS || op == CQ_NOT_IN || op == CQ_NOT_MATCHES;
	switch (op) {
	case CQ_NE: return CQ_EQ;
	case CQ_NOT_EXISTS: return CQ_EXISTS;
	case CQ_NOT_IN: return CQ_IN;
	case CQ_NOT_MATCHES: return CQ_MATCHES;
	default: return op;
	}
}

/* A string subject against a positive operator (==, in, =~, exists). */
static bool string_test(const struct cq_node *n, enum cq_op op, const char *s)
{
	if (op == CQ_EXISTS)
		return s != NULL;
	if (!s)
		return false;
	if (op == CQ_MATCHES)
		return regexec(&n->re, s, 0, NULL, 0) == 0;
	if (op == CQ_EQ || op == CQ_IN) {
		for (size_t i = 0; i < n->nvals; i++)
			if (strcmp(n->vals[i], s) == 0)
				return true;
		return false;
	}
	return order_holds(op, value_cmp(s, n->vals[0]));
}

static bool group_test(const struct cq_node *n, enum cq_op op, const ecsfs__cq_view *v)
{
	const ecsfs_place_instance *in = v->in;

	if (v->added && v->added_group && string_test(n, op, v->added_group))
		return true;
	for (size_t i = 0; i < in->ntasks; i++)
		if (in->tasks[i].group && string_test(n, op, in->tasks[i].group))
			return true;
	return false;
}

static bool test(const struct cq_node *n, const ecsfs__cq_view *v)
{
	const ecsfs_place_instance *in = v->in;
	const ecsfs_place_attr *a;
	bool neg, r;
	enum cq_op op = positive(n->op, &neg);

	switch (n->subject) {
	case CQ_ATTRIBUTE:
		a = find_attr(in, n->attr);
		r = op == CQ_EXISTS ? a != NULL
				    : string_test(n, op, a ? (a->value ? a->value : "") : NULL);
		break;
	case CQ_INSTANCE_ID: r = string_test(n, op, in->name); break;
	case CQ_AGENT_CONNECTED: r = string_test(n, op, in->connected ? "true" : "false"); break;
	case CQ_TASK_GROUP: r = group_test(n, op, v); break;
	case CQ_AGENT_VERSION:
		r = in->agent_version &&
		    order_holds(op, ecsfs__cq_version_cmp(in->agent_version, n->vals[0]));
		break;
	case CQ_REGISTERED_AT:
		r = order_holds(op, in->registered_ms < n->num ? -1 : in->registered_ms > n->num);
		break;
	case CQ_RUNNING_TASKS: {
		long long c = (long long)(in->ntasks + v->added);
		r = order_holds(op, c < n->num ? -1 : c > n->num);
		break;
	}
	default: r = false;
	}
	return neg ? !r : r;
}

bool ecsfs__cq_eval(const struct cq_node *n, const ecsfs__cq_view *v)
{
	switch (n->kind) {
	case CQ_OR: return ecsfs__cq_eval(n->l, v) || ecsfs__cq_eval(n->r, v);
	case CQ_AND: return ecsfs__cq_eval(n->l, v) && ecsfs__cq_eval(n->r, v);
	case CQ_NOT: return !ecsfs__cq_eval(n->l, v);
	case CQ_TEST: return test(n, v);
	}
	return false;
}
