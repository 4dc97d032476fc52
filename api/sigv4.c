/*
 * SigV4 verification (see sigv4.h). The canonical request is rebuilt from
 * the bytes received, so any region and service a client put in its scope
 * is accepted: the AWS CLI signs "ecs" or "logs" with the region it is given.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigv4.h"

#define ALGORITHM  "AWS4-HMAC-SHA256"
#define TERMINAL   "aws4_request"
#define HEADER_MAX 16384 /* bytes of an Authorization header worth parsing */

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *b, size_t n, char *hex)
{
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexdig[b[i] >> 4];
		hex[2 * i + 1] = hexdig[b[i] & 15];
	}
	hex[2 * n] = '\0';
}

void ecsfs__sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data ? data : (const void *)"", len, md);
	to_hex(md, sizeof(md), hex);
}

static void hmac(const unsigned char *key, size_t klen, const void *msg, size_t mlen,
		 unsigned char out[32])
{
	unsigned int olen = 32;
	HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen);
}

static bool slice_is(ecsfs__slice s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* ---- the Authorization header ---- */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Split "A/B/C/D/aws4_request" into the scope's parts. */
static int parse_credential(ecsfs__slice v, ecsfs__sigv4_auth *a, ecsfs_buf *why)
{
	ecsfs__slice part[5];
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= v.n; i++) {
		if (i < v.n && v.p[i] != '/')
			continue;
		if (n == 5) {
			n++;
			break;
		}
		part[n++] = (ecsfs__slice){v.p + start, i - start};
		start = i + 1;
	}
	if (n != 5 || !part[0].n || !part[2].n || !part[3].n) {
		ecsfs_buf_adds(why, "Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request");
		return -EINVAL;
	}
	if (part[1].n != 8 || strspn(part[1].p, "0123456789") < 8) {
		ecsfs_buf_adds(why, "the date of the Credential scope must be YYYYMMDD");
		return -EINVAL;
	}
	if (!slice_is(part[4], TERMINAL)) {
		ecsfs_buf_adds(why, "the Credential scope must end in /aws4_request");
		return -EINVAL;
	}
	a->key_id = part[0];
	a->date = part[1];
	a->region = part[2];
	a->service = part[3];
	return 0;
}

static bool good_signed_headers(ecsfs__slice v)
{
	bool empty = true;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (c == ';') {
			if (empty)
				return false;
			empty = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_' || c == '.') {
			empty = false;
		} else {
			return false;
		}
	}
	return !empty;
}

static bool good_signature(ecsfs__slice v)
{
	if (v.n != 64)
		return false;
	for (size_t i = 0; i < v.n; i++)
		if (!strchr(hexdig, v.p[i]) || !v.p[i])
			return false;
	return true;
}

/* One "Name=value" of the header; *seen keeps duplicates out. */
static int parse_param(ecsfs__slice name, ecsfs__slice v, ecsfs__sigv4_auth *a, unsigned *seen,
		       ecsfs_buf *why)
{
	static const char *const names[] = {"Credential", "SignedHeaders", "Signature"};
	unsigned bit;

	for (bit = 0; bit < 3; bit++)
		if (slice_is(name, names[bit]))
			break;
	if (bit == 3)
		return 0; /* parameters of later versions are not ours to refuse */
	if (*seen & (1u << bit)) {
		ecsfs_buf_addf(why, "%s appears twice in the Authorization header", names[bit]);
		return -EINVAL;
	}
	*seen |= 1u << bit;
	if (bit == 0)
		return parse_credential(v, a, why);
	if (bit == 1 && !good_signed_headers(v)) {
		ecsfs_buf_adds(why, "SignedHeaders must be lowercase header names joined by ';'");
		return -EINVAL;
	}
	if (bit == 2 && !good_signature(v)) {
		ecsfs_buf_adds(why, "Signature must be 64 lowercase hexadecimal digits");
		return -EINVAL;
	}
	*(bit == 1 ? &a->signed_headers : &a->signature) = v;
	return 0;
}

static int missing_params(unsigned seen, ecsfs_buf *why)
{
	static const char *const names[] = {"Credential", "SignedHeaders", "Signature"};
	for (unsigned bit = 0; bit < 3; bit++)
		if (!(seen & (1u << bit))) {
			ecsfs_buf_addf(why, "the Authorization header has no %s= parameter",
				       names[bit]);
			return -EINVAL;
		}
	return 0;
}

