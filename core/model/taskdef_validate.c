/*
 * Task definitions: validation of a RegisterTaskDefinition document.
 *
 * Two passes. The first walks the document along tables of the fields ECS
 * knows (one table per kind of object: task, container, portMapping, ...)
 * and checks names, JSON types, required fields, enumerations and plain
 * integer ranges. The second, which may then trust the types, checks what
 * ties fields together: container names and references, memory and cpu,
 * Fargate sizes, port mappings, health checks, dependsOn and its cycles.
 *
 * Every message starts with the path of the field it is about, built in
 * vctx.path as the walk goes down ("containerDefinitions[1].memory").
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

/* ECS's limit on containers in one task definition. */
#define MAX_CONTAINERS 10
/* Docker refuses a memory limit below this (MiB). */
#define DOCKER_MIN_MEMORY 6
/* Longest piece of user text quoted in a message. */
#define SHOW_MAX 64

/* ---- field tables ---- */

enum kind {
	K_STRING,  /* string without NUL bytes */
	K_INT,	   /* integer within lo..hi */
	K_BOOL,	   /* boolean */
	K_OBJECT,  /* object described by `shape` */
	K_STRMAP,  /* object whose values are strings (labels, options) */
	K_STRINGS, /* array of strings */
	K_INTS,	   /* array of integers within lo..hi */
	K_OBJECTS, /* array of objects described by `shape` */
	K_SIZE,	   /* task-level cpu or memory: a string ("1 vCPU") or an integer */
	K_ANY,	   /* response-only field of describe output: accepted, ignored */
};

#define F_REQUIRED 1u /* must be present */
#define F_NONEMPTY 2u /* string or array must not be empty */

struct shape;

struct field {
	const char *name;
	enum kind kind;
	unsigned flags;
	const struct shape *shape; /* K_OBJECT, K_OBJECTS */
	const char *const *oneof;  /* K_STRING, K_STRINGS: allowed values, NULL-ended */
	long long lo, hi;	   /* K_INT, K_INTS */
	size_t max;		   /* arrays: most entries, 0 for no limit */
};

struct shape {
	const struct field *fields;
	size_t n;
};

#define I32_MAX 2147483647LL
#define I32_MIN (-2147483647LL - 1)

/* A braced macro body, which clang-format would spread over four lines. */
/* clang-format off */
#define SHAPE(t)            {t, sizeof(t) / sizeof(t[0])}
#define STR(n)              {n, K_STRING, 0, NULL, NULL, 0, 0, 0}
#define STR_F(n, fl)        {n, K_STRING, fl, NULL, NULL, 0, 0, 0}
#define STR_OF(n, fl, set)  {n, K_STRING, fl, NULL, set, 0, 0, 0}
#define INT(n, fl, l, h)    {n, K_INT, fl, NULL, NULL, l, h, 0}
#define NAT(n)              {n, K_INT, 0, NULL, NULL, 0, I32_MAX, 0}
#define BOOL(n, fl)         {n, K_BOOL, fl, NULL, NULL, 0, 0, 0}
#define OBJ(n, fl, s)       {n, K_OBJECT, fl, &s, NULL, 0, 0, 0}
#define STRMAP(n)           {n, K_STRMAP, 0, NULL, NULL, 0, 0, 0}
#define STRS(n)             {n, K_STRINGS, 0, NULL, NULL, 0, 0, 0}
#define STRS_F(n, fl)       {n, K_STRINGS, fl, NULL, NULL, 0, 0, 0}
#define STRS_OF(n, set)     {n, K_STRINGS, 0, NULL, set, 0, 0, 0}
#define INTS(n, max)        {n, K_INTS, 0, NULL, NULL, I32_MIN, I32_MAX, max}
#define OBJS(n, fl, s, max) {n, K_OBJECTS, fl, &s, NULL, 0, 0, max}
#define SIZE(n)             {n, K_SIZE, 0, NULL, NULL, 0, 0, 0}
#define ANY(n)              {n, K_ANY, 0, NULL, NULL, 0, 0, 0}
/* clang-format on */

static const char *const network_modes[] = {"bridge", "host", "awsvpc", "none", NULL};
static const char *const compatibilities[] = {"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES",
					      NULL};
