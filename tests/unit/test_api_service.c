/* The ECS service operations through the dispatcher, on the fake runtime:
 * Create/Update/Delete/Describe/ListServices, the deployments' history,
 * scale-in protection honoured by the scheduler, and one store seen by
 * both front ends (spec files and API leave the same rows). */
#include "api_task_harness.h"
#include "tap_err.h"

static char dir[] = "/tmp/ecsfs-test-api-service-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;

static const char *web_doc =
    "\"taskDefinition\":\"web\",\"desiredCount\":2,"
    "\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":{\"enable\":true,"
    "\"rollback\":true},\"maximumPercent\":200,\"minimumHealthyPercent\":50},"
    "\"networkConfiguration\":{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"]}},"
    "\"tags\":[{\"key\":\"team\",\"value\":\"a\"}]";

static json_t *describe1(const char *name, bool tags)
{
	char body[256];
	json_t *r, *o;

	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"services\":[\"%s\"]%s}", name,
		 tags ? ",\"include\":[\"TAGS\"]" : "");
	r = call("DescribeServices", body);
	o = json_incref(json_array_get(json_object_get(r, "services"), 0));
	json_decref(r);
	return o ? o : json_object();
}

/* The bytes of a service's spec file, parsed. */
static json_t *spec_file(const char *name)
{
	ecsfs_buf b = ECSFS_BUF_INIT, file = ECSFS_BUF_INIT;
	json_t *j = NULL;

	ecsfs_buf_addf(&file, "%s.json", name);
	if (ecsfs_store_file_get(s, "/spec/clusters/prod/services", file.data, NULL, &b) == 0)
		j = json_loadb(b.data, b.len, 0, NULL);
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&file);
	return j;
}

static bool events_have(const char *name, const char *text)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	bool found;

	ecsfs_service_events_stream("prod", name, &stream);
	ecsfs_store_journal_read(s, stream.data, 0, 1 << 22, &out);
	found = out.data && strstr(out.data, text);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&out);
	return found;
}

static long long running(const char *name)
{
	json_t *o = describe1(name, false);
	long long n = int_at(o, "runningCount");
	json_decref(o);
	return n;
}

static void create(void)
{
	char body[1024];
	json_t *r, *o, *f;

	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"serviceName\":\"web\",%s}", web_doc);
	r = call("CreateService", body);
	o = json_object_get(r, "service");
	is_int(last_status, 200, "CreateService");
	is_str(str_at(o, "status"), "ACTIVE", "ACTIVE");
	is_str(str_at(o, "serviceArn"), "arn:aws:ecs:us-east-1:000000000000:service/prod/web",
	       "its ARN");
	ok(json_is_number(json_object_get(o, "createdAt")), "createdAt in epoch seconds");
	json_decref(r);
	f = spec_file("web");
	ok(f != NULL, "its spec file appears in spec/clusters/prod/services/web.json");
	is_int(int_at(f, "desiredCount"), 2, "holding the CreateService fields");
	ok(!json_object_get(f, "cluster"), "without the cluster (the directory names it)");
	json_decref(f);
	r = call("CreateService", body);
	is_str(type_of(r), "InvalidParameterException", "again: not idempotent");
	json_decref(r);
	r = call("CreateService",
		 "{\"cluster\":\"prod\",\"serviceName\":\"x\",\"taskDefinition\":\"nosuch\"}");
	is_str(type_of(r), "ClientException", "an unregistered task definition");
	json_decref(r);
	r = call("CreateService", "{\"cluster\":\"nope\",\"serviceName\":\"x\","
				  "\"taskDefinition\":\"web\"}");
	is_str(type_of(r), "ClusterNotFoundException", "an unknown cluster");
	json_decref(r);
	r = call("CreateService", "{\"cluster\":\"prod\",\"serviceName\":\"x\","
				  "\"taskDefinition\":\"web\",\"desiredCount\":-1}");
	is_str(type_of(r), "InvalidParameterException", "a bad desiredCount");
	ok(strstr(str_at(r, "message"), "desiredCount") != NULL, "named");
	json_decref(r);
	is_int(ecsfs_service_exists(s, "prod", "x"), -ENOENT, "nothing refused was made");
}

