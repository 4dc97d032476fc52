/* ecsfs — what a task definition means to the engine: create bodies. */
#ifndef ECSFS_LAUNCH_H
#define ECSFS_LAUNCH_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "ecsfs/buf.h"

/*
 * A task's containers become engine containers. This file turns a
 * registered task definition (the canonical registration input, as stored)
 * and one of its container definitions into the body of the engine's
 * container-create call (Docker's ContainerConfig with "HostConfig"). It
 * does no I/O except reading environmentFiles, which are local paths.
 *
 * The task's network namespace is held by a pause container (the image
 * ECSFS_PAUSE_IMAGE, built from the project's own static binary) for the
 * network modes awsvpc (and unset), bridge and none; every container of the
 * task joins it ("NetworkMode": "container:<pause id>"), so containers reach
 * each other on localhost, and port mappings are published on the pause
 * container. networkMode "host" uses the host's namespace and no pause,
 * unless pidMode or ipcMode is "task": then a pause in the host's network
 * holds the pid/IPC namespaces the task's containers share.
 */

#define ECSFS_PAUSE_IMAGE    "ecsfs-pause:" ECSFS_VERSION
#define ECSFS_PAUSE_NAME     "~pause"	/* value of ECSFS_LABEL_CONTAINER for it */
#define ECSFS_STOP_TIMEOUT_S 30		/* stopTimeout when unset */
#define ECSFS_CPU_SHARES_MIN 2		/* the engine's own floor */
#define ECSFS_ENV_FILE_MAX   (1u << 20) /* one environmentFiles file */

/* Resolve a secret by name: launch passes the name valueFrom stands for
 * (valueFrom itself, or an ARN's last ':' or '/' field). 0 and the value
 * appended to *value; -ENOENT when there is no such secret; any other
 * -errno is passed on. */
typedef int (*ecsfs_launch_secret_fn)(void *data, const char *name, ecsfs_buf *value);

typedef struct ecsfs_launch_ctx {
	const char *cluster;
	const char *task_id;  /* 32 hex */
	const char *task_arn; /* arn:aws:ecs:local:000000000000:task/<cluster>/<id> */
	const char *family;
	int64_t revision;
	const char *pause_id;  /* the pause container's id; NULL when there is none */
	const char *network;   /* awsvpc: the cluster's network, which the pause joins */
	const json_t *aliases; /* awsvpc: DNS names (strings) the task answers to there, or NULL */
	ecsfs_launch_secret_fn secret;
	void *secret_data;
} ecsfs_launch_ctx;

/*
 * Does a task of this definition have its own address (networkMode awsvpc,
 * or unset)? Then its pause joins the cluster's network.
 */
int ecsfs_launch_own_address(const json_t *taskdef);

/*
 * Does this task definition need a pause container? True unless its
 * networkMode is "host" and neither pidMode nor ipcMode is "task".
 */
int ecsfs_launch_needs_pause(const json_t *taskdef);

/*
 * The engine container name of a task's container, appended to *out:
 * "ecsfs-<task id>-<name>"; for the pause (container ECSFS_PAUSE_NAME)
 * "ecsfs-<task id>.pause", which no container can be named ('.' is not
 * allowed in ECS container names, so a container called "pause" does not
 * meet it). Names are unique in the engine, so a create repeated after a
 * crash meets -EEXIST instead of making a duplicate.
 */
void ecsfs_launch_container_name(const char *task_id, const char *container, ecsfs_buf *out);