int ecsfs__sigv4_parse(const char *header, ecsfs__sigv4_auth *out, ecsfs_buf *why)
{
	ecsfs__sigv4_auth a = {0};
	unsigned seen = 0;
	const char *p = skip_space(header);
	size_t alen = strlen(ALGORITHM);

	if (strlen(header) > HEADER_MAX) {
		ecsfs_buf_adds(why, "the Authorization header is too long");
		return -EINVAL;
	}
	if (strncmp(p, ALGORITHM, alen) != 0 || (p[alen] != ' ' && p[alen] != '\t')) {
		ecsfs_buf_adds(why, "the Authorization header must start with " ALGORITHM);
		return -EINVAL;
	}
	for (p += alen; *(p = skip_space(p));) {
		const char *eq = strchr(p, '='), *end;
		ecsfs__slice name, v;
		if (!eq) {
			ecsfs_buf_adds(why,
				       "the Authorization header's parameters must be Name=value");
			return -EINVAL;
		}
		end = eq + strcspn(eq, ",");
		name = (ecsfs__slice){p, (size_t)(eq - p)};
		while (name.n && (name.p[name.n - 1] == ' ' || name.p[name.n - 1] == '\t'))
			name.n--;
		v.p = skip_space(eq + 1);
		v.n = (size_t)(end - v.p);
		while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
			v.n--;
		if (parse_param(name, v, &a, &seen, why) < 0)
			return -EINVAL;
		p = *end ? end + 1 : end;
	}
	if (missing_params(seen, why) < 0)
		return -EINVAL;
	*out = a;
	return 0;
}

/* ---- the canonical request ---- */

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Encode s[0..n) the way SigV4 wants a path: every byte but the unreserved
 * ones and '/' as %XX. With `decode`, %XX in s is read as its byte first
 * (S3's single encoding); without, the path as sent is encoded once more,
 * as every other service signs it ("/a%20b" -> "/a%2520b").
 */
static void encode_path(const char *s, size_t n, bool decode, ecsfs_buf *out)
{
	static const char upper[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (decode && c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (unreserved(c) || c == '/') {
			ecsfs_buf_addch(out, (char)c);
		} else {
			char esc[3] = {'%', upper[c >> 4], upper[c & 15]};
			ecsfs_buf_add(out, esc, 3);
		}
	}
}

/* Byte order of two pieces, the shorter first when one begins the other. */
static int slice_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);
	return r ? r : (an > bn) - (an < bn);
}

/* "name=value" pieces by name, then by value. */
static int pair_cmp(const void *x, const void *y)
{
	const ecsfs__slice *a = x, *b = y;
	const char *ea = memchr(a->p, '=', a->n), *eb = memchr(b->p, '=', b->n);
	size_t ka = ea ? (size_t)(ea - a->p) : a->n, kb = eb ? (size_t)(eb - b->p) : b->n;
	int r = slice_cmp(a->p, ka, b->p, kb);
	return r ? r : slice_cmp(a->p + ka, a->n - ka, b->p + kb, b->n - kb);
}

/*
 * The query's parameters sorted by name, then value, joined with '&'; each
 * as the client sent it (botocore signs the encoding it sends), "name="
 * for a parameter without a value.
 */
static void canonical_query(const char *q, ecsfs_buf *out)
{
	ecsfs__slice *ps = NULL;
	size_t n = 0, cap = 0;

	while (q && *q) {
		size_t len = strcspn(q, "&");
		if (len) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				ps = realloc(ps, cap * sizeof(*ps));
				if (!ps)
					abort();
			}
			ps[n++] = (ecsfs__slice){q, len};
		}
		q += len;
		if (*q)
			q++;
	}
	if (n)
		qsort(ps, n, sizeof(*ps), pair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ecsfs_buf_addch(out, '&');
		ecsfs_buf_add(out, ps[i].p, ps[i].n);
		if (!memchr(ps[i].p, '=', ps[i].n))
			ecsfs_buf_addch(out, '=');
	}
	free(ps);
}