static void describe(void)
{
	json_t *o, *r, *nc;

	settle();
	o = describe1("web", false);
	is_int(int_at(o, "runningCount"), 2, "2 RUNNING");
	is_int(json_array_size(json_object_get(o, "deployments")), 1, "one deployment");
	is_str(str_at(json_array_get(json_object_get(o, "deployments"), 0), "rolloutState"),
	       "COMPLETED", "COMPLETED");
	ok(!json_object_get(o, "tags"), "no tags without include TAGS");
	nc = json_object_get(json_object_get(o, "networkConfiguration"), "awsvpcConfiguration");
	is_str(str_at(nc, "assignPublicIp"), "DISABLED", "networkConfiguration as ECS shows it");
	is_str(str_at(o, "launchType"), "EC2", "launchType EC2 by default");
	ok(json_is_true(
	       json_object_get(json_object_get(json_object_get(o, "deploymentConfiguration"),
					       "deploymentCircuitBreaker"),
			       "enable")),
	   "the circuit breaker");
	json_decref(o);
	o = describe1("web", true);
	is_str(str_at(json_array_get(json_object_get(o, "tags"), 0), "value"), "a",
	       "include TAGS: the tags");
	json_decref(o);
	r = call("DescribeServices", "{\"cluster\":\"prod\",\"services\":[\"web\",\"nope\"]}");
	is_int(json_array_size(json_object_get(r, "services")), 1, "one described");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "arn"),
	       "arn:aws:ecs:us-east-1:000000000000:service/prod/nope", "the other MISSING");
	json_decref(r);
	r = call("CreateService", "{\"cluster\":\"prod\",\"serviceName\":\"bare\","
				  "\"taskDefinition\":\"web\",\"networkConfiguration\":{},"
				  "\"launchType\":\"FARGATE\"}");
	o = json_object_get(r, "service");
	ok(!json_object_get(o, "networkConfiguration"), "never an empty networkConfiguration");
	is_str(str_at(o, "platformVersion"), "LATEST", "a FARGATE service's platform");
	json_decref(r);
	r = call("ListServices", "{\"cluster\":\"prod\"}");
	is_int(json_array_size(json_object_get(r, "serviceArns")), 2, "ListServices: two");
	json_decref(r);
	r = call("ListServices", "{\"cluster\":\"prod\",\"launchType\":\"FARGATE\"}");
	is_int(json_array_size(json_object_get(r, "serviceArns")), 1, "one of them FARGATE");
	json_decref(r);
	r = call("ListServices", "{\"cluster\":\"prod\",\"maxResults\":1}");
	ok(json_is_string(json_object_get(r, "nextToken")), "pages");
	json_decref(r);
	r = call("DeleteService", "{\"cluster\":\"prod\",\"service\":\"bare\",\"force\":true}");
	json_decref(r);
}

