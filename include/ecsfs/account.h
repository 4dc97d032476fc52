/*
 * ecsfs — ECS account settings (PutAccountSetting, PutAccountSettingDefault,
 * DeleteAccountSetting, ListAccountSettings), kept in the store.
 *
 * A setting has ECS's default until it is set: for the account (the root
 * user, or PutAccountSettingDefault; principal NULL) or for one principal
 * (an IAM user or role ARN), which overrides the account's. The names and
 * defaults are ECS's (containerInsights disabled, serviceLongArnFormat and
 * taskLongArnFormat enabled, awsvpcTrunking disabled, ...); ARNs here are
 * always in the long format, whatever the setting says.
 */
#ifndef ECSFS_ACCOUNT_H
#define ECSFS_ACCOUNT_H

#include <jansson.h>
#include <stdbool.h>

#include "ecsfs/error.h"
#include "ecsfs/store.h"

/*
 * Set `name` to `value` for `principal` (NULL or the root user's ARN: the
 * account). *out gets the setting {name, value, principalArn} (caller
 * decrefs). InvalidParameter/-EINVAL for a name or value ECS does not
 * have, or a principal that is not an IAM ARN.
 */
int ecsfs_account_setting_put(ecsfs_store *s, const char *name, const char *value,
			      const char *principal, json_t **out, ecsfs_err *err);

/* Drop what was set for `principal`; *out gets the setting that is in
 * effect now. InvalidParameter/-EINVAL. */
int ecsfs_account_setting_delete(ecsfs_store *s, const char *name, const char *principal,
				 json_t **out, ecsfs_err *err);

/*
 * ListAccountSettings: the settings of `principal` (NULL: the root user),
 * by name: with `effective` every setting with the value in effect, else
 * only those set for that principal. `name` and `value` (may be NULL)
 * filter; a value without a name is InvalidParameter/-EINVAL. *out gets a
 * new array.
 */
int ecsfs_account_settings_list(ecsfs_store *s, const char *name, const char *value,
				const char *principal, bool effective, json_t **out,
				ecsfs_err *err);

/* The value of `name` in effect for the account (ECS's default when unset)
 * into *value; -EINVAL for a name ECS does not have. */
int ecsfs_account_setting_value(ecsfs_store *s, const char *name, ecsfs_buf *value);

#endif
