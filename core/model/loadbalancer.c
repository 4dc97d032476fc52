/*
 * ELBv2 load balancers: the documents of spec/loadbalancers/<lb>.json
 * (CreateLoadBalancer's input with its Listeners and their Rules), checked
 * by the shape checker, and their rows in the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/loadbalancer.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- shapes ---- */

static const ecsfs_field value_item = {
    .type = ECSFS_JSON_STRING, .flags = ECSFS_F_NONEMPTY, .max = 128};

static const ecsfs_field values_fields[] = {
    {"Values", ECSFS_JSON_ARRAY, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .of = &value_item, .max = 5},
    {"RegexValues", ECSFS_JSON_ARRAY, 0, .of = &value_item, .max = 5},
};
static const ecsfs_shape values_shape = ECSFS_SHAPE(values_fields);

static const ecsfs_field header_fields[] = {
    {"HttpHeaderName", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .max = 40},
    {"Values", ECSFS_JSON_ARRAY, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .of = &value_item, .max = 5},
    {"RegexValues", ECSFS_JSON_ARRAY, 0, .of = &value_item, .max = 5},
};
static const ecsfs_shape header_shape = ECSFS_SHAPE(header_fields);

static const char *const cond_fields_set[] = {
    "path-pattern", "host-header", "http-header", "http-request-method",
    "query-string", "source-ip",   NULL};

static int cond_rules(ecsfs_shape_ctx *c, const json_t *cond);

static const ecsfs_field cond_fields[] = {
    ECSFS_STR_OF("Field", ECSFS_F_REQUIRED, cond_fields_set),
    {"Values", ECSFS_JSON_ARRAY, ECSFS_F_NONEMPTY, .of = &value_item, .max = 5},
    ECSFS_OBJ("PathPatternConfig", 0, values_shape),
    ECSFS_OBJ("HostHeaderConfig", 0, values_shape),
    ECSFS_OBJ("HttpHeaderConfig", 0, header_shape),
    {.name = "QueryStringConfig", .type = ECSFS_JSON_OBJECT},
    {.name = "HttpRequestMethodConfig", .type = ECSFS_JSON_OBJECT},
    {.name = "SourceIpConfig", .type = ECSFS_JSON_OBJECT},
    {"RegexValues", ECSFS_JSON_ARRAY, 0, .of = &value_item, .max = 5},
};
static const ecsfs_shape cond_shape = ECSFS_SHAPE_HOOK(cond_fields, cond_rules);

static const ecsfs_field tuple_fields[] = {
    {"TargetGroupArn", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .max = 256},
    ECSFS_INT("Weight", 0, 0, 999),
};
static const ecsfs_shape tuple_shape = ECSFS_SHAPE(tuple_fields);

static const ecsfs_field stickiness_fields[] = {
    ECSFS_BOOL("Enabled", ECSFS_F_KEPT),
    ECSFS_INT("DurationSeconds", ECSFS_F_KEPT, 1, 604800),
};
static const ecsfs_shape stickiness_shape = ECSFS_SHAPE(stickiness_fields);

static const ecsfs_field forward_fields[] = {
    {"TargetGroups", ECSFS_JSON_ARRAY, ECSFS_F_NONEMPTY,
     .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &tuple_shape), .max = 5},
    ECSFS_OBJ("TargetGroupStickinessConfig", 0, stickiness_shape),
};
static const ecsfs_shape forward_shape = ECSFS_SHAPE(forward_fields);

static const char *const content_types[] = {
    "text/plain", "text/css", "text/html", "application/javascript", "application/json", NULL};

static const ecsfs_field fixed_fields[] = {
    {"StatusCode", ECSFS_JSON_STRING, ECSFS_F_REQUIRED, .min = 3, .max = 3},
    ECSFS_STR_OF("ContentType", 0, content_types),
    {"MessageBody", ECSFS_JSON_STRING, 0, .max = 1024},
};
static const ecsfs_shape fixed_shape = ECSFS_SHAPE(fixed_fields);