static void update(void)
{
	json_t *r, *f, *o, *list;
	char body[512];

	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"web\",\"desiredCount\":4}");
	is_int(last_status, 200, "UpdateService desiredCount");
	json_decref(r);
	f = spec_file("web");
	is_int(int_at(f, "desiredCount"), 4, "the spec file is rewritten (drift from git)");
	json_decref(f);
	settle();
	is_int(running("web"), 4, "4 RUNNING");
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":96}]}");
	r = call("UpdateService", "{\"service\":\"arn:aws:ecs:us-east-1:000000000000:service/"
				  "prod/web\",\"taskDefinition\":\"web:2\"}");
	is_int(last_status, 200, "UpdateService taskDefinition, by ARN");
	json_decref(r);
	settle();
	o = describe1("web", false);
	is_int(json_array_size(json_object_get(o, "deployments")), 1, "rolled: one deployment");
	ok(strstr(str_at(o, "taskDefinition"), "web:2") != NULL, "of web:2");
	is_int(int_at(o, "runningCount"), 4, "4 RUNNING");
	json_decref(o);
	r = call("ListServiceDeployments", "{\"cluster\":\"prod\",\"service\":\"web\"}");
	list = json_object_get(r, "serviceDeployments");
	is_int(json_array_size(list), 2, "two service deployments");
	is_str(str_at(json_array_get(list, 0), "status"), "SUCCESSFUL", "the newest SUCCESSFUL");
	ok(json_is_number(json_object_get(json_array_get(list, 0), "finishedAt")), "finished");
	snprintf(body, sizeof(body), "{\"serviceDeploymentArns\":[\"%s\",\"x\"]}",
		 str_at(json_array_get(list, 0), "serviceDeploymentArn"));
	json_decref(r);
	r = call("DescribeServiceDeployments", body);
	o = json_array_get(json_object_get(r, "serviceDeployments"), 0);
	is_int(int_at(json_object_get(o, "targetServiceRevision"), "runningTaskCount"), 4,
	       "its revision runs 4 tasks");
	is_int(json_array_size(json_object_get(o, "sourceServiceRevisions")), 1,
	       "it replaced one revision");
	is_str(str_at(json_object_get(o, "deploymentCircuitBreaker"), "status"),
	       "MONITORING_COMPLETE", "the circuit breaker watched it");
	is_int(json_array_size(json_object_get(r, "failures")), 1, "a bad ARN MISSING");
	json_decref(r);
	r = call("ListServiceDeployments",
		 "{\"cluster\":\"prod\",\"service\":\"web\",\"status\":[\"IN_PROGRESS\"]}");
	is_int(json_array_size(json_object_get(r, "serviceDeployments")), 0, "a status filter");
	json_decref(r);
	r = call("ListTasks", "{\"cluster\":\"prod\",\"serviceName\":\"web\"}");
	is_int(json_array_size(json_object_get(r, "taskArns")), 4, "ListTasks serviceName: 4");
	json_decref(r);
	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"web\","
				  "\"deploymentConfiguration\":{\"minimumHealthyPercent\":101}}");
	is_str(type_of(r), "InvalidParameterException", "a bad deploymentConfiguration");
	ok(strstr(str_at(r, "message"), "minimumHealthyPercent") != NULL, "names the field");
	json_decref(r);
	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"web\","
				  "\"schedulingStrategy\":\"DAEMON\"}");
	is_str(type_of(r), "InvalidParameterException", "a field UpdateService does not change");
	json_decref(r);
	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"nope\",\"desiredCount\":1}");
	is_str(type_of(r), "ServiceNotFoundException", "an unknown service");
	json_decref(r);
}

/* The service's task ids, oldest first. */
typedef struct ids {
	char v[16][33];
	int n;
} ids;

static int ids_cb(void *data, const char *id)
{
	ids *into = data;
	if (into->n < 16)
		snprintf(into->v[into->n++], 33, "%s", id);
	return 0;
}

static json_t *protect(const char *a, const char *b, bool on, int minutes)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"cluster\":\"prod\",\"tasks\":[\"%s\"%s%s%s],\"protectionEnabled\":%s%s}", a,
		 b ? ",\"" : "", b ? b : "", b ? "\"" : "", on ? "true" : "false",
		 minutes ? ",\"expiresInMinutes\":60" : "");
	return call("UpdateTaskProtection", body);
}

static bool has(const ids *l, const char *id)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return true;
	return false;
}

