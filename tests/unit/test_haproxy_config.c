/* The HAProxy driver's config model and its rendering, without a running
 * HAProxy (the rendered file is checked with `haproxy -c` when installed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsfs/haproxy.h"
#include "tap.h"

static ecsfs_err err;

static const char *const api_paths[] = {"/api/*", "/v?/x", NULL};
static const char *const hosts[] = {"*.example.com", NULL};
static const char *const envs[] = {"it's \"x\" $HOME #1", NULL};

static void add_backends(ecsfs_hap_config *c)
{
	ecsfs_hap_backend web = {.name = "web",
				 .check = {.enabled = true,
					   .http = true,
					   .path = "/health?full=1",
					   .codes = "200,202-204",
					   .interval_ms = 5000,
					   .timeout_ms = 2000,
					   .rise = 3,
					   .fall = 2},
				 .slowstart_s = 30,
				 .fail_open = true};
	ecsfs_hap_backend api = {.name = "api",
				 .check = {.enabled = true,
					   .interval_ms = 1000,
					   .timeout_ms = 500,
					   .rise = 2,
					   .fall = 2,
					   .port = 9000}};
	ecsfs_hap_backend db = {.name = "db", .mode = ECSFS_HAP_TCP};
	ecsfs_hap_server s1 = {
	    .name = "10.0.0.5:8080", .addr = "10.0.0.5", .port = 8080, .weight = 1};
	ecsfs_hap_server s6 = {
	    .name = "v6", .addr = "::1", .port = 8081, .weight = 2, .admin = ECSFS_HAP_DRAIN};

	is_int(ecsfs_hap_config_add_backend(c, &web, &err), 0, "add backend web");
	is_int(ecsfs_hap_config_add_backend(c, &api, &err), 0, "add backend api");
	is_int(ecsfs_hap_config_add_backend(c, &db, &err), 0, "add TCP backend db");
	is_int(ecsfs_hap_config_add_server(c, "web", &s1, &err), 0, "add server");
	is_int(ecsfs_hap_config_add_server(c, "web", &s6, &err), 0, "add IPv6 server");
	is_int(ecsfs_hap_config_add_server(c, "web", &s1, &err), -EEXIST, "same server twice");
	is_int(ecsfs_hap_config_add_server(c, "nope", &s1, &err), -ENOENT, "server of no backend");
}

static void add_rules(ecsfs_hap_config *c)
{
	ecsfs_hap_weighted split[] = {{"web", 80}, {"api", 20}, {"web", 0}};
	ecsfs_hap_weighted one[] = {{"api", 0}};
	ecsfs_hap_cond path = {.type = ECSFS_HAP_COND_PATH, .values = api_paths};
	ecsfs_hap_cond host = {.type = ECSFS_HAP_COND_HOST, .values = hosts};
	ecsfs_hap_cond env = {.type = ECSFS_HAP_COND_HEADER, .header = "X-Env", .values = envs};
	ecsfs_hap_cond both[] = {path, host};
	ecsfs_hap_action fwd = {.type = ECSFS_HAP_FORWARD, .to = one, .nto = 1};
	ecsfs_hap_action w = {.type = ECSFS_HAP_FORWARD, .to = split, .nto = 3};
	ecsfs_hap_action fixed = {.type = ECSFS_HAP_FIXED,
				  .status = 418,
				  .content_type = "text/plain",
				  .body = "tea 'pot'\n\"two\" lines $HOME #x"};
	ecsfs_hap_action redir = {.type = ECSFS_HAP_REDIRECT,
				  .status = 301,
				  .protocol = "HTTPS",
				  .port = "443",
				  .path = "/new/#{path}",
				  .query = "#{query}"};

	is_int(ecsfs_hap_config_add_rule(c, "http", both, 2, &fwd, &err), 0, "rule: path+host");
	is_int(ecsfs_hap_config_add_rule(c, "http", &env, 1, &w, &err), 0, "rule: header");
	is_int(ecsfs_hap_config_add_rule(c, "http", &path, 1, &fixed, &err), 0, "rule: fixed");
	is_int(ecsfs_hap_config_add_rule(c, "http", &host, 1, &redir, &err), 0, "rule: redirect");
	is_int(ecsfs_hap_config_add_rule(c, "tcp", NULL, 0, &fwd, &err), -EINVAL,
	       "a TCP listener takes no rules");
	is_int(ecsfs_hap_config_add_rule(c, "nope", NULL, 0, &fwd, &err), -ENOENT,
	       "rule on no listener");
	redir.status = 307;
	is_int(ecsfs_hap_config_add_rule(c, "http", NULL, 0, &redir, &err), -EINVAL,
	       "redirect 307 refused");
	ok(strstr(err.msg.data, "307") != NULL, "the message names the status: %s", err.msg.data);
}

static ecsfs_hap_config *build(void)
{
	ecsfs_hap_config *c = ecsfs_hap_config_new();
	ecsfs_hap_weighted db[] = {{"db", 1}};
	ecsfs_hap_weighted web[] = {{"web", 1}};
	ecsfs_hap_action to_db = {.type = ECSFS_HAP_FORWARD, .to = db, .nto = 1};
	ecsfs_hap_action to_web = {.type = ECSFS_HAP_FORWARD, .to = web, .nto = 1};
	ecsfs_hap_action fixed = {.type = ECSFS_HAP_FIXED, .status = 200};

	is_int(ecsfs_hap_config_add_frontend(c, "http", "127.0.0.1", 8080, ECSFS_HAP_HTTP, &err), 0,
	       "add HTTP listener");
	is_int(ecsfs_hap_config_add_frontend(c, "tcp", "::", 5432, ECSFS_HAP_TCP, &err), 0,
	       "add TCP listener on ::");
	is_int(ecsfs_hap_config_add_frontend(c, "again", "127.0.0.1", 8080, ECSFS_HAP_HTTP, &err),
	       -EEXIST, "same address and port twice");
	is_int(ecsfs_hap_config_add_frontend(c, "bad name", "127.0.0.1", 1, ECSFS_HAP_HTTP, &err),
	       -EINVAL, "a name with a space");
	is_int(ecsfs_hap_config_add_frontend(c, "p", "127.0.0.1", 70000, ECSFS_HAP_HTTP, &err),
	       -EINVAL, "port out of range");
	is_int(ecsfs_hap_config_add_frontend(c, "a", "localhost", 81, ECSFS_HAP_HTTP, &err),
	       -EINVAL, "a host name is not an address");
	add_backends(c);
	add_rules(c);
	is_int(ecsfs_hap_config_set_default(c, "tcp", &fixed, &err), -EINVAL,
	       "a TCP listener's default must forward");
	is_int(ecsfs_hap_config_set_default(c, "tcp", &to_db, &err), 0, "TCP default");
	is_int(ecsfs_hap_config_set_default(c, "http", &to_web, &err), 0, "HTTP default");
	return c;
}

static void check_text(const char *t)
{
	ok(strncmp(t, "# ecsfs-structure ", 18) == 0, "first line: the structure hash");
	ok(strstr(t, "stats socket /st/haproxy/admin.sock mode 600 level admin expose-fd "
		     "listeners") != NULL,
	   "admin socket with expose-fd listeners");
	ok(strstr(t, "\tbind 127.0.0.1:8080\n") && strstr(t, "\tbind [::]:5432\n"), "binds");
	ok(strstr(t, "acl r0_0 path -m reg ^/api/.*\\x24 ^/v./x\\x24") != NULL,
	   "path globs as anchored regexes");
	ok(strstr(t, "acl r0_1 req.hdr(host),field(1,:) -m reg -i") != NULL,
	   "host without port, any case");
	ok(strstr(t, "acl r1_0 req.fhdr(X-Env) -m reg -i") != NULL, "header condition");
	ok(strstr(t, "set-var(txn.ecsfs_w) rand(100) if r1_0 !ecsfs_routed") != NULL,
	   "weighted draw over the non-zero weights");
	ok(strstr(t, "str(be_web) if r1_0 !ecsfs_routed { var(txn.ecsfs_w) -m int lt 80 }") != NULL,
	   "first share");
	ok(strstr(t, "http-request set-var(txn.ecsfs_be) str(be_api) if r1_0 !ecsfs_routed\n") !=
	       NULL,
	   "last share takes the rest");
	ok(strstr(t, "return status 418 content-type text/plain string tea\\x20\\x27pot") != NULL,
	   "fixed response, escaped");
	ok(strstr(t, "redirect location https://\\x25[req.hdr(host),field(1,:)]:443/new/"
		     "\\x25[path,regsub(^/,)]?\\x25[query] code 301") != NULL,
	   "redirect");
	ok(strstr(t, "code 301 if r3_0 !ecsfs_routed { query -m len gt 0 }") != NULL,
	   "redirect keeps the query only when there is one");
	ok(strstr(t, "use_backend %[var(txn.ecsfs_be)] if ecsfs_routed") != NULL,
	   "one use_backend");
	ok(strstr(t, "option httpchk GET /health?full=1") != NULL, "check path");
	ok(strstr(t, "http-check expect rstatus ^(200|202|203|204)\\x24") != NULL,
	   "matcher codes and ranges");
	ok(strstr(t, "server 10.0.0.5:8080 10.0.0.5:8080 weight 1 check inter 5000ms rise 3 fall "
		     "2 slowstart 30s") != NULL,
	   "server line");
	ok(strstr(t, "server _fo_10.0.0.5:8080 10.0.0.5:8080 weight 1 backup") != NULL,
	   "fail-open twin");
	ok(strstr(t, "option allbackups") != NULL, "all twins share the load");
	ok(strstr(t, "server v6 [::1]:8081 weight 2") != NULL, "IPv6 server");
	ok(strstr(t, "check inter 1000ms rise 2 fall 2 port 9000") == NULL,
	   "no servers in api, so no line");
}

/* The rendered file is valid HAProxy 2.6 (when it is installed). */
static void haproxy_check(const char *text)
{
	char dir[] = "/tmp/ecsfs-hapcfg-XXXXXX", cmd[1024], path[64];
	FILE *f;
	int rc;

	if (system("command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy") != 0) {
		printf("ok %d # SKIP haproxy is not installed\n", ++tap_n);
		return;
	}
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/h.cfg", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "PATH=$PATH:/usr/sbin haproxy -c -f %s 2>&1 | grep -E 'ALERT|WARN' | "
		 "grep -v 'server state file' | sed 's/^/# /'; "
		 "PATH=$PATH:/usr/sbin haproxy -c -q -f %s",
		 path, path);
	rc = system(cmd);
	is_int(rc, 0, "haproxy -c accepts the rendered file");
	tap_rmtree(dir);
}

