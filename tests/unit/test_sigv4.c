/*
 * SigV4 verification: AWS's documented example values (the IAM ListUsers
 * request of the signing guide, S3's GET Object example), requests signed
 * by botocore (the AWS CLI's signer) for ECS and Logs, and every way a
 * request can be refused. Also STATE/credentials.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credentials.h"
#include "sigv4.h"
#include "tap.h"

#define H(n, v)                          \
	{                                \
		{n, sizeof(n) - 1},      \
		{                        \
			v, sizeof(v) - 1 \
		}                        \
	}
#define S(lit) ((ecsfs__slice){lit, sizeof(lit) - 1})

static const char *secret;

static const char *lookup(void *data, ecsfs__slice key)
{
	const char *want = data;
	if (key.n != strlen(want) || memcmp(key.p, want, key.n) != 0)
		return NULL;
	return secret;
}

static int verify(const ecsfs__sigv4_req *req, const char *key_id, const char **type,
		  ecsfs_buf *why)
{
	*type = NULL;
	ecsfs_buf_reset(why);
	return ecsfs__sigv4_verify(req, lookup, (void *)key_id, type, why);
}

/* The IAM example of AWS's signing guide (GET, query, three signed headers). */
static void aws_iam_example(void)
{
	static const ecsfs__sigv4_header hs[] = {
	    H("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
	    H("Host", "iam.amazonaws.com"),
	    H("X-Amz-Date", "20150830T123600Z"),
	    H("Authorization",
	      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
	      "SignedHeaders=content-type;host;x-amz-date, "
	      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
	};
	ecsfs__sigv4_req req = {"GET",	   "/?Action=ListUsers&Version=2010-05-08", hs, 4, "", 0,
				1440938160};
	ecsfs_buf canon = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	ecsfs__sigv4_auth a;
	unsigned char key[32];
	char hex[65], empty[65];
	const char *type;

	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	is_int(ecsfs__sigv4_parse(hs[3].value.p, &a, &why), 0, "the guide's header parses");
	ok(a.key_id.n == 11 && memcmp(a.key_id.p, "AKIDEXAMPLE", 11) == 0, "key id");
	ok(a.service.n == 3 && memcmp(a.service.p, "iam", 3) == 0, "service from the scope");
	ecsfs__sigv4_signing_key(secret, S("20150830"), S("us-east-1"), S("iam"), key);
	ecsfs__sha256_hex("", 0, empty);
	is_str(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "SHA-256 of nothing");
	{
		char khex[65];
		for (int i = 0; i < 32; i++)
			snprintf(khex + 2 * i, 3, "%02x", key[i]);
		is_str(khex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
		       "the guide's signing key");
	}
	ecsfs__sigv4_canonical(&req, &a, empty, &canon);
	is_str(canon.data,
	       "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
	       "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	       "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	       "content-type;host;x-amz-date\n"
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "the guide's canonical request");
	ecsfs__sha256_hex(canon.data, canon.len, hex);
	is_str(hex, "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59", "its hash");
	ecsfs__sigv4_signature(secret, &a, "20150830T123600Z", canon.data, canon.len, hex);
	is_str(hex, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
	       "the guide's signature");
	is_int(verify(&req, "AKIDEXAMPLE", &type, &why), 0, "the guide's request verifies");
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&why);
}

/* S3's GET Object example: a Range header with a trailing blank, the body's
 * hash in x-amz-content-sha256, a single-encoded path. */
static void aws_s3_example(void)
{
	static const ecsfs__sigv4_header hs[] = {
	    H("Host", "examplebucket.s3.amazonaws.com"),
	    H("Range", "bytes=0-9 "),
	    H("x-amz-content-sha256",
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    H("x-amz-date", "20130524T000000Z"),
	    H("Authorization",
	      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
	      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
	};
	ecsfs__sigv4_req req = {"GET", "/test.txt", hs, 5, NULL, 0, 1369353600};
	ecsfs_buf canon = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	ecsfs__sigv4_auth a;
	const char *type;
	char hex[65];

	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	is_int(ecsfs__sigv4_parse(hs[4].value.p, &a, &why), 0, "S3's header parses (no blanks)");
	ecsfs__sigv4_canonical(&req, &a, hs[2].value.p, &canon);
	ecsfs__sha256_hex(canon.data, canon.len, hex);
	is_str(hex, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
	       "S3 example: the canonical request's hash");
	is_int(verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why), 0, "S3 example verifies");
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&why);
}

/* What botocore sent for ecs list-clusters (body, the CLI's headers). */
static const ecsfs__sigv4_header ecs_hs[] = {
    H("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
    H("Content-Type", "application/x-amz-json-1.1"),
    H("X-Amz-Date", "20261201T223152Z"),
    H("Host", "127.0.0.1:4566"),
    H("Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
      "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d"),
};
#define ECS_BODY "{\"maxResults\":5}"
#define ECS_NOW	 1796164312

static void botocore_vectors(void)
{
	/* a path with an encoded blank (signed encoded twice), a query out of
	 * order, a header with runs of blanks, region eu-west-3, service logs */
	static const ecsfs__sigv4_header logs_hs[] = {
	    H("X-Amz-Target", "Logs_20140328.DescribeLogGroups"),
	    H("Content-Type", "application/x-amz-json-1.1"),
	    H("X-Custom", "  a   b  "),
	    H("X-Amz-Date", "20261201T223152Z"),
	    H("Host", "127.0.0.1:4566"),
	    H("Authorization",
	      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/eu-west-3/logs/"
	      "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-custom, "
	      "Signature=35076cd8c6dfd12b621e268e68175cf54640c3fb92b31fdc9b7af362f5433a7a"),
	};
	ecsfs__sigv4_req ecs = {"POST", "/", ecs_hs, 5, ECS_BODY, strlen(ECS_BODY), ECS_NOW};
	ecsfs__sigv4_req logs = {"POST", "/a%20b/~c?z=1&a=2&a=1&b=%7e", logs_hs, 6, "", 0, ECS_NOW};
	ecsfs_buf why = ECSFS_BUF_INIT, canon = ECSFS_BUF_INIT;
	ecsfs__sigv4_auth a;
	const char *type;

	secret = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	is_int(verify(&ecs, "AKIAIOSFODNN7EXAMPLE", &type, &why), 0,
	       "botocore's ecs ListClusters verifies: %s", why.data ? why.data : "");
	is_int(verify(&logs, "AKIAIOSFODNN7EXAMPLE", &type, &why), 0,
	       "botocore's logs request with an odd path, query and header verifies: %s",
	       why.data ? why.data : "");
	ecsfs__sigv4_parse(logs_hs[5].value.p, &a, &why);
	ecsfs__sigv4_canonical(&logs, &a, "-", &canon);
	ok(strncmp(canon.data, "POST\n/a%2520b/~c\na=1&a=2&b=%7e&z=1\n", 35) == 0,
	   "the path is encoded once more, the query sorted as sent");
	ok(strstr(canon.data, "\nx-custom:a b\n") != NULL, "blanks trimmed and collapsed");
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&canon);
}

/* ecs_hs with header i's value replaced. */
static void with_header(ecsfs__sigv4_header *hs, size_t i, const char *v)
{
	memcpy(hs, ecs_hs, sizeof(ecs_hs));
	hs[i].value = (ecsfs__slice){v, strlen(v)};
}

struct refusal {
	size_t header; /* which of ecs_hs is replaced, or 99 */
	const char *value;
	const char *type;
	const char *says;
	const char *what;
};

static const struct refusal refusals[] = {
    {4, "AWS4-HMAC-SHA1 Credential=a/20261201/r/s/aws4_request, SignedHeaders=host, Signature=0",
     "IncompleteSignatureException", "AWS4-HMAC-SHA256", "another algorithm"},
    {4,
     "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" /* 64 hex digits */
     "6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "Credential", "no Credential"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "SignedHeaders", "no SignedHeaders"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=host",
     "IncompleteSignatureException", "Signature", "no Signature"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs, "
     "SignedHeaders=host, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "aws4_request", "a short scope"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2026-12-01/us-east-1/ecs/aws4_request, "
     "SignedHeaders=host, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "YYYYMMDD", "a date not YYYYMMDD"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=Host, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "lowercase", "upper case in SignedHeaders"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=host, Signature=6E5AD775",
     "IncompleteSignatureException", "64", "a short signature"},
    {4,
     "AWS4-HMAC-SHA256 Credential=A/20261201/r/s/aws4_request, Credential=A/20261201/r/s/"
     "aws4_request, SignedHeaders=host, Signature="
     "6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "IncompleteSignatureException", "twice", "Credential twice"},
    {4, "garbage", "IncompleteSignatureException", "AWS4-HMAC-SHA256", "garbage"},
    {4, "", "IncompleteSignatureException", "AWS4-HMAC-SHA256", "an empty header"},
    {2, "yesterday", "IncompleteSignatureException", "X-Amz-Date", "a bad X-Amz-Date"},
    {2, "20261301T223152Z", "IncompleteSignatureException", "X-Amz-Date", "month 13"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAOTHERKEY0000000/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "UnrecognizedClientException", "access key", "an unknown key id"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5e",
     "InvalidSignatureException", "does not match", "one digit of the signature changed"},
    {0, "AmazonEC2ContainerServiceV20141113.DeleteCluster", "InvalidSignatureException",
     "does not match", "a signed header changed (the operation)"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261202/us-east-1/ecs/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "InvalidSignatureException", "date of the Credential", "a scope of another day"},
    {4,
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/ecs/aws4_request, "
     "SignedHeaders=content-type;x-amz-date;x-amz-target, "
     "Signature=6e5ad775a4cae63406928b5327991cec8e60af8fe36e18716988ec60f9262b5d",
     "InvalidSignatureException", "Host", "host not signed"},
};

static void refused(void)
{
	ecsfs__sigv4_header hs[6];
	ecsfs__sigv4_req req = {"POST", "/", hs, 5, ECS_BODY, strlen(ECS_BODY), ECS_NOW};
	ecsfs_buf why = ECSFS_BUF_INIT;
	const char *type;

	secret = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *t = &refusals[i];
		with_header(hs, t->header, t->value);
		is_int(verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why), -EACCES, "%s: refused",
		       t->what);
		is_str(type, t->type, "%s: %s", t->what, t->type);
		ok(why.data && strstr(why.data, t->says), "%s: the message says '%s': %s", t->what,
		   t->says, why.data ? why.data : "");
	}

	/* without the Authorization header */
	memcpy(hs, ecs_hs, sizeof(ecs_hs));
	req.n_headers = 4;
	is_int(verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why), -EACCES, "unsigned: refused");
	is_str(type, "MissingAuthenticationTokenException", "unsigned: MissingAuthenticationToken");
	req.n_headers = 5;

	/* the body is signed */
	req.body = "{\"maxResults\":6}";
	is_int(verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why), -EACCES, "another body: refused");
	is_str(type, "InvalidSignatureException", "another body: InvalidSignature");
	req.body = ECS_BODY;

	/* x-amz-content-sha256 must be the body's */
	hs[5] = (ecsfs__sigv4_header)H("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
	req.n_headers = 6;
	is_int(verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why), -EACCES,
	       "x-amz-content-sha256 not the body's: refused");
	ok(why.data && strstr(why.data, "x-amz-content-sha256"), "... and said: %s", why.data);
	req.n_headers = 5;
	ecsfs_buf_release(&why);
}