static void protection(void)
{
	ids l = {0}, left = {0};
	json_t *r, *p;
	char body[256];

	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &l);
	is_int(l.n, 4, "4 tasks");
	/* protect the two newest: scale-in would pick them first */
	r = protect(l.v[2], l.v[3], true, 60);
	p = json_array_get(json_object_get(r, "protectedTasks"), 0);
	ok(json_is_true(json_object_get(p, "protectionEnabled")), "protected");
	ok(json_is_number(json_object_get(p, "expirationDate")), "with an expirationDate");
	json_decref(r);
	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"tasks\":[\"%s\",\"%s\"]}", l.v[3],
		 l.v[0]);
	r = call("GetTaskProtection", body);
	p = json_object_get(r, "protectedTasks");
	ok(json_is_true(json_object_get(json_array_get(p, 0), "protectionEnabled")) &&
	       json_is_false(json_object_get(json_array_get(p, 1), "protectionEnabled")),
	   "GetTaskProtection tells which");
	json_decref(r);
	r = call("GetTaskProtection", "{\"cluster\":\"prod\"}");
	is_int(json_array_size(json_object_get(r, "protectedTasks")), 4,
	       "without tasks: every running task of a service");
	json_decref(r);
	harness_restart(dir);
	r = call("GetTaskProtection", body);
	ok(json_is_true(json_object_get(json_array_get(json_object_get(r, "protectedTasks"), 0),
					"protectionEnabled")),
	   "protection is stored: a restart keeps it");
	json_decref(r);
	r = protect(l.v[0], NULL, true, 0);
	ok(json_is_number(json_object_get(json_array_get(json_object_get(r, "protectedTasks"), 0),
					  "expirationDate")),
	   "expiresInMinutes defaults (120)");
	json_decref(r);
	r = protect(l.v[0], NULL, false, 0);
	json_decref(r);
	r = call("UpdateTaskProtection", "{\"cluster\":\"prod\",\"tasks\":[\"x\"],"
					 "\"protectionEnabled\":true,\"expiresInMinutes\":2881}");
	is_str(type_of(r), "InvalidParameterException", "2881 minutes is too long");
	json_decref(r);

	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"web\",\"desiredCount\":1}");
	json_decref(r);
	settle();
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &left);
	is_int(left.n, 2, "scale in to 1 keeps the 2 protected tasks");
	ok(has(&left, l.v[2]) && has(&left, l.v[3]), "the protected ones");
	ok(events_have("web", "cannot scale in further: 1 task is protected from scale-in."),
	   "events say why");
	r = protect(l.v[3], NULL, false, 0);
	json_decref(r);
	settle();
	memset(&left, 0, sizeof(left));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &left);
	ok(left.n == 1 && has(&left, l.v[2]), "unprotected, it goes; the protected one stays");

	/* a deployment replaces a protected task only once protection ends */
	r = call("UpdateService",
		 "{\"cluster\":\"prod\",\"service\":\"web\",\"forceNewDeployment\":true}");
	json_decref(r);
	settle();
	memset(&left, 0, sizeof(left));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &left);
	ok(left.n == 2 && has(&left, l.v[2]), "the new task runs beside the protected old one");
	r = protect(l.v[2], NULL, false, 0);
	json_decref(r);
	settle();
	memset(&left, 0, sizeof(left));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &left);
	ok(left.n == 1 && !has(&left, l.v[2]), "then it is replaced");
	is_int(running("web"), 1, "1 RUNNING");
}

static void delete (void)
{
	json_t *r, *o;

	r = call("DeleteService", "{\"cluster\":\"prod\",\"service\":\"web\"}");
	is_str(type_of(r), "InvalidParameterException", "delete above 0 without force");
	json_decref(r);
	r = call("DeleteService", "{\"cluster\":\"prod\",\"service\":\"web\",\"force\":true}");
	is_str(str_at(json_object_get(r, "service"), "status"), "DRAINING", "force: DRAINING");
	json_decref(r);
	ok(spec_file("web") == NULL, "its spec file goes");
	settle();
	o = describe1("web", false);
	is_str(str_at(o, "status"), "INACTIVE", "then INACTIVE in describe-services");
	is_int(int_at(o, "desiredCount"), 0, "desiredCount 0");
	json_decref(o);
	r = call("ListServices", "{\"cluster\":\"prod\"}");
	is_int(json_array_size(json_object_get(r, "serviceArns")), 0, "not listed");
	json_decref(r);
	is_int(ecsfs_service_exists(s, "prod", "web"), -ENOENT, "nor in the tree");
	r = call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"web\",\"desiredCount\":1}");
	is_str(type_of(r), "ServiceNotActiveException", "an INACTIVE service takes no update");
	json_decref(r);
	harness_restart(dir);
	o = describe1("web", false);
	is_str(str_at(o, "status"), "INACTIVE", "INACTIVE across a restart");
	json_decref(o);
	/* an hour later it is forgotten */
	is_int(ecsfs_store_service_gone_expire(s, ecsfs_now_ns() + 1), 0, "an hour passes");
	r = call("DescribeServices", "{\"cluster\":\"prod\",\"services\":[\"web\"]}");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "reason"), "MISSING",
	       "then it is MISSING");
	json_decref(r);
}

