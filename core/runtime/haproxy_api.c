/* ecsfs — HAProxy's runtime API: commands to the master socket and the
 * admin (stats) socket, run one at a time, each on a connection of its own
 * (after a reload the socket path belongs to the new worker, so a kept
 * connection would talk to the old one), and the parsers of their answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/haproxy_private.h"

#define CMD_TIMEOUT_MS 10000
#define OUT_MAX	       (16u << 20) /* show stat of 1000s of servers fits */

typedef struct hap_cmd {
	struct hap_cmd *next;
	hap_sock sock;
	char *text;
	hap_cmd_cb cb;
	void *data;
} hap_cmd;

struct hap_cli {
	uv_loop_t *loop;
	char *paths[2];
	hap_cmd *head, *tail, *cur;
	uv_pipe_t pipe;
	uv_connect_t conn;
	uv_write_t wr;
	uv_shutdown_t sh;
	uv_timer_t timer;
	uv_buf_t wbuf;
	ecsfs_buf out;
	int result;
	bool busy_pipe, closing;
	int handles;
	void (*done)(void *);
	void *done_data;
};

static void cli_next(hap_cli *q);

hap_cli *ecsfs__hap_cli_new(uv_loop_t *loop, const char *master_path, const char *admin_path)
{
	hap_cli *q = calloc(1, sizeof(*q));
	if (!q)
		abort();
	q->loop = loop;
	q->paths[HAP_SOCK_MASTER] = strdup(master_path);
	q->paths[HAP_SOCK_ADMIN] = strdup(admin_path);
	if (!q->paths[0] || !q->paths[1])
		abort();
	ecsfs_buf_init(&q->out);
	uv_timer_init(loop, &q->timer);
	q->timer.data = q;
	q->handles = 1;
	return q;
}

static void cli_free_maybe(hap_cli *q)
{
	if (!q->closing || q->handles > 0 || q->busy_pipe)
		return;
	free(q->paths[0]);
	free(q->paths[1]);
	ecsfs_buf_release(&q->out);
	if (q->done)
		q->done(q->done_data);
	free(q);
}

static void cmd_free(hap_cmd *c)
{
	free(c->text);
	free(c);
}

/* The pipe of the current command is closed: report, go on. */
static void cli_pipe_closed(uv_handle_t *h)
{
	hap_cli *q = h->data;
	hap_cmd *c = q->cur;

	q->cur = NULL;
	q->busy_pipe = false;
	c->cb(c->data, q->closing ? -ECANCELED : q->result, q->out.data, q->out.len);
	cmd_free(c);
	if (q->closing) {
		cli_free_maybe(q);
		return;
	}
	cli_next(q);
}

static void cli_end(hap_cli *q, int result)
{
	if (uv_is_closing((uv_handle_t *)&q->pipe))
		return;
	q->result = result;
	uv_timer_stop(&q->timer);
	uv_close((uv_handle_t *)&q->pipe, cli_pipe_closed);
}

static void cli_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	hap_cli *q = h->data;
	ecsfs_buf_grow(&q->out, 16384);
	*buf = uv_buf_init(q->out.data + q->out.len, 16384);
}

static void cli_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	hap_cli *q = s->data;
	if (n > 0) {
		q->out.len += (size_t)n;
		q->out.data[q->out.len] = '\0';
		if (q->out.len > OUT_MAX)
			cli_end(q, -EIO);
		return;
	}
	if (n == UV_EOF)
		cli_end(q, 0);
	else if (n < 0)
		/* the master resets the connection when it re-executes itself
		 * on "reload": that is its answer */
		cli_end(q, n == UV_ECONNRESET ? 0 : -EIO);
}

static void cli_shut(uv_shutdown_t *req, int status)
{
	/* errors show up on the read side */
}

static void cli_written(uv_write_t *req, int status)
{
	hap_cli *q = req->data;
	if (status < 0) {
		cli_end(q, status == UV_EPIPE || status == UV_ECONNRESET ? -ECONNREFUSED : -EIO);
		return;
	}
	/* the master CLI answers once it sees the end of the input */
	q->sh.data = q;
	if (uv_shutdown(&q->sh, (uv_stream_t *)&q->pipe, cli_shut) < 0)
		cli_end(q, -EIO);
}

static int uv_to_errno(int status)
{
	switch (status) {
	case UV_ENOENT: return -ENOENT;
	case UV_ECONNREFUSED: return -ECONNREFUSED;
	case UV_EACCES: return -EACCES;
	default: return -ECONNREFUSED;
	}
}

static void cli_connected(uv_connect_t *req, int status)
{
	hap_cli *q = req->data;
	if (status < 0) {
		cli_end(q, uv_to_errno(status));
		return;
	}
	uv_read_start((uv_stream_t *)&q->pipe, cli_alloc, cli_read);
	q->wbuf = uv_buf_init(q->cur->text, (unsigned)strlen(q->cur->text));
	q->wr.data = q;
	if (uv_write(&q->wr, (uv_stream_t *)&q->pipe, &q->wbuf, 1, cli_written) < 0)
		cli_end(q, -EIO);
}