static const char *const redirect_codes[] = {"HTTP_301", "HTTP_302", NULL};
static const char *const redirect_protocols[] = {"HTTP", "HTTPS", "#{protocol}", NULL};

static const ecsfs_field redirect_fields[] = {
    ECSFS_STR_OF("StatusCode", ECSFS_F_REQUIRED, redirect_codes),
    ECSFS_STR_OF("Protocol", 0, redirect_protocols),
    {"Port", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 16},
    {"Host", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 128},
    {"Path", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 128},
    {"Query", ECSFS_JSON_STRING, 0, .max = 128},
};
static const ecsfs_shape redirect_shape = ECSFS_SHAPE(redirect_fields);

static const char *const action_types[] = {"forward",
					   "fixed-response",
					   "redirect",
					   "authenticate-oidc",
					   "authenticate-cognito",
					   "jwt-validation",
					   NULL};

static int action_rules(ecsfs_shape_ctx *c, const json_t *a);

static const ecsfs_field action_fields[] = {
    ECSFS_STR_OF("Type", ECSFS_F_REQUIRED, action_types),
    {"TargetGroupArn", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 256},
    ECSFS_OBJ("ForwardConfig", 0, forward_shape),
    ECSFS_OBJ("FixedResponseConfig", 0, fixed_shape),
    ECSFS_OBJ("RedirectConfig", 0, redirect_shape),
    ECSFS_INT("Order", ECSFS_F_KEPT, 1, 50000),
    {.name = "AuthenticateOidcConfig", .type = ECSFS_JSON_OBJECT},
    {.name = "AuthenticateCognitoConfig", .type = ECSFS_JSON_OBJECT},
    {.name = "JwtValidationConfig", .type = ECSFS_JSON_OBJECT},
};
static const ecsfs_shape action_shape = ECSFS_SHAPE_HOOK(action_fields, action_rules);
static const ecsfs_field action_item = {.type = ECSFS_JSON_OBJECT, .shape = &action_shape};

static const ecsfs_field rule_fields[] = {
    ECSFS_INT("Priority", ECSFS_F_REQUIRED, 1, 50000),
    {"Conditions", ECSFS_JSON_ARRAY, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &cond_shape), .max = 5},
    {"Actions", ECSFS_JSON_ARRAY, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .of = &action_item, .max = 1,
     .type_msg = NULL},
    ECSFS_ARR("Tags", ECSFS_F_KEPT, &ecsfs__elb_tag, 50),
};
static const ecsfs_shape rule_shape = ECSFS_SHAPE(rule_fields);

static const char *const listener_protocols[] = {"HTTP", "TCP",	    "HTTPS", "TLS",
						 "UDP",	 "TCP_UDP", NULL};

static const ecsfs_field listener_fields[] = {
    ECSFS_INT("Port", ECSFS_F_REQUIRED, 1, 65535),
    ECSFS_STR_OF("Protocol", 0, listener_protocols),
    {"DefaultActions", ECSFS_JSON_ARRAY, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .of = &action_item,
     .max = 1},
    {"Rules", ECSFS_JSON_ARRAY, 0,
     .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &rule_shape), .max = ECSFS_LB_RULES_MAX},
    ECSFS_ARR("Tags", ECSFS_F_KEPT, &ecsfs__elb_tag, 50),
};
static const ecsfs_shape listener_shape = ECSFS_SHAPE(listener_fields);

static const char *const lb_types[] = {"application", "network", "gateway", NULL};
static const char *const schemes[] = {"internal", "internet-facing", NULL};
static const char *const lb_ip_types[] = {"ipv4", NULL};

static int lb_rules(ecsfs_shape_ctx *c, const json_t *doc);

