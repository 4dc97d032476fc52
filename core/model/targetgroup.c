/*
 * ELBv2 target groups: the documents of spec/targetgroups/<tg>.json
 * (CreateTargetGroup's input plus Attributes), their rows in the store and
 * their describe shape.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/shape.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

/* ---- names, ids, ARNs ---- */

int ecsfs_elb_name_rule(const char *name, const char *what, ecsfs_buf *why)
{
	size_t n = strlen(name);
	if (n == 0 || n > ECSFS_ELB_NAME_MAX) {
		ecsfs_buf_setf(why, "%s name '%.64s' must have 1 to %d characters", what, name,
			       ECSFS_ELB_NAME_MAX);
		return -EINVAL;
	}
	if (name[0] == '-' || name[n - 1] == '-') {
		ecsfs_buf_setf(why, "%s name '%s' must not begin or end with a hyphen", what, name);
		return -EINVAL;
	}
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z'))) {
			ecsfs_buf_setf(why,
				       "%s name '%s' may hold only letters, digits and hyphens",
				       what, name);
			return -EINVAL;
		}
	return 0;
}

int ecsfs_elb_name_check(const char *name, const char *what, ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs_elb_name_rule(name, what, &why);
	if (r < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	ecsfs_buf_release(&why);
	return r;
}

void ecsfs_elb_id(const char *kind, const char *name, char out[17])
{
	/* FNV-1a over "kind/name": stable across daemons and versions */
	unsigned long long h = 14695981039346656037ull;
	for (const char *p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, 17, "%016llx", h);
}

void ecsfs_targetgroup_arn(const char *name, ecsfs_buf *out)
{
	char id[17];
	ecsfs_elb_id("targetgroup", name, id);
	ecsfs_arn(out, "elasticloadbalancing", "targetgroup/%s/%s", name, id);
}

/* "targetgroup/NAME/ID" of an ARN of this region and account, or NULL. */
static const char *tg_resource(const char *ref)
{
	const char *res = ecsfs_arn_resource(ref, "elasticloadbalancing");
	ecsfs_buf mine = ECSFS_BUF_INIT;
	bool ours;

	if (!res)
		return NULL;
	ecsfs_arn(&mine, "elasticloadbalancing", "%s", res);
	ours = strcmp(mine.data, ref) == 0;
	ecsfs_buf_release(&mine);
	return ours && strncmp(res, "targetgroup/", 12) == 0 ? res + 12 : NULL;
}

int ecsfs_targetgroup_ref_name(const char *ref, char out[ECSFS_ELB_NAME_MAX + 1], ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1], id[17];
	const char *p, *slash;
	int r;

	if (strncmp(ref, "arn:", 4) != 0) {
		if ((r = ecsfs_elb_name_check(ref, "target group", err)) < 0)
			return r;
		snprintf(out, ECSFS_ELB_NAME_MAX + 1, "%s", ref);
		return 0;
	}
	/* arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID */
	if (!(p = tg_resource(ref)) || !(slash = strchr(p, '/')) ||
	    (size_t)(slash - p) > ECSFS_ELB_NAME_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "'%.200s' is not a target group ARN of %s, account %s", ref,
				     ecsfs_arn_region(), ecsfs_arn_account());
	snprintf(name, sizeof(name), "%.*s", (int)(slash - p), p);
	if ((r = ecsfs_elb_name_check(name, "target group", err)) < 0)
		return r;
	ecsfs_elb_id("targetgroup", name, id);
	if (strcmp(slash + 1, id) != 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "'%.200s': the id of target group %s is %s", ref, name, id);
	memcpy(out, name, sizeof(name));
	return 0;
}

bool ecsfs_targetgroup_same(const char *a, const char *b)
{
	char x[ECSFS_ELB_NAME_MAX + 1], y[ECSFS_ELB_NAME_MAX + 1];

	if (!a || !b)
		return false;
	if (ecsfs_targetgroup_ref_name(a, x, NULL) < 0 ||
	    ecsfs_targetgroup_ref_name(b, y, NULL) < 0)
		return strcmp(a, b) == 0;
	return strcmp(x, y) == 0;
}

/* ---- the document ---- */

static const char *const tg_protocols[] = {"HTTP", "TCP", NULL};
static const char *const target_types[] = {"instance", "ip", NULL};
static const char *const protocol_versions[] = {"HTTP1", NULL};
static const char *const ip_types[] = {"ipv4", NULL};

