/* Placement (placement.h): reservations, constraints, strategies, the
 * capacity-provider split, failures in ECS's words, scale-in victims and
 * the checks of the documents. */
#include <errno.h>

#include "ecsfs/cluster.h"
#include "ecsfs/placement.h"
#include "ecsfs/schedule.h"
#include "ecsfs/service.h"
#include "tap.h"

static const char *const fargate[] = {"FARGATE", "FARGATE_SPOT", NULL};
static const char *const on_demand[] = {"FARGATE", NULL};
static const char *const spot[] = {"FARGATE_SPOT", NULL};

static ecsfs_place_attr zone_a[] = {{"ecs.availability-zone", "az-a"}, {"stack", "prod"}};
static ecsfs_place_attr zone_b[] = {{"ecs.availability-zone", "az-b"}, {"stack", "dev"}};

/* Three empty instances of 2 CPUs and 1 GiB: e1 and e2 in az-a, e3 in az-b. */
static void three(ecsfs_place_instance in[3])
{
	static const char *const names[] = {"e1", "e2", "e3"};

	memset(in, 0, 3 * sizeof(*in));
	for (int i = 0; i < 3; i++) {
		in[i].name = names[i];
		in[i].cpu_registered = in[i].cpu_remaining = 2048;
		in[i].mem_registered = in[i].mem_remaining = 1024;
		in[i].connected = true;
		in[i].providers = fargate;
		in[i].attrs = i < 2 ? zone_a : zone_b;
		in[i].nattrs = 2;
	}
}

static json_t *doc(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		printf("# bad test JSON: %s: %s\n", text, e.text);
	return j;
}

/* Place `rq` and count the tasks per instance into per[]; returns placed. */
static size_t place(const ecsfs_place_instance *in, size_t n, const ecsfs_place_request *rq,
		    size_t per[], ecsfs_place_out *o)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int r;

	ecsfs_place_out_init(o);
	r = ecsfs_place(in, n, rq, o, &err);
	if (r < 0)
		printf("# ecsfs_place: %d %s\n", r, err.msg.data);
	for (size_t i = 0; i < n; i++)
		per[i] = 0;
	for (size_t k = 0; r == 0 && k < o->n; k++)
		if (o->where[k] >= 0)
			per[o->where[k]]++;
	ecsfs_err_release(&err);
	return r == 0 ? o->placed : (size_t)-1;
}

static void test_size(void)
{
	json_t *td =
	    doc("{\"cpu\": \"1 vCPU\", \"memory\": \"2 GB\", \"networkMode\": \"bridge\","
		" \"containerDefinitions\": [{\"name\": \"a\", \"cpu\": 10, \"memory\": 64,"
		" \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 8080},"
		" {\"containerPort\": 81}]}]}");
	int64_t cpu, mem;
	uint16_t ports[4];
	size_t np;

	is_int(ecsfs_place_size(td, &cpu, &mem, ports, 4, &np), 0, "size of a task definition");
	ok(cpu == 1024 && mem == 2048, "task-level '1 vCPU' and '2 GB' win: %lld %lld",
	   (long long)cpu, (long long)mem);
	ok(np == 1 && ports[0] == 8080, "bridge: the fixed hostPort only (%zu)", np);
	json_decref(td);

	td = doc("{\"networkMode\": \"host\", \"containerDefinitions\": ["
		 "{\"name\": \"a\", \"cpu\": 256, \"memory\": 128, \"memoryReservation\": 64,"
		 "  \"portMappings\": [{\"containerPort\": 80}]},"
		 "{\"name\": \"b\", \"cpu\": 128, \"memoryReservation\": 32}]}");
	ecsfs_place_size(td, &cpu, &mem, ports, 4, &np);
	ok(cpu == 384 && mem == 160,
	   "containers' sum: cpu, memory else memoryReservation: %lld %lld", (long long)cpu,
	   (long long)mem);
	ok(np == 1 && ports[0] == 80, "host mode: the containerPort is the host's");
	json_decref(td);

	td = doc("{\"containerDefinitions\": [{\"name\": \"a\", \"memory\": 64,"
		 " \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 80}]}]}");
	ecsfs_place_size(td, &cpu, &mem, ports, 4, &np);
	ok(np == 0 && cpu == 0 && mem == 64, "awsvpc (the default): no host port is taken");
	json_decref(td);
	td = doc("{\"cpu\": \"lots\", \"containerDefinitions\": []}");
	is_int(ecsfs_place_size(td, &cpu, &mem, NULL, 0, NULL), -EINVAL, "an unreadable cpu");
	json_decref(td);
}