static const char *const pid_modes[] = {"host", "task", NULL};
static const char *const ipc_modes[] = {"host", "task", "none", NULL};
static const char *const protocols[] = {"tcp", "udp", NULL};
static const char *const app_protocols[] = {"http", "http2", "grpc", NULL};
static const char *const conditions[] = {"START", "COMPLETE", "SUCCESS", "HEALTHY", NULL};
static const char *const ulimit_names[] = {
    "core",   "cpu",   "data", "fsize",	 "locks",  "memlock",	 "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    NULL};
static const char *const device_permissions[] = {"read", "write", "mknod", NULL};
static const char *const log_drivers[] = {"json-file", "syslog", "journald",	"gelf", "fluentd",
					  "awslogs",   "splunk", "awsfirelens", NULL};
static const char *const firelens_types[] = {"fluentd", "fluentbit", NULL};
static const char *const resource_types[] = {"GPU", "InferenceAccelerator", NULL};
static const char *const env_file_types[] = {"s3", NULL};
static const char *const on_off[] = {"enabled", "disabled", NULL};
static const char *const enabled_disabled[] = {"ENABLED", "DISABLED", NULL};
static const char *const volume_scopes[] = {"task", "shared", NULL};
static const char *const placement_types[] = {"memberOf", NULL};
static const char *const proxy_types[] = {"APPMESH", NULL};
static const char *const cpu_architectures[] = {"X86_64", "ARM64", NULL};

static const struct field name_value_fields[] = {
    STR_F("name", F_REQUIRED | F_NONEMPTY),
    STR_F("value", F_REQUIRED),
};
static const struct shape name_value_shape = SHAPE(name_value_fields);

static const struct field secret_fields[] = {
    STR_F("name", F_REQUIRED | F_NONEMPTY),
    STR_F("valueFrom", F_REQUIRED | F_NONEMPTY),
};
static const struct shape secret_shape = SHAPE(secret_fields);

static const struct field repository_credentials_fields[] = {
    STR_F("credentialsParameter", F_REQUIRED | F_NONEMPTY),
};
static const struct shape repository_credentials_shape = SHAPE(repository_credentials_fields);

static const struct field port_mapping_fields[] = {
    INT("containerPort", 0, 1, 65535),	     INT("hostPort", 0, 0, 65535),
    STR_OF("protocol", 0, protocols),	     STR("name"),
    STR_OF("appProtocol", 0, app_protocols), STR_F("containerPortRange", F_NONEMPTY),
};
static const struct shape port_mapping_shape = SHAPE(port_mapping_fields);

static const struct field restart_policy_fields[] = {
    BOOL("enabled", F_REQUIRED),
    INTS("ignoredExitCodes", 50),
    INT("restartAttemptPeriod", 0, 60, 1800),
};
static const struct shape restart_policy_shape = SHAPE(restart_policy_fields);

static const struct field environment_file_fields[] = {
    STR_F("value", F_REQUIRED | F_NONEMPTY),
    STR_OF("type", F_REQUIRED, env_file_types),
};
static const struct shape environment_file_shape = SHAPE(environment_file_fields);

static const struct field mount_point_fields[] = {
    STR_F("sourceVolume", F_REQUIRED | F_NONEMPTY),
    STR_F("containerPath", F_REQUIRED | F_NONEMPTY),
    BOOL("readOnly", 0),
};
static const struct shape mount_point_shape = SHAPE(mount_point_fields);

static const struct field volume_from_fields[] = {
    STR_F("sourceContainer", F_REQUIRED | F_NONEMPTY),
    BOOL("readOnly", 0),
};
static const struct shape volume_from_shape = SHAPE(volume_from_fields);

static const struct field capabilities_fields[] = {
    STRS("add"),
    STRS("drop"),
};
static const struct shape capabilities_shape = SHAPE(capabilities_fields);

static const struct field device_fields[] = {
    STR_F("hostPath", F_REQUIRED | F_NONEMPTY),
    STR("containerPath"),
    STRS_OF("permissions", device_permissions),
};
static const struct shape device_shape = SHAPE(device_fields);

static const struct field tmpfs_fields[] = {
    STR_F("containerPath", F_REQUIRED | F_NONEMPTY),
    INT("size", F_REQUIRED, 1, I32_MAX),
    STRS("mountOptions"),
};
static const struct shape tmpfs_shape = SHAPE(tmpfs_fields);

static const struct field linux_parameters_fields[] = {
    OBJ("capabilities", 0, capabilities_shape),
    OBJS("devices", 0, device_shape, 0),
    BOOL("initProcessEnabled", 0),
    NAT("sharedMemorySize"),
    OBJS("tmpfs", 0, tmpfs_shape, 0),
    NAT("maxSwap"),
    INT("swappiness", 0, 0, 100),
};
static const struct shape linux_parameters_shape = SHAPE(linux_parameters_fields);

static const struct field dependency_fields[] = {
    STR_F("containerName", F_REQUIRED | F_NONEMPTY),
    STR_OF("condition", F_REQUIRED, conditions),
};
static const struct shape dependency_shape = SHAPE(dependency_fields);

static const struct field host_entry_fields[] = {
    STR_F("hostname", F_REQUIRED | F_NONEMPTY),
    STR_F("ipAddress", F_REQUIRED | F_NONEMPTY),
};
static const struct shape host_entry_shape = SHAPE(host_entry_fields);

/* -1 is Docker's "unlimited" */
static const struct field ulimit_fields[] = {
    STR_OF("name", F_REQUIRED, ulimit_names),
    INT("softLimit", F_REQUIRED, -1, I32_MAX),
    INT("hardLimit", F_REQUIRED, -1, I32_MAX),
};
static const struct shape ulimit_shape = SHAPE(ulimit_fields);

static const struct field log_configuration_fields[] = {
    STR_OF("logDriver", F_REQUIRED, log_drivers),
    STRMAP("options"),
    OBJS("secretOptions", 0, secret_shape, 0),
};
static const struct shape log_configuration_shape = SHAPE(log_configuration_fields);

static const struct field health_check_fields[] = {
    STRS_F("command", F_REQUIRED | F_NONEMPTY),
    INT("interval", 0, 5, 300),
    INT("timeout", 0, 2, 120),
    INT("retries", 0, 1, 10),
    INT("startPeriod", 0, 0, 300),
};
static const struct shape health_check_shape = SHAPE(health_check_fields);

static const struct field system_control_fields[] = {
    STR_F("namespace", F_REQUIRED | F_NONEMPTY),
    STR_F("value", F_REQUIRED),
};
static const struct shape system_control_shape = SHAPE(system_control_fields);

static const struct field resource_requirement_fields[] = {
    STR_F("value", F_REQUIRED | F_NONEMPTY),
    STR_OF("type", F_REQUIRED, resource_types),
};
static const struct shape resource_requirement_shape = SHAPE(resource_requirement_fields);

static const struct field firelens_fields[] = {
    STR_OF("type", F_REQUIRED, firelens_types),
    STRMAP("options"),
};
static const struct shape firelens_shape = SHAPE(firelens_fields);

static const struct field container_fields[] = {
    STR_F("name", F_REQUIRED),
    STR_F("image", F_REQUIRED | F_NONEMPTY),
    OBJ("repositoryCredentials", 0, repository_credentials_shape),
    NAT("cpu"),
    NAT("memory"),
    NAT("memoryReservation"),
    STRS("links"),
    OBJS("portMappings", 0, port_mapping_shape, 0),
    BOOL("essential", 0),
    OBJ("restartPolicy", 0, restart_policy_shape),
    STRS("entryPoint"),
    STRS("command"),
    OBJS("environment", 0, name_value_shape, 0),
    OBJS("environmentFiles", 0, environment_file_shape, 0),
    OBJS("mountPoints", 0, mount_point_shape, 0),
    OBJS("volumesFrom", 0, volume_from_shape, 0),
    OBJ("linuxParameters", 0, linux_parameters_shape),
    OBJS("secrets", 0, secret_shape, 0),
    OBJS("dependsOn", 0, dependency_shape, 0),
    INT("startTimeout", 0, 2, I32_MAX),
    INT("stopTimeout", 0, 2, 120),
    STR_OF("versionConsistency", 0, on_off),
    STR("hostname"),
    STR("user"),
    STR("workingDirectory"),
    BOOL("disableNetworking", 0),
    BOOL("privileged", 0),
    BOOL("readonlyRootFilesystem", 0),
    STRS("dnsServers"),
    STRS("dnsSearchDomains"),
    OBJS("extraHosts", 0, host_entry_shape, 0),
    STRS("dockerSecurityOptions"),
    BOOL("interactive", 0),
    BOOL("pseudoTerminal", 0),
    STRMAP("dockerLabels"),
    OBJS("ulimits", 0, ulimit_shape, 0),
    OBJ("logConfiguration", 0, log_configuration_shape),
    OBJ("healthCheck", 0, health_check_shape),
    OBJS("systemControls", 0, system_control_shape, 0),
    OBJS("resourceRequirements", 0, resource_requirement_shape, 0),
    OBJ("firelensConfiguration", 0, firelens_shape),
    STRS("credentialSpecs"),
};
static const struct shape container_shape = SHAPE(container_fields);

static const struct field host_volume_fields[] = {
    STR("sourcePath"),
};
static const struct shape host_volume_shape = SHAPE(host_volume_fields);

static const struct field docker_volume_fields[] = {
    STR_OF("scope", 0, volume_scopes),
    BOOL("autoprovision", 0),
    STR("driver"),
    STRMAP("driverOpts"),
    STRMAP("labels"),
};
static const struct shape docker_volume_shape = SHAPE(docker_volume_fields);

static const struct field efs_authorization_fields[] = {
    STR("accessPointId"),
    STR_OF("iam", 0, enabled_disabled),
};
static const struct shape efs_authorization_shape = SHAPE(efs_authorization_fields);

static const struct field efs_volume_fields[] = {
    STR_F("fileSystemId", F_REQUIRED | F_NONEMPTY),
    STR("rootDirectory"),
    STR_OF("transitEncryption", 0, enabled_disabled),
    INT("transitEncryptionPort", 0, 1, 65535),
    OBJ("authorizationConfig", 0, efs_authorization_shape),
};
static const struct shape efs_volume_shape = SHAPE(efs_volume_fields);

static const struct field fsx_authorization_fields[] = {
    STR_F("credentialsParameter", F_REQUIRED | F_NONEMPTY),
    STR_F("domain", F_REQUIRED),
};
static const struct shape fsx_authorization_shape = SHAPE(fsx_authorization_fields);

static const struct field fsx_volume_fields[] = {
    STR_F("fileSystemId", F_REQUIRED | F_NONEMPTY),
    STR_F("rootDirectory", F_REQUIRED),
    OBJ("authorizationConfig", F_REQUIRED, fsx_authorization_shape),
};
static const struct shape fsx_volume_shape = SHAPE(fsx_volume_fields);

static const struct field volume_fields[] = {
    STR_F("name", F_REQUIRED),
    OBJ("host", 0, host_volume_shape),
    BOOL("configuredAtLaunch", 0),
    OBJ("dockerVolumeConfiguration", 0, docker_volume_shape),
    OBJ("efsVolumeConfiguration", 0, efs_volume_shape),
    OBJ("fsxWindowsFileServerVolumeConfiguration", 0, fsx_volume_shape),
};
static const struct shape volume_shape = SHAPE(volume_fields);

static const struct field placement_fields[] = {
    STR_OF("type", F_REQUIRED, placement_types),
    STR_F("expression", F_REQUIRED | F_NONEMPTY),
};
static const struct shape placement_shape = SHAPE(placement_fields);

static const struct field tag_fields[] = {
    STR_F("key", F_REQUIRED | F_NONEMPTY),
    STR("value"),
};
static const struct shape tag_shape = SHAPE(tag_fields);

static const struct field proxy_fields[] = {
    STR_OF("type", 0, proxy_types),
    STR_F("containerName", F_REQUIRED | F_NONEMPTY),
    OBJS("properties", 0, name_value_shape, 0),
};
static const struct shape proxy_shape = SHAPE(proxy_fields);

static const struct field accelerator_fields[] = {
    STR_F("deviceName", F_REQUIRED | F_NONEMPTY),
    STR_F("deviceType", F_REQUIRED | F_NONEMPTY),
};
static const struct shape accelerator_shape = SHAPE(accelerator_fields);

static const struct field ephemeral_fields[] = {
    INT("sizeInGiB", F_REQUIRED, 21, 200),
};
static const struct shape ephemeral_shape = SHAPE(ephemeral_fields);

static const struct field platform_fields[] = {
    STR_OF("cpuArchitecture", 0, cpu_architectures),
    STR("operatingSystemFamily"),
};
static const struct shape platform_shape = SHAPE(platform_fields);

static const struct field task_fields[] = {
    STR("family"),
    STR("taskRoleArn"),
    STR("executionRoleArn"),
    STR_OF("networkMode", 0, network_modes),
    OBJS("containerDefinitions", F_REQUIRED, container_shape, 0),
    OBJS("volumes", 0, volume_shape, 0),
    OBJS("placementConstraints", 0, placement_shape, 10),
    STRS_OF("requiresCompatibilities", compatibilities),
    SIZE("cpu"),
    SIZE("memory"),
    OBJS("tags", 0, tag_shape, 50),
    STR_OF("pidMode", 0, pid_modes),
    STR_OF("ipcMode", 0, ipc_modes),
    OBJ("proxyConfiguration", 0, proxy_shape),
    OBJS("inferenceAccelerators", 0, accelerator_shape, 0),
    OBJ("ephemeralStorage", 0, ephemeral_shape),
    OBJ("runtimePlatform", 0, platform_shape),
    BOOL("enableFaultInjection", 0),
    /* what describe-task-definition adds, so its output can be applied again */
    ANY("taskDefinitionArn"),
    ANY("revision"),
    ANY("status"),
    ANY("registeredAt"),
    ANY("registeredBy"),
    ANY("deregisteredAt"),
    ANY("deleteRequestedAt"),
    ANY("compatibilities"),
    ANY("requiresAttributes"),
};
static const struct shape task_shape = SHAPE(task_fields);

/* ---- the walk's state ---- */

struct container_info {
	const json_t *def;
	const char *name;
	bool essential;
	bool healthy; /* has a healthCheck that can report HEALTHY */
};

struct vctx {
	ecsfs_buf *why;
	ecsfs_buf path;	       /* field being checked */
	ecsfs_buf shown;       /* user text made printable for a message */
	const char *mode;      /* networkMode, "bridge" when absent */
	bool fargate;	       /* requiresCompatibilities has FARGATE */
	long long task_cpu;    /* CPU units, -1 when absent */
	long long task_mem;    /* MiB, -1 when absent */
	const json_t *volumes; /* task volumes, or NULL */
	struct container_info c[MAX_CONTAINERS];
	size_t n;
};

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Append at most SHOW_MAX bytes of `s`, non-printable bytes as \xHH. */
static void add_printable(ecsfs_buf *b, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '\'')
			ecsfs_buf_addch(b, (char)c);
		else
			ecsfs_buf_addf(b, "\\x%02x", c);
	}
	if (s[i])
		ecsfs_buf_adds(b, "...");
}