static const ecsfs_field matcher_fields[] = {
    {"HttpCode", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .max = 64},
};
static const ecsfs_shape matcher_shape = ECSFS_SHAPE(matcher_fields);

static const ecsfs_field attribute_fields[] = {
    {"Key", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .max = 256},
    {"Value", ECSFS_JSON_STRING, ECSFS_F_REQUIRED, .max = 1024},
};
static const ecsfs_shape attribute_shape = ECSFS_SHAPE(attribute_fields);

static const ecsfs_field tag_fields[] = {
    {"Key", ECSFS_JSON_STRING, ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY, .max = 128},
    {"Value", ECSFS_JSON_STRING, 0, .max = 256},
};
static const ecsfs_shape tag_shape = ECSFS_SHAPE(tag_fields);
const ecsfs_field ecsfs__elb_tag = {.type = ECSFS_JSON_OBJECT, .shape = &tag_shape};

static int tg_rules(ecsfs_shape_ctx *c, const json_t *doc);

static const ecsfs_field tg_fields[] = {
    {"Name", ECSFS_JSON_STRING, 0, .rule = ecsfs_elb_name_rule, .what = "target group"},
    ECSFS_STR_OF("Protocol", ECSFS_F_REQUIRED, tg_protocols),
    ECSFS_INT("Port", ECSFS_F_REQUIRED, 1, 65535),
    ECSFS_STR_OF("TargetType", 0, target_types),
    ECSFS_STR_OF("HealthCheckProtocol", 0, tg_protocols),
    {"HealthCheckPort", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 16},
    ECSFS_BOOL("HealthCheckEnabled", 0),
    {"HealthCheckPath", ECSFS_JSON_STRING, ECSFS_F_NONEMPTY, .max = 1024},
    ECSFS_INT("HealthCheckIntervalSeconds", 0, 5, 300),
    ECSFS_INT("HealthCheckTimeoutSeconds", 0, 2, 120),
    ECSFS_INT("HealthyThresholdCount", 0, 2, 10),
    ECSFS_INT("UnhealthyThresholdCount", 0, 2, 10),
    ECSFS_OBJ("Matcher", 0, matcher_shape),
    ECSFS_STR_OF("ProtocolVersion", 0, protocol_versions),
    ECSFS_STR_OF("IpAddressType", 0, ip_types),
    {"VpcId", ECSFS_JSON_STRING, ECSFS_F_KEPT, .max = 255},
    ECSFS_ARR("Tags", 0, &ecsfs__elb_tag, 50),
    ECSFS_ARR("Attributes", 0, ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &attribute_shape),
	      32),
};
static const ecsfs_shape tg_shape = ECSFS_SHAPE_HOOK(tg_fields, tg_rules);

/* ---- attributes ---- */

enum attr_kind { A_INT, A_BOOL, A_ENUM };

typedef struct attr_def {
	const char *key;
	enum attr_kind kind;
	long long lo, hi; /* A_INT */
	const char *const *oneof;
	const char *http, *tcp; /* the default per protocol; NULL: not for it */
} attr_def;

static const char *const algorithms[] = {"round_robin", "least_outstanding_requests",
					 "weighted_random", NULL};
static const char *const stickiness_types[] = {"lb_cookie", "app_cookie", "source_ip", NULL};
static const char *const cross_zone[] = {"true", "false", "use_load_balancer_configuration", NULL};