static const ecsfs_field lb_fields[] = {
    {"Name", ECSFS_JSON_STRING, 0, .rule = ecsfs_elb_name_rule, .what = "load balancer"},
    ECSFS_STR_OF("Type", 0, lb_types),
    ECSFS_STR_OF("Scheme", 0, schemes),
    ECSFS_STR_OF("IpAddressType", 0, lb_ip_types),
    {"Subnets", ECSFS_JSON_ARRAY, ECSFS_F_KEPT, .of = &ecsfs_item_string, .max = 20},
    {"SubnetMappings", ECSFS_JSON_ARRAY, ECSFS_F_KEPT, .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT),
     .max = 20},
    {"SecurityGroups", ECSFS_JSON_ARRAY, ECSFS_F_KEPT, .of = &ecsfs_item_string, .max = 5},
    {"CustomerOwnedIpv4Pool", ECSFS_JSON_STRING, ECSFS_F_KEPT, .max = 256},
    ECSFS_ARR("Tags", ECSFS_F_KEPT, &ecsfs__elb_tag, 50),
    {"Listeners", ECSFS_JSON_ARRAY, 0,
     .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &listener_shape),
     .max = ECSFS_LB_LISTENERS_MAX},
};
static const ecsfs_shape lb_shape = ECSFS_SHAPE_HOOK(lb_fields, lb_rules);

/* ---- conditions ---- */

static bool chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/* The values a condition holds: Values, or its *Config.Values. */
static const json_t *cond_values(const json_t *cond, const char **config)
{
	const char *field = str(cond, "Field");
	*config = strcmp(field, "path-pattern") == 0   ? "PathPatternConfig"
		  : strcmp(field, "host-header") == 0  ? "HostHeaderConfig"
		  : strcmp(field, "http-header") == 0  ? "HttpHeaderConfig"
		  : strcmp(field, "query-string") == 0 ? "QueryStringConfig"
		  : strcmp(field, "source-ip") == 0    ? "SourceIpConfig"
						       : "HttpRequestMethodConfig";
	json_t *cfg = json_object_get(cond, *config);
	return cfg ? json_object_get(cfg, "Values") : json_object_get(cond, "Values");
}

static int cond_rules(ecsfs_shape_ctx *c, const json_t *cond)
{
	static const char *const configs[] = {"PathPatternConfig",	 "HostHeaderConfig",
					      "HttpHeaderConfig",	 "QueryStringConfig",
					      "HttpRequestMethodConfig", "SourceIpConfig"};
	const char *field = str(cond, "Field"), *config;
	const json_t *values = cond_values(cond, &config);
	bool path = strcmp(field, "path-pattern") == 0, host = strcmp(field, "host-header") == 0;
	size_t i;
	json_t *v;

	if (!path && !host && strcmp(field, "http-header") != 0)
		return ecsfs_shape_fail(c,
					"Field %s is not supported here (path-pattern, "
					"host-header, http-header)",
					field);
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		if (json_object_get(cond, configs[i]) && strcmp(configs[i], config) != 0)
			return ecsfs_shape_fail(c, "%s: only with Field %s", configs[i], field);
	if (json_object_get(cond, "RegexValues") ||
	    json_object_get(json_object_get(cond, config), "RegexValues"))
		return ecsfs_shape_fail(c, "RegexValues are not supported here");
	if (json_object_get(cond, "Values") && json_object_get(cond, config))
		return ecsfs_shape_fail(c, "give Values or %s, not both", config);
	if (!values)
		return ecsfs_shape_fail(c, "%s needs %s", field,
					path || host ? "Values" : "HttpHeaderConfig");
	json_array_foreach(values, i, v) {
		const char *s = json_string_value(v);
		if (path && (!chars_ok(s, "_-.$/~\"'@:+&*?") || s[0] != '/'))
			return ecsfs_shape_fail(c,
						"%s.Values[%zu]: '%s' is not a path pattern "
						"(a '/' first; letters, digits, _-.$/~\"'@:+&, "
						"* and ?)",
						config, i, ecsfs_shape_shown(c, s));
		if (host && !chars_ok(s, "-.*?"))
			return ecsfs_shape_fail(c,
						"%s.Values[%zu]: '%s' is not a host name pattern "
						"(letters, digits, -, ., * and ?)",
						config, i, ecsfs_shape_shown(c, s));
	}
	return 0;
}

/* ---- actions ---- */

