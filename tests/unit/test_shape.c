/* The shared document helpers of core/util: the shape checker, ARNs, the
 * RFC 3339 parser. */
#include <errno.h>

#include "ecsfs/arn.h"
#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "tap.h"

static const char *const colours[] = {"red", "green", "blue", NULL};

/* A cross-field rule: hi must not be below lo. */
static int lo_hi(ecsfs_shape_ctx *c, const json_t *obj)
{
	json_t *lo = json_object_get(obj, "lo"), *hi = json_object_get(obj, "hi");

	if (lo && hi && json_integer_value(hi) < json_integer_value(lo)) {
		ecsfs_shape_key(c, "hi");
		return ecsfs_shape_fail(c, "%lld is below lo", (long long)json_integer_value(hi));
	}
	return 0;
}

/* A field hook that sees its user data. */
static int matches_user(ecsfs_shape_ctx *c, const json_t *val)
{
	if (strcmp(json_string_value(val), (const char *)c->user) != 0)
		return ecsfs_shape_fail(c, "'%s' does not match '%s'",
					ecsfs_shape_shown(c, json_string_value(val)),
					(const char *)c->user);
	return 0;
}

static const ecsfs_field range_fields[] = {
    ECSFS_INT("lo", 0, 0, 100),
    ECSFS_INT("hi", 0, 0, 100),
};
static const ecsfs_shape range_shape = ECSFS_SHAPE_HOOK(range_fields, lo_hi);

static const ecsfs_field doc_fields[] = {
    {"name", ECSFS_JSON_STRING, ECSFS_F_REQUIRED, .rule = ecsfs_name_check, .what = "thing",
     .check = matches_user},
    ECSFS_STR_OF("colour", 0, colours),
    ECSFS_INT("count", 0, 1, ECSFS_I32_MAX),
    ECSFS_BOOL("enabled", 0),
    ECSFS_OBJ("range", 0, range_shape),
    ECSFS_ARR("tags", 0, &ecsfs_item_tag, 2),
    ECSFS_ARR("ports", ECSFS_F_NONEMPTY, ECSFS_ITEM(.type = ECSFS_JSON_INT, .lo = 1, .hi = 65535),
	      0),
    ECSFS_MAP("labels", 0, &ecsfs_item_string),
    {"size", ECSFS_JSON_STRING | ECSFS_JSON_INT, 0,
     .type_msg = "must be a string such as \"1024\" or an integer"},
    {"ratio", ECSFS_JSON_NUMBER, 0, .lo = 0, .hi = 1},
    {"anything", ECSFS_JSON_OBJECT, ECSFS_F_KEPT, .shape = NULL},
    {"short", ECSFS_JSON_STRING, 0, .max = 3},
    ECSFS_IGNORE("revision"),
};
static const ecsfs_shape doc_shape = ECSFS_SHAPE(doc_fields);

static json_t *load(const char *text)
{
	char *s = strdup(text);
	json_t *doc;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	doc = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		printf("# bad test JSON: %s\n", s);
	free(s);
	return doc;
}

static int check(const char *text, ecsfs_err *err)
{
	json_t *doc = load(text);
	int r;

	ecsfs_err_reset(err);
	r = ecsfs_shape_check(&doc_shape, doc, "web", err);
	json_decref(doc);
	return r;
}