/* The attributes a target group takes here, with ELBv2's defaults. */
static const attr_def attrs[] = {
    {"deregistration_delay.timeout_seconds", A_INT, 0, 3600, NULL, "300", "300"},
    {"slow_start.duration_seconds", A_INT, 0, 900, NULL, "0", NULL},
    {"load_balancing.algorithm.type", A_ENUM, 0, 0, algorithms, "round_robin", NULL},
    {"stickiness.enabled", A_BOOL, 0, 0, NULL, "false", "false"},
    {"stickiness.type", A_ENUM, 0, 0, stickiness_types, "lb_cookie", "source_ip"},
    {"stickiness.lb_cookie.duration_seconds", A_INT, 1, 604800, NULL, "86400", NULL},
    {"load_balancing.cross_zone.enabled", A_ENUM, 0, 0, cross_zone,
     "use_load_balancer_configuration", "use_load_balancer_configuration"},
    {"deregistration_delay.connection_termination.enabled", A_BOOL, 0, 0, NULL, NULL, "false"},
    {"proxy_protocol_v2.enabled", A_BOOL, 0, 0, NULL, NULL, "false"},
    {"preserve_client_ip.enabled", A_BOOL, 0, 0, NULL, NULL, "true"},
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const attr_def *attr_find(const char *key)
{
	for (size_t i = 0; i < NATTRS; i++)
		if (strcmp(attrs[i].key, key) == 0)
			return &attrs[i];
	return NULL;
}

/* "300" as a whole number in lo..hi? */
static bool int_text(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;
	if (!*s || strlen(s) > 12 || (*s == '0' && s[1]) || *s == '+' || *s == ' ')
		return false;
	v = strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static int attr_value_check(ecsfs_shape_ctx *c, const attr_def *a, const char *v, bool tcp)
{
	long long n;
	if (!(tcp ? a->tcp : a->http))
		return ecsfs_shape_fail(c, "%s does not apply to a %s target group", a->key,
					tcp ? "TCP" : "HTTP");
	switch (a->kind) {
	case A_INT:
		if (!int_text(v, a->lo, a->hi, &n))
			return ecsfs_shape_fail(c, "%s must be a whole number from %lld to %lld",
						a->key, a->lo, a->hi);
		if (strcmp(a->key, "slow_start.duration_seconds") == 0 && n != 0 && n < 30)
			return ecsfs_shape_fail(c, "%s must be 0 (off) or 30 to 900", a->key);
		return 0;
	case A_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return ecsfs_shape_fail(c, "%s must be \"true\" or \"false\"", a->key);
		return 0;
	case A_ENUM:
		if (!in_set(v, a->oneof)) {
			ecsfs_buf set = ECSFS_BUF_INIT;
			for (const char *const *p = a->oneof; *p; p++)
				ecsfs_buf_addf(&set, "%s%s", p == a->oneof ? "" : ", ", *p);
			int r = ecsfs_shape_fail(c, "%s must be one of %s", a->key, set.data);
			ecsfs_buf_release(&set);
			return r;
		}
		return 0;
	}
	return 0;
}

static int attrs_check(ecsfs_shape_ctx *c, const json_t *list, bool tcp)
{
	size_t i, j;
	json_t *a;

	json_array_foreach(list, i, a) {
		const char *key = json_string_value(json_object_get(a, "Key"));
		const char *val = json_string_value(json_object_get(a, "Value"));
		const attr_def *d = attr_find(key);
		size_t mark = ecsfs_shape_key(c, "Attributes");
		ecsfs_shape_index(c, i);
		int r = 0;
		if (!d) {
			const char *best = NULL;
			for (size_t k = 0; k < NATTRS && !best; k++)
				if (strncmp(attrs[k].key, key, 8) == 0)
					best = attrs[k].key;
			r = ecsfs_shape_fail(
			    c, "unknown attribute '%s'%s%s%s", ecsfs_shape_shown(c, key),
			    best ? " (did you mean " : "", best ? best : "", best ? "?)" : "");
		}
		for (j = 0; r == 0 && j < i; j++)
			if (strcmp(
				json_string_value(json_object_get(json_array_get(list, j), "Key")),
				key) == 0)
				r = ecsfs_shape_fail(c, "%s is given twice", key);
		if (r == 0)
			r = attr_value_check(c, d, val, tcp);
		ecsfs_shape_pop(c, mark);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- rules between fields ---- */

/* "200", "200,202", "200-299": codes in lo..hi. */
static bool codes_ok(const char *s, int lo, int hi)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < lo || a > hi)
			return false;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > hi)
				return false;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return false;
		s = end;
	}
	return true;
}

