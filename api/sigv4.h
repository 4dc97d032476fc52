/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256) as a server checks it: the
 * Authorization header parsed, the canonical request rebuilt from what was
 * received, the signature derived from the secret and compared in constant
 * time. Nothing here knows HTTP libraries: the listener passes the request
 * as plain strings.
 */
#ifndef ECSFS_API_SIGV4_H
#define ECSFS_API_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ecsfs/buf.h"

/* A piece of a string that is not NUL-terminated where it ends. */
typedef struct ecsfs__slice {
	const char *p;
	size_t n;
} ecsfs__slice;

typedef struct ecsfs__sigv4_header {
	ecsfs__slice name; /* as received, any case */
	ecsfs__slice value;
} ecsfs__sigv4_header;

typedef struct ecsfs__sigv4_req {
	const char *method;
	const char *target; /* the raw request target: "/path?query" */
	const ecsfs__sigv4_header *headers;
	size_t n_headers;
	const void *body;
	size_t body_len;
	time_t now; /* the server's clock, for the 15-minute window */
} ecsfs__sigv4_req;

/* The parts of an Authorization header (slices into it). */
typedef struct ecsfs__sigv4_auth {
	ecsfs__slice key_id;
	ecsfs__slice date; /* YYYYMMDD of the credential scope */
	ecsfs__slice region;
	ecsfs__slice service;
	ecsfs__slice signed_headers; /* "content-type;host;x-amz-date" */
	ecsfs__slice signature;	     /* 64 lowercase hex digits */
} ecsfs__sigv4_auth;

#define ECSFS_SIGV4_SKEW_S (15 * 60)

/*
 * Parse "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=HEX". 0, or -EINVAL and why (the request is
 * then IncompleteSignatureException).
 */
int ecsfs__sigv4_parse(const char *header, ecsfs__sigv4_auth *a, ecsfs_buf *why);

/* The secret of an access key id, or NULL when the key is unknown. */
typedef const char *(*ecsfs__sigv4_secret_fn)(void *data, ecsfs__slice key_id);

/*
 * Check a request's signature. 0 when it is good; else -EACCES with *type
 * set to the AWS exception (MissingAuthenticationTokenException,
 * IncompleteSignatureException, UnrecognizedClientException,
 * InvalidSignatureException) and why to a sentence; the answer is a 403.
 */
int ecsfs__sigv4_verify(const ecsfs__sigv4_req *req, ecsfs__sigv4_secret_fn secret, void *data,
			const char **type, ecsfs_buf *why);

/* ---- the steps, for tests ---- */

/* The canonical request of req for the signed headers of a (appended to out). */
void ecsfs__sigv4_canonical(const ecsfs__sigv4_req *req, const ecsfs__sigv4_auth *a,
			    const char *payload_hash, ecsfs_buf *out);
/* kSigning from the secret and the scope. */
void ecsfs__sigv4_signing_key(const char *secret, ecsfs__slice date, ecsfs__slice region,
			      ecsfs__slice service, unsigned char key[32]);
/* hex(HMAC(kSigning, string to sign)) into hex[65]; the string to sign is
 * built from amz_date, the scope of a and the canonical request. */
void ecsfs__sigv4_signature(const char *secret, const ecsfs__sigv4_auth *a, const char *amz_date,
			    const char *canonical, size_t len, char hex[65]);
/* hex(SHA-256(data)) into hex[65]. */
void ecsfs__sha256_hex(const void *data, size_t len, char hex[65]);

#endif
