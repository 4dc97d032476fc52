/* ecsfs_taskdef_validate(): valid documents pass, each bad one names its field. */
#include <errno.h>

#include "ecsfs/taskdef.h"
#include "tap.h"

/* Documents are written with ' for " to keep them readable here. */
static json_t *load(const char *text)
{
	char *s = strdup(text);
	json_error_t err;
	json_t *doc;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	doc = json_loads(s, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		printf("# bad test JSON: %s: %s\n", err.text, s);
	free(s);
	return doc;
}

static int validate(const char *family, const char *text, ecsfs_buf *why)
{
	json_t *doc = load(text);
	int r;

	if (!doc)
		return -999;
	r = ecsfs_taskdef_validate(family, doc, why);
	json_decref(doc);
	return r;
}

/* Every field ECS knows, most of them kept without a local meaning. */
static const char full[] =
    "{'family': 'web', 'taskRoleArn': 'arn:aws:iam::000000000000:role/task',"
    " 'executionRoleArn': 'arn:aws:iam::000000000000:role/exec', 'networkMode': 'bridge',"
    " 'requiresCompatibilities': ['EC2', 'EXTERNAL'], 'cpu': '1 vCPU', 'memory': '2 GB',"
    " 'pidMode': 'task', 'ipcMode': 'none', 'enableFaultInjection': false,"
    " 'tags': [{'key': 'team', 'value': 'web'}],"
    " 'placementConstraints': [{'type': 'memberOf', 'expression': 'attribute:a == b'}],"
    " 'runtimePlatform': {'cpuArchitecture': 'X86_64', 'operatingSystemFamily': 'LINUX'},"
    " 'ephemeralStorage': {'sizeInGiB': 30},"
    " 'inferenceAccelerators': [{'deviceName': 'd0', 'deviceType': 'eia2.medium'}],"
    " 'proxyConfiguration': {'type': 'APPMESH', 'containerName': 'app',"
    "   'properties': [{'name': 'ProxyIngressPort', 'value': '15000'}]},"
    " 'volumes': [{'name': 'data', 'host': {'sourcePath': '/srv/data'}},"
    "   {'name': 'cache', 'dockerVolumeConfiguration': {'scope': 'shared', 'autoprovision': true,"
    "     'driver': 'local', 'driverOpts': {'type': 'tmpfs'}, 'labels': {'a': 'b'}}},"
    "   {'name': 'efs', 'efsVolumeConfiguration': {'fileSystemId': 'fs-1',"
    "     'transitEncryption': 'ENABLED', 'transitEncryptionPort': 2049,"
    "     'authorizationConfig': {'accessPointId': 'fsap-1', 'iam': 'ENABLED'}}},"
    "   {'name': 'late', 'configuredAtLaunch': true}],"
    " 'containerDefinitions': ["
    "  {'name': 'db', 'image': 'postgres:16', 'cpu': 256, 'memory': 512,"
    "   'memoryReservation': 256, 'essential': true,"
    "   'portMappings': [{'containerPort': 5432, 'hostPort': 0, 'protocol': 'tcp'},"
    "     {'containerPort': 5432, 'protocol': 'udp'},"
    "     {'containerPortRange': '7000-7010', 'name': 'gossip', 'appProtocol': 'grpc'}],"
    "   'environment': [{'name': 'PGDATA', 'value': '/var/lib/pg'}],"
    "   'environmentFiles': [{'value': 'arn:aws:s3:::b/env', 'type': 's3'}],"
    "   'secrets': [{'name': 'POSTGRES_PASSWORD', 'valueFrom': 'db-password'}],"
    "   'mountPoints': [{'sourceVolume': 'data', 'containerPath': '/var/lib/pg',"
    "     'readOnly': false}],"
    "   'healthCheck': {'command': ['CMD-SHELL', 'pg_isready'], 'interval': 10,"
    "     'timeout': 5, 'retries': 3, 'startPeriod': 30},"
    "   'ulimits': [{'name': 'nofile', 'softLimit': 1024, 'hardLimit': 4096},"
    "     {'name': 'memlock', 'softLimit': -1, 'hardLimit': -1}],"
    "   'linuxParameters': {'capabilities': {'add': ['SYS_PTRACE'], 'drop': ['NET_RAW']},"
    "     'devices': [{'hostPath': '/dev/fuse', 'containerPath': '/dev/fuse',"
    "       'permissions': ['read', 'write']}], 'initProcessEnabled': true,"
    "     'sharedMemorySize': 64, 'tmpfs': [{'containerPath': '/run', 'size': 16,"
    "       'mountOptions': ['noexec']}], 'maxSwap': 0, 'swappiness': 60},"
    "   'stopTimeout': 30, 'startTimeout': 60, 'user': 'postgres',"
    "   'logConfiguration': {'logDriver': 'awslogs', 'options': {'awslogs-group': 'db'},"
    "     'secretOptions': [{'name': 'token', 'valueFrom': 'log-token'}]},"
    "   'systemControls': [{'namespace': 'net.core.somaxconn', 'value': '1024'}],"
    "   'dockerLabels': {'tier': 'data'}, 'restartPolicy': {'enabled': true,"
    "     'ignoredExitCodes': [0, 143], 'restartAttemptPeriod': 300}},"
    "  {'name': 'app', 'image': 'example/app:1', 'memoryReservation': 128,"
    "   'links': ['db:database'], 'entryPoint': ['/bin/sh', '-c'], 'command': ['exec app'],"
    "   'dependsOn': [{'containerName': 'db', 'condition': 'HEALTHY'},"
    "     {'containerName': 'migrate', 'condition': 'SUCCESS'}],"
    "   'volumesFrom': [{'sourceContainer': 'db', 'readOnly': true}],"
    "   'portMappings': [{'containerPort': 8080, 'hostPort': 80, 'appProtocol': 'http'}],"
    "   'hostname': 'app', 'workingDirectory': '/app', 'disableNetworking': false,"
    "   'privileged': false, 'readonlyRootFilesystem': true, 'dnsServers': ['10.0.0.2'],"
    "   'dnsSearchDomains': ['svc.local'], 'extraHosts': [{'hostname': 'h',"
    "     'ipAddress': '10.0.0.9'}], 'dockerSecurityOptions': ['no-new-privileges'],"
    "   'interactive': false, 'pseudoTerminal': false, 'versionConsistency': 'disabled',"
    "   'repositoryCredentials': {'credentialsParameter': 'arn:aws:secretsmanager:x'},"
    "   'resourceRequirements': [{'value': '1', 'type': 'GPU'}],"
    "   'credentialSpecs': ['credentialspecdomainless:arn'],"
    "   'firelensConfiguration': {'type': 'fluentbit', 'options': {'enable-ecs-log-metadata':"
    "     'true'}}},"
    "  {'name': 'migrate', 'image': 'example/app:1', 'memory': 64, 'essential': false,"
    "   'command': ['migrate']}]}";

static const char fargate[] =
    "{'family': 'api', 'requiresCompatibilities': ['FARGATE'], 'networkMode': 'awsvpc',"
    " 'cpu': '.5 vCPU', 'memory': '3GB',"
    " 'containerDefinitions': [{'name': 'api', 'image': 'example/api',"
    "  'portMappings': [{'containerPort': 443, 'hostPort': 443}]},"
    "  {'name': 'sidecar', 'image': 'example/proxy', 'memoryReservation': 64,"
    "   'essential': false}]}";

/* What describe-task-definition gives back, applied again. */
static const char described[] =
    "{'taskDefinitionArn': 'arn:aws:ecs:local:000000000000:task-definition/web:3',"
    " 'family': 'web', 'revision': 3, 'status': 'ACTIVE', 'volumes': [],"
    " 'registeredAt': '2026-11-21T19:50:27.123Z', 'registeredBy': 'ecsfs',"
    " 'deregisteredAt': null, 'compatibilities': ['EC2', 'FARGATE'],"
    " 'requiresAttributes': [{'name': 'com.amazonaws.ecs.capability.docker-remote-api.1.18'}],"
    " 'placementConstraints': [], 'cpu': '256', 'memory': '512', 'networkMode': 'awsvpc',"
    " 'requiresCompatibilities': ['FARGATE'],"
    " 'containerDefinitions': [{'name': 'web', 'image': 'nginx', 'cpu': 0,"
    "  'portMappings': [{'containerPort': 80, 'hostPort': 80, 'protocol': 'tcp'}],"
    "  'essential': true, 'environment': [], 'mountPoints': [], 'volumesFrom': [],"
    "  'systemControls': []}]}";

/* One container "web" (nginx) with the given fields; two, "web" and "db";
 * task-level fields and one container. Memory is up to the caller. */
#define ONE(fields) "{'containerDefinitions': [{'name': 'web', 'image': 'nginx', " fields "}]}"
#define TWO(a, b)                                                              \
	"{'containerDefinitions': [{'name': 'web', 'image': 'nginx', " a "}, " \
	"{'name': 'db', 'image': 'postgres', " b "}]}"
#define TASK(fields, c) \
	"{" fields ", 'containerDefinitions': [{'name': 'web', 'image': 'nginx', " c "}]}"

struct bad {
	const char *doc;
	const char *path; /* the message must start with it */
	const char *also; /* and contain this, when not NULL */
};

static const struct bad bad[] = {
    /* the task */
    {"{'family': 'api', 'containerDefinitions': [{'name': 'a', 'image': 'x', 'memory': 64}]}",
     "family:", "'api' does not match the file name 'web'"},
    {"{'famly': 'web', 'containerDefinitions': []}", "famly:", "did you mean 'family'"},
    {"{'family': 'web'}", "containerDefinitions:", "required"},
    {"{'containerDefinitions': []}", "containerDefinitions:", "at least one"},
    {"{'containerDefinitions': {}}", "containerDefinitions:", "array"},
    {TASK("'networkMode': 'nat'", "'memory': 64"), "networkMode:", "bridge, host, awsvpc or none"},
    {TASK("'pidMode': 'container'", "'memory': 64"), "pidMode:", NULL},
    {TASK("'ipcMode': 'shareable'", "'memory': 64"), "ipcMode:", NULL},
    {TASK("'requiresCompatibilities': ['LAMBDA']", "'memory': 64"),
     "requiresCompatibilities[0]:", "MANAGED_INSTANCES"},
    {TASK("'requiresCompatibilities': ['FARGATE'], 'cpu': '256', 'memory': '512'", "'cpu': 0"),
     "networkMode:", "awsvpc"},
    {TASK("'requiresCompatibilities': ['FARGATE'], 'networkMode': 'awsvpc', 'memory': '512'",
	  "'cpu': 0"),
     "cpu:", "FARGATE requires"},
    {TASK("'requiresCompatibilities': ['FARGATE'], 'networkMode': 'awsvpc', 'cpu': '256', "
	  "'memory': '4096'",
	  "'cpu': 0"),
     "memory:", "512, 1024 to 2048"},
    {TASK("'requiresCompatibilities': ['FARGATE'], 'networkMode': 'awsvpc', 'cpu': '8192', "
	  "'memory': '18432'",
	  "'cpu': 0"),
     "memory:", "steps of 4096"},
    {TASK("'requiresCompatibilities': ['FARGATE'], 'networkMode': 'awsvpc', 'cpu': 300, "
	  "'memory': 1024",
	  "'cpu': 0"),
     "cpu:", "not a Fargate task size"},
    {TASK("'cpu': '1 banana'", "'memory': 64"), "cpu:", "vCPU"},
    {TASK("'memory': '1.5'", "'cpu': 0"), "memory:", "GB"},
    {TASK("'memory': true", "'cpu': 0"), "memory:", "must be a string"},
    {TASK("'cpu': '64'", "'memory': 64"), "cpu:", "128..196608"},
    {TASK("'memory': '256'", "'memory': 512"),
     "containerDefinitions[0].memory:", "above the task's memory 256"},
    {TASK("'cpu': 256", "'memory': 64, 'cpu': 512"), "cpu:", "the containers reserve"},
    {TASK("'tags': [{'key': 'a'}, {'value': 'b'}]", "'memory': 64"), "tags[1].key:", "required"},
    {TASK("'ephemeralStorage': {'sizeInGiB': 10}", "'memory': 64"),
     "ephemeralStorage.sizeInGiB:", "outside 21..200"},
    {TASK("'proxyConfiguration': {'containerName': 'envoy'}", "'memory': 64"),
     "proxyConfiguration.containerName:", "'envoy'"},
    {TASK("'enableFaultInjection': 'yes'", "'memory': 64"), "enableFaultInjection:", "boolean"},
    /* containers */
    {ONE("'memory': 64, 'memroy': 64"), "containerDefinitions[0].memroy:", "did you mean 'memory'"},
    {ONE("'memory': 64, 'a b:c': 1"), "containerDefinitions[0].\"a b:c\":", "unknown field"},
    {ONE("'memory': 64, 'essential': 'true'"),
     "containerDefinitions[0].essential:", "must be a boolean"},
    {ONE("'memory': 64.5"), "containerDefinitions[0].memory:", "must be an integer"},
    {ONE("'memory': 99999999999"), "containerDefinitions[0].memory:", "outside"},
    {ONE("'memory': 4"), "containerDefinitions[0].memory:", "Docker's minimum of 6 MiB"},
    {ONE("'cpu': 10"), "containerDefinitions[0].memory:", "memoryReservation"},
    {ONE("'cpu': -1, 'memory': 64"), "containerDefinitions[0].cpu:", "minimum 0"},
    {TWO("'memory': 128", "'memory': 128, 'memoryReservation': 256"),
     "containerDefinitions[1].memory:", "128 is below memoryReservation 256"},
    {"{'containerDefinitions': [{'image': 'x', 'memory': 64}]}",
     "containerDefinitions[0].name:", "required"},
    {"{'containerDefinitions': [{'name': 'a b', 'image': 'x', 'memory': 64}]}",
     "containerDefinitions[0].name:", "position 2"},
    {"{'containerDefinitions': [{'name': 'a', 'memory': 64}]}",
     "containerDefinitions[0].image:", "required"},
    {"{'containerDefinitions': [{'name': 'a', 'image': '', 'memory': 64}]}",
     "containerDefinitions[0].image:", "empty"},
    {"{'containerDefinitions': [{'name': 'a', 'image': 'x', 'memory': 64},"
     " {'name': 'a', 'image': 'y', 'memory': 64}]}",
     "containerDefinitions[1].name:", "also the name of containerDefinitions[0]"},
    {TWO("'essential': false, 'memory': 128", "'essential': false, 'memory': 128"),
     "containerDefinitions:", "essential"},
    {"{'containerDefinitions': [" //
     "{'name':'c0','image':'x','memory':8},{'name':'c1','image':'x','memory':8},"
     "{'name':'c2','image':'x','memory':8},{'name':'c3','image':'x','memory':8},"
     "{'name':'c4','image':'x','memory':8},{'name':'c5','image':'x','memory':8},"
     "{'name':'c6','image':'x','memory':8},{'name':'c7','image':'x','memory':8},"
     "{'name':'c8','image':'x','memory':8},{'name':'c9','image':'x','memory':8},"
     "{'name':'c10','image':'x','memory':8}]}",
     "containerDefinitions:", "at most 10"},
    {ONE("'memory': 64, 'stopTimeout': 300"),
     "containerDefinitions[0].stopTimeout:", "outside 2..120"},
    {ONE("'memory': 64, 'startTimeout': 1"),
     "containerDefinitions[0].startTimeout:", "below the minimum 2"},
    {ONE("'memory': 64, 'command': 'run'"), "containerDefinitions[0].command:", "array of strings"},
    {ONE("'memory': 64, 'command': ['run', 1]"),
     "containerDefinitions[0].command[1]:", "must be a string"},
    {ONE("'memory': 64, 'dockerLabels': {'a': 1}"),
     "containerDefinitions[0].dockerLabels.a:", "must be a string"},
    /* portMappings */
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 0}]"),
     "containerDefinitions[0].portMappings[0].containerPort:", "outside 1..65535"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'hostPort': 70000}]"),
     "containerDefinitions[0].portMappings[0].hostPort:", "outside 0..65535"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'protocol': 'sctp'}]"),
     "containerDefinitions[0].portMappings[0].protocol:", "tcp or udp"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'appProtocol': 'ftp'}]"),
     "containerDefinitions[0].portMappings[0].appProtocol:", "http, http2 or grpc"},
    {ONE("'memory': 64, 'portMappings': [{'hostPort': 80}]"),
     "containerDefinitions[0].portMappings[0].containerPort:", "missing"},
    {ONE("'memory': 64, 'portMappings': [{'containerPortRange': '9000-8000'}]"),
     "containerDefinitions[0].portMappings[0].containerPortRange:", "first-last"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80}, {'containerPort': 81},"
	 " {'containerPort': 80, 'protocol': 'tcp'}]"),
     "containerDefinitions[0].portMappings[2].containerPort:", "already mapped by portMappings[0]"},
    {ONE("'memory': 64, 'portMappings': [{'containerPortRange': '8000-8100'},"
	 " {'containerPort': 8050}]"),
     "containerDefinitions[0].portMappings[1].containerPort:", "8050/tcp"},
    {TASK("'networkMode': 'awsvpc'", "'memory': 64, 'portMappings': [{'containerPort': 80, "
				     "'hostPort': 8080}]"),
     "containerDefinitions[0].portMappings[0].hostPort:", "must equal containerPort 80"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'hostPort': 8080}]"),
     "containerDefinitions[0].portMappings[0].hostPort:", "in awsvpc (the default) network mode"},
    {TASK("'networkMode': 'host'", "'memory': 64, 'portMappings': [{'containerPort': 80, "
				   "'hostPort': 0}]"),
     "containerDefinitions[0].portMappings[0].hostPort:", "host network mode"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'name': 'Web'}]"),
     "containerDefinitions[0].portMappings[0].name:", "lowercase"},
    /* healthCheck */
    {ONE("'memory': 64, 'healthCheck': {'command': ['CMD', 'true'], 'interval': 2}"),
     "containerDefinitions[0].healthCheck.interval:", "2 is outside 5..300"},
    {ONE("'memory': 64, 'healthCheck': {'command': ['CMD', 'true'], 'timeout': 121}"),
     "containerDefinitions[0].healthCheck.timeout:", "outside 2..120"},
    {ONE("'memory': 64, 'healthCheck': {'command': ['CMD', 'true'], 'retries': 11}"),
     "containerDefinitions[0].healthCheck.retries:", "outside 1..10"},
    {ONE("'memory': 64, 'healthCheck': {'command': ['CMD', 'true'], 'startPeriod': 301}"),
     "containerDefinitions[0].healthCheck.startPeriod:", "outside 0..300"},
    {ONE("'memory': 64, 'healthCheck': {'command': ['curl', 'localhost']}"),
     "containerDefinitions[0].healthCheck.command[0]:", "CMD, CMD-SHELL or NONE"},
    {ONE("'memory': 64, 'healthCheck': {'command': []}"),
     "containerDefinitions[0].healthCheck.command:", "empty"},
    {ONE("'memory': 64, 'healthCheck': {'interval': 30}"),
     "containerDefinitions[0].healthCheck.command:", "required"},
    {ONE("'memory': 64, 'healthCheck': {'command': ['CMD-SHELL']}"),
     "containerDefinitions[0].healthCheck.command:", "needs a command"},
    /* dependsOn */
    {TWO("'dependsOn': [{'containerName': 'cache', 'condition': 'START'}], 'memory': 128",
	 "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].containerName:", "'cache'"},
    {TWO("'dependsOn': [{'containerName': 'web', 'condition': 'START'}], 'memory': 128",
	 "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].containerName:", "itself"},
    {TWO("'dependsOn': [{'containerName': 'db', 'condition': 'READY'}], 'memory': 128",
	 "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].condition:", "START, COMPLETE, SUCCESS or HEALTHY"},
    {TWO("'dependsOn': [{'containerName': 'db'}], 'memory': 128", "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].condition:", "required"},
    {TWO("'dependsOn': [{'containerName': 'db', 'condition': 'SUCCESS'}], 'memory': 128",
	 "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].condition:", "db is essential"},
    {TWO("'dependsOn': [{'containerName': 'db', 'condition': 'HEALTHY'}], 'memory': 128",
	 "'memory': 128"),
     "containerDefinitions[0].dependsOn[0].condition:", "healthCheck"},
    {"{'containerDefinitions': [{'name': 'cache', 'image': 'redis', 'memory': 64},"
     " {'name': 'web', 'image': 'x', 'memory': 64,"
     "  'dependsOn': [{'containerName': 'db', 'condition': 'START'}]},"
     " {'name': 'db', 'image': 'y', 'memory': 64,"
     "  'dependsOn': [{'containerName': 'web', 'condition': 'START'}]}]}",
     "containerDefinitions[1].dependsOn:", "cycle web -> db -> web"},
    /* volumes and mounts */
    {ONE("'memory': 64, 'mountPoints': [{'sourceVolume': 'data', 'containerPath': '/d'}]"),
     "containerDefinitions[0].mountPoints[0].sourceVolume:", "'data'"},
    {TASK("'volumes': [{'name': 'data'}]",
	  "'memory': 64, 'mountPoints': [{'sourceVolume': 'data', 'containerPath': '/d'},"
	  " {'sourceVolume': 'data', 'containerPath': '/d'}]"),
     "containerDefinitions[0].mountPoints[1].containerPath:", "already mounted"},
    {TASK("'volumes': [{'name': 'data'}, {'name': 'data'}]", "'memory': 64"),
     "volumes[1].name:", "volumes[0]"},
    {TASK("'volumes': [{'host': {}}]", "'memory': 64"), "volumes[0].name:", "required"},
    {TASK("'volumes': [{'name': 'v', 'host': {}, 'efsVolumeConfiguration': {'fileSystemId': "
	  "'fs'}}]",
	  "'memory': 64"),
     "volumes[0].efsVolumeConfiguration:", "cannot be combined with host"},
    {TASK("'volumes': [{'name': 'v', 'dockerVolumeConfiguration': {'autoprovision': true}}]",
	  "'memory': 64"),
     "volumes[0].dockerVolumeConfiguration.autoprovision:", "shared"},
    {TWO("'volumesFrom': [{'sourceContainer': 'nope'}], 'memory': 128", "'memory': 128"),
     "containerDefinitions[0].volumesFrom[0].sourceContainer:", "'nope'"},
    {TWO("'memory': 128", "'volumesFrom': [{'sourceContainer': 'db'}], 'memory': 128"),
     "containerDefinitions[1].volumesFrom[0].sourceContainer:", "itself"},
    /* the rest of a container */
    {ONE("'memory': 64, 'environment': [{'name': 'A', 'value': 1}]"),
     "containerDefinitions[0].environment[0].value:", "must be a string"},
    {ONE("'memory': 64, 'environment': [{'name': 'A=B', 'value': '1'}]"),
     "containerDefinitions[0].environment[0].name:", "'='"},
    {ONE("'memory': 64, 'secrets': [{'name': 'PW', 'valueFrom': ''}]"),
     "containerDefinitions[0].secrets[0].valueFrom:", "empty"},
    {ONE("'memory': 64, 'ulimits': [{'name': 'files', 'softLimit': 1, 'hardLimit': 2}]"),
     "containerDefinitions[0].ulimits[0].name:", "nofile"},
    {ONE("'memory': 64, 'ulimits': [{'name': 'nofile', 'softLimit': 4096, 'hardLimit': 1024}]"),
     "containerDefinitions[0].ulimits[0].softLimit:", "above hardLimit"},
    {ONE("'memory': 64, 'linuxParameters': {'swappiness': 101}"),
     "containerDefinitions[0].linuxParameters.swappiness:", "outside 0..100"},
    {ONE("'memory': 64, 'linuxParameters': {'tmpfs': [{'containerPath': '/t', 'size': 0}]}"),
     "containerDefinitions[0].linuxParameters.tmpfs[0].size:", NULL},
    {ONE("'memory': 64, 'linuxParameters': {'devices': [{'containerPath': '/dev/x'}]}"),
     "containerDefinitions[0].linuxParameters.devices[0].hostPath:", "required"},
    {ONE("'memory': 64, 'linuxParameters': {'capabilities': {'add': [1]}}"),
     "containerDefinitions[0].linuxParameters.capabilities.add[0]:", "string"},
    {ONE("'memory': 64, 'extraHosts': [{'hostname': 'h'}]"),
     "containerDefinitions[0].extraHosts[0].ipAddress:", "required"},
    {ONE("'memory': 64, 'systemControls': [{'namespace': 'net.x', 'value': 1}]"),
     "containerDefinitions[0].systemControls[0].value:", "string"},
    {ONE("'memory': 64, 'dnsServers': [1]"), "containerDefinitions[0].dnsServers[0]:", "string"},
    {ONE("'memory': 64, 'logConfiguration': {'logDriver': 'stdout'}"),
     "containerDefinitions[0].logConfiguration.logDriver:", "awslogs"},
    {ONE("'memoryReservation': 5"),
     "containerDefinitions[0].memoryReservation:", "Docker's minimum of 6 MiB"},
    {TASK("'memory': '1GB'", "'memoryReservation': 2048"),
     "containerDefinitions[0].memoryReservation:", "above the task's memory 1024"},
    {"{'memory': '1 GB', 'containerDefinitions': [{'name': 'a', 'image': 'x', 'memory': 600},"
     " {'name': 'b', 'image': 'x', 'memory': 800, 'memoryReservation': 500}]}",
     "memory:", "1024 MiB is less than the 1100 MiB the containers reserve"},
    {TASK("'tags': [{'key': 'k', 'value': 1}]", "'memory': 64"), "tags[0].value:", "string"},
    {ONE("'memory': 64, 'ulimits': [{'name': 'nofile', 'softLimit': 1, 'hardLimit': 2},"
	 " {'name': 'nofile', 'softLimit': 1, 'hardLimit': 2}]"),
     "containerDefinitions[0].ulimits[1].name:", "already set by ulimits[0]"},
    {ONE("'memory': 64, 'ulimits': [{'name': 'nofile', 'softLimit': -1, 'hardLimit': 10}]"),
     "containerDefinitions[0].ulimits[0].softLimit:", "above hardLimit"},
    {ONE("'memory': 64, 'portMappings': [{'containerPort': 80, 'containerPortRange': '80-81'}]"),
     "containerDefinitions[0].portMappings[0].containerPortRange:", "cannot be combined"},
    {ONE("'memory': 64, 'portMappings': [{'containerPortRange': '80-81', 'hostPort': 80}]"),
     "containerDefinitions[0].portMappings[0].hostPort:", "cannot be combined"},
    {TASK("'networkMode': 'host'", "'memory': 64, 'portMappings': [{'containerPortRange': "
				   "'80-81'}]"),
     "containerDefinitions[0].portMappings[0].containerPortRange:", "bridge or awsvpc"},
    {TASK("'networkMode': 'host'", "'memory': 64, 'portMappings': [{'containerPort': 80,"
				   " 'appProtocol': 'http'}]"),
     "containerDefinitions[0].portMappings[0].appProtocol:", "bridge or awsvpc"},
    {TWO("'links': ['db:'], 'memory': 128", "'memory': 128"),
     "containerDefinitions[0].links[0]:", "empty alias"},
    {TWO("'links': ['web'], 'memory': 128", "'memory': 128"),
     "containerDefinitions[0].links[0]:", "itself"},
    {"{'containerDefinitions': ["
     " {'name': 'a', 'image': 'x', 'memory': 64,"
     "  'dependsOn': [{'containerName': 'b', 'condition': 'START'}]},"
     " {'name': 'b', 'image': 'x', 'memory': 64,"
     "  'dependsOn': [{'containerName': 'c', 'condition': 'START'}]},"
     " {'name': 'c', 'image': 'x', 'memory': 64,"
     "  'dependsOn': [{'containerName': 'b', 'condition': 'START'}]}]}",
     "containerDefinitions[1].dependsOn:", "cycle b -> c -> b"},
    {ONE("'memory': 64, 'restartPolicy': {'enabled': true, 'restartAttemptPeriod': 10}"),
     "containerDefinitions[0].restartPolicy.restartAttemptPeriod:", "outside 60..1800"},
    {ONE("'memory': 64, 'restartPolicy': {'ignoredExitCodes': [1]}"),
     "containerDefinitions[0].restartPolicy.enabled:", "required"},
    {TASK("'placementConstraints': [{'type': 'distinctInstance'}]", "'memory': 64"),
     "placementConstraints[0].type:", "memberOf"},
    {TASK("'requiresCompatibilities': 'EC2'", "'memory': 64"),
     "requiresCompatibilities:", "array of strings"},
    {TASK("'volumes': [{'name': 'v', 'efsVolumeConfiguration': {}}]", "'memory': 64"),
     "volumes[0].efsVolumeConfiguration.fileSystemId:", "required"},
    {TASK("'runtimePlatform': {'cpuArchitecture': 'arm'}", "'memory': 64"),
     "runtimePlatform.cpuArchitecture:", "X86_64 or ARM64"},
    {ONE("'memory': 64, 'firelensConfiguration': {'type': 'logstash'}"),
     "containerDefinitions[0].firelensConfiguration.type:", "fluentd or fluentbit"},
    {ONE("'memory': 64, 'versionConsistency': 'on'"),
     "containerDefinitions[0].versionConsistency:", "enabled or disabled"},
    {TASK("'memory': 5", "'cpu': 0"), "memory:", "Docker's minimum"},
    {TASK("'networkMode': 'none'", "'memory': 64, 'portMappings': [{'containerPort': 80}]"),
     "containerDefinitions[0].portMappings:", "none network mode"},
    {TWO("'links': ['cache'], 'memory': 128", "'memory': 128"),
     "containerDefinitions[0].links[0]:", "'cache'"},
    {TASK("'networkMode': 'awsvpc'", "'memory': 64, 'links': ['web']"),
     "containerDefinitions[0].links:", "bridge"},
    {TASK("'networkMode': 'awsvpc'", "'memory': 64, 'hostname': 'x'"),
     "containerDefinitions[0].hostname:", "awsvpc"},
};

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	size_t n = sizeof(bad) / sizeof(bad[0]);
	int r;

	r = validate("web", full, &why);
	is_int(r, 0, "a full document with every kept-only field passes");
	if (r)
		printf("#   why: %s\n", why.data);
	r = validate("api", fargate, &why);
	is_int(r, 0, "a Fargate document with a valid cpu/memory pair passes");
	if (r)
		printf("#   why: %s\n", why.data);
	r = validate("web", described, &why);
	is_int(r, 0, "a describe-shaped document (revision, status, ARN) applies again");
	if (r)
		printf("#   why: %s\n", why.data);
	is_int(validate("web",
			"{'containerDefinitions': [{'name': 'a', 'image': 'x', "
			"'memoryReservation': 6}]}",
			&why),
	       0, "family is optional; memoryReservation alone is enough");
	is_int(validate("web",
			"{'memory': 1024, 'cpu': 128, 'containerDefinitions': [{'name': 'a',"
			" 'image': 'x'}]}",
			&why),
	       0, "a task-level memory makes container memory optional; integers are accepted");
	is_int(validate("web",
			"{'containerDefinitions': [{'name': 'a', 'image': 'x', 'memory': 64,"
			" 'healthCheck': {'command': ['NONE']}}]}",
			&why),
	       0, "healthCheck NONE");

	ok(n >= 40, "at least 40 bad documents (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		ecsfs_buf_setf(&why, "(untouched)");
		r = validate("web", bad[i].doc, &why);
		bool starts = strncmp(why.data, bad[i].path, strlen(bad[i].path)) == 0;
		bool has = !bad[i].also || strstr(why.data, bad[i].also);
		ok(r == -EINVAL && starts && has, "bad %zu: %s", i, why.data);
		if (r != -EINVAL || !starts || !has)
			printf("#   want -EINVAL, '%s...'%s%s, got %d\n", bad[i].path,
			       bad[i].also ? " containing " : "", bad[i].also ? bad[i].also : "",
			       r);
	}

	/* what only a document built in memory can hold */
	json_t *doc = load("{'containerDefinitions': [{'name': 'a', 'image': 'x', 'memory': 64}]}");
	json_t *c = json_array_get(json_object_get(doc, "containerDefinitions"), 0);
	json_object_set_new(c, "image", json_stringn("ngi\0nx", 6));
	is_int(ecsfs_taskdef_validate("web", doc, &why), -EINVAL, "a NUL byte in a string");
	is_str(why.data, "containerDefinitions[0].image: must not contain NUL bytes",
	       "... is named");
	json_object_set_new(c, "image", json_string("nginx"));
#if JANSSON_VERSION_HEX >= 0x020e00
	json_object_setn_new(c, "user\0x", 6, json_string("root"));
	is_int(ecsfs_taskdef_validate("web", doc, &why), -EINVAL, "a NUL byte in a key");
	ok(strstr(why.data, "unknown field") != NULL, "... is an unknown field: %s", why.data);
	json_object_deln(c, "user\0x", 6);
#endif
	json_t *pcs = json_array();
	for (int i = 0; i < 11; i++)
		json_array_append_new(pcs, json_pack("{s:s, s:s}", "type", "memberOf", "expression",
						     "attribute:a == b"));
	json_object_set_new(doc, "placementConstraints", pcs);
	is_int(ecsfs_taskdef_validate("web", doc, &why), -EINVAL, "11 placement constraints");
	is_str(why.data, "placementConstraints: at most 10 entries, got 11", "... are too many");
	json_object_del(doc, "placementConstraints");
	char key[130];
	memset(key, 'k', 129);
	key[129] = '\0';
	json_object_set_new(doc, "tags", json_pack("[{s:s}]", "key", key));
	is_int(ecsfs_taskdef_validate("web", doc, &why), -EINVAL, "a 129-character tag key");
	is_str(why.data, "tags[0].key: must be 1 to 128 characters", "... is too long");
	json_object_del(doc, "tags");
	is_int(ecsfs_taskdef_validate("web", doc, &why), 0, "and the document is fine again");
	json_decref(doc);

	/* the file name itself is a family name */
	is_int(validate("bad name",
			"{'containerDefinitions': [{'name': 'a', 'image': 'x', "
			"'memory': 64}]}",
			&why),
	       -EINVAL, "a bad file name is refused");
	ok(strncmp(why.data, "family: ", 8) == 0, "... and named as the family: %s", why.data);

	/* a long unknown key is shown shortened */
	char text[600];
	memset(text, 0, sizeof(text));
	strcpy(text, "{'");
	memset(text + 2, 'x', 300);
	strcat(text, "': 1, 'containerDefinitions': []}");
	is_int(validate("web", text, &why), -EINVAL, "a 300-byte unknown key is refused");
	ok(why.len < 200 && strstr(why.data, "...\": unknown field"), "... and shown shortened: %s",
	   why.data);

	ecsfs_buf_release(&why);
	return tap_done();
}