/* User text made printable for a message; valid until the next call. */
static const char *shown(struct vctx *v, const char *s)
{
	ecsfs_buf_reset(&v->shown);
	add_printable(&v->shown, s);
	return v->shown.data;
}

/* ---- paths ---- */

/* A key that is not a plain identifier is shown quoted, so the path stays
 * readable and its end (": ") unambiguous. */
static size_t path_key(struct vctx *v, const char *key)
{
	size_t mark = v->path.len;
	size_t n = strlen(key);
	bool plain = n > 0 && n <= SHOW_MAX;

	for (size_t i = 0; plain && i < n; i++)
		plain = plain_char((unsigned char)key[i]);
	if (mark)
		ecsfs_buf_addch(&v->path, '.');
	if (plain) {
		ecsfs_buf_adds(&v->path, key);
	} else {
		ecsfs_buf_addch(&v->path, '"');
		add_printable(&v->path, key);
		ecsfs_buf_addch(&v->path, '"');
	}
	return mark;
}

static size_t path_index(struct vctx *v, size_t i)
{
	size_t mark = v->path.len;
	ecsfs_buf_addf(&v->path, "[%zu]", i);
	return mark;
}

static void path_pop(struct vctx *v, size_t mark)
{
	ecsfs_buf_setlen(&v->path, mark);
}