static void test_spread(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	json_t *st = doc("[{\"type\": \"spread\", \"field\": \"instanceId\"}]");
	ecsfs_place_request rq = {.cpu = 100,
				  .memory = 64,
				  .group = "service:web",
				  .count = 6,
				  .strategy = st,
				  .service = true,
				  .seed = 1};

	three(in);
	is_int(place(in, 3, &rq, per, &o), 6, "spread by instance: 6 placed");
	ok(per[0] == 2 && per[1] == 2 && per[2] == 2, "2 on each: %zu %zu %zu", per[0], per[1],
	   per[2]);
	ok(o.failures == NULL && o.why.len == 0, "no failures");
	ecsfs_place_out_release(&o);

	/* ECS's default for a service: zones first, then instances */
	rq.strategy = NULL;
	rq.count = 4;
	place(in, 3, &rq, per, &o);
	ok(per[0] + per[1] == 2 && per[2] == 2 && per[0] == 1,
	   "default spread: 2 per zone, 1 per instance in az-a: %zu %zu %zu", per[0], per[1],
	   per[2]);
	ecsfs_place_out_release(&o);

	/* tasks already there count */
	ecsfs_place_task on_e3[] = {{.id = "x", .group = "service:web"},
				    {.id = "y", .group = "service:web"}};
	in[2].tasks = on_e3;
	in[2].ntasks = 2;
	rq.strategy = st;
	rq.count = 4;
	place(in, 3, &rq, per, &o);
	ok(per[0] == 2 && per[1] == 2 && per[2] == 0, "existing tasks count: %zu %zu %zu", per[0],
	   per[1], per[2]);
	ecsfs_place_out_release(&o);
	json_decref(st);
}

static void test_binpack(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	json_t *st = doc("[{\"type\": \"binpack\", \"field\": \"memory\"}]");
	ecsfs_place_request rq = {.cpu = 10,
				  .memory = 256,
				  .group = "service:db",
				  .count = 5,
				  .strategy = st,
				  .service = true,
				  .seed = 7};
	long first;

	three(in);
	is_int(place(in, 3, &rq, per, &o), 5, "binpack memory: 5 placed");
	first = o.where[0];
	ok(per[first] == 4, "the first instance is filled (4 of 256 MiB in 1 GiB) first");
	for (int k = 0; k < 4; k++)
		ok(o.where[k] == first, "task %d on %s", k, in[first].name);
	ecsfs_place_out_release(&o);

	/* the least memory left wins, whatever the order */
	in[1].mem_remaining = 300;
	rq.count = 1;
	place(in, 3, &rq, per, &o);
	is_int(o.where[0], 1, "binpack: the instance with the least memory that fits");
	ecsfs_place_out_release(&o);
	json_decref(st);
}

static void test_distinct(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	json_t *pc = doc("[{\"type\": \"distinctInstance\"}]");
	ecsfs_place_request rq = {.cpu = 1,
				  .memory = 1,
				  .group = "service:web",
				  .count = 4,
				  .constraints = pc,
				  .service = true,
				  .seed = 3};

	three(in);
	is_int(place(in, 3, &rq, per, &o), 3, "distinctInstance, 4 on 3 instances: 3 placed");
	ok(per[0] == 1 && per[1] == 1 && per[2] == 1, "one on each");
	ok(o.where[3] == -1, "the fourth is not placed");
	is_int(json_array_size(o.failures), 3, "one failure per instance");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "reason")),
	       "DistinctInstance placement constraint unsatisfied.", "ECS's reason");
	ok(strstr(o.why.data, "was unable to place a task because no container instance met all "
			      "of its requirements.") &&
	       strstr(o.why.data, "DistinctInstance placement constraint unsatisfied."),
	   "the event: %s", o.why.data);
	ecsfs_place_out_release(&o);
	json_decref(pc);
}