/* A header's value as signed: trimmed, inner runs of blanks made one space. */
static void add_value(ecsfs__slice v, ecsfs_buf *out)
{
	size_t i = 0, end = v.n;
	bool blank = false;

	while (i < end && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	while (end > i && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
		end--;
	for (; i < end; i++) {
		bool b = v.p[i] == ' ' || v.p[i] == '\t';
		if (b && blank)
			continue;
		ecsfs_buf_addch(out, b ? ' ' : v.p[i]);
		blank = b;
	}
}

/* "name:value" for one signed name; several headers of that name join with ','. */
static void add_header(const ecsfs__sigv4_req *req, ecsfs__slice name, ecsfs_buf *out)
{
	bool first = true;

	ecsfs_buf_add(out, name.p, name.n);
	ecsfs_buf_addch(out, ':');
	for (size_t i = 0; i < req->n_headers; i++) {
		const ecsfs__sigv4_header *h = &req->headers[i];
		if (h->name.n != name.n || strncasecmp(h->name.p, name.p, name.n) != 0)
			continue;
		if (!first)
			ecsfs_buf_addch(out, ',');
		add_value(h->value, out);
		first = false;
	}
	ecsfs_buf_addch(out, '\n');
}

void ecsfs__sigv4_canonical(const ecsfs__sigv4_req *req, const ecsfs__sigv4_auth *a,
			    const char *payload_hash, ecsfs_buf *out)
{
	const char *q = strchr(req->target, '?');
	size_t plen = q ? (size_t)(q - req->target) : strlen(req->target);
	ecsfs__slice sh = a->signed_headers;

	ecsfs_buf_addf(out, "%s\n", req->method);
	if (plen == 0)
		ecsfs_buf_addch(out, '/');
	encode_path(req->target, plen, slice_is(a->service, "s3"), out);
	ecsfs_buf_addch(out, '\n');
	canonical_query(q ? q + 1 : NULL, out);
	ecsfs_buf_addch(out, '\n');
	for (size_t i = 0, start = 0; i <= sh.n; i++) {
		if (i < sh.n && sh.p[i] != ';')
			continue;
		add_header(req, (ecsfs__slice){sh.p + start, i - start}, out);
		start = i + 1;
	}
	ecsfs_buf_addch(out, '\n');
	ecsfs_buf_add(out, sh.p, sh.n);
	ecsfs_buf_addf(out, "\n%s", payload_hash);
}

/* ---- signing ---- */

void ecsfs__sigv4_signing_key(const char *secret, ecsfs__slice date, ecsfs__slice region,
			      ecsfs__slice service, unsigned char key[32])
{
	ecsfs_buf k = ECSFS_BUF_INIT;
	unsigned char a[32], b[32];

	ecsfs_buf_addf(&k, "AWS4%s", secret);
	hmac((const unsigned char *)k.data, k.len, date.p, date.n, a);
	hmac(a, 32, region.p, region.n, b);
	hmac(b, 32, service.p, service.n, a);
	hmac(a, 32, TERMINAL, strlen(TERMINAL), key);
	OPENSSL_cleanse(k.data, k.len);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	ecsfs_buf_release(&k);
}

void ecsfs__sigv4_signature(const char *secret, const ecsfs__sigv4_auth *a, const char *amz_date,
			    const char *canonical, size_t len, char hex[65])
{
	ecsfs_buf sts = ECSFS_BUF_INIT;
	unsigned char key[32], mac[32];
	char chash[65];

	ecsfs__sha256_hex(canonical, len, chash);
	ecsfs_buf_addf(&sts, ALGORITHM "\n%s\n%.*s/%.*s/%.*s/" TERMINAL "\n%s", amz_date,
		       (int)a->date.n, a->date.p, (int)a->region.n, a->region.p, (int)a->service.n,
		       a->service.p, chash);
	ecsfs__sigv4_signing_key(secret, a->date, a->region, a->service, key);
	hmac(key, sizeof(key), sts.data, sts.len, mac);
	to_hex(mac, sizeof(mac), hex);
	OPENSSL_cleanse(key, sizeof(key));
	ecsfs_buf_release(&sts);
}

/* ---- verification ---- */

static const ecsfs__slice *find_header(const ecsfs__sigv4_req *req, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].name.n == n &&
		    strncasecmp(req->headers[i].name.p, name, n) == 0)
			return &req->headers[i].value;
	return NULL;
}

static bool signs(ecsfs__slice signed_headers, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0, start = 0; i <= signed_headers.n; i++) {
		if (i < signed_headers.n && signed_headers.p[i] != ';')
			continue;
		if (i - start == n && memcmp(signed_headers.p + start, name, n) == 0)
			return true;
		start = i + 1;
	}
	return false;
}