__attribute__((format(printf, 2, 3))) static void path_set(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_reset(&v->path);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&v->path, fmt, ap);
	va_end(ap);
}

/* Write "<path>: <message>" into *why; returns -EINVAL. On failure the
 * walk returns at once, so the path is left as it is. */
__attribute__((format(printf, 2, 3))) static int fail(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_setf(v->why, "%s: ", v->path.len ? v->path.data : "(document)");
	va_start(ap, fmt);
	ecsfs_buf_vaddf(v->why, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- pass one: names, types, required fields, enumerations, ranges ---- */

static int check_object(struct vctx *v, const struct shape *sh, const json_t *obj);

static const struct field *shape_field(const struct shape *sh, const char *key)
{
	for (size_t i = 0; i < sh->n; i++)
		if (strcmp(sh->fields[i].name, key) == 0)
			return &sh->fields[i];
	return NULL;
}

/* Edit distance, ignoring case, of two strings of at most SHOW_MAX bytes. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[SHOW_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known field an unknown key is most likely a typo of, or NULL. */
static const char *suggest(const struct shape *sh, const char *key)
{
	size_t n = strlen(key), best = 3;
	const char *name = NULL;

	if (n > SHOW_MAX)
		return NULL;
	for (size_t i = 0; i < sh->n; i++) {
		if (sh->fields[i].kind == K_ANY || strlen(sh->fields[i].name) > SHOW_MAX)
			continue;
		size_t d = distance(key, sh->fields[i].name);
		if (d < best && d < n) {
			best = d;
			name = sh->fields[i].name;
		}
	}
	return name;
}

static bool one_of(const char *const *set, const char *s)
{
	for (; *set; set++)
		if (strcmp(*set, s) == 0)
			return true;
	return false;
}

static int fail_one_of(struct vctx *v, const char *const *set, const char *got)
{
	ecsfs_buf list = ECSFS_BUF_INIT;
	int r;

	for (size_t i = 0; set[i]; i++)
		ecsfs_buf_addf(&list, "%s%s", i == 0 ? "" : set[i + 1] ? ", " : " or ", set[i]);
	r = fail(v, "must be %s, got '%s'", list.data, shown(v, got));
	ecsfs_buf_release(&list);
	return r;
}

static int check_string(struct vctx *v, const struct field *f, const json_t *val)
{
	const char *s;

	if (!json_is_string(val))
		return fail(v, "must be a string");
	s = json_string_value(val);
	if (strlen(s) != json_string_length(val))
		return fail(v, "must not contain NUL bytes");
	if ((f->flags & F_NONEMPTY) && !*s)
		return fail(v, "must not be empty");
	if (f->oneof && !one_of(f->oneof, s))
		return fail_one_of(v, f->oneof, s);
	return 0;
}

static int check_int(struct vctx *v, const struct field *f, const json_t *val)
{
	long long x;

	if (!json_is_integer(val))
		return fail(v, "must be an integer");
	x = json_integer_value(val);
	if (x < f->lo && f->hi == I32_MAX)
		return fail(v, "%lld is below the minimum %lld", x, f->lo);
	if (x < f->lo || x > f->hi)
		return fail(v, "%lld is outside %lld..%lld", x, f->lo, f->hi);
	return 0;
}

static int check_array(struct vctx *v, const struct field *f, const json_t *arr)
{
	static const char *const what[] = {
	    [K_STRINGS] = "strings", [K_INTS] = "integers", [K_OBJECTS] = "objects"};
	size_t i, mark;
	json_t *e;
	int r;

	if (!json_is_array(arr))
		return fail(v, "must be an array of %s", what[f->kind]);
	if ((f->flags & F_NONEMPTY) && json_array_size(arr) == 0)
		return fail(v, "must not be empty");
	if (f->max && json_array_size(arr) > f->max)
		return fail(v, "at most %zu entries, got %zu", f->max, json_array_size(arr));
	json_array_foreach(arr, i, e) {
		mark = path_index(v, i);
		if (f->kind == K_STRINGS) {
			/* the array's own flags say nothing about its elements */
			struct field elem = {f->name, K_STRING, 0, NULL, f->oneof, 0, 0, 0};
			r = check_string(v, &elem, e);
		} else if (f->kind == K_INTS) {
			r = check_int(v, f, e);
		} else {
			r = check_object(v, f->shape, e);
		}
		if (r < 0)
			return r;
		path_pop(v, mark);
	}
	return 0;
}

static int check_string_map(struct vctx *v, const json_t *obj)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return fail(v, "must be an object of strings");
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)obj, key, val) {
		size_t mark = path_key(v, key);
		if (!json_is_string(val))
			return fail(v, "must be a string");
		if (strlen(json_string_value(val)) != json_string_length(val))
			return fail(v, "must not contain NUL bytes");
		path_pop(v, mark);
	}
	return 0;
}

static int check_value(struct vctx *v, const struct field *f, const json_t *val)
{
	switch (f->kind) {
	case K_STRING: return check_string(v, f, val);
	case K_INT: return check_int(v, f, val);
	case K_BOOL: return json_is_boolean(val) ? 0 : fail(v, "must be a boolean");
	case K_OBJECT: return check_object(v, f->shape, val);
	case K_STRMAP: return check_string_map(v, val);
	case K_STRINGS:
	case K_INTS:
	case K_OBJECTS: return check_array(v, f, val);
	case K_SIZE:
		if (json_is_string(val) || json_is_integer(val))
			return 0;
		return fail(v, "must be a string such as \"1024\" or an integer");
	case K_ANY: return 0;
	}
	return 0;
}

static int check_object(struct vctx *v, const struct shape *sh, const json_t *obj)
{
	const char *key;
	json_t *val;
	size_t mark;
	int r;

	if (!json_is_object(obj))
		return fail(v, "must be an object");
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)obj, key, val) {
		const struct field *f = shape_field(sh, key);
		mark = path_key(v, key);
#if JANSSON_VERSION_HEX >= 0x020e00
		/* since 2.14 jansson can hold keys with NUL bytes; none is a field */
		if (json_object_iter_key_len(json_object_key_to_iter(key)) != strlen(key))
			f = NULL;
#endif
		if (!f) {
			const char *maybe = suggest(sh, key);
			if (maybe)
				return fail(v, "unknown field (did you mean '%s'?)", maybe);
			return fail(v, "unknown field");
		}
		if ((r = check_value(v, f, val)) < 0)
			return r;
		path_pop(v, mark);
	}
	for (size_t i = 0; i < sh->n; i++) {
		if (!(sh->fields[i].flags & F_REQUIRED) || json_object_get(obj, sh->fields[i].name))
			continue;
		path_key(v, sh->fields[i].name);
		return fail(v, "missing; it is required");
	}
	return 0;
}