static const char *str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static int health_rules(ecsfs_shape_ctx *c, const json_t *doc, bool tcp, bool http_check)
{
	const char *port = str(doc, "HealthCheckPort"), *path = str(doc, "HealthCheckPath");
	json_t *m = json_object_get(doc, "Matcher");
	long long n;

	if (port && strcmp(port, "traffic-port") != 0 && !int_text(port, 1, 65535, &n))
		return (ecsfs_shape_key(c, "HealthCheckPort"),
			ecsfs_shape_fail(c, "must be \"traffic-port\" or a port "
					    "from 1 to 65535"));
	if (!tcp && !http_check)
		return (ecsfs_shape_key(c, "HealthCheckProtocol"),
			ecsfs_shape_fail(c, "TCP health checks are not "
					    "supported for an HTTP target group"));
	if (!http_check && (path || m))
		return (ecsfs_shape_key(c, path ? "HealthCheckPath" : "Matcher"),
			ecsfs_shape_fail(c, "only for HTTP health checks"));
	if (path && path[0] != '/')
		return (ecsfs_shape_key(c, "HealthCheckPath"),
			ecsfs_shape_fail(c, "must start with '/'"));
	if (m && !codes_ok(str(m, "HttpCode"), 200, tcp ? 599 : 499))
		ecsfs_shape_key(c, "Matcher"), ecsfs_shape_key(c, "HttpCode");
	if (m && !codes_ok(str(m, "HttpCode"), 200, tcp ? 599 : 499))
		return ecsfs_shape_fail(c,
					"'%s' must be codes from 200 to "
					"%d like \"200\", \"200,202\" or \"200-299\"",
					ecsfs_shape_shown(c, str(m, "HttpCode")), tcp ? 599 : 499);
	json_t *e = json_object_get(doc, "HealthCheckEnabled");
	if (e && !json_is_true(e))
		return (ecsfs_shape_key(c, "HealthCheckEnabled"),
			ecsfs_shape_fail(c, "health checks cannot be "
					    "disabled for instance and ip targets"));
	return 0;
}

static int tg_rules(ecsfs_shape_ctx *c, const json_t *doc)
{
	const char *want = c->user, *name = str(doc, "Name");
	bool tcp = strcmp(str(doc, "Protocol"), "TCP") == 0;
	const char *hcp = str(doc, "HealthCheckProtocol");
	bool http_check = hcp ? strcmp(hcp, "HTTP") == 0 : !tcp;
	json_t *iv = json_object_get(doc, "HealthCheckIntervalSeconds");
	json_t *to = json_object_get(doc, "HealthCheckTimeoutSeconds");
	json_t *list = json_object_get(doc, "Attributes");
	int r;

	if (name && want && strcmp(name, want) != 0)
		return (ecsfs_shape_key(c, "Name"),
			ecsfs_shape_fail(c, "'%s' must equal the file's name '%s'",
					 ecsfs_shape_shown(c, name), want));
	if (tcp && json_object_get(doc, "ProtocolVersion"))
		return (ecsfs_shape_key(c, "ProtocolVersion"),
			ecsfs_shape_fail(c, "only for HTTP target groups"));
	if ((r = health_rules(c, doc, tcp, http_check)) < 0)
		return r;
	long long interval = iv ? json_integer_value(iv) : 30;
	if (to && json_integer_value(to) >= interval)
		ecsfs_shape_key(c, "HealthCheckTimeoutSeconds");
	if (to && json_integer_value(to) >= interval)
		return ecsfs_shape_fail(c,
					"%lld must be smaller than "
					"the interval (%lld)",
					(long long)json_integer_value(to), interval);
	return list ? attrs_check(c, list, tcp) : 0;
}

static int tg_validate(const char *name, const json_t *doc, ecsfs_err *err)
{
	return ecsfs_shape_check(&tg_shape, doc, (void *)name, err);
}

int ecsfs_targetgroup_check(const char *name, const char *data, size_t len, bool partial,
			    ecsfs_err *err)
{
	int r = ecsfs_elb_name_check(name, "target group", err);
	if (r < 0)
		return r;
	return ecsfs_json_check_document("the target group", name, data, len, ECSFS_ELB_JSON_MAX,
					 partial, tg_validate, err);
}

/* ---- the document in effect, with ELBv2's defaults ---- */

void ecsfs__elb_set_default(json_t *o, const char *key, json_t *v)
{
	if (!json_object_get(o, key))
		json_object_set(o, key, v);
	json_decref(v);
}

static void defaults_attrs(json_t *eff, bool tcp)
{
	json_t *given = json_object_get(eff, "Attributes"), *out = json_array();
	size_t i;
	json_t *a;

	for (size_t k = 0; k < NATTRS; k++) {
		const char *def = tcp ? attrs[k].tcp : attrs[k].http, *v = def;
		json_array_foreach(given, i, a)
			if (strcmp(str(a, "Key"), attrs[k].key) == 0)
				v = str(a, "Value");
		if (v)
			json_array_append_new(
			    out, json_pack("{s:s, s:s}", "Key", attrs[k].key, "Value", v));
	}
	json_object_set_new(eff, "Attributes", out);
}

