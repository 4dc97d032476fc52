#include <errno.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "tap.h"

static bool prefix(const char *s)
{
	return ecsfs_json_prefix_ok(s, strlen(s));
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *j;

	ok(prefix(""), "empty can still become JSON");
	ok(prefix("{"), "an open brace can");
	ok(prefix("{\"a\": [1, 2"), "an open array can");
	ok(prefix("{\"a\": \"str"), "an open string can");
	ok(prefix("{\"a\": 1}\n"), "a whole document is fine");
	ok(!prefix("{\"a\" 1"), "a missing colon before the end cannot");
	ok(!prefix("}"), "a closing brace first cannot");
	ok(!prefix("{\"a\": 1,, "), "a double comma cannot");
	ok(!prefix("\x01\x02garbage{"), "binary junk cannot");
	ok(!prefix("[1]"), "a top-level array cannot (documents are objects)");
	ok(prefix("{\"a\": tr"), "a partial literal can");
	ok(!prefix("{\"a\": trx"), "a wrong literal cannot");
	ok(prefix("{\"a\": -1.5e"), "a partial number can");
	ok(!prefix("{\"a\": 01"), "a leading zero cannot");
	ok(!prefix("{\"a\": 1.}"), "a bare decimal point cannot");
	ok(prefix("{\"a\\u00"), "a partial escape can");
	ok(!prefix("{\"a\\q"), "a bad escape cannot");
	ok(!prefix("{\"a\": 1} {"), "a second document cannot");
	ok(!prefix("{\"a\n\""), "a raw newline in a string cannot");

	is_int(ecsfs_json_parse_object("{\"a\":1}", 7, &j, &why), 0, "object parses");
	ecsfs_json_canonical(j, &out);
	is_str(out.data, "{\"a\":1}", "canonical form");
	json_decref(j);
	is_int(ecsfs_json_parse_object("[1]", 3, &j, &why), -EINVAL, "array refused");
	is_int(ecsfs_json_parse_object("{\n\"a\": tru}", 11, &j, &why), -EINVAL,
	       "bad token refused");
	ok(strstr(why.data, "line 2") != NULL, "message has jansson's line: %s", why.data);
	is_int(ecsfs_json_parse_object("{\"a\":1,\"a\":2}", 13, &j, &why), -EINVAL,
	       "duplicate keys refused");
	/* jansson alone reads past a NUL that ends a number or a literal */
	is_int(ecsfs_json_parse_object("{\"a\":1\0}", 8, &j, &why), -EINVAL,
	       "a NUL byte after a number is refused");
	is_str(why.data, "invalid JSON at byte 6: a NUL byte", "naming its position");
	is_int(ecsfs_json_parse_object("{\"a\":true\0}", 11, &j, &why), -EINVAL,
	       "a NUL byte after a literal is refused");

	ecsfs_buf_reset(&out);
	j = json_loads("{\"b\":1,\"a\":{\"d\":2,\"c\":3}}", 0, NULL);
	ecsfs_json_canonical(j, &out);
	json_decref(j);
	is_str(out.data, "{\"a\":{\"c\":3,\"d\":2},\"b\":1}", "keys sorted at every depth");

	/* cluster.json validation */
	const char *good =
	    "{\"clusterName\":\"prod\",\"settings\":[{\"name\":\"containerInsights\","
	    "\"value\":\"enabled\"}],\"tags\":[{\"key\":\"team\",\"value\":\"a\"}],"
	    "\"capacityProviders\":[\"local\"],\"defaultCapacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"local\",\"weight\":1,\"base\":0}]}";
	is_int(ecsfs_cluster_settings_check("prod", good, strlen(good), false, &err), 0,
	       "a full cluster.json passes");
	const struct {
		const char *doc, *needle;
	} bad[] = {
	    {"{\"clusterName\":\"other\"}", "clusterName"},
	    {"{\"settings\":[{\"name\":\"x\",\"value\":\"enabled\"}]}", "settings[0].name"},
	    {"{\"settings\":[{\"name\":\"containerInsights\",\"value\":\"on\"}]}",
	     "settings[0].value"},
	    {"{\"tags\":{}}", "tags"},
	    {"{\"tags\":[{\"key\":\"\"}]}", "tags[0].key"},
	    {"{\"capacityProviders\":[1]}", "capacityProviders[0]"},
	    {"{\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"x\"}]}",
	     "not in capacityProviders"},
	    {"{\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\","
	     "\"weight\":1001}]}",
	     "weight"},
	    {"{\"colour\":\"blue\"}", "colour: unknown field"},
	    {"{\"configuration\":[]}", "configuration"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ecsfs_cluster_settings_check("prod", bad[i].doc, strlen(bad[i].doc), false,
						     &err);
		ok(r == -EINVAL && strstr(err.msg.data, bad[i].needle), "refused, naming %s: %s",
		   bad[i].needle, err.msg.data);
	}
	is_int(ecsfs_cluster_settings_check("prod", "{\"tags\": [", 10, true, &err), 0,
	       "a partial document passes the early check");
	is_int(ecsfs_cluster_settings_check("prod", "{\"tags\" [", 9, true, &err), -EINVAL,
	       "a broken partial document fails the early check");
	is_int(ecsfs_cluster_settings_check("prod", "{}\0", 3, false, &err), -EINVAL,
	       "NUL bytes refused");
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&out);
	ecsfs_err_release(&err);
	return tap_done();
}