/* ---- pass two: what ties fields together ---- */

static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static long long get_int(const json_t *obj, const char *key, long long dflt)
{
	const json_t *val = json_object_get(obj, key);
	return val ? json_integer_value(val) : dflt;
}

static bool get_bool(const json_t *obj, const char *key, bool dflt)
{
	const json_t *val = json_object_get(obj, key);
	return val ? json_is_true(val) : dflt;
}

static int find_container(const struct vctx *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->c[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A name checked by ecsfs_name_check(), with the path in front. */
static int check_name(struct vctx *v, const char *name, const char *what)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	int r;

	if ((r = ecsfs_name_check(name, what, &msg)) < 0) {
		/* the message may quote the name, control characters and all */
		for (size_t i = 0; i < msg.len; i++)
			if ((unsigned char)msg.data[i] < 0x20 || msg.data[i] == 0x7f)
				msg.data[i] = '?';
		fail(v, "%s", msg.data);
	}
	ecsfs_buf_release(&msg);
	return r;
}

/*
 * Parse a task-level size: an integer or a string of one ("1024"), or a
 * decimal number and a unit worth 1024 ("1 vCPU", ".25 vcpu", "2GB",
 * "0.5 GB"; case and the space do not matter). ECS converts the same way.
 */
static int parse_size(const json_t *val, const char *unit, long long *out)
{
	const char *s = json_string_value(val);
	long long whole = 0, frac = 0, scale = 1;
	int digits = 0;

	if (json_is_integer(val)) {
		*out = json_integer_value(val);
		return *out >= 0 && *out <= I32_MAX ? 0 : -EINVAL;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if ((whole = whole * 10 + (*s - '0')) > I32_MAX)
			return -EINVAL;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (scale >= 1000000)
				return -EINVAL;
			frac = frac * 10 + (*s - '0');
			scale *= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	if (*s == ' ')
		s++;
	if (!*s) {
		if (scale != 1)
			return -EINVAL; /* "0.5" of what? */
		*out = whole;
		return 0;
	}
	if (strcasecmp(s, unit) != 0)
		return -EINVAL;
	/* whole < 2^31 and scale <= 10^6: no overflow in 64 bits */
	long long n = (whole * scale + frac) * 1024;
	if (n % scale || n / scale > I32_MAX)
		return -EINVAL;
	*out = n / scale;
	return 0;
}

struct fargate_size {
	long long cpu, lo, hi, step;
};

/* Fargate's task sizes, from ECS's "Task size" table. */
static const struct fargate_size fargate_sizes[] = {
    {256, 512, 512, 1},		{256, 1024, 2048, 1024},      {512, 1024, 4096, 1024},
    {1024, 2048, 8192, 1024},	{2048, 4096, 16384, 1024},    {4096, 8192, 30720, 1024},
    {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
};

static bool fargate_fits(const struct fargate_size *f, long long cpu, long long mem)
{
	return f->cpu == cpu && mem >= f->lo && mem <= f->hi && (mem - f->lo) % f->step == 0;
}

static int check_fargate(struct vctx *v)
{
	const size_t n = sizeof(fargate_sizes) / sizeof(fargate_sizes[0]);
	ecsfs_buf sizes = ECSFS_BUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (fargate_fits(&fargate_sizes[i], v->task_cpu, v->task_mem))
			return 0;
	for (i = 0; i < n; i++) {
		const struct fargate_size *f = &fargate_sizes[i];
		if (f->cpu != v->task_cpu)
			continue;
		if (sizes.len)
			ecsfs_buf_adds(&sizes, ", ");
		if (f->lo == f->hi)
			ecsfs_buf_addf(&sizes, "%lld", f->lo);
		else
			ecsfs_buf_addf(&sizes, "%lld to %lld in steps of %lld", f->lo, f->hi,
				       f->step);
	}
	if (!sizes.len) {
		path_set(v, "cpu");
		return fail(v,
			    "%lld is not a Fargate task size; use 256, 512, 1024, 2048, 4096, "
			    "8192 or 16384",
			    v->task_cpu);
	}
	path_set(v, "memory");
	r = fail(v, "%lld MiB does not go with cpu %lld on Fargate; use %s", v->task_mem,
		 v->task_cpu, sizes.data);
	ecsfs_buf_release(&sizes);
	return r;
}

/* Task-level cpu, memory, network mode and launch types. */
static int check_task_level(struct vctx *v, const json_t *doc)
{
	const json_t *cpu = json_object_get(doc, "cpu"), *mem = json_object_get(doc, "memory");
	const json_t *compat = json_object_get(doc, "requiresCompatibilities");
	const json_t *e;
	size_t i;

	v->mode = get_str(doc, "networkMode") ? get_str(doc, "networkMode") : "bridge";
	json_array_foreach(compat, i, e) {
		if (strcmp(json_string_value(e), "FARGATE") == 0)
			v->fargate = true;
	}
	v->task_cpu = v->task_mem = -1;
	if (cpu && parse_size(cpu, "vcpu", &v->task_cpu) < 0) {
		path_set(v, "cpu");
		if (json_is_integer(cpu))
			return fail(v, "%lld is outside 0..%lld",
				    (long long)json_integer_value(cpu), I32_MAX);
		return fail(v, "'%s' is neither CPU units (\"1024\") nor vCPUs (\"1 vCPU\")",
			    shown(v, json_string_value(cpu)));
	}
	if (mem && parse_size(mem, "gb", &v->task_mem) < 0) {
		path_set(v, "memory");
		if (json_is_integer(mem))
			return fail(v, "%lld is outside 0..%lld",
				    (long long)json_integer_value(mem), I32_MAX);
		return fail(v, "'%s' is neither MiB (\"2048\") nor GB (\"2 GB\")",
			    shown(v, json_string_value(mem)));
	}
	if (v->fargate) {
		if (strcmp(v->mode, "awsvpc") != 0) {
			path_set(v, "networkMode");
			return fail(v, "FARGATE requires awsvpc, got %s%s", v->mode,
				    get_str(doc, "networkMode") ? "" : " (the default)");
		}
		if (v->task_cpu < 0) {
			path_set(v, "cpu");
			return fail(v, "missing; FARGATE requires a task-level cpu");
		}
		if (v->task_mem < 0) {
			path_set(v, "memory");
			return fail(v, "missing; FARGATE requires a task-level memory");
		}
		return check_fargate(v);
	}
	if (v->task_cpu >= 0 && (v->task_cpu < 128 || v->task_cpu > 196608)) {
		path_set(v, "cpu");
		return fail(v, "%lld units is outside ECS's 128..196608 (0.125 to 192 vCPUs)",
			    v->task_cpu);
	}
	if (v->task_mem >= 0 && v->task_mem < DOCKER_MIN_MEMORY) {
		path_set(v, "memory");
		return fail(v, "%lld MiB is below Docker's minimum of %d MiB", v->task_mem,
			    DOCKER_MIN_MEMORY);
	}
	return 0;
}

static int check_volumes(struct vctx *v)
{
	static const char *const kinds[] = {"host", "dockerVolumeConfiguration",
					    "efsVolumeConfiguration",
					    "fsxWindowsFileServerVolumeConfiguration"};
	const json_t *vol, *dvc;
	size_t i, j;
	int r;

	json_array_foreach(v->volumes, i, vol) {
		const char *name = get_str(vol, "name"), *first = NULL;
		path_set(v, "volumes[%zu].name", i);
		if ((r = check_name(v, name, "volume")) < 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(get_str(json_array_get(v->volumes, j), "name"), name) == 0)
				return fail(v, "'%s' is also the name of volumes[%zu]", name, j);
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
			if (!json_object_get(vol, kinds[j]))
				continue;
			if (first) {
				path_set(v, "volumes[%zu].%s", i, kinds[j]);
				return fail(v, "cannot be combined with %s", first);
			}
			first = kinds[j];
		}
		dvc = json_object_get(vol, "dockerVolumeConfiguration");
		if (get_bool(dvc, "autoprovision", false) &&
		    strcmp(get_str(dvc, "scope") ? get_str(dvc, "scope") : "task", "shared") != 0) {
			path_set(v, "volumes[%zu].dockerVolumeConfiguration.autoprovision", i);
			return fail(v, "only applies to volumes with scope shared");
		}
	}
	return 0;
}

static bool has_volume(const struct vctx *v, const char *name)
{
	const json_t *vol;
	size_t i;

	json_array_foreach(v->volumes, i, vol) {
		if (strcmp(get_str(vol, "name"), name) == 0)
			return true;
	}
	return false;
}

/* Parse "lo-hi" of containerPortRange. */
static int parse_port_range(const char *s, long long *lo, long long *hi)
{
	long long *p = lo;

	*lo = *hi = 0;
	for (int part = 0; part < 2; part++, p = hi) {
		int digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 6; s++, digits++)
			*p = *p * 10 + (*s - '0');
		if (!digits || *p < 1 || *p > 65535)
			return -EINVAL;
		if (part == 0 && *s++ != '-')
			return -EINVAL;
	}
	return *s == '\0' && *lo <= *hi ? 0 : -EINVAL;
}

static bool port_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

struct port_span {
	long long lo, hi;
	const char *proto;
};

static int check_port_mapping(struct vctx *v, const json_t *pm, struct port_span *span)
{
	const json_t *port = json_object_get(pm, "containerPort");
	const char *range = get_str(pm, "containerPortRange");
	const json_t *host = json_object_get(pm, "hostPort");
	const char *name = get_str(pm, "name");
	bool bridge_or_vpc = !strcmp(v->mode, "bridge") || !strcmp(v->mode, "awsvpc");
	size_t mark;

	span->proto = get_str(pm, "protocol") ? get_str(pm, "protocol") : "tcp";
	if (!port && !range) {
		path_key(v, "containerPort");
		return fail(v, "missing; give containerPort or containerPortRange");
	}
	if (port && range) {
		path_key(v, "containerPortRange");
		return fail(v, "cannot be combined with containerPort");
	}
	if (range) {
		mark = path_key(v, "containerPortRange");
		if (parse_port_range(range, &span->lo, &span->hi) < 0)
			return fail(v, "'%s' is not a range \"first-last\" of ports 1..65535",
				    shown(v, range));
		if (!bridge_or_vpc)
			return fail(v, "needs networkMode bridge or awsvpc, not %s", v->mode);
		path_pop(v, mark);
		if (host) {
			path_key(v, "hostPort");
			return fail(v, "cannot be combined with containerPortRange");
		}
	} else {
		span->lo = span->hi = json_integer_value(port);
	}
	if (host && port && (!strcmp(v->mode, "host") || !strcmp(v->mode, "awsvpc")) &&
	    json_integer_value(host) != span->lo) {
		path_key(v, "hostPort");
		return fail(v, "%lld must equal containerPort %lld in %s network mode",
			    (long long)json_integer_value(host), span->lo, v->mode);
	}
	if (get_str(pm, "appProtocol") && !bridge_or_vpc) {
		path_key(v, "appProtocol");
		return fail(v, "needs networkMode bridge or awsvpc, not %s", v->mode);
	}
	if (name && !port_name_ok(name)) {
		path_key(v, "name");
		return fail(v,
			    "'%s' must be 1 to 64 lowercase letters, digits, '_' or '-', not "
			    "starting with '-'",
			    shown(v, name));
	}
	return 0;
}

static int check_port_mappings(struct vctx *v, const json_t *list)
{
	size_t n = json_array_size(list), i, j, mark;
	struct port_span *spans;
	int r = 0;

	if (!n)
		return 0;
	if (!strcmp(v->mode, "none"))
		return fail(v, "are not possible in none network mode");
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		abort(); /* as ecsfs_buf does: nothing useful is left to do */
	for (i = 0; i < n && r == 0; i++) {
		mark = path_index(v, i);
		if ((r = check_port_mapping(v, json_array_get(list, i), &spans[i])) < 0)
			break;
		for (j = 0; j < i; j++) {
			if (strcmp(spans[i].proto, spans[j].proto) != 0 ||
			    spans[i].hi < spans[j].lo || spans[j].hi < spans[i].lo)
				continue;
			path_key(v, json_object_get(json_array_get(list, i), "containerPort")
					? "containerPort"
					: "containerPortRange");
			r = fail(v, "%lld/%s is already mapped by portMappings[%zu]",
				 spans[i].lo > spans[j].lo ? spans[i].lo : spans[j].lo,
				 spans[i].proto, j);
			break;
		}
		if (r == 0)
			path_pop(v, mark);
	}
	free(spans);
	return r;
}

static int check_health_check(struct vctx *v, const json_t *hc)
{
	const json_t *cmd = json_object_get(hc, "command");
	const char *first = json_string_value(json_array_get(cmd, 0));

	if (strcmp(first, "NONE") == 0)
		return 0;
	if (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) {
		path_key(v, "command");
		path_index(v, 0);
		return fail(v, "must be CMD, CMD-SHELL or NONE, got '%s'", shown(v, first));
	}
	if (json_array_size(cmd) < 2) {
		path_key(v, "command");
		return fail(v, "%s needs a command after it", first);
	}
	return 0;
}

static int check_depends_on(struct vctx *v, size_t self, const json_t *list)
{
	const json_t *dep;
	size_t i;

	json_array_foreach(list, i, dep) {
		const char *target = get_str(dep, "containerName");
		const char *cond = get_str(dep, "condition");
		int t = find_container(v, target);
		size_t mark = path_index(v, i);

		path_key(v, "containerName");
		if (t < 0)
			return fail(v, "no container is named '%s'", shown(v, target));
		if ((size_t)t == self)
			return fail(v, "a container cannot depend on itself");
		path_pop(v, mark);
		path_index(v, i);
		path_key(v, "condition");
		if ((!strcmp(cond, "COMPLETE") || !strcmp(cond, "SUCCESS")) && v->c[t].essential)
			return fail(v, "%s needs a non-essential container, and %s is essential",
				    cond, target);
		if (!strcmp(cond, "HEALTHY") && !v->c[t].healthy)
			return fail(v, "HEALTHY needs %s to have a healthCheck", target);
		path_pop(v, mark);
	}
	return 0;
}

static int check_links(struct vctx *v, size_t self, const json_t *list)
{
	const json_t *e;
	size_t i;

	if (json_array_size(list) && strcmp(v->mode, "bridge") != 0)
		return fail(v, "are supported only in bridge network mode, not %s", v->mode);
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e), *colon = strchr(s, ':');
		size_t len = colon ? (size_t)(colon - s) : strlen(s);
		size_t t, mark = path_index(v, i);

		for (t = 0; t < v->n; t++)
			if (strlen(v->c[t].name) == len && !strncmp(v->c[t].name, s, len))
				break;
		if (t == v->n)
			return fail(v, "'%s' does not name a container", shown(v, s));
		if (t == self)
			return fail(v, "a container cannot link to itself");
		if (colon && !colon[1])
			return fail(v, "'%s' has an empty alias", shown(v, s));
		path_pop(v, mark);
	}
	return 0;
}