json_t *ecsfs__tg_effective(const char *name, const json_t *doc)
{
	json_t *eff = json_deep_copy(doc);
	bool tcp = strcmp(str(doc, "Protocol"), "TCP") == 0;
	const char *hcp;

	json_object_set_new(eff, "Name", json_string(name));
	ecsfs__elb_set_default(eff, "TargetType", json_string("instance"));
	ecsfs__elb_set_default(eff, "HealthCheckEnabled", json_true());
	ecsfs__elb_set_default(eff, "HealthCheckProtocol", json_string(tcp ? "TCP" : "HTTP"));
	ecsfs__elb_set_default(eff, "HealthCheckPort", json_string("traffic-port"));
	ecsfs__elb_set_default(eff, "HealthCheckIntervalSeconds", json_integer(30));
	/* the default timeout, kept below a shorter interval */
	long long iv = json_integer_value(json_object_get(eff, "HealthCheckIntervalSeconds"));
	ecsfs__elb_set_default(eff, "HealthCheckTimeoutSeconds",
			       json_integer(iv <= (tcp ? 10 : 6) ? iv - 1 : (tcp ? 10 : 6)));
	ecsfs__elb_set_default(eff, "HealthyThresholdCount", json_integer(5));
	ecsfs__elb_set_default(eff, "UnhealthyThresholdCount", json_integer(2));
	ecsfs__elb_set_default(eff, "IpAddressType", json_string("ipv4"));
	hcp = str(eff, "HealthCheckProtocol");
	if (strcmp(hcp, "HTTP") == 0) {
		ecsfs__elb_set_default(eff, "HealthCheckPath", json_string("/"));
		ecsfs__elb_set_default(eff, "Matcher", json_pack("{s:s}", "HttpCode", "200"));
	}
	if (!tcp)
		ecsfs__elb_set_default(eff, "ProtocolVersion", json_string("HTTP1"));
	defaults_attrs(eff, tcp);
	return eff;
}

const char *ecsfs__tg_attr(const json_t *eff, const char *key)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(eff, "Attributes"), i, a)
		if (strcmp(str(a, "Key"), key) == 0)
			return str(a, "Value");
	return NULL;
}

/* ---- rows ---- */

/* the store's fault `r`: a full disk (-ENOSPC) is a clean answer, not EIO */
static int store_fault(ecsfs_store *s, int r, const char *what, const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, r == -ENOSPC ? -ENOSPC : -EIO, "cannot %s %s: %s",
			     what, name, ecsfs_store_last_error(s));
}

int ecsfs__elb_put(ecsfs_store *s, const char *kind, const char *dir, const char *name,
		   const char *data, size_t len, const ecsfs_file_meta *meta, const json_t *doc,
		   ecsfs_err *err)
{
	ecsfs_buf file = ECSFS_BUF_INIT, canon = ECSFS_BUF_INIT;
	ecsfs_file_meta m = *meta;
	int64_t created = ecsfs_now_ns();
	int r;

	ecsfs_buf_addf(&file, "%s.json", name);
	ecsfs_json_canonical(doc, &canon);
	m.kind = ECSFS_FILE_SPEC;
	ecsfs_store_elb_get(s, kind, name, &created, NULL);
	if ((r = ecsfs_store_begin(s)) < 0 ||
	    (r = ecsfs_store_file_put(s, dir, file.data, &m, data, len)) < 0 ||
	    (r = ecsfs_store_elb_put(s, kind, name, created, canon.data)) < 0 ||
	    (r = ecsfs_store_commit(s)) < 0) {
		if (r != -EIO || ecsfs_store_begin(s) == 0)
			ecsfs_store_rollback(s);
		r = store_fault(s, r, "store", file.data, err);
	}
	ecsfs_buf_release(&file);
	ecsfs_buf_release(&canon);
	return r;
}

