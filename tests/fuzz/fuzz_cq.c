/*
 * libFuzzer target for the cluster query language (ecsfs_cq_parse(),
 * ecsfs_cq_match()): the input is an expression. A parse gives 0, or
 * -EINVAL with one line that ends "at position N", N inside the text (or
 * just past it), free of control characters. A parsed expression is
 * evaluated on a few instances; wrapped in parentheses, and negated twice,
 * it must select exactly the same ones. Nothing may leak. See README.md
 * beside this file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/placement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *expr)
{
	fprintf(stderr, "invariant broken: %s\nexpression: %s\n", what, expr);
	abort();
}

static const ecsfs_place_attr attrs[] = {{"ecs.availability-zone", "us-east-1a"},
					 {"ecs.instance-type", "t2.small"},
					 {"stack", "prod"},
					 {"empty", NULL},
					 {"n", "12"}};
static const ecsfs_place_task tasks[] = {{.id = "t", .group = "service:web"},
					 {.id = "u", .group = "database"}};
static const ecsfs_place_instance inst[] = {
    {.name = "i-1",
     .attrs = attrs,
     .nattrs = 5,
     .connected = true,
     .tasks = tasks,
     .ntasks = 2,
     .agent_version = "1.14.5",
     .registered_ms = 1517443200000LL},
    {.name = "local", .attrs = attrs + 2, .nattrs = 1, .connected = false},
    {.name = "e2", .agent_version = "", .registered_ms = -1},
};

/* Which instances `expr` selects (bits), or -1 when it does not parse. */
static int selects(const char *expr, ecsfs_err *err, int *code)
{
	ecsfs_cq *q = NULL;
	int m = 0;

	*code = ecsfs_cq_parse(expr, &q, err);
	if (*code < 0)
		return -1;
	for (size_t i = 0; i < sizeof(inst) / sizeof(inst[0]); i++)
		m |= ecsfs_cq_match(q, &inst[i]) ? 1 << i : 0;
	ecsfs_cq_free(q);
	return m;
}

static void check_message(const char *expr, const ecsfs_err *err)
{
	const char *m = err->msg.data, *at = NULL;
	unsigned long pos;

	/* the last one: the message may quote the user's text, which may say it too */
	for (const char *s = m; s && (s = strstr(s, " at position ")); s++)
		at = s;
	if (!m || !at || strchr(at + 13, ' '))
		die("the message does not end with its position", expr);
	pos = strtoul(at + 13, NULL, 10);
	if (pos < 1 || pos > strlen(expr) + 1)
		die("the position is outside the text", expr);
	for (const char *c = m; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			die("a control character in the message", expr);
	if (err->kind != ECSFS_E_INVALID_PARAMETER || err->code != -EINVAL)
		die("not an InvalidParameter", expr);
}

static void check_same(const char *expr, int want, const char *fmt)
{
	char buf[2100];
	ecsfs_err err = ECSFS_ERR_INIT;
	int code, got;

	snprintf(buf, sizeof(buf), fmt, expr);
	got = selects(buf, &err, &code);
	/* the wrapping may pass the depth or length limit */
	if (code == 0 && got != want)
		die("the wrapped expression selects other instances", expr);
	if (code < 0 && !strstr(err.msg.data, "nested") && !strstr(err.msg.data, "longer"))
		die("the wrapped expression does not parse", expr);
	ecsfs_err_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr;
	ecsfs_err err = ECSFS_ERR_INIT;
	int code, m;

	if (size > 2048)
		return 0;
	if (!(expr = malloc(size + 1)))
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0'; /* a NUL inside ends the text, as a C string would */
	m = selects(expr, &err, &code);
	if (code < 0 && code != -EINVAL)
		die("an error other than EINVAL", expr);
	if (code < 0)
		check_message(expr, &err);
	if (code == 0 && selects(expr, &err, &code) != m)
		die("a second parse selects other instances", expr);
	if (code == 0 && strlen(expr) < 1990) {
		check_same(expr, m, "(%s)");
		check_same(expr, m, "not not (%s)");
	}
	ecsfs_err_release(&err);
	free(expr);
	return 0;
}