static int check_mount_points(struct vctx *v, const json_t *list)
{
	const json_t *mp;
	size_t i, j;

	json_array_foreach(list, i, mp) {
		const char *src = get_str(mp, "sourceVolume");
		const char *dst = get_str(mp, "containerPath");
		size_t mark = path_index(v, i);

		if (!has_volume(v, src)) {
			path_key(v, "sourceVolume");
			return fail(v, "'%s' is not the name of a task volume", shown(v, src));
		}
		for (j = 0; j < i; j++) {
			if (strcmp(get_str(json_array_get(list, j), "containerPath"), dst) != 0)
				continue;
			path_key(v, "containerPath");
			return fail(v, "'%s' is already mounted by mountPoints[%zu]", shown(v, dst),
				    j);
		}
		path_pop(v, mark);
	}
	return 0;
}

static int check_volumes_from(struct vctx *v, size_t self, const json_t *list)
{
	const json_t *vf;
	size_t i;

	json_array_foreach(list, i, vf) {
		const char *src = get_str(vf, "sourceContainer");
		int t = find_container(v, src);
		size_t mark = path_index(v, i);

		path_key(v, "sourceContainer");
		if (t < 0)
			return fail(v, "no container is named '%s'", shown(v, src));
		if ((size_t)t == self)
			return fail(v, "a container cannot take volumes from itself");
		path_pop(v, mark);
	}
	return 0;
}