static void test_member_of(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	json_t *pc = doc("[{\"type\": \"memberOf\", \"expression\": \"attribute:stack == prod\"}]");
	json_t *td = doc("[{\"type\": \"memberOf\", \"expression\": \"ec2InstanceId != e1\"}]");
	ecsfs_place_request rq = {.cpu = 1,
				  .memory = 1,
				  .group = "service:web",
				  .count = 6,
				  .constraints = pc,
				  .service = true,
				  .seed = 3};

	three(in);
	is_int(place(in, 3, &rq, per, &o), 6, "memberOf a custom attribute: 6 placed");
	ok(per[0] == 3 && per[1] == 3 && per[2] == 0, "only on the prod instances: %zu %zu %zu",
	   per[0], per[1], per[2]);
	ecsfs_place_out_release(&o);

	rq.taskdef_constraints = td;
	place(in, 3, &rq, per, &o);
	ok(per[1] == 6, "the task definition's constraint applies too");
	ecsfs_place_out_release(&o);

	/* affinity: a task of group db is where the cache goes; the batch's
	 * own tasks count as they are placed */
	json_t *aff =
	    doc("[{\"type\": \"memberOf\", \"expression\": \"task:group == service:db\"}]");
	ecsfs_place_task db[] = {{.id = "d", .group = "service:db"}};
	ecsfs_place_request cache = {.cpu = 1,
				     .memory = 1,
				     .group = "service:cache",
				     .count = 2,
				     .constraints = aff,
				     .seed = 1};
	in[2].tasks = db;
	in[2].ntasks = 1;
	place(in, 3, &cache, per, &o);
	ok(per[2] == 2, "task:group affinity: next to the db task");
	ecsfs_place_out_release(&o);
	json_decref(aff);

	json_t *anti = doc("[{\"type\": \"memberOf\", \"expression\": \"not(task:group == "
			   "service:solo)\"}]");
	ecsfs_place_request solo = {.cpu = 1,
				    .memory = 1,
				    .group = "service:solo",
				    .count = 4,
				    .constraints = anti,
				    .seed = 1};
	is_int(place(in, 3, &solo, per, &o), 3,
	       "anti-affinity with its own group: one per instance");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "reason")),
	       "MemberOf placement constraint unsatisfied.", "... the others fail memberOf");
	ecsfs_place_out_release(&o);
	json_decref(anti);
	json_decref(pc);
	json_decref(td);
}

static void test_resources(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	uint16_t used[] = {8080}, want[] = {8080};
	ecsfs_place_request rq = {.cpu = 4096, .memory = 1, .group = "family:big", .count = 1};

	three(in);
	in[0].arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/e1";
	is_int(place(in, 3, &rq, per, &o), 0, "4096 CPU units fit nowhere");
	is_int(json_array_size(o.failures), 3, "a failure per instance");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "reason")),
	       "RESOURCE:CPU", "RESOURCE:CPU");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "arn")), in[0].arn,
	       "the failure names the instance's ARN");
	ok(strstr(o.why.data, "has insufficient CPU units available"), "%s", o.why.data);
	ecsfs_place_out_release(&o);

	rq.cpu = 1;
	rq.memory = 2048;
	place(in, 3, &rq, per, &o);
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 1), "reason")),
	       "RESOURCE:MEMORY", "RESOURCE:MEMORY");
	ok(strstr(o.why.data, "The closest matching (container-instance e1) has insufficient "
			      "memory available."),
	   "%s", o.why.data);
	ecsfs_place_out_release(&o);

	/* a batch reserves as it goes: 3 of 400 MiB on 1 GiB instances */
	rq.memory = 400;
	rq.count = 7;
	is_int(place(in, 3, &rq, per, &o), 6, "reservations add up: 6 of 7 placed");
	ok(per[0] == 2 && per[1] == 2 && per[2] == 2, "two each");
	ecsfs_place_out_release(&o);

	/* host ports: taken on e1, and one batch binds them once per instance */
	in[0].ports = used;
	in[0].nports = 1;
	rq.memory = 1;
	rq.count = 3;
	rq.ports = want;
	rq.nports = 1;
	is_int(place(in, 3, &rq, per, &o), 2, "host port 8080: 2 of 3 placed");
	ok(per[0] == 0, "not where the port is taken");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "reason")),
	       "RESOURCE:PORTS", "RESOURCE:PORTS");
	ok(strstr(o.why.data, "is already using a port required by your task"), "%s", o.why.data);
	ecsfs_place_out_release(&o);
}