static int ref_check(ecsfs_shape_ctx *c, const char *key, const char *ref)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	ecsfs_err e = ECSFS_ERR_INIT;
	int r = ecsfs_targetgroup_ref_name(ref, name, &e);
	if (r < 0)
		r = (ecsfs_shape_key(c, key), ecsfs_shape_fail(c, "%s", e.msg.data));
	ecsfs_err_release(&e);
	return r;
}

static int forward_rules(ecsfs_shape_ctx *c, const json_t *a)
{
	const char *arn = str(a, "TargetGroupArn");
	const json_t *tgs = json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups");
	size_t i, j;
	json_t *t;
	int r;

	if (!arn && !tgs)
		return ecsfs_shape_fail(c, "a forward action names no target group (give "
					   "TargetGroupArn or ForwardConfig.TargetGroups)");
	if (arn && (r = ref_check(c, "TargetGroupArn", arn)) < 0)
		return r;
	if (arn && tgs &&
	    (json_array_size(tgs) != 1 ||
	     strcmp(str(json_array_get(tgs, 0), "TargetGroupArn"), arn) != 0))
		return ecsfs_shape_fail(c, "with TargetGroupArn, ForwardConfig.TargetGroups may "
					   "only hold that same target group");
	json_array_foreach(tgs, i, t) {
		size_t mark = ecsfs_shape_key(c, "ForwardConfig");
		ecsfs_shape_key(c, "TargetGroups");
		ecsfs_shape_index(c, i);
		r = ref_check(c, "TargetGroupArn", str(t, "TargetGroupArn"));
		for (j = 0; r == 0 && j < i; j++)
			if (strcmp(str(json_array_get(tgs, j), "TargetGroupArn"),
				   str(t, "TargetGroupArn")) == 0)
				r = ecsfs_shape_fail(
				    c, "the same target group as TargetGroups[%zu]", j);
		ecsfs_shape_pop(c, mark);
		if (r < 0)
			return r;
	}
	return 0;
}

static int action_rules(ecsfs_shape_ctx *c, const json_t *a)
{
	static const struct {
		const char *key, *type;
	} only[] = {
	    {"TargetGroupArn", "forward"},
	    {"ForwardConfig", "forward"},
	    {"FixedResponseConfig", "fixed-response"},
	    {"RedirectConfig", "redirect"},
	    {"AuthenticateOidcConfig", "authenticate-oidc"},
	    {"AuthenticateCognitoConfig", "authenticate-cognito"},
	    {"JwtValidationConfig", "jwt-validation"},
	};
	const char *type = str(a, "Type");
	const json_t *fixed = json_object_get(a, "FixedResponseConfig");
	const json_t *redir = json_object_get(a, "RedirectConfig");

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
		if (json_object_get(a, only[i].key) && strcmp(type, only[i].type) != 0)
			return ecsfs_shape_fail(c, "%s: only with Type %s", only[i].key,
						only[i].type);
	if (strncmp(type, "authenticate-", 13) == 0 || strcmp(type, "jwt-validation") == 0)
		return ecsfs_shape_fail(c,
					"Type %s is not supported here (forward, "
					"fixed-response, redirect)",
					type);
	if (strcmp(type, "forward") == 0)
		return forward_rules(c, a);
	if (strcmp(type, "fixed-response") == 0) {
		const char *code = fixed ? str(fixed, "StatusCode") : NULL;
		if (!fixed)
			return ecsfs_shape_fail(c, "a fixed-response action needs "
						   "FixedResponseConfig");
		if (!strchr("245", code[0]) || !chars_ok(code, "") || code[1] < '0' ||
		    code[1] > '9' || code[2] < '0' || code[2] > '9')
			return ecsfs_shape_fail(c,
						"FixedResponseConfig.StatusCode: '%s' must be "
						"2XX, 4XX or 5XX",
						ecsfs_shape_shown(c, code));
		return 0;
	}
	if (!redir)
		return ecsfs_shape_fail(c, "a redirect action needs RedirectConfig");
	const char *port = str(redir, "Port"), *path = str(redir, "Path");
	char *end;
	long p = port ? strtol(port, &end, 10) : 1;
	if (port && strcmp(port, "#{port}") != 0 && (*end || p < 1 || p > 65535))
		return (ecsfs_shape_key(c, "RedirectConfig"), ecsfs_shape_key(c, "Port"),
			ecsfs_shape_fail(c, "must be 1 to 65535 or #{port}"));
	if (path && path[0] != '/')
		return (ecsfs_shape_key(c, "RedirectConfig"), ecsfs_shape_key(c, "Path"),
			ecsfs_shape_fail(c, "must start with '/'"));
	return 0;
}

