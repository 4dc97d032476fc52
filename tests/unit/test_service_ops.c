/* Every service operation with typed input: its typed output and, when it
 * fails, its errno and ECS error kind. No mount, no runtime (the scheduler
 * starts nothing without a task subsystem). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/error.h"
#include "ecsfs/service.h"
#include "ecsfs/taskdef.h"
#include "tap.h"
#include "tap_err.h"

static ecsfs_store *s;
static ecsfs_services *sv;
static ecsfs_err err = ECSFS_ERR_INIT;

static json_t *doc(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!j) {
		printf("Bail out! bad test JSON %s\n", text);
		exit(1);
	}
	return j;
}

static int put(const char *cluster, const char *name, const char *text)
{
	json_t *d = doc(text);
	int r;

	ecsfs_err_reset(&err);
	r = ecsfs_service_put(sv, cluster, name, d, NULL, &err);
	json_decref(d);
	return r;
}

static void reg(const char *family, const char *text)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err why = ECSFS_ERR_INIT;
	int64_t rev;
	if (ecsfs_taskdef_register_file(s, family, text, strlen(text), &meta, &rev, &why) < 0)
		printf("# register %s: %s\n", family, why.msg.data);
	ecsfs_err_release(&why);
}

static json_t *describe(const char *name)
{
	json_t *o = NULL;
	ecsfs_err_reset(&err);
	if (ecsfs_service_describe(sv, "prod", name, &o, &err) < 0)
		return json_object();
	return o;
}

static const char *field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static void spec_file(const char *name, ecsfs_buf *out)
{
	ecsfs_buf file = ECSFS_BUF_INIT;
	ecsfs_buf_reset(out);
	ecsfs_buf_addf(&file, "%s.json", name);
	ecsfs_store_file_get(s, "/spec/clusters/prod/services", file.data, NULL, out);
	ecsfs_buf_release(&file);
}

static void check_documents(void)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
	    {"{\"desiredCount\":\"3\"}", "desiredCount"},
	    {"{\"desiredCount\":1001}", "desiredCount"},
	    {"{\"desiredCaunt\":1}", "did you mean 'desiredCount'"},
	    {"{\"taskDefinition\":\"web:x\"}", "taskDefinition"},
	    {"{\"deploymentConfiguration\":{\"minimumHealthyPercent\":101}}",
	     "deploymentConfiguration.minimumHealthyPercent"},
	    {"{\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":{\"enable\":1}}}",
	     "deploymentConfiguration.deploymentCircuitBreaker.enable"},
	    {"{\"serviceName\":\"other\"}", "serviceName: 'other' differs"},
	    {"{\"cluster\":\"arn:aws:ecs:us-east-1:000000000000:cluster/dev\"}", "cluster"},
	    {"{\"schedulingStrategy\":\"ONE\"}", "schedulingStrategy"},
	    {"{\"loadBalancers\":[{\"containerName\":\"app\"}]}", "loadBalancers[0].containerPort"},
	    {"{\"loadBalancers\":[{},{},{},{},{},{}]}", "loadBalancers"},
	    {"[1]", "must be an object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = doc(bad[i].text);
		fails(ecsfs_service_check("prod", "web", d, &err), -EINVAL,
		      ECSFS_E_INVALID_PARAMETER, bad[i].text);
		ok(strstr(err.msg.data, bad[i].says) != NULL, "the message names %s", bad[i].says);
		fails(ecsfs_service_put(sv, "prod", "web", d, NULL, &err), -EINVAL,
		      ECSFS_E_INVALID_PARAMETER, "put of it");
		json_decref(d);
	}
	is_int(ecsfs_service_exists(s, "prod", "web"), -ENOENT, "no refused document made it");
	json_t *d = doc("{\"serviceName\":\"web\",\"cluster\":\"arn:aws:ecs:us-east-1:"
			"000000000000:cluster/prod\",\"desiredCount\":2,\"clientToken\":\"t\"}");
	is_int(ecsfs_service_check("prod", "web", d, &err), 0, "names that agree are fine");
	fails(ecsfs_service_check("prod", "bad name", d, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a bad service name");
	json_decref(d);
}

static void check_put(void)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0600, .mtime_ns = 42};
	const char *bytes = "{ \"desiredCount\": 2,\n  \"taskDefinition\": \"web\" }\n";
	ecsfs_spec_bytes file = {.data = bytes, .len = strlen(bytes), .meta = &meta};
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *d = doc(bytes), *o;
	int64_t n = -1;

	fails(ecsfs_service_put(sv, "nope", "web", d, &file, &err), -ENOENT,
	      ECSFS_E_CLUSTER_NOT_FOUND, "put in a cluster that does not exist");
	is_int(ecsfs_service_put(sv, "prod", "web", d, &file, &err), 0, "put creates");
	spec_file("web", &b);
	is_str(b.data, bytes, "the spec file keeps the bytes given");
	is_int(ecsfs_service_get_desired(s, "prod", "web", &n), 0, "get_desired");
	is_int(n, 2, "desiredCount 2");
	ecsfs_buf_reset(&b);
	is_int(ecsfs_service_get_taskdef(s, "prod", "web", &b), 0, "get_taskdef");
	is_str(b.data, "web", "taskDefinition web");
	o = describe("web");
	is_str(field(o, "serviceName"), "web", "describe: serviceName");
	is_str(field(o, "status"), "ACTIVE", "describe: ACTIVE");
	is_str(field(o, "serviceArn"), "arn:aws:ecs:us-east-1:000000000000:service/prod/web",
	       "describe: serviceArn from the one ARN builder");
	is_int(json_integer_value(json_object_get(o, "desiredCount")), 2, "describe: desired");
	ok(json_is_array(json_object_get(o, "deployments")), "describe: deployments");
	ok(json_is_array(json_object_get(o, "events")), "describe: events");
	json_decref(o);
	is_int(ecsfs_service_put(sv, "prod", "web", d, &file, &err), 0, "the same again");
	json_decref(d);

	is_int(
	    put("prod", "api", "{\"serviceName\":\"api\",\"desiredCount\":1,\"cluster\":\"prod\"}"),
	    0, "put without bytes");
	spec_file("api", &b);
	is_str(b.data, "{\n  \"serviceName\": \"api\",\n  \"desiredCount\": 1\n}\n",
	       "renders the document pretty, without cluster");
	ecsfs_buf_release(&b);
}

static void check_create(void)
{
	fails(ecsfs_service_create(sv, "prod", "web", &err), -EEXIST, ECSFS_E_INVALID_PARAMETER,
	      "create of a name taken");
	fails(ecsfs_service_create(sv, "prod", "bad name", &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "create of a bad name");
	fails(ecsfs_service_create(sv, "nope", "x", &err), -ENOENT, ECSFS_E_CLUSTER_NOT_FOUND,
	      "create in a cluster that does not exist");
	is_int(ecsfs_service_create(sv, "prod", "ui", &err), 0, "create");
	int64_t n = -1;
	ecsfs_service_get_desired(s, "prod", "ui", &n);
	is_int(n, 0, "with desiredCount 0");
}

static void check_scale(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	int64_t n = -1;

	is_int(ecsfs_service_set_desired(sv, "prod", "web", 5, &err), 0, "set_desired 5");
	ecsfs_service_get_desired(s, "prod", "web", &n);
	is_int(n, 5, "reads back 5");
	spec_file("web", &b);
	ok(strstr(b.data, "\"desiredCount\": 5") != NULL, "the spec file is rewritten");
	fails(ecsfs_service_set_desired(sv, "prod", "web", -1, &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "set_desired -1");
	fails(ecsfs_service_set_desired(sv, "prod", "web", 1001, &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "set_desired 1001");
	ok(strstr(err.msg.data, "1000") != NULL, "names the limit");
	fails(ecsfs_service_set_desired(sv, "prod", "nosuch", 1, &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_FOUND, "set_desired of no service");
	fails(ecsfs_service_set_desired(sv, "nope", "web", 1, &err), -ENOENT,
	      ECSFS_E_CLUSTER_NOT_FOUND, "set_desired in no cluster");
	ecsfs_service_get_desired(s, "prod", "web", &n);
	is_int(n, 5, "still 5 after the refusals");
	ecsfs_buf_release(&b);
}

static void check_taskdef(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;

	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64}]}");
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":96}]}");
	ecsfs_taskdef_deregister(s, "web", 1, NULL, NULL);
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "nosuch", &err), -ENOENT, ECSFS_E_CLIENT,
	      "set_taskdef of an unknown family");
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "web:9", &err), -ENOENT, ECSFS_E_CLIENT,
	      "set_taskdef of an unknown revision");
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "web:1", &err), -EINVAL, ECSFS_E_CLIENT,
	      "set_taskdef of an INACTIVE revision");
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "web:x", &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "set_taskdef of junk");
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "", &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "set_taskdef of nothing");
	fails(ecsfs_service_set_taskdef(sv, "prod", "nosuch", "web:2", &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_FOUND, "set_taskdef of no service");
	is_int(ecsfs_service_set_taskdef(sv, "prod", "web", "web:2", &err), 0, "set_taskdef web:2");
	is_int(ecsfs_service_get_taskdef(s, "prod", "web", &b), 0, "get_taskdef");
	is_str(b.data, "web:2", "reads back web:2");
	spec_file("web", &b);
	ok(strstr(b.data, "\"taskDefinition\": \"web:2\"") != NULL, "the spec file is rewritten");
	json_t *o = describe("web");
	is_str(field(o, "taskDefinition"), "web:2", "describe: the reference until it deploys");
	json_decref(o);
	is_int(ecsfs_service_redeploy(sv, "prod", "web", &err), 0, "redeploy");
	fails(ecsfs_service_redeploy(sv, "prod", "nosuch", &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_FOUND, "redeploy of no service");
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&why);
}

/* Found by the chaos suite: "{}" written over a service that runs a task
 * definition was taken and left it with none (status and service.json
 * disagreed). CreateService requires one, UpdateService cannot remove it. */