static int check_ulimits(struct vctx *v, const json_t *list)
{
	const json_t *u;
	size_t i, j;

	json_array_foreach(list, i, u) {
		const char *name = get_str(u, "name");
		long long soft = get_int(u, "softLimit", 0), hard = get_int(u, "hardLimit", 0);
		size_t mark = path_index(v, i);

		for (j = 0; j < i; j++) {
			if (strcmp(get_str(json_array_get(list, j), "name"), name) != 0)
				continue;
			path_key(v, "name");
			return fail(v, "%s is already set by ulimits[%zu]", name, j);
		}
		/* -1 is unlimited */
		if (hard != -1 && (soft == -1 || soft > hard)) {
			path_key(v, "softLimit");
			return fail(v, "%lld is above hardLimit %lld", soft, hard);
		}
		path_pop(v, mark);
	}
	return 0;
}

static int check_environment(struct vctx *v, const json_t *list)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *name = get_str(e, "name");
		if (!strchr(name, '='))
			continue;
		path_index(v, i);
		path_key(v, "name");
		return fail(v, "'%s' must not contain '='", shown(v, name));
	}
	return 0;
}

/* Container memory against Docker's floor, its reservation and the task. */
static int check_memory(struct vctx *v, const json_t *c)
{
	long long mem = get_int(c, "memory", -1), res = get_int(c, "memoryReservation", -1);

	if (mem < 0 && res < 0 && v->task_mem < 0) {
		path_key(v, "memory");
		return fail(v, "missing; without a task-level memory each container needs "
			       "memory or memoryReservation");
	}
	if (mem >= 0 && mem < DOCKER_MIN_MEMORY) {
		path_key(v, "memory");
		return fail(v, "%lld MiB is below Docker's minimum of %d MiB", mem,
			    DOCKER_MIN_MEMORY);
	}
	if (res >= 0 && res < DOCKER_MIN_MEMORY) {
		path_key(v, "memoryReservation");
		return fail(v, "%lld MiB is below Docker's minimum of %d MiB", res,
			    DOCKER_MIN_MEMORY);
	}
	if (mem >= 0 && res >= 0 && res > mem) {
		path_key(v, "memory");
		return fail(v, "%lld is below memoryReservation %lld", mem, res);
	}
	if (mem >= 0 && v->task_mem >= 0 && mem > v->task_mem) {
		path_key(v, "memory");
		return fail(v, "%lld is above the task's memory %lld", mem, v->task_mem);
	}
	if (res >= 0 && v->task_mem >= 0 && res > v->task_mem) {
		path_key(v, "memoryReservation");
		return fail(v, "%lld is above the task's memory %lld", res, v->task_mem);
	}
	return 0;
}

/* When `c` has the field `key`, evaluate `call` (which may use the field's
 * value as f_) with the field's path, and return on failure. */
#define CHECK_FIELD(v, c, key, call)                        \
	do {                                                \
		const json_t *f_ = json_object_get(c, key); \
		if (f_) {                                   \
			size_t m_ = path_key(v, key);       \
			if ((r = (call)) < 0)               \
				return r;                   \
			path_pop(v, m_);                    \
		}                                           \
	} while (0)

static int check_container(struct vctx *v, size_t i)
{
	const json_t *c = v->c[i].def;
	int r;

	path_set(v, "containerDefinitions[%zu]", i);
	if ((r = check_memory(v, c)) < 0)
		return r;
	CHECK_FIELD(v, c, "portMappings", check_port_mappings(v, f_));
	CHECK_FIELD(v, c, "healthCheck", check_health_check(v, f_));
	CHECK_FIELD(v, c, "dependsOn", check_depends_on(v, i, f_));
	CHECK_FIELD(v, c, "links", check_links(v, i, f_));
	CHECK_FIELD(v, c, "mountPoints", check_mount_points(v, f_));
	CHECK_FIELD(v, c, "volumesFrom", check_volumes_from(v, i, f_));
	CHECK_FIELD(v, c, "ulimits", check_ulimits(v, f_));
	CHECK_FIELD(v, c, "environment", check_environment(v, f_));
	if (!strcmp(v->mode, "awsvpc")) {
		CHECK_FIELD(v, c, "hostname", fail(v, "is not supported in awsvpc network mode"));
		CHECK_FIELD(v, c, "extraHosts",
			    fail(v, "are not supported in awsvpc network mode"));
	}
	return 0;
}