static void test_shape(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	const struct {
		const char *doc, *msg;
	} bad[] = {
	    {"{'colour': 'red'}", "name: missing; it is required"},
	    {"{'name': 'api'}", "name: 'api' does not match 'web'"},
	    {"{'name': 'a b'}", "name: thing name 'a b' has ' ' at position 2; only letters, "
				"digits, '-' and '_' are allowed"},
	    {"{'name': 'web', 'color': 'red'}", "color: unknown field (did you mean 'colour'?)"},
	    {"{'name': 'web', 'revison': 1}", "revison: unknown field"},
	    {"{'name': 'web', 'zzz': 1}", "zzz: unknown field"},
	    {"{'name': 'web', 'a b': 1}", "\"a b\": unknown field"},
	    {"{'name': 'web', 'colour': 'pink'}", "colour: must be red, green or blue, got 'pink'"},
	    {"{'name': 'web', 'count': 0}", "count: 0 is below the minimum 1"},
	    {"{'name': 'web', 'count': 1.5}", "count: must be an integer"},
	    {"{'name': 'web', 'enabled': 1}", "enabled: must be a boolean"},
	    {"{'name': 'web', 'range': []}", "range: must be an object"},
	    {"{'name': 'web', 'range': {'lo': 101}}", "range.lo: 101 is outside 0..100"},
	    {"{'name': 'web', 'range': {'lo': 5, 'hi': 4}}", "range.hi: 4 is below lo"},
	    {"{'name': 'web', 'tags': {}}", "tags: must be an array of objects"},
	    {"{'name': 'web', 'tags': [{'key': 'a'}, {'key': 'b'}, {'key': 'c'}]}",
	     "tags: at most 2 entries, got 3"},
	    {"{'name': 'web', 'tags': [{'key': ''}]}", "tags[0].key: must not be empty"},
	    {"{'name': 'web', 'tags': [{'value': 'x'}]}", "tags[0].key: missing; it is required"},
	    {"{'name': 'web', 'tags': [{'key': 'a', 'value': 1}]}",
	     "tags[0].value: must be a string"},
	    {"{'name': 'web', 'ports': []}", "ports: must not be empty"},
	    {"{'name': 'web', 'ports': [80, 0]}", "ports[1]: 0 is outside 1..65535"},
	    {"{'name': 'web', 'ports': ['80']}", "ports[0]: must be an integer"},
	    {"{'name': 'web', 'labels': []}", "labels: must be an object of strings"},
	    {"{'name': 'web', 'labels': {'a': 1}}", "labels.a: must be a string"},
	    {"{'name': 'web', 'size': true}",
	     "size: must be a string such as \"1024\" or an integer"},
	    {"{'name': 'web', 'ratio': 1.5}", "ratio: 1.5 is outside 0..1"},
	    {"{'name': 'web', 'ratio': 'x'}", "ratio: must be a number"},
	    {"{'name': 'web', 'anything': 3}", "anything: must be an object"},
	    {"{'name': 'web', 'short': 'abcd'}", "short: must be at most 3 characters"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(check(bad[i].doc, &err), -EINVAL, "refused: %s", bad[i].doc);
		is_str(err.msg.data, bad[i].msg, "... says so");
		is_int(ecsfs_err_kind_of(&err), ECSFS_E_INVALID_PARAMETER, "... InvalidParameter");
	}
	is_int(check("{'name': 'web', 'colour': 'blue', 'count': 3, 'enabled': true,"
		     " 'range': {'lo': 1, 'hi': 2}, 'tags': [{'key': 'a', 'value': 'b'}],"
		     " 'ports': [80], 'labels': {'x': 'y'}, 'size': '1 vCPU', 'ratio': 0.5,"
		     " 'anything': {'free': [1]}, 'short': 'abc', 'revision': [null]}",
		     &err),
	       0, "a document with every field passes");
	is_int(check("{'name': 'web', 'size': 1024, 'ratio': 1}", &err), 0,
	       "either type of a field with two; an integer is a number");

	json_t *doc = json_pack("{s:s, s:s#}", "name", "web", "colour", "re\0d", 4);
	is_int(ecsfs_shape_check(&doc_shape, doc, "web", &err), -EINVAL, "a NUL byte in a value");
	is_str(err.msg.data, "colour: must not contain NUL bytes", "... is named");
	json_decref(doc);
	doc = json_array();
	is_int(ecsfs_shape_check(&doc_shape, doc, "web", &err), -EINVAL, "not an object");
	is_str(err.msg.data, "(document): must be an object", "... said of the document");
	json_decref(doc);

	ok(ecsfs_shape_suggest(&doc_shape, "enabeld") &&
	       !strcmp(ecsfs_shape_suggest(&doc_shape, "enabeld"), "enabled"),
	   "a transposition is suggested");
	ok(!ecsfs_shape_suggest(&doc_shape, "revisio"), "an ignored field is never suggested");
	ecsfs_err_release(&err);
}

static void test_paths(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_shape_ctx c;
	char key[100];

	ecsfs_shape_ctx_init(&c, &err, NULL);
	ecsfs_shape_path(&c, "containerDefinitions[%d]", 1);
	size_t mark = ecsfs_shape_key(&c, "memory");
	is_str(c.path.data, "containerDefinitions[1].memory", "a key after an index");
	ecsfs_shape_pop(&c, mark);
	ecsfs_shape_index(&c, 2);
	is_str(c.path.data, "containerDefinitions[1][2]", "popped, then an index");
	memset(key, 'x', 99);
	key[99] = '\0';
	ecsfs_shape_path(&c, "%s", "");
	ecsfs_shape_key(&c, key);
	ok(strstr(c.path.data, "...\"") && c.path.len < 80, "a long key is shortened: %s",
	   c.path.data);
	is_str(ecsfs_shape_shown(&c, "a\nb'"), "a\\x0ab\\x27", "user text made printable");
	ecsfs_shape_ctx_release(&c);
	ecsfs_err_release(&err);
}

static void test_arn(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	json_t *j;

	is_str(ecsfs_arn_region(), "us-east-1", "default region");
	is_str(ecsfs_arn_account(), "000000000000", "default account");
	ecsfs_arn(&b, "ecs", "task/%s/%s", "prod", "abc");
	is_str(b.data, "arn:aws:ecs:us-east-1:000000000000:task/prod/abc", "an ECS task ARN");
	is_int(ecsfs_arn_configure("eu-west-3", "123456789012", &why), 0, "configured");
	ecsfs_buf_reset(&b);
	ecsfs_arn_global(&b, "iam", "root");
	is_str(b.data, "arn:aws:iam::123456789012:root", "a global ARN has no region");
	j = ecsfs_arn_json("elasticloadbalancing", "targetgroup/%s/%s", "web", "0123");
	is_str(json_string_value(j),
	       "arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/web/0123",
	       "as JSON, in the configured region and account");
	json_decref(j);
	is_int(ecsfs_arn_configure("EU", NULL, &why), -EINVAL, "a bad region is refused");
	ok(strstr(why.data, "region") != NULL, "... %s", why.data);
	is_int(ecsfs_arn_configure(NULL, "12", &why), -EINVAL, "a bad account is refused");
	is_str(ecsfs_arn_region(), "eu-west-3", "and nothing changed");
	is_int(ecsfs_arn_configure(ECSFS_ARN_DEFAULT_REGION, ECSFS_ARN_DEFAULT_ACCOUNT, &why), 0,
	       "back to the defaults");

	is_str(ecsfs_arn_resource("arn:aws:ecs:us-east-1:000000000000:cluster/prod", "ecs"),
	       "cluster/prod", "the resource of an ECS ARN");
	ok(!ecsfs_arn_resource("arn:aws:iam::1:role/x", "ecs"), "not of another service");
	ok(!ecsfs_arn_resource("prod", "ecs"), "not of a bare name");
	ok(!ecsfs_arn_resource("arn:aws:ecs:r", "ecs"), "not of a short ARN");
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&why);
}

