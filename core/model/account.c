/* ECS account settings: names, values and defaults as data, kept in the
 * store by principal ("" is the account). */
#include <errno.h>
#include <string.h>

#include "ecsfs/account.h"
#include "ecsfs/arn.h"

static const char *const on_off[] = {"enabled", "disabled", NULL};

/* ECS's settings, in name order (ListAccountSettings lists them so). */
static const struct setting {
	const char *name;
	const char *dflt;
	const char *const *values;
} settings[] = {
    {"awsvpcTrunking", "disabled", on_off},
    {"containerInsights", "disabled",
     (const char *const[]){"enabled", "disabled", "enhanced", NULL}},
    {"containerInstanceLongArnFormat", "enabled", on_off},
    {"dualStackIPv6", "disabled", on_off},
    {"fargateFIPSMode", "disabled", on_off},
    {"fargateTaskRetirementWaitPeriod", "7", (const char *const[]){"0", "7", "14", NULL}},
    {"guardDutyActivate", "off", (const char *const[]){"on", "off", NULL}},
    {"serviceLongArnFormat", "enabled", on_off},
    {"tagResourceAuthorization", "on", (const char *const[]){"on", "off", NULL}},
    {"taskLongArnFormat", "enabled", on_off},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static int unknown_name(const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "name: '%.100s' is not an account setting ECS has", name);
}

/* The store's key of a principal: "" for the account (NULL, or the root
 * user), else its ARN, which must be an IAM one. */
static int principal_key(const char *principal, ecsfs_buf *key, ecsfs_err *err)
{
	ecsfs_buf root = ECSFS_BUF_INIT;
	int r = 0;

	ecsfs_arn_global(&root, "iam", "root");
	ecsfs_buf_reset(key);
	if (!principal || !strcmp(principal, root.data))
		ecsfs_buf_adds(key, "");
	else if (!ecsfs_arn_resource(principal, "iam") || strlen(principal) > 1600)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "principalArn: '%.300s' is not the ARN of an IAM user or role",
				  principal);
	else
		ecsfs_buf_adds(key, principal);
	ecsfs_buf_release(&root);
	return r;
}

/* {name, value, principalArn}; the account's shows the root user. */
static json_t *shape(const char *name, const char *value, const char *key)
{
	ecsfs_buf root = ECSFS_BUF_INIT;
	json_t *j;

	ecsfs_arn_global(&root, "iam", "root");
	j = json_pack("{s:s, s:s, s:s}", "name", name, "value", value, "principalArn",
		      *key ? key : root.data);
	ecsfs_buf_release(&root);
	return j;
}

/* The value in effect for principal `key`: its own, the account's, ECS's. */
static int effective(ecsfs_store *s, const struct setting *st, const char *key, ecsfs_buf *v)
{
	int r = ecsfs_store_setting_get(s, st->name, key, v);

	if (r == -ENOENT && *key)
		r = ecsfs_store_setting_get(s, st->name, "", v);
	if (r == -ENOENT) {
		ecsfs_buf_reset(v);
		ecsfs_buf_adds(v, st->dflt);
		r = 0;
	}
	return r;
}

static int fault(ecsfs_store *s, int r, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "account settings: %s",
			     ecsfs_store_last_error(s));
}

int ecsfs_account_setting_put(ecsfs_store *s, const char *name, const char *value,
			      const char *principal, json_t **out, ecsfs_err *err)
{
	const struct setting *st = find(name);
	ecsfs_buf key = ECSFS_BUF_INIT;
	size_t i;
	int r;

	if (!st)
		return unknown_name(name, err);
	for (i = 0; st->values[i] && strcmp(st->values[i], value); i++)
		;
	if (!st->values[i])
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "value: '%.100s' is not a value of %s", value, name);
	if ((r = principal_key(principal, &key, err)) == 0) {
		if ((r = ecsfs_store_setting_put(s, name, key.data, value)) < 0)
			fault(s, r, err);
		else
			*out = shape(name, value, key.data);
	}
	ecsfs_buf_release(&key);
	return r;
}

int ecsfs_account_setting_delete(ecsfs_store *s, const char *name, const char *principal,
				 json_t **out, ecsfs_err *err)
{
	const struct setting *st = find(name);
	ecsfs_buf key = ECSFS_BUF_INIT, v = ECSFS_BUF_INIT;
	int r;

	if (!st)
		return unknown_name(name, err);
	if ((r = principal_key(principal, &key, err)) < 0)
		goto out;
	r = ecsfs_store_setting_delete(s, name, key.data);
	if ((r < 0 && r != -ENOENT) || (r = effective(s, st, key.data, &v)) < 0)
		fault(s, r, err);
	else
		*out = shape(name, v.data, key.data);
out:
	ecsfs_buf_release(&key);
	ecsfs_buf_release(&v);
	return r;
}

int ecsfs_account_settings_list(ecsfs_store *s, const char *name, const char *value,
				const char *principal, bool effective_only, json_t **out,
				ecsfs_err *err)
{
	ecsfs_buf key = ECSFS_BUF_INIT, v = ECSFS_BUF_INIT;
	json_t *all = json_array();
	int r;

	if (value && !name)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "value: a value filters only with a name");
	else if (name && !find(name))
		r = unknown_name(name, err);
	else
		r = principal_key(principal, &key, err);
	for (size_t i = 0; r == 0 && i < NSETTINGS; i++) {
		const struct setting *st = &settings[i];
		if (name && strcmp(name, st->name))
			continue;
		r = effective_only ? effective(s, st, key.data, &v)
				   : ecsfs_store_setting_get(s, st->name, key.data, &v);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			fault(s, r, err);
		else if (!value || !strcmp(value, v.data))
			json_array_append_new(all, shape(st->name, v.data, key.data));
	}
	if (r == 0)
		*out = all;
	else
		json_decref(all);
	ecsfs_buf_release(&key);
	ecsfs_buf_release(&v);
	return r;
}

int ecsfs_account_setting_value(ecsfs_store *s, const char *name, ecsfs_buf *value)
{
	const struct setting *st = find(name);

	return st ? effective(s, st, "", value) : -EINVAL;
}