/* ---- listeners and the whole document ---- */

static bool network(const json_t *doc)
{
	const char *t = str(doc, "Type");
	return t && strcmp(t, "network") == 0;
}

static int listener_rules(ecsfs_shape_ctx *c, const json_t *l, bool net)
{
	const char *proto = str(l, "Protocol");
	const json_t *rules = json_object_get(l, "Rules");
	size_t i, j, mark = c->path.len;
	json_t *r;

	if (proto)
		ecsfs_shape_key(c, "Protocol");
	if (proto && strcmp(proto, "HTTP") != 0 && strcmp(proto, "TCP") != 0)
		return ecsfs_shape_fail(c,
					"%s is not supported here (HTTP for an "
					"application load balancer, TCP for a network one)",
					proto);
	if (proto && strcmp(proto, net ? "TCP" : "HTTP") != 0)
		return ecsfs_shape_fail(c, "a%s load balancer's listeners are %s",
					net ? " network" : "n application", net ? "TCP" : "HTTP");
	if (proto)
		ecsfs_shape_pop(c, mark);
	if (net && json_array_size(rules))
		return (ecsfs_shape_key(c, "Rules"),
			ecsfs_shape_fail(c, "a network load balancer's listeners have no "
					    "rules"));
	if (net && strcmp(str(json_array_get(json_object_get(l, "DefaultActions"), 0), "Type"),
			  "forward") != 0)
		return ecsfs_shape_fail(c, "DefaultActions[0].Type: a network load balancer "
					   "only forwards");
	json_array_foreach(rules, i, r) {
		json_int_t p = json_integer_value(json_object_get(r, "Priority"));
		for (j = 0; j < i; j++)
			if (json_integer_value(
				json_object_get(json_array_get(rules, j), "Priority")) == p) {
				ecsfs_shape_key(c, "Rules");
				ecsfs_shape_index(c, i);
				ecsfs_shape_key(c, "Priority");
				return ecsfs_shape_fail(
				    c, "%lld is also the priority of Rules[%zu]", (long long)p, j);
			}
	}
	return 0;
}

static int lb_rules(ecsfs_shape_ctx *c, const json_t *doc)
{
	const char *want = c->user, *name = str(doc, "Name");
	const json_t *ls = json_object_get(doc, "Listeners");
	const char *type = str(doc, "Type");
	size_t i, j;
	json_t *l;
	int r;

	if (name && want && strcmp(name, want) != 0)
		return (ecsfs_shape_key(c, "Name"),
			ecsfs_shape_fail(c, "'%s' must equal the file's name '%s'",
					 ecsfs_shape_shown(c, name), want));
	if (want && strncmp(want, "internal-", 9) == 0)
		return (ecsfs_shape_key(c, "Name"),
			ecsfs_shape_fail(c, "a load balancer's name must not begin with "
					    "\"internal-\""));
	if (type && strcmp(type, "gateway") == 0)
		return (ecsfs_shape_key(c, "Type"),
			ecsfs_shape_fail(c, "gateway is not supported here (application, "
					    "network)"));
	json_array_foreach(ls, i, l) {
		json_int_t port = json_integer_value(json_object_get(l, "Port"));
		ecsfs_shape_path(c, "Listeners[%zu]", i);
		if ((r = listener_rules(c, l, network(doc))) < 0)
			return r;
		for (j = 0; j < i; j++)
			if (json_integer_value(json_object_get(json_array_get(ls, j), "Port")) ==
			    port) {
				ecsfs_shape_key(c, "Port");
				return ecsfs_shape_fail(c,
							"%lld is also the port of Listeners[%zu]",
							(long long)port, j);
			}
	}
	ecsfs_shape_path(c, "%s", "");
	return 0;
}