static int parse(const char *s, unsigned flags, int64_t *ns)
{
	return ecsfs_time_parse(s, strlen(s), flags, ns);
}

static void test_time(void)
{
	int64_t ns = -1;
	char iso[32];

	is_int(parse("1970-01-01T00:00:00Z", 0, &ns), 0, "the epoch");
	is_int(ns, 0, "... is 0");
	is_int(parse("2026-11-21T19:50:27.123Z", 0, &ns), 0, "milliseconds");
	ecsfs_time_iso(ns, iso);
	is_str(iso, "2026-11-21T19:50:27.123Z", "round trip with the formatter");
	is_int(parse("2026-11-21T20:50:27.123456789+01:00", 0, &ns), 0, "an offset");
	is_int(ns % 1000000000, 123456789, "nanoseconds kept");
	ecsfs_time_iso(ns, iso);
	is_str(iso, "2026-11-21T19:50:27.123Z", "the offset applied");
	is_int(parse("2024-02-29t12:00:00.1234567890123z", 0, &ns), 0,
	       "a leap day, lowercase, too many digits");
	ecsfs_time_iso(ns, iso);
	is_str(iso, "2024-02-29T12:00:00.123Z", "... read right");
	is_int(parse("1969-12-31T23:59:59-00:30", 0, &ns), 0, "before the epoch");
	is_int(ns, 1799LL * 1000000000, "... with a negative offset");
	is_int(parse("2026-03-01T10:00:00", 0, &ns), -EINVAL, "no zone");
	is_int(parse("2026-03-01T10:00:00", ECSFS_TIME_NO_ZONE, &ns), 0, "no zone, when allowed");
	ecsfs_time_iso(ns, iso);
	is_str(iso, "2026-03-01T10:00:00.000Z", "... taken as UTC");
	const char *bad[] = {
	    "2023-02-29T00:00:00Z",  "2026-13-01T00:00:00Z",  "2026-01-01 00:00:00Z",
	    "2026-01-01T24:00:00Z",  "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+1",
	    "2026-01-01T00:00:00Zx", "2026-1-01T00:00:00Z",   ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse(bad[i], 0, &ns), -EINVAL, "refused: '%s'", bad[i]);
	is_int(parse("0001-01-01T00:00:00Z", 0, &ns), -ERANGE,
	       "Docker's zero time is out of range");
	is_int(parse("2400-01-01T00:00:00Z", 0, &ns), -ERANGE, "so is 2400");
}

int main(void)
{
	test_shape();
	test_paths();
	test_arn();
	test_time();
	return tap_done();
}