static void test_render(void)
{
	ecsfs_hap_config *c = build();
	ecsfs_buf out = ECSFS_BUF_INIT, bare = ECSFS_BUF_INIT;

	is_int(ecsfs_hap_config_render(c, "/st/haproxy", true, &out, &err), 0, "render");
	if (getenv("ECSFS_TEST_DUMP")) /* to look at the file */
		fputs(out.data, stderr);
	check_text(out.data);
	is_int(ecsfs_hap_config_render(c, "/st/haproxy", false, &bare, &err), 0,
	       "render without servers");
	ok(strstr(bare.data, "\tserver ") == NULL, "no server lines");
	ok(strncmp(out.data, bare.data, 35) == 0, "servers do not change the structure hash");
	haproxy_check(out.data);
	ecsfs_buf_release(&out);
	ecsfs_buf_release(&bare);
	ecsfs_hap_config_free(c);
}

static void test_refs(void)
{
	ecsfs_hap_config *c = ecsfs_hap_config_new();
	ecsfs_hap_weighted to[] = {{"ghost", 1}};
	ecsfs_hap_action fwd = {.type = ECSFS_HAP_FORWARD, .to = to, .nto = 1};
	ecsfs_hap_backend tcp = {.name = "ghost", .mode = ECSFS_HAP_TCP};
	ecsfs_buf out = ECSFS_BUF_INIT;

	ecsfs_hap_config_add_frontend(c, "f", "127.0.0.1", 80, ECSFS_HAP_HTTP, &err);
	is_int(ecsfs_hap_config_set_default(c, "f", &fwd, &err), 0, "default to a later backend");
	is_int(ecsfs_hap_config_render(c, "/st", true, &out, &err), -EINVAL,
	       "render: no such backend");
	ok(strstr(err.msg.data, "ghost") != NULL, "named: %s", err.msg.data);
	ecsfs_hap_config_add_backend(c, &tcp, &err);
	is_int(ecsfs_hap_config_render(c, "/st", true, &out, &err), -EINVAL,
	       "render: a TCP backend behind an HTTP listener");
	ecsfs_buf_release(&out);
	ecsfs_hap_config_free(c);
}

