/* The cluster query language: ECS's documented examples, every operator
 * and subject, precedence, and malformed expressions with their position. */
#include <errno.h>

#include "ecsfs/placement.h"
#include "tap.h"

static const ecsfs_place_attr a1[] = {{"ecs.availability-zone", "us-east-1a"},
				      {"ecs.instance-type", "t2.small"},
				      {"stack", "prod"},
				      {"ecs.capability.task-eni", NULL},
				      {"slots", "8"}};
static const ecsfs_place_attr a2[] = {{"ecs.availability-zone", "us-east-1b"},
				      {"ecs.instance-type", "g2.2xlarge"},
				      {"stack", "dev"},
				      {"slots", "16"}};
static const ecsfs_place_attr a3[] = {{"ecs.availability-zone", "us-east-1d"},
				      {"ecs.instance-type", "g2.8xlarge"}};

static const ecsfs_place_task t1[] = {{.id = "a", .group = "service:production"}};
static const ecsfs_place_task t2[] = {{.id = "b", .group = "database"},
				      {.id = "c", .group = "family:web"}};

/* registered 2018-02-01, 2018-03-01, 2019-01-01 */
static const ecsfs_place_instance inst[] = {
    {.name = "i-abcd1234",
     .attrs = a1,
     .nattrs = 5,
     .connected = true,
     .tasks = t1,
     .ntasks = 1,
     .agent_version = "1.14.5",
     .registered_ms = 1517443200000LL},
    {.name = "i-wxyx7890",
     .attrs = a2,
     .nattrs = 4,
     .connected = true,
     .tasks = t2,
     .ntasks = 2,
     .agent_version = "1.14.10",
     .registered_ms = 1519862400000LL},
    {.name = "local",
     .attrs = a3,
     .nattrs = 2,
     .connected = false,
     .agent_version = "1.9",
     .registered_ms = 1546300800000LL},
};

/* Which of the three instances an expression selects (bit i: inst[i]). */
static unsigned selected(const char *expr)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_cq *q = NULL;
	unsigned m = 0;

	if (ecsfs_cq_parse(expr, &q, &err) < 0) {
		printf("# %s: %s\n", expr, err.msg.data);
		ecsfs_err_release(&err);
		return 0xff;
	}
	for (unsigned i = 0; i < 3; i++)
		m |= ecsfs_cq_match(q, &inst[i]) ? 1u << i : 0;
	ecsfs_cq_free(q);
	ecsfs_err_release(&err);
	return m;
}

static const struct {
	const char *expr;
	unsigned want;
} matches[] = {
    /* the examples of ECS's "Cluster query language" page */
    {"attribute:ecs.instance-type == t2.small", 1},
    {"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", 3},
    {"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d", 2},
    {"task:group == service:production", 1},
    {"not(task:group == database)", 5},
    {"runningTasksCount == 1", 1},
    {"agentVersion < 1.14.5", 4},
    {"registeredAt < 2018-02-13", 1},
    {"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", 3},
    /* ... and of "Task placement constraints" */
    {"attribute:stack == prod", 1},
    {"attribute:stack != prod", 6},
    {"attribute:ecs.instance-type in [t2.small, t2.medium]", 1},
    {"attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a", 1},
    /* every operator's spellings */
    {"attribute:stack equals dev", 2},
    {"attribute:stack not_equals dev", 5},
    {"attribute:slots > 8", 2},
    {"attribute:slots greater_than 8", 2},
    {"attribute:slots >= 8", 3},
    {"attribute:slots greater_than_equal 16", 2},
    {"attribute:slots < 16", 1},
    {"attribute:slots less_than 16", 1},
    {"attribute:slots <= 16", 3},
    {"attribute:slots less_than_equal 8", 1},
    {"attribute:stack exists", 3},
    {"attribute:stack !exists", 4},
    {"attribute:stack not_exists", 4},
    {"attribute:ecs.capability.task-eni exists", 1},
    {"attribute:stack !in [prod, qa]", 6},
    {"attribute:stack not_in [prod]", 6},
    {"attribute:ecs.instance-type matches g2\\..*", 6},
    {"attribute:ecs.instance-type !~ g2.*", 1},
    {"attribute:ecs.instance-type not_matches 't2.*'", 6},
    {"attribute:ecs.instance-type =~ (t2|g2)\\.(small|8xlarge)", 5},
    {"attribute:ecs.instance-type =~ g2", 0}, /* the whole value must match */
    {"attribute:slots =~ \\d+", 3},
    {"attribute:slots =~ [0-9]{1,2}", 3},
    {"attribute:slots =~ 1[0-9]{1,}", 2},
    {"attribute:slots =~ (1|8)+6?", 3},
    {"attribute:stack =~ pro\\+?d?", 1},
    /* subjects */
    {"ec2InstanceId == local", 4},
    {"ec2InstanceId =~ i-.*", 3},
    {"ec2InstanceId !in [local]", 3},
    {"agentConnected == false", 4},
    {"agentConnected != false", 3},
    {"agentVersion >= 1.14.5", 3},
    {"agentVersion > 1.14.5", 2},
    {"agentVersion == 1.14.10", 2},
    {"registeredAt >= 2018-03-01T00:00:00Z", 6},
    {"registeredAt < 2018-03-01T00:00:00+01:00", 1},
    {"registeredAt <= 2019-01-01T00:00:00", 7},
    {"runningTasksCount > 0", 3},
    {"runningTasksCount != 2", 5},
    {"runningTasksCount <= 0", 4},
    {"task:group != database", 5},
    {"task:group in [database, service:production]", 3},
    {"task:group =~ family:.*", 2},
    {"task:group exists", 3},
    {"task:group !exists", 4},
    /* compound expressions, precedence, spellings */
    {"attribute:stack == prod or attribute:stack == dev", 3},
    {"attribute:stack == prod || attribute:stack == dev", 3},
    {"attribute:stack == prod && runningTasksCount == 1", 1},
    {"attribute:stack == dev or attribute:stack == prod and runningTasksCount == 2", 2},
    {"(attribute:stack == dev or attribute:stack == prod) and runningTasksCount == 1", 1},
    {"!attribute:stack exists", 4},
    {"! (attribute:stack exists)", 4},
    {"not not attribute:stack exists", 3},
    {"not ec2InstanceId == local and not agentConnected == false", 3},
    {"((attribute:slots > 8))", 2},
    {"  attribute:stack==prod  ", 1},
    {"attribute:stack == prod&&runningTasksCount == 1", 1},
    {"attribute:stack in (prod, dev)", 3},
    {"attribute:stack in [ \"prod\" ]", 1},
    {"attribute:missing != x", 7},
    {"attribute:missing == x", 0},
};