/* "YYYYMMDDTHHMMSSZ" -> seconds since the epoch; -1 when it is not one. */
static time_t amz_time(const ecsfs__slice *v, char out[17])
{
	struct tm tm = {0};
	char *end;

	if (!v || v->n != 16)
		return -1;
	memcpy(out, v->p, 16);
	out[16] = '\0';
	if (strspn(out, "0123456789") != 8 || out[8] != 'T' || strspn(out + 9, "0123456789") != 6 ||
	    out[15] != 'Z')
		return -1;
	end = strptime(out, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

static int deny(const char **type, const char *name, ecsfs_buf *why, const char *msg)
{
	*type = name;
	ecsfs_buf_reset(why);
	ecsfs_buf_adds(why, msg);
	return -EACCES;
}

/* The payload hash to sign: the body's; x-amz-content-sha256, when sent,
 * must say the same (the body is never taken on a client's word). */
static int payload_hash(const ecsfs__sigv4_req *req, char hash[65])
{
	const ecsfs__slice *claimed = find_header(req, "x-amz-content-sha256");
	ecsfs__sha256_hex(req->body, req->body_len, hash);
	if (claimed && (claimed->n != 64 || strncasecmp(claimed->p, hash, 64) != 0))
		return -EINVAL;
	return 0;
}

static int check_signature(const ecsfs__sigv4_req *req, const ecsfs__sigv4_auth *a,
			   const char *secret, const char *amz_date, const char **type,
			   ecsfs_buf *why)
{
	ecsfs_buf canonical = ECSFS_BUF_INIT;
	char hash[65], want[65];
	int r;

	if (payload_hash(req, hash) < 0)
		return deny(type, "InvalidSignatureException", why,
			    "x-amz-content-sha256 is not the SHA-256 of the body");
	ecsfs__sigv4_canonical(req, a, hash, &canonical);
	ecsfs__sigv4_signature(secret, a, amz_date, canonical.data, canonical.len, want);
	r = CRYPTO_memcmp(want, a->signature.p, 64);
	ecsfs_buf_release(&canonical);
	if (r != 0)
		return deny(type, "InvalidSignatureException", why,
			    "The request signature does not match the one computed from "
			    "the secret access key: check the secret and how the request "
			    "was signed.");
	return 0;
}

static int check_clock(time_t t, time_t now, const char *amz_date, const char **type,
		       ecsfs_buf *why)
{
	char nowtxt[17];
	struct tm tm;

	if (t >= now - ECSFS_SIGV4_SKEW_S && t <= now + ECSFS_SIGV4_SKEW_S)
		return 0;
	gmtime_r(&now, &tm);
	strftime(nowtxt, sizeof(nowtxt), "%Y%m%dT%H%M%SZ", &tm);
	*type = "InvalidSignatureException";
	ecsfs_buf_reset(why);
	ecsfs_buf_addf(why,
		       "Signature expired: X-Amz-Date %s is more than 15 minutes from the "
		       "server's time %s.",
		       amz_date, nowtxt);
	return -EACCES;
}

int ecsfs__sigv4_verify(const ecsfs__sigv4_req *req, ecsfs__sigv4_secret_fn secret, void *data,
			const char **type, ecsfs_buf *why)
{
	const ecsfs__slice *h = find_header(req, "authorization");
	ecsfs_buf text = ECSFS_BUF_INIT, msg = ECSFS_BUF_INIT;
	ecsfs__sigv4_auth a;
	const char *key;
	char amz_date[17];
	time_t t;
	int r = -EACCES;

	if (!h)
		return deny(type, "MissingAuthenticationTokenException", why,
			    "Missing Authentication Token: the request has no Authorization "
			    "header (sign it with SigV4, e.g. aws --profile ecsfs).");
	ecsfs_buf_add(&text, h->p, h->n);
	if (ecsfs__sigv4_parse(text.data ? text.data : "", &a, &msg) < 0) {
		deny(type, "IncompleteSignatureException", why, msg.data);
		goto out;
	}
	t = amz_time(find_header(req, "x-amz-date"), amz_date);
	if (t < 0) {
		deny(type, "IncompleteSignatureException", why,
		     "a signed request needs an X-Amz-Date header of the form YYYYMMDDTHHMMSSZ");
		goto out;
	}
	if (!(key = secret(data, a.key_id))) {
		deny(type, "UnrecognizedClientException", why,
		     "The security token included in the request is invalid: its access key "
		     "id is not this daemon's (see STATE/credentials).");
		goto out;
	}
	if (memcmp(a.date.p, amz_date, 8) != 0)
		deny(type, "InvalidSignatureException", why,
		     "the date of the Credential scope is not the date of X-Amz-Date");
	else if (!signs(a.signed_headers, "host"))
		deny(type, "InvalidSignatureException", why,
		     "the Host header must be one of SignedHeaders");
	else if (check_signature(req, &a, key, amz_date, type, why) == 0)
		r = check_clock(t, req->now, amz_date, type, why);
out:
	ecsfs_buf_release(&text);
	ecsfs_buf_release(&msg);
	return r;
}