/* A spec file written by rsync shows in DescribeServices; the same intent
 * by either front end leaves the same rows. */
static void views(void)
{
	char body[1024], text[1024];
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_spec_bytes file = {.data = text, .meta = &meta};
	ecsfs_buf a = ECSFS_BUF_INIT, b = ECSFS_BUF_INIT;
	json_t *doc, *r, *fa, *fb, *sa, *sb;

	snprintf(text, sizeof(text), "{%s}\n", web_doc);
	file.len = strlen(text);
	doc = json_loads(text, 0, NULL);
	works(ecsfs_service_put(sv, "prod", "filed", doc, &file, &err), "a spec file is written");
	json_decref(doc);
	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"serviceName\":\"api\",%s}", web_doc);
	json_decref(call("CreateService", body));
	r = describe1("filed", true);
	is_str(str_at(r, "status"), "ACTIVE", "the file's service is described");
	is_int(int_at(r, "desiredCount"), 2, "with its desiredCount");
	is_int(json_array_size(json_object_get(r, "tags")), 1, "and its tags");
	json_decref(r);
	ecsfs_store_service_get(s, "prod", "filed", &a);
	ecsfs_store_service_get(s, "prod", "api", &b);
	sa = json_loads(a.data, 0, NULL);
	sb = json_loads(b.data, 0, NULL);
	ok(json_equal(json_object_get(sa, "spec"), json_object_get(sb, "spec")),
	   "the same definition row from the file and from CreateService");
	fa = spec_file("filed");
	fb = spec_file("api");
	json_object_del(fb, "serviceName");
	ok(json_equal(fa, fb), "and the same spec file content");
	json_decref(call("UpdateService", "{\"cluster\":\"prod\",\"service\":\"api\","
					  "\"desiredCount\":3}"));
	works(ecsfs_service_set_desired(sv, "prod", "filed", 3, &err), "echo 3 > desired_count");
	json_decref(fa);
	json_decref(fb);
	fa = spec_file("filed");
	fb = spec_file("api");
	json_object_del(fb, "serviceName");
	ok(json_equal(fa, fb), "update-service and desired_count rewrite the spec file alike");
	json_decref(fa);
	json_decref(fb);
	json_decref(sa);
	json_decref(sb);
	ecsfs_buf_release(&a);
	ecsfs_buf_release(&b);
}

/* A service naming no launch type shows the cluster's default strategy. */
static void default_strategy(void)
{
	json_t *doc = json_loads("{\"capacityProviders\":[\"FARGATE\"],"
				 "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":"
				 "\"FARGATE\",\"weight\":1}]}",
				 0, NULL);
	json_t *r, *o;

	works(ecsfs_cluster_create(s, "cp", &err), "cluster cp");
	works(ecsfs_cluster_settings_put(s, "cp", doc, &err), "with FARGATE as its default");
	r = call("CreateService", "{\"cluster\":\"cp\",\"serviceName\":\"w\","
				  "\"taskDefinition\":\"web\"}");
	o = json_object_get(r, "service");
	ok(!json_object_get(o, "launchType"), "no launchType");
	is_str(str_at(json_array_get(json_object_get(o, "capacityProviderStrategy"), 0),
		      "capacityProvider"),
	       "FARGATE", "the cluster's strategy");
	is_str(str_at(o, "platformVersion"), "LATEST", "a FARGATE platform");
	json_decref(r);
	json_decref(doc);
}

int main(void)
{
	harness_open(dir);
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64}]}");
	create();
	describe();
	update();
	protection();
	delete ();
	views();
	default_strategy();
	harness_close(dir);
	ecsfs_err_release(&err);
	return tap_done();
}