static void test_status(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	ecsfs_place_request rq = {
	    .cpu = 1, .memory = 1, .group = "service:web", .count = 4, .service = true, .seed = 9};

	three(in);
	in[0].status = ECSFS_PLACE_DRAINING;
	in[1].connected = false;
	is_int(place(in, 3, &rq, per, &o), 4, "DRAINING and disconnected instances are skipped");
	ok(per[2] == 4, "all on e3");
	ecsfs_place_out_release(&o);

	in[2].status = ECSFS_PLACE_DRAINING;
	place(in, 3, &rq, per, &o);
	is_int(o.placed, 0, "nothing placed");
	is_str(json_string_value(json_object_get(json_array_get(o.failures, 0), "reason")), "AGENT",
	       "a disconnected instance: AGENT");
	ecsfs_place_out_release(&o);

	in[1].status = ECSFS_PLACE_DRAINING;
	place(in, 3, &rq, per, &o);
	ok(strstr(o.why.data, "Reason: No Container Instances were found in your cluster."), "%s",
	   o.why.data);
	ecsfs_place_out_release(&o);

	/* the same seed gives the same answer */
	ecsfs_place_out o2;
	json_t *rnd = doc("[{\"type\": \"random\"}]");
	three(in);
	rq.strategy = rnd;
	rq.count = 30;
	place(in, 3, &rq, per, &o);
	place(in, 3, &rq, per, &o2);
	ok(memcmp(o.where, o2.where, 30 * sizeof(long)) == 0, "random: deterministic by seed");
	ok(per[0] && per[1] && per[2], "random: every instance got some of 30: %zu %zu %zu", per[0],
	   per[1], per[2]);
	ecsfs_place_out_release(&o);
	ecsfs_place_out_release(&o2);
	json_decref(rnd);
}

/* FARGATE base 1 weight 1, FARGATE_SPOT weight 4. ECS ("Amazon ECS
 * capacity providers", developer guide): the base is met first; past it,
 * "for every one task that's run using capacityProviderA, there are four
 * tasks that use capacityProviderB". So 6 tasks run as 1 + (1:4 of 5) =
 * FARGATE 2, FARGATE_SPOT 4; 11 tasks as 1 + (2:8 of 10) = 3 and 8. */
static void test_split(void)
{
	json_t *cps = doc("[{\"capacityProvider\": \"FARGATE\", \"base\": 1, \"weight\": 1},"
			  " {\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 4}]");
	ecsfs_err err = ECSFS_ERR_INIT;
	size_t out[11], n[2] = {0, 0}, have[2] = {0, 0};

	is_int(ecsfs_place_split(cps, NULL, 6, out, &err), 0, "split 6");
	for (int k = 0; k < 6; k++)
		n[out[k]]++;
	ok(n[0] == 2 && n[1] == 4, "6 tasks: FARGATE 2, FARGATE_SPOT 4 (got %zu, %zu)", n[0], n[1]);
	is_int(out[0], 0, "the first task meets the base on FARGATE");
	n[0] = n[1] = 0;
	ecsfs_place_split(cps, NULL, 11, out, &err);
	for (int k = 0; k < 11; k++)
		n[out[k]]++;
	ok(n[0] == 3 && n[1] == 8, "11 tasks: FARGATE 3, FARGATE_SPOT 8 (got %zu, %zu)", n[0],
	   n[1]);

	/* one at a time, as a service scales, gives the same totals */
	for (int k = 0; k < 11; k++) {
		ecsfs_place_split(cps, have, 1, out, &err);
		have[out[0]]++;
		if (k == 5)
			ok(have[0] == 2 && have[1] == 4, "scaled one by one to 6: 2 + 4");
	}
	ok(have[0] == 3 && have[1] == 8, "scaled one by one to 11: 3 + 8");

	/* tasks lost on spot are replaced on spot */
	have[1] -= 3;
	ecsfs_place_split(cps, have, 3, out, &err);
	ok(out[0] == 1 && out[1] == 1 && out[2] == 1, "replacements go where the share is short");
	json_decref(cps);

	cps = doc("[{\"capacityProvider\": \"A\", \"weight\": 1},"
		  " {\"capacityProvider\": \"B\", \"weight\": 0}]");
	n[0] = n[1] = 0;
	ecsfs_place_split(cps, NULL, 5, out, &err);
	for (int k = 0; k < 5; k++)
		n[out[k]]++;
	ok(n[0] == 5 && n[1] == 0, "weight 0 gets none");
	json_decref(cps);

	cps = doc("[{\"capacityProvider\": \"A\", \"base\": 2}, {\"capacityProvider\": \"B\"}]");
	is_int(ecsfs_place_split(cps, NULL, 2, out, &err), 0, "the base alone may be met");
	is_int(ecsfs_place_split(cps, NULL, 3, out, &err), -EINVAL, "past it, weights 0: EINVAL");
	json_decref(cps);
	ecsfs_err_release(&err);
}

