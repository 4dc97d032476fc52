/* ecsfs — the Docker Engine API client (the real runtime). */
#ifndef ECSFS_DOCKER_H
#define ECSFS_DOCKER_H

#include <uv.h>

#include "ecsfs/http.h"
#include "ecsfs/runtime.h"

/* Highest and lowest Engine API versions this client speaks. */
#define ECSFS_DOCKER_API_MAX "1.43"
#define ECSFS_DOCKER_API_MIN "1.40"

/*
 * Create the Docker runtime on `loop` for `endpoint` ("unix:///path" or a
 * bare absolute path to the socket, or "tcp://host:port": plain HTTP, as
 * dockerd -H tcp:// without --tls). HTTP runs on libcurl's multi interface
 * driven by `loop` (uv_poll for sockets, uv_timer for curl's timeouts);
 * nothing blocks.
 *
 * After ecsfs_runtime_start() it pings the engine (GET /_ping), reads
 * GET /version and negotiates the API version: the lower of the server's
 * ApiVersion and ECSFS_DOCKER_API_MAX, refused (unreachable, with a detail
 * saying so) when below ECSFS_DOCKER_API_MIN. While unreachable it retries
 * with a backoff from 1 s up to 10 s; while reachable it pings every 5 s
 * and notices when the engine goes away. Every change of reachability or
 * version calls rt->on_change.
 *
 * Returns 0 and sets *out, or -EINVAL for an endpoint it cannot use
 * (neither unix:// nor tcp://host:port), or -ENOMEM.
 */
int ecsfs_docker_new(uv_loop_t *loop, const char *endpoint, ecsfs_runtime **out);

/*
 * The same for an engine that wants TLS (dockerd --tlsverify): `endpoint`
 * is tcp://host:port and `tls` names the CA, client certificate and key
 * (see ecsfs_http_new_tcp: the engine's certificate and name are
 * verified). A handshake that fails leaves the engine unreachable with
 * curl's reason in its detail. -EINVAL also for TLS with a unix socket.
 */
int ecsfs_docker_new_tls(uv_loop_t *loop, const char *endpoint, const ecsfs_http_tls *tls,
			 ecsfs_runtime **out);

/*
 * Compare two "major.minor" API versions like strcmp: <0, 0, >0.
 * Exposed for unit tests.
 */
int ecsfs_docker_api_cmp(const char *a, const char *b);

#endif
