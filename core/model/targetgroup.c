/* ELBv2 target groups: spec/targetgroups/<tg>.json documents. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/targetgroup.h"

int ecsfs_elb_name_check(const char *name, const char *what, ecsfs_err *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > ECSFS_ELB_NAME_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s name '%s' must have 1 to %d characters", what, name,
				     ECSFS_ELB_NAME_MAX);
	if (name[0] == '-' || name[n - 1] == '-')
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s name '%s' must not begin or end with a hyphen", what,
				     name);
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s name '%s' may hold only letters, digits and "
					     "hyphens",
					     what, name);
	return 0;
}

void ecsfs_elb_id(const char *kind, const char *name, char out[17])
{
	/* FNV-1a over "kind/name": stable across daemons and versions */
	unsigned long long h = 14695981039346656037ull;
	for (const char *p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, 17, "%016llx", h);
}

#define TG_ARN_PREFIX "arn:aws:elasticloadbalancing:"

int ecsfs_targetgroup_ref_name(const char *ref, char out[ECSFS_ELB_NAME_MAX + 1], ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1], id[17];
	const char *p = ref, *slash;
	int r;

	if (strncmp(ref, "arn:", 4) == 0) {
		/* arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID */
		p = strstr(ref, ":targetgroup/");
		if (strncmp(ref, TG_ARN_PREFIX, strlen(TG_ARN_PREFIX)) != 0 || !p)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "'%s' is not a target group ARN", ref);
		p += strlen(":targetgroup/");
		slash = strchr(p, '/');
		if (!slash || (size_t)(slash - p) > ECSFS_ELB_NAME_MAX)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "'%s' is not a target group ARN", ref);
		snprintf(name, sizeof(name), "%.*s", (int)(slash - p), p);
		if ((r = ecsfs_elb_name_check(name, "target group", err)) < 0)
			return r;
		ecsfs_elb_id("targetgroup", name, id);
		if (strcmp(slash + 1, id) != 0)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "'%s': the id of target group %s is %s", ref, name,
					     id);
	} else {
		if ((r = ecsfs_elb_name_check(ref, "target group", err)) < 0)
			return r;
		snprintf(name, sizeof(name), "%s", ref);
	}
	memcpy(out, name, sizeof(name));
	return 0;
}

int ecsfs_targetgroup_exists(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	ecsfs_buf file = ECSFS_BUF_INIT;
	ecsfs_file_meta meta;
	ecsfs_buf_addf(&file, "%s.json", name);
	int r = ecsfs_store_file_get(s, ECSFS_SPEC_TARGETGROUPS, file.data, &meta, NULL);
	ecsfs_buf_release(&file);
	if (r == 0 && meta.kind != ECSFS_FILE_SPEC)
		r = -ENOENT;
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "target group %s does not exist", name);
	if (r < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read target group %s: %s",
				     name, ecsfs_store_last_error(s));
	return 0;
}