static void test_providers(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	size_t per[3];
	json_t *cps = doc("[{\"capacityProvider\": \"FARGATE\", \"base\": 1, \"weight\": 1},"
			  " {\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 4}]");
	ecsfs_place_request rq = {.cpu = 1,
				  .memory = 1,
				  .group = "service:web",
				  .count = 11,
				  .providers = cps,
				  .service = true,
				  .seed = 2};

	three(in);
	in[0].providers = on_demand;
	in[1].providers = spot;
	in[2].providers = spot;
	is_int(place(in, 3, &rq, per, &o), 11, "11 tasks over providers on different engines");
	ok(per[0] == 3 && per[1] + per[2] == 8, "FARGATE's engine 3, FARGATE_SPOT's 8: %zu %zu %zu",
	   per[0], per[1], per[2]);
	is_str(o.provider[0], "FARGATE", "each task knows its provider");
	ecsfs_place_out_release(&o);

	/* a full provider does not spill over */
	in[0].mem_remaining = 0;
	place(in, 3, &rq, per, &o);
	ok(o.placed == 8 && per[0] == 0, "FARGATE full: its 3 are not placed elsewhere");
	ok(strstr(o.why.data, "e1"), "the event names FARGATE's instance: %s", o.why.data);
	ecsfs_place_out_release(&o);

	/* launchType FARGATE: instances serving FARGATE only */
	ecsfs_place_request lt = {
	    .cpu = 1, .memory = 1, .group = "g", .count = 2, .launch_type = "FARGATE", .seed = 1};
	in[0].mem_remaining = 1024;
	place(in, 3, &lt, per, &o);
	ok(per[0] == 2, "launchType FARGATE: on the FARGATE instance");
	ecsfs_place_out_release(&o);
	json_decref(cps);
}

static void test_victims(void)
{
	ecsfs_place_instance in[3];
	ecsfs_place_task t0[3] = {{.id = "a0", .group = "service:web", .memory = 100},
				  {.id = "a1", .group = "service:web", .memory = 100},
				  {.id = "a2", .group = "service:web", .memory = 100}};
	ecsfs_place_task t1[2] = {{.id = "b0", .group = "service:web", .memory = 100},
				  {.id = "other", .group = "service:api", .memory = 100}};
	ecsfs_place_task t2[2] = {
	    {.id = "c0", .group = "service:web", .memory = 100},
	    {.id = "c1", .group = "service:web", .memory = 100, .protected_ = true}};
	ecsfs_err err = ECSFS_ERR_INIT;
	const char *v[8];
	size_t nv = 0;

	three(in);
	in[0].tasks = t0, in[0].ntasks = 3, in[0].mem_remaining = 724;
	in[1].tasks = t1, in[1].ntasks = 2, in[1].mem_remaining = 824;
	in[2].tasks = t2, in[2].ntasks = 2, in[2].mem_remaining = 824;
	json_t *sp = doc("[{\"type\": \"spread\", \"field\": \"instanceId\"}]");
	is_int(ecsfs_place_choose_victims(in, 3, "service:web", sp, 2, 1, v, &nv, &err), 0,
	       "spread scale-in");
	ok(nv == 2 && v[0][0] == 'a', "spread: first from where the group is most numerous (%s)",
	   v[0]);
	ok(strcmp(v[0], "a2") == 0, "... its newest task");
	json_decref(sp);

	json_t *bp = doc("[{\"type\": \"binpack\", \"field\": \"memory\"}]");
	ecsfs_place_choose_victims(in, 3, "service:web", bp, 3, 1, v, &nv, &err);
	ok(nv == 3, "binpack: 3 victims");
	ok(v[0][0] != 'a', "binpack: not from the fullest instance first (%s)", v[0]);
	for (size_t k = 0; k < nv; k++)
		ok(strcmp(v[k], "c1") && strcmp(v[k], "other"), "never protected or another group");
	json_decref(bp);

	ecsfs_place_choose_victims(in, 3, "service:web", NULL, 10, 1, v, &nv, &err);
	is_int(nv, 5, "all but the protected task can go");
	ecsfs_err_release(&err);
}