static void check_keeps_taskdef(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *ch = doc("{\"taskDefinition\": null}");

	fails(put("prod", "web", "{}"), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "{} over a service with a task definition");
	ok(strstr(err.msg.data, "taskDefinition: required; the service runs web:2") != NULL,
	   "the message names the field and what the service runs (%s)", err.msg.data);
	fails(put("prod", "web", "{\"desiredCount\": 1}"), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a document without taskDefinition");
	fails(ecsfs_service_update(sv, "prod", "web", ch, false, &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "UpdateService removing taskDefinition");
	is_int(ecsfs_service_get_taskdef(s, "prod", "web", &b), 0, "get_taskdef");
	is_str(b.data, "web:2", "the service still runs web:2");
	spec_file("web", &b);
	ok(strstr(b.data, "\"taskDefinition\": \"web:2\"") != NULL, "its spec file still says so");
	is_int(put("prod", "ui", "{}"), 0, "{} over a service that never had one (mkdir's)");
	is_int(put("prod", "web",
		   "{\"taskDefinition\": \"web:2\", \"deploymentController\": {\"type\": "
		   "\"EXTERNAL\"}}"),
	       0, "EXTERNAL controller, still naming web:2");
	is_int(put("prod", "web", "{\"deploymentController\": {\"type\": \"EXTERNAL\"}}"), 0,
	       "an EXTERNAL controller needs no task definition (as CreateService)");
	is_int(put("prod", "web", "{\"taskDefinition\": \"web:2\", \"desiredCount\": 5}"), 0,
	       "back to web:2");
	json_decref(ch);
	ecsfs_buf_release(&b);
}

static void check_delete(void)
{
	json_t *o;

	fails(ecsfs_service_delete(sv, "prod", "web", false, &err), -EBUSY,
	      ECSFS_E_INVALID_PARAMETER, "delete above desiredCount 0 without force");
	fails(ecsfs_service_delete(sv, "prod", "nosuch", true, &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_FOUND, "delete of no service");
	fails(ecsfs_service_delete(sv, "nope", "web", true, &err), -ENOENT,
	      ECSFS_E_CLUSTER_NOT_FOUND, "delete in no cluster");
	is_int(ecsfs_service_delete(sv, "prod", "web", true, &err), 0, "delete --force");
	o = describe("web");
	is_str(field(o, "status"), "DRAINING", "describe: DRAINING");
	is_int(json_integer_value(json_object_get(o, "desiredCount")), 0, "describe: desired 0");
	json_decref(o);
	fails(ecsfs_service_set_desired(sv, "prod", "web", 1, &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_ACTIVE, "set_desired of a DRAINING service");
	fails(ecsfs_service_set_taskdef(sv, "prod", "web", "web", &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_ACTIVE, "set_taskdef of a DRAINING service");
	fails(ecsfs_service_redeploy(sv, "prod", "web", &err), -ENOENT, ECSFS_E_SERVICE_NOT_ACTIVE,
	      "redeploy of a DRAINING service");
	is_int(ecsfs_service_delete(sv, "prod", "web", true, &err), 0, "delete again: fine");
	is_int(put("prod", "web", "{\"desiredCount\":1,\"taskDefinition\":\"web:2\"}"), 0,
	       "a put revives it");
	o = describe("web");
	is_str(field(o, "status"), "ACTIVE", "describe: ACTIVE again");
	json_decref(o);
	is_int(ecsfs_service_delete(sv, "prod", "ui", false, &err), 0, "delete at desiredCount 0");
	fails(ecsfs_service_describe(sv, "prod", "nosuch", &o, &err), -ENOENT,
	      ECSFS_E_SERVICE_NOT_FOUND, "describe of no service");
	fails(ecsfs_service_describe(sv, "nope", "web", &o, &err), -ENOENT,
	      ECSFS_E_CLUSTER_NOT_FOUND, "describe in no cluster");
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-service-ops-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;
	uv_loop_t loop;

	if (!mkdtemp(dir))
		return 1;
	uv_loop_init(&loop);
	is_int(ecsfs_store_open(dir, &s, &why), 0, "store opens");
	is_int(ecsfs_cluster_create(s, "prod", &err), 0, "cluster");
	is_int(ecsfs_services_new(&loop, s, NULL, &sv), 0, "services open");

	check_documents();
	check_put();
	check_create();
	check_scale();
	check_taskdef();
	check_keeps_taskdef();
	check_delete();

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