int ecsfs__elb_load(ecsfs_store *s, const char *kind, const char *name, json_t **doc,
		    int64_t *created_ns, ecsfs_err *err)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	int r = ecsfs_store_elb_get(s, kind, name, created_ns, &text);
	if (r == 0) {
		*doc = json_loadb(text.data, text.len, 0, NULL);
		if (!*doc)
			r = ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "the stored %s %s is not JSON",
					  kind, name);
	} else if (r == -ENOENT) {
		ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "%s %s does not exist",
			      strcmp(kind, "targetgroup") == 0 ? "target group" : "load balancer",
			      name);
	} else {
		store_fault(s, r, "read", name, err);
	}
	ecsfs_buf_release(&text);
	return r;
}

static int count_cb(void *data, const char *name)
{
	(*(size_t *)data)++;
	return 0;
}

int ecsfs__elb_room(ecsfs_store *s, const char *kind, const char *name, size_t max, ecsfs_err *err)
{
	size_t n = 0;
	if (ecsfs_store_elb_get(s, kind, name, NULL, NULL) == 0)
		return 0;
	ecsfs_store_elb_list(s, kind, count_cb, &n);
	if (n >= max)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "there are %zu %ss, the limit", n, kind);
	return 0;
}

int ecsfs_targetgroup_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
			    const ecsfs_file_meta *meta, ecsfs_err *err)
{
	json_t *doc = NULL;
	int r;

	if ((r = ecsfs_targetgroup_check(name, data, len, false, err)) < 0 ||
	    (r = ecsfs__elb_room(s, "targetgroup", name, ECSFS_TARGETGROUPS_MAX, err)) < 0 ||
	    (r = ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER,
				ecsfs_json_parse_object(data, len, &doc, &err->msg))) < 0)
		return r;
	json_object_del(doc, "Name");
	r = ecsfs__elb_put(s, "targetgroup", ECSFS_SPEC_TARGETGROUPS, name, data, len, meta, doc,
			   err);
	json_decref(doc);
	return r;
}

int ecsfs_targetgroup_delete(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	ecsfs_buf file = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&file, "%s.json", name);
	ecsfs_store_file_delete(s, ECSFS_SPEC_TARGETGROUPS, file.data);
	ecsfs_buf_release(&file);
	int r = ecsfs_store_elb_delete(s, "targetgroup", name);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, r,
				     "target group %s does not exist", name);
	return r < 0 ? store_fault(s, r, "delete target group", name, err) : 0;
}

int ecsfs_targetgroup_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	return ecsfs_store_elb_list(s, "targetgroup", cb, data);
}

int ecsfs_targetgroup_exists(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	int r = ecsfs_store_elb_get(s, "targetgroup", name, NULL, NULL);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "target group %s does not exist", name);
	return r < 0 ? store_fault(s, r, "read target group", name, err) : 0;
}

int ecsfs__tg_load(ecsfs_store *s, const char *name, json_t **eff, ecsfs_err *err)
{
	json_t *doc;
	int r = ecsfs__elb_load(s, "targetgroup", name, &doc, NULL, err);
	if (r == 0) {
		*eff = ecsfs__tg_effective(name, doc);
		json_decref(doc);
	}
	return r;
}

/* describe-target-groups' element: the settings in effect, the ARN, and the
 * load balancers whose listeners forward to it. */
int ecsfs_targetgroup_describe(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err)
{
	static const char *const keys[] = {
	    "Protocol",
	    "Port",
	    "VpcId",
	    "HealthCheckProtocol",
	    "HealthCheckPort",
	    "HealthCheckEnabled",
	    "HealthCheckIntervalSeconds",
	    "HealthCheckTimeoutSeconds",
	    "HealthyThresholdCount",
	    "UnhealthyThresholdCount",
	    "HealthCheckPath",
	    "Matcher",
	    "TargetType",
	    "ProtocolVersion",
	    "IpAddressType",
	};
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *eff, *d;
	int r = ecsfs__tg_load(s, name, &eff, err);

	if (r < 0)
		return r;
	ecsfs_targetgroup_arn(name, &arn);
	d = json_pack("{s:s, s:s}", "TargetGroupArn", arn.data, "TargetGroupName", name);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(eff, keys[i]))
			json_object_set(d, keys[i], json_object_get(eff, keys[i]));
	json_object_set_new(d, "LoadBalancerArns", ecsfs__lb_arns_using(s, name));
	json_decref(eff);
	ecsfs_buf_release(&arn);
	*out = d;
	return 0;
}
