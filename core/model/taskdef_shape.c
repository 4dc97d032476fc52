/*
 * Task definitions: the fields of a RegisterTaskDefinition document, as
 * tables for the shape checker (ecsfs/shape.h): one table per kind of
 * object (task, container, portMapping, ...) with each field's JSON type,
 * whether it is required, its allowed values and plain ranges. What ties
 * fields together is in taskdef_rules.c and taskdef_container.c.
 */
#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "model/taskdef_private.h"

/* clang-format off */
#define NAT(n)          ECSFS_INT(n, 0, 0, ECSFS_I32_MAX)
#define STRS_OF(n, set) ECSFS_ARR(n, 0, ECSFS_ITEM(.type = ECSFS_JSON_STRING, .oneof = (set)), 0)
/* task-level cpu or memory: an integer or a string ("1 vCPU"), read by the rules */
#define SIZE(n)         {.name = (n), .type = ECSFS_JSON_STRING | ECSFS_JSON_INT, \
			 .type_msg = "must be a string such as \"1024\" or an integer"}
/* clang-format on */

/* Fields marked ECSFS_F_KEPT have no local meaning: checked, stored and
 * shown (README's "kept only"). */

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

static const ecsfs_field name_value_fields[] = {
    ECSFS_STR("name", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("value", ECSFS_F_REQUIRED),
};
static const ecsfs_shape name_value_shape = ECSFS_SHAPE(name_value_fields);

static const ecsfs_field secret_fields[] = {
    ECSFS_STR("name", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("valueFrom", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
};
static const ecsfs_shape secret_shape = ECSFS_SHAPE(secret_fields);

static const ecsfs_field repository_credentials_fields[] = {
    ECSFS_STR("credentialsParameter", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
};
static const ecsfs_shape repository_credentials_shape = ECSFS_SHAPE(repository_credentials_fields);

static const ecsfs_field port_mapping_fields[] = {
    ECSFS_INT("containerPort", 0, 1, 65535),
    ECSFS_INT("hostPort", 0, 0, 65535),
    ECSFS_STR_OF("protocol", 0, protocols),
    ECSFS_STR("name", 0),
    ECSFS_STR_OF("appProtocol", 0, app_protocols),
    ECSFS_STR("containerPortRange", ECSFS_F_NONEMPTY),
};
static const ecsfs_shape port_mapping_shape = ECSFS_SHAPE(port_mapping_fields);

static const ecsfs_field restart_policy_fields[] = {
    ECSFS_BOOL("enabled", ECSFS_F_REQUIRED),
    ECSFS_ARR("ignoredExitCodes", 0, &ecsfs_item_int32, 50),
    ECSFS_INT("restartAttemptPeriod", 0, 60, 1800),
};
static const ecsfs_shape restart_policy_shape = ECSFS_SHAPE(restart_policy_fields);

static const ecsfs_field environment_file_fields[] = {
    ECSFS_STR("value", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, env_file_types),
};
static const ecsfs_shape environment_file_shape = ECSFS_SHAPE(environment_file_fields);

static const ecsfs_field mount_point_fields[] = {
    ECSFS_STR("sourceVolume", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("containerPath", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_BOOL("readOnly", 0),
};
static const ecsfs_shape mount_point_shape = ECSFS_SHAPE(mount_point_fields);

static const ecsfs_field volume_from_fields[] = {
    ECSFS_STR("sourceContainer", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_BOOL("readOnly", 0),
};
static const ecsfs_shape volume_from_shape = ECSFS_SHAPE(volume_from_fields);

static const ecsfs_field capabilities_fields[] = {
    ECSFS_STRS("add", 0),
    ECSFS_STRS("drop", 0),
};
static const ecsfs_shape capabilities_shape = ECSFS_SHAPE(capabilities_fields);

static const ecsfs_field device_fields[] = {
    ECSFS_STR("hostPath", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("containerPath", 0),
    STRS_OF("permissions", device_permissions),
};
static const ecsfs_shape device_shape = ECSFS_SHAPE(device_fields);

static const ecsfs_field tmpfs_fields[] = {
    ECSFS_STR("containerPath", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("size", ECSFS_F_REQUIRED, 1, ECSFS_I32_MAX),
    ECSFS_STRS("mountOptions", 0),
};
static const ecsfs_shape tmpfs_shape = ECSFS_SHAPE(tmpfs_fields);

static const ecsfs_field linux_parameters_fields[] = {
    ECSFS_OBJ("capabilities", 0, capabilities_shape),
    ECSFS_OBJS("devices", 0, device_shape, 0),
    ECSFS_BOOL("initProcessEnabled", 0),
    NAT("sharedMemorySize"),
    ECSFS_OBJS("tmpfs", 0, tmpfs_shape, 0),
    NAT("maxSwap"),
    ECSFS_INT("swappiness", 0, 0, 100),
};
static const ecsfs_shape linux_parameters_shape = ECSFS_SHAPE(linux_parameters_fields);

static const ecsfs_field dependency_fields[] = {
    ECSFS_STR("containerName", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR_OF("condition", ECSFS_F_REQUIRED, conditions),
};
static const ecsfs_shape dependency_shape = ECSFS_SHAPE(dependency_fields);

static const ecsfs_field host_entry_fields[] = {
    ECSFS_STR("hostname", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("ipAddress", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
};
static const ecsfs_shape host_entry_shape = ECSFS_SHAPE(host_entry_fields);

/* -1 is Docker's "unlimited" */
static const ecsfs_field ulimit_fields[] = {
    ECSFS_STR_OF("name", ECSFS_F_REQUIRED, ulimit_names),
    ECSFS_INT("softLimit", ECSFS_F_REQUIRED, -1, ECSFS_I32_MAX),
    ECSFS_INT("hardLimit", ECSFS_F_REQUIRED, -1, ECSFS_I32_MAX),
};
static const ecsfs_shape ulimit_shape = ECSFS_SHAPE(ulimit_fields);

static const ecsfs_field log_configuration_fields[] = {
    ECSFS_STR_OF("logDriver", ECSFS_F_REQUIRED, log_drivers),
    ECSFS_MAP("options", 0, &ecsfs_item_string),
    ECSFS_OBJS("secretOptions", 0, secret_shape, 0),
};
static const ecsfs_shape log_configuration_shape = ECSFS_SHAPE(log_configuration_fields);

static const ecsfs_field health_check_fields[] = {
    ECSFS_STRS("command", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("interval", 0, 5, 300),
    ECSFS_INT("timeout", 0, 2, 120),
    ECSFS_INT("retries", 0, 1, 10),
    ECSFS_INT("startPeriod", 0, 0, 300),
};
static const ecsfs_shape health_check_shape = ECSFS_SHAPE(health_check_fields);

static const ecsfs_field system_control_fields[] = {
    ECSFS_STR("namespace", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("value", ECSFS_F_REQUIRED),
};
static const ecsfs_shape system_control_shape = ECSFS_SHAPE(system_control_fields);

static const ecsfs_field resource_requirement_fields[] = {
    ECSFS_STR("value", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, resource_types),
};
static const ecsfs_shape resource_requirement_shape = ECSFS_SHAPE(resource_requirement_fields);

static const ecsfs_field firelens_fields[] = {
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, firelens_types),
    ECSFS_MAP("options", 0, &ecsfs_item_string),
};
static const ecsfs_shape firelens_shape = ECSFS_SHAPE(firelens_fields);

static const ecsfs_field container_fields[] = {
    ECSFS_STR("name", ECSFS_F_REQUIRED),
    ECSFS_STR("image", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_OBJ("repositoryCredentials", ECSFS_F_KEPT, repository_credentials_shape),
    NAT("cpu"),
    NAT("memory"),
    NAT("memoryReservation"),
    ECSFS_STRS("links", 0),
    ECSFS_OBJS("portMappings", 0, port_mapping_shape, 0),
    ECSFS_BOOL("essential", 0),
    ECSFS_OBJ("restartPolicy", ECSFS_F_KEPT, restart_policy_shape),
    ECSFS_STRS("entryPoint", 0),
    ECSFS_STRS("command", 0),
    ECSFS_OBJS("environment", 0, name_value_shape, 0),
    ECSFS_OBJS("environmentFiles", 0, environment_file_shape, 0),
    ECSFS_OBJS("mountPoints", 0, mount_point_shape, 0),
    ECSFS_OBJS("volumesFrom", 0, volume_from_shape, 0),
    ECSFS_OBJ("linuxParameters", 0, linux_parameters_shape),
    ECSFS_OBJS("secrets", 0, secret_shape, 0),
    ECSFS_OBJS("dependsOn", 0, dependency_shape, 0),
    ECSFS_INT("startTimeout", 0, 2, ECSFS_I32_MAX),
    ECSFS_INT("stopTimeout", 0, 2, 120),
    ECSFS_STR_OF("versionConsistency", ECSFS_F_KEPT, on_off),
    ECSFS_STR("hostname", 0),
    ECSFS_STR("user", 0),
    ECSFS_STR("workingDirectory", 0),
    ECSFS_BOOL("disableNetworking", 0),
    ECSFS_BOOL("privileged", 0),
    ECSFS_BOOL("readonlyRootFilesystem", 0),
    ECSFS_STRS("dnsServers", 0),
    ECSFS_STRS("dnsSearchDomains", 0),
    ECSFS_OBJS("extraHosts", 0, host_entry_shape, 0),
    ECSFS_STRS("dockerSecurityOptions", 0),
    ECSFS_BOOL("interactive", 0),
    ECSFS_BOOL("pseudoTerminal", 0),
    ECSFS_MAP("dockerLabels", 0, &ecsfs_item_string),
    ECSFS_OBJS("ulimits", 0, ulimit_shape, 0),
    ECSFS_OBJ("logConfiguration", ECSFS_F_KEPT, log_configuration_shape),
    ECSFS_OBJ("healthCheck", 0, health_check_shape),
    ECSFS_OBJS("systemControls", 0, system_control_shape, 0),
    ECSFS_OBJS("resourceRequirements", 0, resource_requirement_shape, 0),
    ECSFS_OBJ("firelensConfiguration", ECSFS_F_KEPT, firelens_shape),
    ECSFS_STRS("credentialSpecs", ECSFS_F_KEPT),
};
static const ecsfs_shape container_shape = ECSFS_SHAPE(container_fields);

static const ecsfs_field host_volume_fields[] = {
    ECSFS_STR("sourcePath", 0),
};
static const ecsfs_shape host_volume_shape = ECSFS_SHAPE(host_volume_fields);

static const ecsfs_field docker_volume_fields[] = {
    ECSFS_STR_OF("scope", 0, volume_scopes),
    ECSFS_BOOL("autoprovision", 0),
    ECSFS_STR("driver", 0),
    ECSFS_MAP("driverOpts", 0, &ecsfs_item_string),
    ECSFS_MAP("labels", 0, &ecsfs_item_string),
};
static const ecsfs_shape docker_volume_shape = ECSFS_SHAPE(docker_volume_fields);

static const ecsfs_field efs_authorization_fields[] = {
    ECSFS_STR("accessPointId", 0),
    ECSFS_STR_OF("iam", 0, enabled_disabled),
};
static const ecsfs_shape efs_authorization_shape = ECSFS_SHAPE(efs_authorization_fields);

static const ecsfs_field efs_volume_fields[] = {
    ECSFS_STR("fileSystemId", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("rootDirectory", 0),
    ECSFS_STR_OF("transitEncryption", 0, enabled_disabled),
    ECSFS_INT("transitEncryptionPort", 0, 1, 65535),
    ECSFS_OBJ("authorizationConfig", 0, efs_authorization_shape),
};
static const ecsfs_shape efs_volume_shape = ECSFS_SHAPE(efs_volume_fields);

static const ecsfs_field fsx_authorization_fields[] = {
    ECSFS_STR("credentialsParameter", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("domain", ECSFS_F_REQUIRED),
};
static const ecsfs_shape fsx_authorization_shape = ECSFS_SHAPE(fsx_authorization_fields);

static const ecsfs_field fsx_volume_fields[] = {
    ECSFS_STR("fileSystemId", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("rootDirectory", ECSFS_F_REQUIRED),
    ECSFS_OBJ("authorizationConfig", ECSFS_F_REQUIRED, fsx_authorization_shape),
};
static const ecsfs_shape fsx_volume_shape = ECSFS_SHAPE(fsx_volume_fields);

static const ecsfs_field volume_fields[] = {
    ECSFS_STR("name", ECSFS_F_REQUIRED),
    ECSFS_OBJ("host", 0, host_volume_shape),
    ECSFS_BOOL("configuredAtLaunch", 0),
    ECSFS_OBJ("dockerVolumeConfiguration", 0, docker_volume_shape),
    ECSFS_OBJ("efsVolumeConfiguration", 0, efs_volume_shape),
    ECSFS_OBJ("fsxWindowsFileServerVolumeConfiguration", 0, fsx_volume_shape),
};
static const ecsfs_shape volume_shape = ECSFS_SHAPE(volume_fields);

static const ecsfs_field placement_fields[] = {
    ECSFS_STR_OF("type", ECSFS_F_REQUIRED, placement_types),
    ECSFS_STR("expression", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
};
static const ecsfs_shape placement_shape = ECSFS_SHAPE(placement_fields);

static const ecsfs_field proxy_fields[] = {
    ECSFS_STR_OF("type", 0, proxy_types),
    ECSFS_STR("containerName", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_OBJS("properties", 0, name_value_shape, 0),
};
static const ecsfs_shape proxy_shape = ECSFS_SHAPE(proxy_fields);

static const ecsfs_field accelerator_fields[] = {
    ECSFS_STR("deviceName", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("deviceType", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
};
static const ecsfs_shape accelerator_shape = ECSFS_SHAPE(accelerator_fields);

static const ecsfs_field ephemeral_fields[] = {
    ECSFS_INT("sizeInGiB", ECSFS_F_REQUIRED, 21, 200),
};
static const ecsfs_shape ephemeral_shape = ECSFS_SHAPE(ephemeral_fields);

static const ecsfs_field platform_fields[] = {
    ECSFS_STR_OF("cpuArchitecture", 0, cpu_architectures),
    ECSFS_STR("operatingSystemFamily", 0),
};
static const ecsfs_shape platform_shape = ECSFS_SHAPE(platform_fields);

static const ecsfs_field task_fields[] = {
    ECSFS_STR("family", 0),
    ECSFS_STR("taskRoleArn", ECSFS_F_KEPT),
    ECSFS_STR("executionRoleArn", ECSFS_F_KEPT),
    ECSFS_STR_OF("networkMode", 0, network_modes),
    ECSFS_OBJS("containerDefinitions", ECSFS_F_REQUIRED, container_shape, 0),
    ECSFS_OBJS("volumes", 0, volume_shape, 0),
    ECSFS_OBJS("placementConstraints", 0, placement_shape, 10),
    STRS_OF("requiresCompatibilities", compatibilities),
    SIZE("cpu"),
    SIZE("memory"),
    ECSFS_ARR("tags", ECSFS_F_KEPT, &ecsfs_item_tag, 50),
    ECSFS_STR_OF("pidMode", 0, pid_modes),
    ECSFS_STR_OF("ipcMode", 0, ipc_modes),
    ECSFS_OBJ("proxyConfiguration", ECSFS_F_KEPT, proxy_shape),
    ECSFS_OBJS("inferenceAccelerators", ECSFS_F_KEPT, accelerator_shape, 0),
    ECSFS_OBJ("ephemeralStorage", 0, ephemeral_shape),
    ECSFS_OBJ("runtimePlatform", ECSFS_F_KEPT, platform_shape),
    ECSFS_BOOL("enableFaultInjection", ECSFS_F_KEPT),
    /* what describe-task-definition adds, so its output can be applied again */
    ECSFS_IGNORE("taskDefinitionArn"),
    ECSFS_IGNORE("revision"),
    ECSFS_IGNORE("status"),
    ECSFS_IGNORE("registeredAt"),
    ECSFS_IGNORE("registeredBy"),
    ECSFS_IGNORE("deregisteredAt"),
    ECSFS_IGNORE("deleteRequestedAt"),
    ECSFS_IGNORE("compatibilities"),
    ECSFS_IGNORE("requiresAttributes"),
};
const ecsfs_shape ecsfs__taskdef_shape = ECSFS_SHAPE(task_fields);

bool ecsfs__taskdef_response_only(const char *key)
{
	const ecsfs_field *f = ecsfs_shape_field(&ecsfs__taskdef_shape, key);

	return f && (f->flags & ECSFS_F_IGNORED);
}