static int lb_validate(const char *name, const json_t *doc, ecsfs_err *err)
{
	return ecsfs_shape_check(&lb_shape, doc, (void *)name, err);
}

int ecsfs_loadbalancer_check(const char *name, const char *data, size_t len, bool partial,
			     ecsfs_err *err)
{
	int r = ecsfs_elb_name_check(name, "load balancer", err);
	if (r < 0)
		return r;
	return ecsfs_json_check_document("the load balancer", name, data, len, ECSFS_ELB_JSON_MAX,
					 partial, lb_validate, err);
}

/* ---- the document in effect ---- */

static json_t *cond_effective(const json_t *cond)
{
	const char *config;
	const json_t *values = cond_values(cond, &config);
	json_t *e = json_pack("{s:s, s:O}", "Field", str(cond, "Field"), "Values", values);
	const char *hdr = str(json_object_get(cond, "HttpHeaderConfig"), "HttpHeaderName");
	if (hdr)
		json_object_set_new(e, "HttpHeaderName", json_string(hdr));
	return e;
}

static json_t *action_effective(const json_t *a)
{
	json_t *e = json_deep_copy(a), *fc, *tgs;
	const char *arn = str(a, "TargetGroupArn");
	size_t i;
	json_t *t;

	if (strcmp(str(a, "Type"), "forward") != 0)
		return e;
	fc = json_object_get(e, "ForwardConfig");
	if (!fc) {
		fc = json_object();
		json_object_set_new(e, "ForwardConfig", fc);
	}
	tgs = json_object_get(fc, "TargetGroups");
	if (!tgs) {
		tgs = json_pack("[{s:s}]", "TargetGroupArn", arn);
		json_object_set_new(fc, "TargetGroups", tgs);
	}
	json_array_foreach(tgs, i, t)
		ecsfs__elb_set_default(t, "Weight", json_integer(1));
	ecsfs__elb_set_default(fc, "TargetGroupStickinessConfig", json_pack("{s:b}", "Enabled", 0));
	return e;
}

static json_t *actions_effective(const json_t *list)
{
	json_t *out = json_array(), *a;
	size_t i;
	json_array_foreach(list, i, a)
		json_array_append_new(out, action_effective(a));
	return out;
}

static int by_priority(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "Priority"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "Priority"));
	return a < b ? -1 : a > b;
}

static json_t *rules_effective(const json_t *rules)
{
	size_t n = json_array_size(rules), i, k;
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array(), *c;

	if (!v)
		abort();
	for (i = 0; i < n; i++)
		v[i] = json_array_get(rules, i);
	qsort(v, n, sizeof(*v), by_priority);
	for (i = 0; i < n; i++) {
		json_t *conds = json_array(), *r = json_deep_copy(v[i]);
		json_array_foreach(json_object_get(v[i], "Conditions"), k, c)
			json_array_append_new(conds, cond_effective(c));
		json_object_set_new(r, "Conditions", conds);
		json_object_set_new(r, "Actions",
				    actions_effective(json_object_get(v[i], "Actions")));
		json_array_append_new(out, r);
	}
	free(v);
	return out;
}

static json_t *lb_effective(const char *name, const json_t *doc)
{
	json_t *eff = json_deep_copy(doc), *ls = json_array(), *l;
	bool net = network(doc);
	size_t i;

	json_object_set_new(eff, "Name", json_string(name));
	ecsfs__elb_set_default(eff, "Type", json_string("application"));
	ecsfs__elb_set_default(eff, "Scheme", json_string("internal"));
	ecsfs__elb_set_default(eff, "IpAddressType", json_string("ipv4"));
	json_array_foreach(json_object_get(doc, "Listeners"), i, l) {
		json_t *e = json_deep_copy(l);
		ecsfs__elb_set_default(e, "Protocol", json_string(net ? "TCP" : "HTTP"));
		json_object_set_new(e, "DefaultActions",
				    actions_effective(json_object_get(l, "DefaultActions")));
		json_object_set_new(e, "Rules", rules_effective(json_object_get(l, "Rules")));
		json_array_append_new(ls, e);
	}
	json_object_set_new(eff, "Listeners", ls);
	return eff;
}

