/*
 * The HTTP listener on a real loop, with a client thread on plain sockets:
 * answers and their headers, refusals before the body, keep-alive, SigV4
 * on, connections still open (a request half sent, a body half read) when
 * the listener is freed, a port in use, addresses it cannot take. Port
 * 4604-4605 (the http engineer's range; mount tests never run beside unit
 * tests).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "tap.h"

#define PORT  4604
#define PORT2 4605
#define ECS   "AmazonEC2ContainerServiceV20141113."

struct client {
	uv_async_t done;
	ecsfs_api *api;
	int family;
	char *answers[8];		  /* what the server sent on each exchange */
	char *kept;			  /* two answers on one keep-alive connection */
	ssize_t half_closed, body_closed; /* recv() on the open connections after free */
};

static int dial(int family)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(PORT)};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {10, 0};

	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, family == AF_INET ? (struct sockaddr *)&in4 : (struct sockaddr *)&in6,
		    family == AF_INET ? sizeof(in4) : sizeof(in6)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Read until the server closes (or n bytes of "\r\n\r\n"-ended answers). */
static char *read_until_close(int fd)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	char chunk[65536];
	ssize_t r;

	while ((r = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		ecsfs_buf_add(&b, chunk, (size_t)r);
	ecsfs_buf_addch(&b, '\0');
	return ecsfs_buf_detach(&b, NULL);
}

static char *exchange(int family, const char *req, size_t n)
{
	int fd = dial(family);
	char *a;
	if (fd < 0)
		return strdup("(no connection)");
	send_all(fd, req, n);
	a = read_until_close(fd);
	close(fd);
	return a;
}

#define REQ(target, extra, body)                                                           \
	"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Amz-Target: " target \
	"\r\n" extra "Content-Length: " #body "\r\n\r\n"

/* Two requests on one connection: the first keeps it open. */
static char *keep_alive(int family)
{
	static const char two[] = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " ECS "A\r\n"
				  "Content-Length: 2\r\n\r\n{}"
				  "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " ECS "B\r\n"
				  "Connection: close\r\nContent-Length: 2\r\n\r\n{}";
	return exchange(family, two, sizeof(two) - 1);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	static const char big[] = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " ECS
				  "A\r\nContent-Length: 20000000\r\n\r\n{";
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	static const char path[] = "POST /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				   "Content-Length: 2\r\n\r\n{}";
	static const char expect[] = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " ECS "A\r\n"
				     "Expect: 100-continue\r\nContent-Length: 100\r\n\r\n";
	char cont[64];
	int half, body;

	c->answers[0] = exchange(c->family, REQ(ECS "NoSuch", "", 2) "{}",
				 sizeof(REQ(ECS "NoSuch", "", 2) "{}") - 1);
	c->answers[1] = exchange(c->family, big, sizeof(big) - 1);
	c->answers[2] = exchange(c->family, get, sizeof(get) - 1);
	c->answers[3] = exchange(c->family, path, sizeof(path) - 1);
	c->answers[4] = exchange(c->family, REQ(ECS "NoSuch", "", 9) "not json!",
				 sizeof(REQ(ECS "NoSuch", "", 9) "not json!") - 1);
	c->kept = keep_alive(c->family);

	/* left open when the listener goes: half a header, half a body */
	half = dial(c->family);
	send_all(half, "POST / HTTP/1.1\r\nHost: x\r\nX-Am", 31);
	body = dial(c->family);
	send_all(body, expect, sizeof(expect) - 1);
	if (recv(body, cont, sizeof(cont), 0) > 0) /* "100 Continue": the request is ours */
		send_all(body, "{\"half\":", 8);
	uv_async_send(&c->done);
	c->half_closed = recv(half, cont, sizeof(cont), 0);
	c->body_closed = recv(body, cont, sizeof(cont), 0);
	close(half);
	close(body);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	struct client *c = a->data;
	ecsfs_api_free(c->api);
	c->api = NULL;
	uv_close((uv_handle_t *)a, NULL);
}

static void check_answers(struct client *c, const char *family)
{
	ok(strncmp(c->answers[0], "HTTP/1.1 400", 12) == 0 &&
	       strstr(c->answers[0], "UnknownOperationException"),
	   "%s: an unknown operation is a 400 UnknownOperationException", family);
	ok(strstr(c->answers[0], "Content-Type: application/x-amz-json-1.1") != NULL,
	   "%s: Content-Type application/x-amz-json-1.1", family);
	ok(strstr(c->answers[0], "x-amzn-RequestId: ") != NULL, "%s: x-amzn-RequestId", family);
	ok(strncmp(c->answers[1], "HTTP/1.1 413", 12) == 0 && strstr(c->answers[1], "10 MiB"),
	   "%s: Content-Length over 10 MiB: 413 before the body", family);
	ok(strncmp(c->answers[2], "HTTP/1.1 405", 12) == 0 && strstr(c->answers[2], "Allow: POST"),
	   "%s: GET is a 405 with Allow: POST", family);
	ok(strncmp(c->answers[3], "HTTP/1.1 404", 12) == 0, "%s: another path is a 404", family);
	ok(strstr(c->answers[4], "UnknownOperationException") != NULL,
	   "%s: the operation is looked up before the body", family);
	{
		const char *second = strstr(c->kept + 1, "HTTP/1.1 400");
		ok(strncmp(c->kept, "HTTP/1.1 400", 12) == 0 && second &&
		       strstr(second, "B\"") != NULL,
		   "%s: two requests on one keep-alive connection, both answered", family);
	}
	is_int(c->half_closed, 0, "%s: a connection with half a header is closed at free", family);
	ok(c->body_closed <= 0, "%s: a connection with half a body is closed at free", family);
	for (int i = 0; i < 5; i++)
		free(c->answers[i]);
	free(c->kept);
}

static void serve_once(ecsfs_api_core *core, const char *listen, int family, const char *name)
{
	ecsfs_api_config cfg = {.listen = listen, .auth = false};
	ecsfs_buf why = ECSFS_BUF_INIT;
	struct client c = {.family = family};
	pthread_t th;

	if (ecsfs_api_start(core, &cfg, &c.api, &why) < 0) {
		ok(0, "%s: the listener starts: %s", name, why.data);
		ecsfs_buf_release(&why);
		return;
	}
	ok(1, "%s: the listener starts on %s", name, listen);
	uv_async_init(core->loop, &c.done, on_done);
	c.done.data = &c;
	pthread_create(&th, NULL, client_main, &c);
	uv_run(core->loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	check_answers(&c, name);
	ecsfs_buf_release(&why);
}

static void signed_on(ecsfs_api_core *core)
{
	ecsfs_api_config cfg = {.listen = "127.0.0.1:4604", .auth = true};
	ecsfs_buf why = ECSFS_BUF_INIT, path = ECSFS_BUF_INIT;
	struct client c = {.family = AF_INET};
	pthread_t th;

	is_int(ecsfs_api_start(core, &cfg, &c.api, &why), 0, "SigV4 on: the listener starts");
	ecsfs_buf_addf(&path, "%s/credentials", core->state_dir);
	ok(access(path.data, F_OK) == 0, "... and made STATE/credentials");
	uv_async_init(core->loop, &c.done, on_done);
	c.done.data = &c;
	pthread_create(&th, NULL, client_main, &c);
	uv_run(core->loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	ok(strncmp(c.answers[0], "HTTP/1.1 403", 12) == 0 &&
	       strstr(c.answers[0], "MissingAuthenticationTokenException"),
	   "SigV4 on: an unsigned request is a 403 MissingAuthenticationTokenException");
	ok(strncmp(c.answers[1], "HTTP/1.1 413", 12) == 0, "SigV4 on: 413 comes before SigV4");
	for (int i = 0; i < 5; i++)
		free(c.answers[i]);
	free(c.kept);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&path);
}

static void refusals(ecsfs_api_core *core)
{
	static const char *const bad[] = {
	    "nonsense",	       "127.0.0.1",	"127.0.0.1:",	     "127.0.0.1:0",
	    "127.0.0.1:65536", "127.0.0.1:80x", "host.example:4604", "[::1:4604"};
	ecsfs_api_config cfg = {.listen = "127.0.0.1:4605", .auth = false};
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_api *api = NULL, *second = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ecsfs_buf_reset(&why);
		cfg.listen = bad[i];
		is_int(ecsfs_api_start(core, &cfg, &api, &why), -EINVAL, "--api %s: refused",
		       bad[i]);
		ok(why.data && strstr(why.data, "ADDR:PORT"), "... said: %s", why.data);
	}
	cfg.listen = "127.0.0.1:4605";
	is_int(ecsfs_api_start(core, &cfg, &api, &why), 0, "a listener on 4605");
	ecsfs_buf_reset(&why);
	is_int(ecsfs_api_start(core, &cfg, &second, &why), -EADDRINUSE, "a second one: EADDRINUSE");
	ok(why.data && strstr(why.data, "127.0.0.1:4605 is in use by another program"),
	   "... said: %s", why.data);
	ok(second == NULL, "... nothing returned");
	ecsfs_api_free(api);
	ecsfs_api_free(NULL);
	uv_run(core->loop, UV_RUN_DEFAULT);
	ecsfs_buf_release(&why);
}

int main(void)
{
	char dir[] = "/tmp/test-api-server.XXXXXX";
	uv_loop_t loop;
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_api_core core = {.loop = &loop};

	if (!mkdtemp(dir) || ecsfs_store_open(dir, &core.store, &why) < 0) {
		printf("Bail out! no store: %s\n", why.data ? why.data : "");
		return 1;
	}
	core.state_dir = dir;
	uv_loop_init(&loop);
	serve_once(&core, "127.0.0.1:4604", AF_INET, "IPv4");
	serve_once(&core, "[::1]:4604", AF_INET6, "IPv6");
	signed_on(&core);
	refusals(&core);
	is_int(uv_loop_close(&loop), 0, "every handle of the listener is closed");
	ecsfs_store_close(core.store);
	ecsfs_buf_release(&why);
	tap_rmtree(dir);
	return tap_done();
}
