/* Account settings (PutAccountSetting, PutAccountSettingDefault). */
#include <errno.h>

#include "store/store_private.h"

static void read_text(sqlite3_stmt *st, void *out)
{
	ecsfs_buf *value = out;

	ecsfs_buf_reset(value);
	ecsfs_buf_adds(value, (const char *)sqlite3_column_text(st, 0));
}

int ecsfs_store_setting_get(ecsfs_store *s, const char *name, const char *principal,
			    ecsfs_buf *value)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT value FROM account_settings WHERE name = ?1 AND principal = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, principal, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "setting_get", read_text, value);
}

int ecsfs_store_setting_put(ecsfs_store *s, const char *name, const char *principal,
			    const char *value)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s,
	    "INSERT OR REPLACE INTO account_settings (name, principal, value) VALUES (?1, ?2, ?3)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "setting_put");
}

int ecsfs_store_setting_delete(ecsfs_store *s, const char *name, const char *principal)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "DELETE FROM account_settings WHERE name = ?1 AND principal = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, principal, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "setting_delete");
}
