/*
 * STATE/credentials: the one access key the API accepts, in the AWS
 * shared-credentials format under profile [ecsfs], so that
 * `AWS_SHARED_CREDENTIALS_FILE=STATE/credentials aws --profile ecsfs` signs
 * with it.
 */
#ifndef ECSFS_API_CREDENTIALS_H
#define ECSFS_API_CREDENTIALS_H

#include <stdbool.h>

#include "ecsfs/buf.h"

#define ECSFS_CREDS_PROFILE "ecsfs"
#define ECSFS_CREDS_FILE    "credentials"

typedef struct ecsfs__creds {
	char key_id[129]; /* AKIA + 16 upper-case letters and digits when made here */
	char secret[129]; /* 40 characters when made here */
} ecsfs__creds;

/*
 * Read STATE/credentials, or make it (mode 0600, O_EXCL, fsync'd) when it
 * does not exist, with a key id and secret from getrandom(). *created says
 * which. A file that exists but has no [ecsfs] profile with both keys is
 * -EINVAL with why; other failures -errno with why.
 */
int ecsfs__creds_load(const char *state_dir, ecsfs__creds *out, bool *created, ecsfs_buf *why);

/* Generate a fresh key id and secret (getrandom). 0 or -errno. */
int ecsfs__creds_generate(ecsfs__creds *out);

/* Parse the text of a shared-credentials file for profile [ecsfs]. 0 or -EINVAL. */
int ecsfs__creds_parse(const char *text, ecsfs__creds *out, ecsfs_buf *why);

#endif