static void clock_window(void)
{
	ecsfs__sigv4_req req = {"POST", "/", ecs_hs, 5, ECS_BODY, strlen(ECS_BODY), 0};
	ecsfs_buf why = ECSFS_BUF_INIT;
	const char *type;
	static const struct {
		long delta;
		int want;
	} cases[] = {{-14 * 60, 0},  {14 * 60, 0},	 {-15 * 60, 0},
		     {15 * 60, 0},   {-15 * 60 - 1, -1}, {15 * 60 + 1, -1},
		     {-20 * 60, -1}, {20 * 60, -1},	 {-86400 * 365, -1}};

	secret = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.now = ECS_NOW - cases[i].delta;
		int r = verify(&req, "AKIAIOSFODNN7EXAMPLE", &type, &why);
		if (cases[i].want == 0) {
			is_int(r, 0, "signed %+lds from now: accepted", cases[i].delta);
			continue;
		}
		is_int(r, -EACCES, "signed %+lds from now: refused", cases[i].delta);
		is_str(type, "InvalidSignatureException", "... InvalidSignatureException");
		ok(why.data && strncmp(why.data, "Signature expired", 17) == 0,
		   "... 'Signature expired': %s", why.data ? why.data : "");
	}
	ecsfs_buf_release(&why);
}