int ecsfs__lb_load(ecsfs_store *s, const char *name, json_t **eff, int64_t *created_ns,
		   ecsfs_err *err)
{
	json_t *doc;
	int r = ecsfs__elb_load(s, "loadbalancer", name, &doc, created_ns, err);
	if (r == 0) {
		*eff = lb_effective(name, doc);
		json_decref(doc);
	}
	return r;
}

void ecsfs__lb_action_groups(const json_t *action, void (*cb)(void *data, const char *tg, int w),
			     void *data)
{
	const json_t *tgs =
	    json_object_get(json_object_get(action, "ForwardConfig"), "TargetGroups");
	char name[ECSFS_ELB_NAME_MAX + 1];
	size_t i;
	json_t *t;

	if (strcmp(str(action, "Type") ?: "", "forward") != 0)
		return;
	json_array_foreach(tgs, i, t)
		if (ecsfs_targetgroup_ref_name(str(t, "TargetGroupArn"), name, NULL) == 0)
			cb(data, name, (int)json_integer_value(json_object_get(t, "Weight")));
}

int ecsfs_loadbalancer_ports(const json_t *doc, int **ports, size_t *n)
{
	const json_t *ls = json_object_get(doc, "Listeners");
	size_t i, k = json_array_size(ls);
	int *v = calloc(k ? k : 1, sizeof(*v));
	json_t *l;

	if (!v)
		return -ENOMEM;
	json_array_foreach(ls, i, l)
		v[i] = (int)json_integer_value(json_object_get(l, "Port"));
	*ports = v;
	*n = k;
	return 0;
}

const char *ecsfs_loadbalancer_bind_addr(const json_t *doc)
{
	const char *scheme = str(doc, "Scheme");
	return scheme && strcmp(scheme, "internet-facing") == 0 ? "0.0.0.0" : "127.0.0.1";
}

/* ---- rules against the other documents ---- */

typedef struct others {
	ecsfs_store *s;
	const char *self;
	const json_t *doc;
	ecsfs_err *err;
	int r;
} others;

/* A listener port of another load balancer: every scheme shares the host's ports. */
static int ports_cb(void *data, const char *name)
{
	others *o = data;
	json_t *eff, *l, *m;
	size_t i, j;

	if (strcmp(name, o->self) == 0 || ecsfs__lb_load(o->s, name, &eff, NULL, NULL) < 0)
		return 0;
	json_array_foreach(json_object_get(o->doc, "Listeners"), i, l)
		json_array_foreach(json_object_get(eff, "Listeners"), j, m)
			if (json_integer_value(json_object_get(l, "Port")) ==
				json_integer_value(json_object_get(m, "Port")) &&
			    o->r == 0)
				o->r = ecsfs_err_set(
				    o->err, ECSFS_E_RESOURCE_IN_USE, -EADDRINUSE,
				    "Listeners[%zu].Port: %lld is already a listener of load "
				    "balancer %s",
				    i, (long long)json_integer_value(json_object_get(l, "Port")),
				    name);
	json_decref(eff);
	return o->r;
}

typedef struct proto_check {
	ecsfs_store *s;
	const char *proto, *where;
	ecsfs_err *err;
	int r;
} proto_check;

static void proto_cb(void *data, const char *tg, int weight)
{
	proto_check *p = data;
	json_t *eff;
	if (p->r || ecsfs__tg_load(p->s, tg, &eff, NULL) < 0)
		return; /* a group that does not exist yet is waited for */
	if (strcmp(str(eff, "Protocol"), p->proto) != 0)
		p->r = ecsfs_err_set(p->err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: target group %s is %s; a%s listener forwards to %s "
				     "target groups",
				     p->where, tg, str(eff, "Protocol"),
				     p->proto[0] == 'H' ? "n HTTP" : " TCP", p->proto);
	json_decref(eff);
}