static const struct {
	const char *doc;
	const char *msg;
} bad_docs[] = {
    {"{\"placementConstraints\": [{\"type\": \"memberOf\", \"expression\": \"attribute:x ==\"}]}",
     "placementConstraints[0].expression: a value is expected at position 15"},
    {"{\"placementConstraints\": [{\"type\": \"memberOf\"}]}",
     "placementConstraints[0].expression: memberOf needs an expression"},
    {"{\"placementConstraints\": [{\"type\": \"distinctInstance\", \"expression\": \"a\"}]}",
     "placementConstraints[0].expression: distinctInstance takes no expression"},
    {"{\"placementConstraints\": [{\"type\": \"sameInstance\"}]}", "placementConstraints[0].type"},
    {"{\"placementConstraints\": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]}",
     "placementConstraints: at most 10"},
    {"{\"placementStrategy\": [{\"type\": \"binpack\", \"field\": \"instanceId\"}]}",
     "placementStrategy[0].field: binpack takes the field cpu or memory"},
    {"{\"placementStrategy\": [{\"type\": \"spread\"}]}",
     "placementStrategy[0].field: spread takes the field instanceId, host or attribute:<name>"},
    {"{\"placementStrategy\": [{\"type\": \"random\"}, {\"type\": \"random\"}, {\"type\": "
     "\"random\"}, {\"type\": \"random\"}, {\"type\": \"random\"}, {\"type\": \"random\"}]}",
     "placementStrategy: at most 5"},
    {"{\"placementStrategy\": [{\"field\": \"cpu\"}]}", "placementStrategy[0].type"},
    {"{\"capacityProviderStrategy\": [{\"capacityProvider\": \"NOPE\", \"weight\": 1}]}",
     "capacityProviderStrategy[0].capacityProvider: 'NOPE' is not associated with the cluster"},
    {"{\"capacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\", \"base\": 1},"
     " {\"capacityProvider\": \"cp1\", \"base\": 2, \"weight\": 1}]}",
     "capacityProviderStrategy[1].base: only one capacity provider in a strategy can have a "
     "base"},
    {"{\"capacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\"},"
     " {\"capacityProvider\": \"cp1\", \"weight\": 0}]}",
     "capacityProviderStrategy: at least one capacity provider must have a weight greater "
     "than 0"},
    {"{\"launchType\": \"EC2\", \"capacityProviderStrategy\": [{\"capacityProvider\": "
     "\"FARGATE\", \"weight\": 1}]}",
     "capacityProviderStrategy: specifying both a launch type and a capacity provider strategy"},
    {"{\"capacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\", \"weight\": 1001}]}",
     "capacityProviderStrategy[0].weight: a whole number from 0 to 1000"},
    {"{\"capacityProviderStrategy\": [{\"capacityProvider\": \"cp1\", \"weight\": 1},"
     " {\"capacityProvider\": \"cp1\", \"weight\": 1}]}",
     "capacityProviderStrategy[1].capacityProvider: 'cp1' is given twice"},
};

