/*
 * ecsfs — the placement documents of CreateService, RunTask and schedules,
 * checked with the shape checker: ECS's limits (10 constraints, 5
 * strategies), which type takes which field, and every memberOf
 * expression parsed (a malformed one names its position).
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/shape.h"
#include "control/placement_private.h"

static const char *const constraint_types[] = {"distinctInstance", "memberOf", NULL};
static const char *const strategy_types[] = {"random", "spread", "binpack", NULL};

int ecsfs_place_constraint_rules(ecsfs_shape_ctx *c, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *expr = json_string_value(json_object_get(o, "expression"));
	ecsfs_err local = ECSFS_ERR_INIT;
	ecsfs_cq *q = NULL;
	int r = 0;

	if (type && strcmp(type, "distinctInstance") == 0 && expr) {
		ecsfs_shape_key(c, "expression");
		return ecsfs_shape_fail(c, "distinctInstance takes no expression");
	}
	if (type && strcmp(type, "memberOf") == 0 && !expr) {
		ecsfs_shape_key(c, "expression");
		return ecsfs_shape_fail(c, "memberOf needs an expression");
	}
	if (!expr)
		return 0;
	if ((r = ecsfs_cq_parse(expr, &q, &local)) < 0) {
		ecsfs_shape_key(c, "expression");
		r = r == -EINVAL ? ecsfs_shape_fail(c, "%s", local.msg.data)
				 : ecsfs_shape_fail(c, "cannot be read (out of memory)");
	}
	ecsfs_cq_free(q);
	ecsfs_err_release(&local);
	return r;
}

static const ecsfs_field constraint_fields[] = {
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, constraint_types),
    {.name = "expression", .type = ECSFS_JSON_STRING, .max = ECSFS_PLACE_EXPRESSION_MAX},
};
static const ecsfs_shape constraint_shape =
    ECSFS_SHAPE_HOOK(constraint_fields, ecsfs_place_constraint_rules);

int ecsfs_place_strategy_rules(ecsfs_shape_ctx *c, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *field = json_string_value(json_object_get(o, "field"));
	const char *msg = NULL;
	enum pl_kind kind;

	if (!type)
		return 0; /* a shape that requires it says so */
	if (ecsfs__pl_strategy_kind(type, field, &kind, &msg) < 0) {
		ecsfs_shape_key(c, "field");
		return ecsfs_shape_fail(c, "%s", msg);
	}
	return 0;
}

static const ecsfs_field strategy_fields[] = {
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, strategy_types),
    {.name = "field", .type = ECSFS_JSON_STRING, .max = 255},
};
static const ecsfs_shape strategy_shape =
    ECSFS_SHAPE_HOOK(strategy_fields, ecsfs_place_strategy_rules);

static const ecsfs_field constraints_field =
    ECSFS_OBJS(NULL, 0, constraint_shape, ECSFS_PLACE_CONSTRAINTS_MAX);
static const ecsfs_field strategies_field =
    ECSFS_OBJS(NULL, 0, strategy_shape, ECSFS_PLACE_STRATEGIES_MAX);

static int check_list(const ecsfs_field *f, const json_t *list, const char *what, ecsfs_err *err)
{
	ecsfs_shape_ctx c;
	int r;

	if (!list)
		return 0;
	ecsfs_shape_ctx_init(&c, err, NULL);
	ecsfs_shape_key(&c, what);
	r = ecsfs_shape_value(&c, f, list);
	ecsfs_shape_ctx_release(&c);
	return r;
}

int ecsfs_place_check_constraints(const json_t *constraints, const char *what, ecsfs_err *err)
{
	return check_list(&constraints_field, constraints, what, err);
}

int ecsfs_place_check_strategy(const json_t *strategy, const char *what, ecsfs_err *err)
{
	return check_list(&strategies_field, strategy, what, err);
}

int ecsfs_place_constraints_hook(ecsfs_shape_ctx *c, const json_t *val)
{
	return ecsfs_shape_value(c, &constraints_field, val);
}

int ecsfs_place_strategy_hook(ecsfs_shape_ctx *c, const json_t *val)
{
	return ecsfs_shape_value(c, &strategies_field, val);
}

int ecsfs_place_check_request(const json_t *doc, const char *const *known, ecsfs_err *err)
{
	const char *lt = json_string_value(json_object_get(doc, "launchType"));
	int r;

	if ((r = ecsfs_place_check_constraints(json_object_get(doc, "placementConstraints"),
					       "placementConstraints", err)) < 0 ||
	    (r = ecsfs_place_check_strategy(json_object_get(doc, "placementStrategy"),
					    "placementStrategy", err)) < 0)
		return r;
	return ecsfs_place_check_providers(json_object_get(doc, "capacityProviderStrategy"), lt,
					   known, "capacityProviderStrategy", err);
}