/* Can this healthCheck ever report HEALTHY? ["NONE"] turns checks off. */
static bool reports_health(const json_t *hc)
{
	const json_t *cmd = json_object_get(hc, "command");

	return hc && strcmp(json_string_value(json_array_get(cmd, 0)), "NONE") != 0;
}

/* Names (unique), essential and health of every container. */
static int collect_containers(struct vctx *v, const json_t *defs)
{
	const json_t *c;
	size_t i;
	int r;

	path_set(v, "containerDefinitions");
	if (json_array_size(defs) == 0)
		return fail(v, "must hold at least one container");
	if (json_array_size(defs) > MAX_CONTAINERS)
		return fail(v, "at most %d containers, got %zu", MAX_CONTAINERS,
			    json_array_size(defs));
	json_array_foreach(defs, i, c) {
		const char *name = get_str(c, "name");

		path_set(v, "containerDefinitions[%zu].name", i);
		if ((r = check_name(v, name, "container")) < 0)
			return r;
		if (find_container(v, name) >= 0)
			return fail(v, "'%s' is also the name of containerDefinitions[%d]", name,
				    find_container(v, name));
		v->c[i].def = c;
		v->c[i].name = name;
		v->c[i].essential = get_bool(c, "essential", true);
		v->c[i].healthy = reports_health(json_object_get(c, "healthCheck"));
		v->n = i + 1;
	}
	for (i = 0; i < v->n; i++)
		if (v->c[i].essential)
			return 0;
	path_set(v, "containerDefinitions");
	return fail(v, "no container is essential; at least one must be (essential defaults to "
		       "true)");
}

/* Depth-first search for a dependsOn cycle through container `i`. */
static int find_cycle(struct vctx *v, size_t i, int *color, size_t *stack, size_t depth)
{
	const json_t *dep;
	size_t k;
	int r;

	color[i] = 1; /* on the stack */
	stack[depth] = i;
	json_array_foreach(json_object_get(v->c[i].def, "dependsOn"), k, dep) {
		size_t t = (size_t)find_container(v, get_str(dep, "containerName"));
		if (color[t] == 1) {
			size_t from = 0;
			while (stack[from] != t)
				from++;
			path_set(v, "containerDefinitions[%zu].dependsOn", t);
			ecsfs_buf cycle = ECSFS_BUF_INIT;
			for (size_t s = from; s <= depth; s++)
				ecsfs_buf_addf(&cycle, "%s -> ", v->c[stack[s]].name);
			ecsfs_buf_adds(&cycle, v->c[t].name);
			r = fail(v, "cycle %s", cycle.data);
			ecsfs_buf_release(&cycle);
			return r;
		}
		if (color[t] == 0 && (r = find_cycle(v, t, color, stack, depth + 1)) < 0)
			return r;
	}
	color[i] = 2; /* done */
	return 0;
}

static int check_cycles(struct vctx *v)
{
	int color[MAX_CONTAINERS] = {0};
	size_t stack[MAX_CONTAINERS];
	int r;

	for (size_t i = 0; i < v->n; i++)
		if (color[i] == 0 && (r = find_cycle(v, i, color, stack, 0)) < 0)
			return r;
	return 0;
}

/* What all containers reserve together must fit the task's size. */
static int check_totals(struct vctx *v)
{
	long long cpu = 0, mem = 0;

	for (size_t i = 0; i < v->n; i++) {
		const json_t *c = v->c[i].def;
		long long res = get_int(c, "memoryReservation", -1);
		cpu += get_int(c, "cpu", 0);
		mem += res >= 0 ? res : get_int(c, "memory", 0);
	}
	if (v->task_cpu >= 0 && cpu > v->task_cpu) {
		path_set(v, "cpu");
		return fail(v, "%lld units is less than the %lld the containers reserve",
			    v->task_cpu, cpu);
	}
	if (v->task_mem >= 0 && mem > v->task_mem) {
		path_set(v, "memory");
		return fail(v, "%lld MiB is less than the %lld MiB the containers reserve",
			    v->task_mem, mem);
	}
	return 0;
}

static int check_tags(struct vctx *v, const json_t *tags)
{
	const json_t *t;
	size_t i;

	json_array_foreach(tags, i, t) {
		if (strlen(get_str(t, "key")) > 128) {
			path_set(v, "tags[%zu].key", i);
			return fail(v, "must be 1 to 128 characters");
		}
		if (get_str(t, "value") && strlen(get_str(t, "value")) > 256) {
			path_set(v, "tags[%zu].value", i);
			return fail(v, "must be at most 256 characters");
		}
	}
	return 0;
}

static int check_family(struct vctx *v, const char *family, const json_t *doc)
{
	const char *field = get_str(doc, "family");
	int r;

	path_set(v, "family");
	if ((r = check_name(v, family, "family")) < 0)
		return r;
	if (field && strcmp(field, family) != 0)
		return fail(v, "'%s' does not match the file name '%s'", shown(v, field), family);
	return 0;
}

static int check_semantics(struct vctx *v, const char *family, const json_t *doc)
{
	const json_t *proxy = json_object_get(doc, "proxyConfiguration");
	int r;

	v->volumes = json_object_get(doc, "volumes");
	if ((r = check_family(v, family, doc)) < 0 || (r = check_task_level(v, doc)) < 0 ||
	    (r = check_volumes(v)) < 0 ||
	    (r = collect_containers(v, json_object_get(doc, "containerDefinitions"))) < 0)
		return r;
	for (size_t i = 0; i < v->n; i++)
		if ((r = check_container(v, i)) < 0)
			return r;
	if ((r = check_cycles(v)) < 0 || (r = check_totals(v)) < 0 ||
	    (r = check_tags(v, json_object_get(doc, "tags"))) < 0)
		return r;
	if (proxy && find_container(v, get_str(proxy, "containerName")) < 0) {
		path_set(v, "proxyConfiguration.containerName");
		return fail(v, "no container is named '%s'",
			    shown(v, get_str(proxy, "containerName")));
	}
	return 0;
}

int ecsfs_taskdef_validate(const char *family, const json_t *doc, ecsfs_buf *why)
{
	struct vctx v = {.why = why};
	int r;

	ecsfs_buf_init(&v.path);
	ecsfs_buf_init(&v.shown);
	if (!json_is_object(doc))
		r = fail(&v, "a task definition must be a JSON object");
	else if ((r = check_object(&v, &task_shape, doc)) == 0)
		r = check_semantics(&v, family, doc);
	ecsfs_buf_release(&v.path);
	ecsfs_buf_release(&v.shown);
	return r;
}
