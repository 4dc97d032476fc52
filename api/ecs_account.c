/*
 * ECS account settings: parse, call core (include/ecsfs/account.h), render.
 */
#include "api_private.h"
#include "ecsfs/account.h"

static int put_account_setting(const ecsfs_api_core *c, const json_t *in, json_t **out,
			       ecsfs_err *err)
{
	const char *name = NULL, *value = NULL, *principal = NULL;
	json_t *setting;
	int r;

	if ((r = ecsfs__api_str(in, "name", true, &name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "value", true, &value, err)) < 0 ||
	    (r = ecsfs__api_str(in, "principalArn", false, &principal, err)) < 0 ||
	    (r = ecsfs_account_setting_put(c->store, name, value, principal, &setting, err)) < 0)
		return r;
	*out = json_pack("{s:o}", "setting", setting);
	return 0;
}

static int put_account_setting_default(const ecsfs_api_core *c, const json_t *in, json_t **out,
				       ecsfs_err *err)
{
	const char *name = NULL, *value = NULL;
	json_t *setting;
	int r;

	if ((r = ecsfs__api_str(in, "name", true, &name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "value", true, &value, err)) < 0 ||
	    (r = ecsfs_account_setting_put(c->store, name, value, NULL, &setting, err)) < 0)
		return r;
	*out = json_pack("{s:o}", "setting", setting);
	return 0;
}

static int delete_account_setting(const ecsfs_api_core *c, const json_t *in, json_t **out,
				  ecsfs_err *err)
{
	const char *name = NULL, *principal = NULL;
	json_t *setting;
	int r;

	if ((r = ecsfs__api_str(in, "name", true, &name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "principalArn", false, &principal, err)) < 0 ||
	    (r = ecsfs_account_setting_delete(c->store, name, principal, &setting, err)) < 0)
		return r;
	*out = json_pack("{s:o}", "setting", setting);
	return 0;
}

static int list_account_settings(const ecsfs_api_core *c, const json_t *in, json_t **out,
				 ecsfs_err *err)
{
	const char *name = NULL, *value = NULL, *principal = NULL;
	bool effective = false;
	json_t *all, *o;
	int r;

	if ((r = ecsfs__api_str(in, "name", false, &name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "value", false, &value, err)) < 0 ||
	    (r = ecsfs__api_str(in, "principalArn", false, &principal, err)) < 0 ||
	    (r = ecsfs__api_bool(in, "effectiveSettings", &effective, err)) < 0 ||
	    (r = ecsfs_account_settings_list(c->store, name, value, principal, effective, &all,
					     err)) < 0)
		return r;
	o = json_object();
	if ((r = ecsfs__api_page(all, in, 10, 10, o, "settings", err)) < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

const ecsfs__api_op ecsfs__ecs_account_ops[] = {
    {"ListAccountSettings", list_account_settings},
    {"PutAccountSetting", put_account_setting},
    {"PutAccountSettingDefault", put_account_setting_default},
    {"DeleteAccountSetting", delete_account_setting},
    {NULL, NULL},
};