static void cli_timeout(uv_timer_t *t)
{
	cli_end(t->data, -ETIMEDOUT);
}

static void cli_next(hap_cli *q)
{
	hap_cmd *c = q->head;
	if (!c || q->cur || q->closing)
		return;
	q->head = c->next;
	if (!q->head)
		q->tail = NULL;
	q->cur = c;
	q->busy_pipe = true;
	q->result = 0;
	ecsfs_buf_reset(&q->out);
	uv_pipe_init(q->loop, &q->pipe, 0);
	q->pipe.data = q;
	q->conn.data = q;
	uv_timer_start(&q->timer, cli_timeout, CMD_TIMEOUT_MS, 0);
	uv_pipe_connect(&q->conn, &q->pipe, q->paths[c->sock], cli_connected);
}

void ecsfs__hap_cli_send(hap_cli *q, hap_sock sock, const char *cmd, hap_cmd_cb cb, void *data)
{
	hap_cmd *c = calloc(1, sizeof(*c));
	size_t n = strlen(cmd);

	if (!c || !(c->text = malloc(n + 2)))
		abort();
	memcpy(c->text, cmd, n);
	memcpy(c->text + n, "\n", 2);
	c->sock = sock;
	c->cb = cb;
	c->data = data;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	cli_next(q);
}

static void cli_timer_closed(uv_handle_t *h)
{
	hap_cli *q = h->data;
	q->handles--;
	cli_free_maybe(q);
}

void ecsfs__hap_cli_close(hap_cli *q, void (*done)(void *), void *data)
{
	hap_cmd *c;

	q->closing = true;
	q->done = done;
	q->done_data = data;
	while ((c = q->head)) {
		q->head = c->next;
		c->cb(c->data, -ECANCELED, "", 0);
		cmd_free(c);
	}
	q->tail = NULL;
	if (q->cur && !uv_is_closing((uv_handle_t *)&q->pipe))
		uv_close((uv_handle_t *)&q->pipe, cli_pipe_closed);
	uv_close((uv_handle_t *)&q->timer, cli_timer_closed);
}

/* ---- parsers ----------------------------------------------------------- */

/* Split `line` (modified) at `sep` into up to `max` fields. */
static size_t split(char *line, char sep, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		p = strchr(p, sep);
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static int col(char **names, size_t n, const char *want)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0)
			return (int)i;
	return -1;
}

enum {
	S_BE,
	S_SRV,
	S_ADDR,
	S_OP,
	S_ADMIN,
	S_WEIGHT,
	S_SINCE,
	S_RESULT,
	S_CHKSTATE,
	S_PORT,
	S_NCOLS
};

static const char *const state_cols[S_NCOLS] = {
    [S_BE] = "be_name",
    [S_SRV] = "srv_name",
    [S_ADDR] = "srv_addr",
    [S_OP] = "srv_op_state",
    [S_ADMIN] = "srv_admin_state",
    [S_WEIGHT] = "srv_uweight",
    [S_SINCE] = "srv_time_since_last_change",
    [S_RESULT] = "srv_check_result",
    [S_CHKSTATE] = "srv_check_state",
    [S_PORT] = "srv_port",
};

/* Strip a rendered "be_" from a backend name. */
static const char *bare_backend(const char *name)
{
	return strncmp(name, "be_", 3) == 0 ? name + 3 : name;
}

static void state_line(char **f, size_t nf, const int *ix, hap_live *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->backend, sizeof(l->backend), "%s", bare_backend(f[ix[S_BE]]));
	snprintf(l->name, sizeof(l->name), "%s", f[ix[S_SRV]]);
	snprintf(l->addr, sizeof(l->addr), "%s", f[ix[S_ADDR]]);
	l->op_state = atoi(f[ix[S_OP]]);
	l->admin_bits = atoi(f[ix[S_ADMIN]]);
	l->uweight = atoi(f[ix[S_WEIGHT]]);
	l->check_result = atoi(f[ix[S_RESULT]]);
	l->check_state = atoi(f[ix[S_CHKSTATE]]);
	l->port = atoi(f[ix[S_PORT]]);
	l->since_change_s = atoi(f[ix[S_SINCE]]);
}

int ecsfs__hap_parse_state(const char *text, hap_live **out, size_t *n)
{
	char *copy = strdup(text), *line, *save = NULL, *names[64], *f[64];
	int ix[S_NCOLS];
	size_t nnames = 0, nf, i, count = 0, cap = 0;
	hap_live *arr = NULL;
	bool header = false;

	if (!copy)
		abort();
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# ", 2) == 0 && !header) {
			nnames = split(line + 2, ' ', names, 64);
			for (i = 0; i < S_NCOLS; i++)
				if ((ix[i] = col(names, nnames, state_cols[i])) < 0)
					goto bad;
			header = true;
			continue;
		}
		if (!header || line[0] == '#' || !strchr(line, ' '))
			continue; /* the version line, blank lines */
		nf = split(line, ' ', f, 64);
		if (nf < nnames)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			arr = realloc(arr, cap * sizeof(*arr));
			if (!arr)
				abort();
		}
		state_line(f, nf, ix, &arr[count++]);
	}
	if (!header && strncmp(text, "1\n", 2) != 0)
		goto bad;
	free(copy);
	*out = arr;
	*n = count;
	return 0;
