/*
 * ecsfs — one HTTP call of the client (http.c): the curl options of its
 * easy handle (unix socket or TCP, TLS files, timeouts, method), how its
 * answer is read (into a bounded buffer, or chunk by chunk to a stream's
 * reader), and how a failed transfer becomes a -errno value and a sentence.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "http_private.h"

static size_t on_curl_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	ecsfs_http_req *req = userdata;
	size_t n = size * nmemb;
	long status = 0;
	int r;

	if (req->canceled) {
		req->abort_err = -ECANCELED;
		return 0;
	}
	if (req->on_chunk) {
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			r = req->on_chunk(req->data, status, ptr, n);
			if (r < 0) {
				req->abort_err = r;
				return 0;
			}
			return n;
		}
	}
	if (n > req->max_body - req->body.len) {
		req->abort_err = -EMSGSIZE;
		return 0;
	}
	ecsfs_buf_add(&req->body, ptr, n);
	return n;
}

static bool method_is(const char *method, const char *name)
{
	return strcmp(method, name) == 0;
}

int ecsfs__http_req_setup(ecsfs_http_req *req, const ecsfs_http_opts *o)
{
	CURL *e = req->easy;
	ecsfs_buf url = ECSFS_BUF_INIT, ct = ECSFS_BUF_INIT;
	struct curl_slist *h;
	CURLcode rc = CURLE_OK;
	bool has_body = o->body_len > 0;

	ecsfs_buf_addf(&url, "%s%s", req->http->base_url, o->path);
	if (has_body)
		ecsfs_buf_addf(&ct, "Content-Type: %s",
			       o->content_type ? o->content_type : "application/json");
	else
		ecsfs_buf_adds(&ct, "Content-Type:"); /* no form type for empty POSTs */

	/* "Expect:" stops curl from waiting for a 100-continue on big bodies. */
	h = curl_slist_append(NULL, "Expect:");
	if (h) {
		req->headers = h;
		h = curl_slist_append(h, ct.data);
	}
	if (!h)
		rc = CURLE_OUT_OF_MEMORY;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url.data);
	if (req->http->socket_path)
		SET(CURLOPT_UNIX_SOCKET_PATH, req->http->socket_path);
	/* an engine is reached directly, whatever proxy the environment names */
	SET(CURLOPT_PROXY, "");
	if (req->http->ca) {
		/* the engine's CA alone is trusted, and the name must match */
		SET(CURLOPT_CAINFO, req->http->ca);
		SET(CURLOPT_CAPATH, NULL);
		SET(CURLOPT_SSLCERT, req->http->cert);
		SET(CURLOPT_SSLKEY, req->http->key);
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075700
		/* a CA file replaced on disk counts from the next connection */
		SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
	}
	if (!req->http->socket_path) {
		/* a host that vanishes without a word must not hold a stream forever */
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
		SET(CURLOPT_TCP_KEEPIDLE, 30L);
		SET(CURLOPT_TCP_KEEPINTVL, 10L);
	}
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PRIVATE, (char *)req);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_curl_write);
	SET(CURLOPT_WRITEDATA, req);
	SET(CURLOPT_HTTPHEADER, req->headers);
	SET(CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	if (o->timeout_ms > 0)
		SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (method_is(o->method, "GET") && !has_body) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (method_is(o->method, "HEAD") && !has_body) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (has_body || method_is(o->method, "POST") || method_is(o->method, "PUT")) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		SET(CURLOPT_COPYPOSTFIELDS, has_body ? o->body : "");
		if (!method_is(o->method, "POST"))
			SET(CURLOPT_CUSTOMREQUEST, o->method);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, o->method);
	}
#undef SET
	ecsfs_buf_release(&url);
	ecsfs_buf_release(&ct);
	return rc == CURLE_OK ? 0 : -ENOMEM;
}

/* connect(2)'s own errno says it best: ENOENT, ECONNREFUSED, EACCES. */
static int connect_error(ecsfs_http_req *req, ecsfs_buf *msg)
{
	ecsfs_http *http = req->http;
	char ebuf[128];
	long oserr = 0;
	struct stat st;

	curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
	if (oserr <= 0 && http->socket_path)
		oserr = stat(http->socket_path, &st) < 0 ? ENOENT : ECONNREFUSED;
	if (oserr <= 0) {
		ecsfs_buf_addf(msg, "cannot connect to %s: %s", http->where,
			       req->errbuf[0] ? req->errbuf : "connection refused");
		return -ECONNREFUSED;
	}
	ecsfs_buf_addf(msg, "cannot connect to %s: %s", http->where,
		       strerror_r((int)oserr, ebuf, sizeof(ebuf)));
	/* no socket is no engine: to every caller -ENOENT means "no such
	 * container/image" (a remove taken as done, a pause import as failed);
	 * a host or network that cannot be reached is no engine either */
	if (oserr == EACCES || oserr == ETIMEDOUT)
		return -(int)oserr;
	return oserr == ENOENT || !http->socket_path ? -ECONNREFUSED : -(int)oserr;
}

/* The peer could not be trusted or spoke no TLS (or we have no usable
 * files of our own): there is no engine to talk to, as with a refused
 * connection, and curl's words say why. */
static bool tls_failure(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT: return true;
	default: return false;
	}
}

int ecsfs__http_translate(ecsfs_http_req *req, CURLcode rc, ecsfs_buf *msg)
{
	ecsfs_http *http = req->http;
	char ebuf[128];
	const char *text = req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc);

	if (req->abort_err == -EMSGSIZE) {
		ecsfs_buf_addf(msg, "%s: the answer exceeds %zu bytes", req->what.data,
			       req->max_body);
		return -EMSGSIZE;
	}
	if (req->abort_err) {
		ecsfs_buf_addf(msg, "%s: stopped by its reader: %s", req->what.data,
			       strerror_r(-req->abort_err, ebuf, sizeof(ebuf)));
		return req->abort_err;
	}
	if (tls_failure(rc)) {
		ecsfs_buf_addf(msg, "cannot connect to %s over TLS: %s", http->where, text);
		return -ECONNREFUSED;
	}
	switch (rc) {
	case CURLE_COULDNT_CONNECT: return connect_error(req, msg);
	case CURLE_COULDNT_RESOLVE_HOST:
		ecsfs_buf_addf(msg, "cannot connect to %s: %s", http->where, text);
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		ecsfs_buf_addf(msg, "%s: no answer from %s within %ld ms", req->what.data,
			       http->where,
			       req->timeout_ms > 0 ? req->timeout_ms : HTTP_CONNECT_TIMEOUT_MS);
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		ecsfs_buf_addf(msg, "%s: out of memory", req->what.data);
		return -ENOMEM;
	default:
		ecsfs_buf_addf(msg, "%s on %s: %s", req->what.data, http->where, text);
		return -EIO;
	}
}