static void credentials(void)
{
	char dir[] = "/tmp/test-sigv4.XXXXXX", path[64];
	ecsfs__creds c, again;
	ecsfs_buf why = ECSFS_BUF_INIT;
	bool created = false;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/credentials", dir);
	umask(022);
	is_int(ecsfs__creds_load(dir, &c, &created, &why), 0, "credentials made: %s",
	       why.data ? why.data : "");
	ok(created, "... on the first start");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "... mode 0600");
	ok(strlen(c.key_id) == 20 && strncmp(c.key_id, "AKIA", 4) == 0 &&
	       strspn(c.key_id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 16,
	   "key id AKIA + 16 upper-case letters and digits: %s", c.key_id);
	is_int(strlen(c.secret), 40, "a secret of 40 characters");
	is_int(ecsfs__creds_load(dir, &again, &created, &why), 0, "read back");
	ok(!created && strcmp(c.key_id, again.key_id) == 0 && strcmp(c.secret, again.secret) == 0,
	   "... the same key on the next start");
	chmod(path, 0644);
	is_int(ecsfs__creds_load(dir, &again, &created, &why), 0, "a file made readable by others");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "... is made 0600 again");
	ecsfs__creds_generate(&again);
	ok(strcmp(c.key_id, again.key_id) != 0 && strcmp(c.secret, again.secret) != 0,
	   "two keys made differ");

	f = fopen(path, "w");
	fputs("[default]\naws_access_key_id = X\naws_secret_access_key = Y\n", f);
	fclose(f);
	ecsfs_buf_reset(&why);
	is_int(ecsfs__creds_load(dir, &again, &created, &why), -EINVAL, "no [ecsfs] profile");
	ok(why.data && strstr(why.data, "[ecsfs]") && strstr(why.data, path), "... said: %s",
	   why.data ? why.data : "");
	is_int(ecsfs__creds_parse("# made\n[default]\nx=1\n[ecsfs]\r\n aws_access_key_id=K1 \r\n"
				  "; note\naws_secret_access_key =\tS1\n[other]\n"
				  "aws_secret_access_key = S2\n",
				  &again, &why),
	       0, "profile [ecsfs] among others, CRLF, comments, blanks");
	ok(strcmp(again.key_id, "K1") == 0 && strcmp(again.secret, "S1") == 0, "... K1 / S1");
	ecsfs_buf_release(&why);
	tap_rmtree(dir);
}

int main(void)
{
	aws_iam_example();
	aws_s3_example();
	botocore_vectors();
	refused();
	clock_window();
	credentials();
	return tap_done();
}
