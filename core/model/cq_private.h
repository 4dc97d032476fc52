/* ecsfs — the cluster query language: what its parser (cq.c) and its
 * evaluation (cq_eval.c) share, and what placement asks of it. */
#ifndef ECSFS_CQ_PRIVATE_H
#define ECSFS_CQ_PRIVATE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsfs/placement.h"

/* How deep parentheses and negations may nest (deeper: EINVAL). */
#define ECSFS_CQ_DEPTH_MAX 32
/* The longest pattern (=~) an expression may hold. */
#define ECSFS_CQ_PATTERN_MAX 256
/* How many values an argument list may hold. */
#define ECSFS_CQ_LIST_MAX 100

enum cq_kind { CQ_OR, CQ_AND, CQ_NOT, CQ_TEST };

/* What a simple expression is about (the documented subjects). */
enum cq_subject {
	CQ_ATTRIBUTE,	    /* attribute:<name> */
	CQ_INSTANCE_ID,	    /* ec2InstanceId: the instance's name */
	CQ_AGENT_CONNECTED, /* agentConnected: true|false */
	CQ_AGENT_VERSION,   /* agentVersion: dotted numbers */
	CQ_REGISTERED_AT,   /* registeredAt: a date */
	CQ_RUNNING_TASKS,   /* runningTasksCount: a whole number */
	CQ_TASK_GROUP,	    /* task:group: the groups of the tasks on it */
};

enum cq_op {
	CQ_EQ,
	CQ_NE,
	CQ_GT,
	CQ_GE,
	CQ_LT,
	CQ_LE,
	CQ_EXISTS,
	CQ_NOT_EXISTS,
	CQ_IN,
	CQ_NOT_IN,
	CQ_MATCHES,
	CQ_NOT_MATCHES,
};

struct cq_node {
	enum cq_kind kind;
	struct cq_node *l, *r; /* OR/AND: both; NOT: l */
	/* TEST */
	enum cq_subject subject;
	char *attr; /* CQ_ATTRIBUTE: the attribute's name */
	enum cq_op op;
	char **vals; /* the argument (one, or a list) */
	size_t nvals;
	int64_t num; /* the argument as a number (counts, dates in ms) */
	bool has_re;
	regex_t re; /* MATCHES / NOT_MATCHES, anchored at both ends */
};

struct ecsfs_cq {
	struct cq_node *root;
};

/* What an instance looks like to an expression during a batch: the
 * instance, plus tasks of `group` the batch has put there already. */
typedef struct ecsfs__cq_view {
	const ecsfs_place_instance *in;
	const char *added_group;
	size_t added;
} ecsfs__cq_view;

bool ecsfs__cq_eval(const struct cq_node *n, const ecsfs__cq_view *v);
void ecsfs__cq_node_free(struct cq_node *n);
/* Compare dotted versions ("1.14.5" < "1.14.10"): <0, 0, >0. */
int ecsfs__cq_version_cmp(const char *a, const char *b);

#endif