static int protocols_check(ecsfs_store *s, const json_t *eff, ecsfs_err *err)
{
	proto_check p = {.s = s, .err = err};
	ecsfs_buf where = ECSFS_BUF_INIT;
	size_t i, j;
	json_t *l, *rule;

	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		p.proto = str(l, "Protocol");
		ecsfs_buf_setf(&where, "Listeners[%zu].DefaultActions[0]", i);
		p.where = where.data;
		ecsfs__lb_action_groups(json_array_get(json_object_get(l, "DefaultActions"), 0),
					proto_cb, &p);
		json_array_foreach(json_object_get(l, "Rules"), j, rule) {
			ecsfs_buf_setf(
			    &where, "Listeners[%zu]: the rule of priority %lld", i,
			    (long long)json_integer_value(json_object_get(rule, "Priority")));
			p.where = where.data;
			ecsfs__lb_action_groups(json_array_get(json_object_get(rule, "Actions"), 0),
						proto_cb, &p);
		}
	}
	ecsfs_buf_release(&where);
	return p.r;
}

/* The rules against the store: ports of the other load balancers, protocols
 * of the target groups in effect. */
static int store_rules(ecsfs_store *s, const char *name, const json_t *doc, ecsfs_err *err)
{
	json_t *eff = lb_effective(name, doc);
	others o = {.s = s, .self = name, .doc = eff, .err = err};
	int r;

	ecsfs_store_elb_list(s, "loadbalancer", ports_cb, &o);
	if ((r = o.r) == 0)
		r = protocols_check(s, eff, err);
	json_decref(eff);
	return r;
}

int ecsfs_loadbalancer_check_store(ecsfs_store *s, const char *name, const char *data, size_t len,
				   bool partial, ecsfs_err *err)
{
	json_t *doc;
	int r = ecsfs_loadbalancer_check(name, data, len, partial, err);
	if (r < 0 || !(doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL)))
		return r; /* an unfinished document waits for its end */
	json_object_del(doc, "Name");
	r = store_rules(s, name, doc, err);
	json_decref(doc);
	return r;
}

int ecsfs_loadbalancer_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
			     const ecsfs_file_meta *meta, ecsfs_err *err)
{
	json_t *doc = NULL;
	int r;

	if ((r = ecsfs_loadbalancer_check(name, data, len, false, err)) < 0 ||
	    (r = ecsfs__elb_room(s, "loadbalancer", name, ECSFS_LOADBALANCERS_MAX, err)) < 0 ||
	    (r = ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER,
				ecsfs_json_parse_object(data, len, &doc, &err->msg))) < 0)
		return r;
	json_object_del(doc, "Name");
	if ((r = store_rules(s, name, doc, err)) == 0)
		r = ecsfs__elb_put(s, "loadbalancer", ECSFS_SPEC_LOADBALANCERS, name, data, len,
				   meta, doc, err);
	json_decref(doc);
	return r;
}

int ecsfs_loadbalancer_delete(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	ecsfs_buf file = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&file, "%s.json", name);
	ecsfs_store_file_delete(s, ECSFS_SPEC_LOADBALANCERS, file.data);
	ecsfs_buf_release(&file);
	int r = ecsfs_store_elb_delete(s, "loadbalancer", name);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, r,
				     "load balancer %s does not exist", name);
	return r < 0 ? ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot delete load balancer %s: %s",
				     name, ecsfs_store_last_error(s))
		     : 0;
}

int ecsfs_loadbalancer_exists(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	int r = ecsfs_store_elb_get(s, "loadbalancer", name, NULL, NULL);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, r,
				     "load balancer %s does not exist", name);
	return r;
}

int ecsfs_loadbalancer_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	return ecsfs_store_elb_list(s, "loadbalancer", cb, data);
}