/*
 * The create body of the pause container: image ECSFS_PAUSE_IMAGE, the
 * task's labels (ECSFS_LABEL_CONTAINER is ECSFS_PAUSE_NAME), the network
 * mode (awsvpc and unset: ctx->network, with ctx->aliases as the
 * endpoint's Aliases; bridge for bridge, none for none, host for host),
 * every container's portMappings as ExposedPorts and, in bridge mode,
 * HostConfig.PortBindings (hostPort unset or 0: the engine picks one; each
 * port of a containerPortRange is one binding; awsvpc publishes nothing on
 * the host, and a hostPort must equal containerPort), hostname, dnsServers,
 * dnsSearchDomains and extraHosts of the first container that sets them
 * (they belong to the namespace's owner), links (bridge) as extraHosts to
 * 127.0.0.1, and systemControls of the network namespace. With ipcMode
 * "task" it also owns the IPC namespace: IpcMode "shareable", the IPC
 * systemControls and the largest sharedMemorySize. No port, hostname or
 * DNS in host network mode. Returns 0 and *out (caller decrefs), or
 * -EINVAL + why.
 */
int ecsfs_launch_pause(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
		       ecsfs_buf *why);

/*
 * The create body of container `container` (an element of
 * taskdef.containerDefinitions, after overrides). Every field with an engine
 * meaning is applied (the README's table lists them); labels carry
 * ECSFS_LABEL_* plus dockerLabels; Env is environmentFiles (in order), then
 * environment, then secrets resolved through ctx->secret, a later
 * definition of a name winning. A secret's value goes nowhere but Env.
 * ctx->pause_id must be set when ecsfs_launch_needs_pause() says so.
 * Returns 0 and *out (caller decrefs), -ENOENT + why for a secret or
 * environment file that cannot be found or read
 * ("ResourceInitializationError: ..." text), the resolver's own error for
 * another failure of it, -EINVAL + why for anything else that cannot be
 * honoured.
 */
int ecsfs_launch_container(const json_t *taskdef, const json_t *container,
			   const ecsfs_launch_ctx *ctx, json_t **out, ecsfs_buf *why);

/*
 * The engine volumes a task needs (VolumeCreateRequest bodies, an array,
 * caller decrefs): one per task volume that has no host.sourcePath, named
 * ecsfs_launch_volume_name(), labelled ECSFS_LABEL_MANAGED and
 * ECSFS_LABEL_TASK (after the dockerVolumeConfiguration labels), with its
 * driver and driverOpts when given. Volumes with a host path are bind
 * mounts and need nothing created. A volume of scope "shared" outlives its
 * tasks: it is listed only with autoprovision (otherwise it must exist
 * already) and carries no ECSFS_LABEL_TASK. EFS and FSx volumes have no
 * local meaning and become task volumes like any other. Returns 0, or
 * -EINVAL + why.
 */
int ecsfs_launch_volumes(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
			 ecsfs_buf *why);
/* "ecsfs-<task id>-<volume>"; a dockerVolumeConfiguration with scope
 * "shared" keeps its own name instead. */
void ecsfs_launch_volume_name(const json_t *volume, const char *task_id, ecsfs_buf *out);

/*
 * Apply a RunTask "overrides" object (NULL or null: none) to a copy of a
 * task definition: containerOverrides (name, command, environment merged
 * with an override winning per name, environmentFiles appended, cpu,
 * memory, memoryReservation, resourceRequirements), task cpu, memory,
 * taskRoleArn and executionRoleArn. The result is validated again as a
 * task definition. Returns 0, or -EINVAL + why ("overrides.<path>: ...")
 * for an override naming no container, an unknown field, a wrong type or
 * a result that is not a valid task definition; then *taskdef may be half
 * changed, which is why it must be a copy.
 */
int ecsfs_launch_apply_overrides(json_t *taskdef, const json_t *overrides, ecsfs_buf *why);

/*
 * A tar archive (ustar) holding one regular file `name` of `len` bytes
 * with permission bits `mode`, owned by root, mtime 0, for importing an
 * image: appended to *out. A leading '/' of `name` is dropped; it must be
 * at most 100 bytes, or 255 with a '/' to split it at.
 */
void ecsfs_tar_one_file(const char *name, const void *data, size_t len, mode_t mode,
			ecsfs_buf *out);

#endif