static void test_values(void)
{
	ecsfs_hap_config *c = ecsfs_hap_config_new();
	ecsfs_hap_backend b = {.name = "b",
			       .check = {.enabled = true,
					 .http = true,
					 .path = "/",
					 .codes = "200-199",
					 .interval_ms = 1000,
					 .timeout_ms = 500,
					 .rise = 2,
					 .fall = 2}};
	ecsfs_hap_server s = {.name = "_fo_x", .addr = "127.0.0.1", .port = 1, .weight = 1};

	is_int(ecsfs_hap_config_add_backend(c, &b, &err), -EINVAL, "a backwards code range");
	b.check.codes = "200";
	b.check.interval_ms = 10;
	is_int(ecsfs_hap_config_add_backend(c, &b, &err), -EINVAL, "interval too short");
	b.check.interval_ms = 1000;
	is_int(ecsfs_hap_config_add_backend(c, &b, &err), 0, "a good backend");
	is_int(ecsfs_hap_config_add_backend(c, &b, &err), -EEXIST, "the same name again");
	is_int(ecsfs_hap_config_add_server(c, "b", &s, &err), -EINVAL, "a reserved server name");
	s.name = "x";
	s.weight = 300;
	is_int(ecsfs_hap_config_add_server(c, "b", &s, &err), -EINVAL, "weight over 256");
	ecsfs_hap_config_free(c);
}

int main(void)
{
	ecsfs_err_init(&err);
	test_render();
	test_refs();
	test_values();
	ecsfs_err_release(&err);
	return tap_done();
}