static const struct {
	const char *expr;
	const char *msg; /* the error, position included */
} errors[] = {
    {"", "an expression is expected at position 1"},
    {"   ", "an expression is expected at position 4"},
    {"foo == bar", "unknown subject 'foo' at position 1"},
    {"attribute: == x", "an attribute name of 1 to 128 characters is expected at position 11"},
    {"attribute:stack", "an operator is expected at position 16"},
    {"attribute:stack ~= prod", "unknown operator at position 17"},
    {"attribute:stack ==", "a value is expected at position 19"},
    {"attribute:stack == prod dev", "'and', 'or' or the end is expected at position 25"},
    {"attribute:stack == prod and", "an expression is expected at position 28"},
    {"(attribute:stack == prod", "')' is expected at position 25"},
    {"attribute:stack == prod)", "'and', 'or' or the end is expected at position 24"},
    {"attribute:stack in prod", "a list such as [a, b] is expected at position 20"},
    {"attribute:stack in [prod", "',' or ']' is expected at position 25"},
    {"attribute:stack == 'prod", "unterminated quoted value at position 20"},
    {"runningTasksCount == many", "'many' is not a whole number at position 22"},
    {"runningTasksCount =~ 1", "operator '=~' cannot be used with this subject at position 19"},
    {"ec2InstanceId > i-1", "operator '>' cannot be used with this subject at position 15"},
    {"agentVersion exists", "operator 'exists' cannot be used with this subject at position 14"},
    {"registeredAt < yesterday", "'yesterday' is not a date such as 2018-06-18 or "
				 "2018-06-18T22:28:28Z at position 16"},
    {"agentConnected == maybe", "agentConnected is true or false at position 19"},
    {"attribute:x =~ (a", "a '(' in this value is not closed (quote the value) at position 16"},
    {"attribute:x =~ '[a'", "'[a' is not a valid pattern at position 16"},
    {"(attribute:x == a(b)", "')' is expected at position 21"},
    {"attribute:x =~ a++", "the pattern puts a quantifier on a quantifier at position 16"},
    {"attribute:x =~ a{2}*", "the pattern puts a quantifier on a quantifier at position 16"},
    {"attribute:x =~ (a)\\1", "the pattern uses a back-reference at position 16"},
    {"attribute:x =~ a{1000}", "the pattern has repetition bounds over 100, or more than 4 of "
			       "them at position 16"},
    {"attribute:x =~ a{1}b{1}c{1}d{1}e{1}", "the pattern has repetition bounds over 100, or "
					    "more than 4 of them at position 16"},
    {"task:group > a", "operator '>' cannot be used with this subject at position 12"},
    {"a == b or", "unknown subject 'a' at position 1"},
    {"attribute:a == b or or", "unknown subject 'or' at position 21"},
};

static void test_nesting(void)
{
	char deep[200], *p = deep;
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_cq *q = NULL;

	for (int i = 0; i < 40; i++)
		*p++ = '(';
	strcpy(p, "attribute:a exists");
	is_int(ecsfs_cq_parse(deep, &q, &err), -EINVAL, "40 parentheses deep is refused");
	ok(strstr(err.msg.data, "nested more than 32 deep at position 33"), "%s", err.msg.data);
	memset(deep, '!', 40);
	strcpy(deep + 40, "attribute:a exists");
	is_int(ecsfs_cq_parse(deep, &q, &err), -EINVAL, "40 negations deep is refused");
	ecsfs_err_release(&err);

	char big[2100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ecsfs_err_init(&err);
	is_int(ecsfs_cq_parse(big, &q, &err), -EINVAL, "over 2000 characters is refused");
	ok(strstr(err.msg.data, "longer than 2000"), "%s", err.msg.data);
	ecsfs_err_release(&err);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
		is_int(selected(matches[i].expr), matches[i].want, "%s", matches[i].expr);
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		ecsfs_err err = ECSFS_ERR_INIT;
		ecsfs_cq *q = NULL;
		int r = ecsfs_cq_parse(errors[i].expr, &q, &err);

		is_int(r, -EINVAL, "'%s' is refused", errors[i].expr);
		is_str(err.msg.data, errors[i].msg, "... with its position");
		ok(q == NULL && err.kind == ECSFS_E_INVALID_PARAMETER, "... nothing made");
		ecsfs_err_release(&err);
	}
	test_nesting();
	return tap_done();
}