static void test_checks(void)
{
	static const char *const known[] = {"cp1", NULL};
	ecsfs_err err = ECSFS_ERR_INIT;

	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		json_t *d = doc(bad_docs[i].doc);
		ecsfs_err_reset(&err);
		is_int(ecsfs_place_check_request(d, known, &err), -EINVAL, "refused: %s",
		       bad_docs[i].doc);
		ok(err.msg.data && strstr(err.msg.data, bad_docs[i].msg), "... %s", err.msg.data);
		json_decref(d);
	}
	json_t *good =
	    doc("{\"placementConstraints\": [{\"type\": \"distinctInstance\"},"
		" {\"type\": \"memberOf\", \"expression\": \"attribute:stack in [a, b]\"}],"
		" \"placementStrategy\": [{\"type\": \"spread\", \"field\": "
		"\"attribute:ecs.availability-zone\"}, {\"type\": \"binpack\", \"field\": "
		"\"MEMORY\"}, {\"type\": \"random\"}],"
		" \"capacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\", "
		"\"base\": 1, \"weight\": 1}, {\"capacityProvider\": \"cp1\", \"weight\": 4}]}");
	ecsfs_err_reset(&err);
	is_int(ecsfs_place_check_request(good, known, &err), 0, "a good document passes: %s",
	       err.msg.data ? err.msg.data : "");
	json_decref(good);

	/* a bad document in a request is EINVAL before anything is placed */
	ecsfs_place_instance in[3];
	ecsfs_place_out o;
	json_t *pc = doc("[{\"type\": \"memberOf\", \"expression\": \"attribute:a = b\"}]");
	ecsfs_place_request rq = {
	    .cpu = 1, .memory = 1, .group = "g", .count = 2, .constraints = pc};
	three(in);
	ecsfs_place_out_init(&o);
	ecsfs_err_reset(&err);
	is_int(ecsfs_place(in, 3, &rq, &o, &err), -EINVAL, "ecsfs_place: a malformed expression");
	ok(strstr(err.msg.data, "unknown operator at position 13"), "%s", err.msg.data);
	ecsfs_place_out_release(&o);
	json_decref(pc);
	ecsfs_err_release(&err);
}

/* The documents of services and schedules take the same checks. */
static void test_documents(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *svc = doc("{\"taskDefinition\": \"web\", \"placementConstraints\": [{\"type\": "
			  "\"memberOf\", \"expression\": \"attribute:zone in [a, b\"}]}");
	json_t *sch = doc("{\"ScheduleExpression\": \"rate(5 minutes)\", \"Target\": "
			  "{\"EcsParameters\": {\"TaskDefinitionArn\": \"web\", "
			  "\"PlacementStrategy\": [{\"type\": \"spread\", \"field\": \"cpu\"}]}}}");

	is_int(ecsfs_service_check("prod", "web", svc, &err), -EINVAL, "a service's expression");
	ok(strstr(err.msg.data, "placementConstraints[0].expression: ',' or ']' is expected at "
				"position 24"),
	   "%s", err.msg.data);
	ecsfs_err_reset(&err);
	is_int(ecsfs_schedule_check("prod", "nightly", sch, &err), -EINVAL,
	       "a schedule's strategy");
	ok(strstr(err.msg.data, "Target.EcsParameters.PlacementStrategy[0].field: spread takes"),
	   "%s", err.msg.data);
	const char *text =
	    "{\"capacityProviders\": [\"cp1\"], \"defaultCapacityProviderStrategy\": "
	    "[{\"capacityProvider\": \"FARGATE\"}, {\"capacityProvider\": \"cp1\"}]}";
	ecsfs_err_reset(&err);
	is_int(ecsfs_cluster_settings_check("prod", text, strlen(text), false, &err), -EINVAL,
	       "cluster.json: a default strategy whose weights are all 0");
	ok(strstr(err.msg.data, "defaultCapacityProviderStrategy: at least one capacity provider "
				"must have a weight greater than 0"),
	   "%s", err.msg.data);
	json_decref(svc);
	json_decref(sch);
	ecsfs_err_release(&err);
}

int main(void)
{
	test_documents();
	test_size();
	test_spread();
	test_binpack();
	test_distinct();
	test_member_of();
	test_resources();
	test_status();
	test_split();
	test_providers();
	test_victims();
	test_checks();
	return tap_done();
}