bad:
	free(copy);
	free(arr);
	return -EIO;
}

ecsfs_hap_admin ecsfs__hap_live_admin(const hap_live *l)
{
	if (l->admin_bits & (0x01 | 0x02 | 0x04 | 0x20 | 0x40))
		return ECSFS_HAP_MAINT;
	if (l->admin_bits & (0x08 | 0x10))
		return ECSFS_HAP_DRAIN;
	return ECSFS_HAP_READY;
}

int ecsfs__hap_parse_proc(const char *text, hap_proc *out)
{
	hap_proc p = {0};
	const char *line = text;
	bool seen_master = false;

	while (*line) {
		const char *end = strchr(line, '\n');
		int pid = 0, reloads = 0, failed = 0;
		char type[32] = "";
		if (sscanf(line, "%d %31s %d [failed: %d]", &pid, type, &reloads, &failed) >= 2) {
			if (strcmp(type, "master") == 0) {
				p.master = pid;
				p.reloads = reloads;
				p.failed = failed;
				seen_master = true;
			} else if (strcmp(type, "worker") == 0 && p.nworkers < 16) {
				p.workers[p.nworkers++] = pid;
			}
		}
		if (!end)
			break;
		line = end + 1;
	}
	if (!seen_master)
		return -EIO;
	*out = p;
	return 0;
}

/* One CSV line (modified in place; fields may be quoted). */
static size_t csv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *r = line, *w;
	while (n < max) {
		bool quoted = *r == '"';
		f[n++] = w = r;
		if (quoted)
			r++;
		while (*r && (quoted || *r != ',')) {
			if (quoted && *r == '"') {
				if (r[1] == '"') {
					*w++ = '"';
					r += 2;
					continue;
				}
				quoted = false;
				r++;
				continue;
			}
			*w++ = *r++;
		}
		if (!*r) {
			*w = '\0';
			break;
		}
		*w = '\0';
		r++;
	}
	return n;
}

enum { T_PX, T_SV, T_SCUR, T_STOT, T_REQ, T_WEIGHT, T_CHK, T_CODE, T_DESC, T_NCOLS };

static const char *const stat_cols[T_NCOLS] = {
    [T_PX] = "pxname",	      [T_SV] = "svname",       [T_SCUR] = "scur",
    [T_STOT] = "stot",	      [T_REQ] = "req_tot",     [T_WEIGHT] = "weight",
    [T_CHK] = "check_status", [T_CODE] = "check_code", [T_DESC] = "check_desc",
};

static ecsfs_hap_server_status *stat_find(ecsfs_hap_server_status *st, size_t n,
					  const char *backend, const char *name, bool *twin)
{
	size_t i, tl = strlen(HAP_TWIN_PREFIX);
	*twin = strncmp(name, HAP_TWIN_PREFIX, tl) == 0;
	if (*twin)
		name += tl;
	for (i = 0; i < n; i++)
		if (strcmp(st[i].backend, backend) == 0 && strcmp(st[i].name, name) == 0)
			return &st[i];
	return NULL;
}

static void stat_row(char **f, const int *ix, ecsfs_hap_server_status *st, size_t n)
{
	bool twin;
	ecsfs_hap_server_status *s =
	    stat_find(st, n, bare_backend(f[ix[T_PX]]), f[ix[T_SV]], &twin);
	if (!s)
		return;
	s->scur += atoll(f[ix[T_SCUR]]);
	s->stot += atoll(f[ix[T_STOT]]);
	s->requests += atoll(f[ix[T_REQ]]);
	if (twin)
		return;
	s->weight = atoi(f[ix[T_WEIGHT]]);
	snprintf(s->check_status, sizeof(s->check_status), "%s", f[ix[T_CHK]]);
	/* "* L7OK": a check in progress; the code is what counts */
	if (s->check_status[0] == '*')
		memmove(s->check_status, s->check_status + 2, strlen(s->check_status + 2) + 1);
	s->check_code = atoi(f[ix[T_CODE]]);
	snprintf(s->check_desc, sizeof(s->check_desc), "%s", f[ix[T_DESC]]);
}

void ecsfs__hap_apply_stat(const char *csv, ecsfs_hap_server_status *st, size_t n)
{
	char *copy = strdup(csv), *line, *save = NULL, *f[200];
	int ix[T_NCOLS];
	size_t nf, ncols = 0, i;

	if (!copy)
		abort();
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# ", 2) == 0) {
			ncols = csv_split(line + 2, f, 200);
			for (i = 0; i < T_NCOLS; i++)
				if ((ix[i] = col(f, ncols, stat_cols[i])) < 0)
					ncols = 0;
			continue;
		}
		if (ncols == 0)
			continue;
		nf = csv_split(line, f, 200);
		if (nf >= ncols)
			stat_row(f, ix, st, n);
	}
	free(copy);
}
