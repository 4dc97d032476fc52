#include <errno.h>

#include "ecsfs/util.h"
#include "tap.h"

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char long_name[300];

	is_int(ecsfs_name_check("prod", "cluster", &why), 0, "plain name");
	is_int(ecsfs_name_check("A-b_9", "cluster", &why), 0, "letters, digits, - and _");
	is_int(ecsfs_name_check("bad name!", "cluster", &why), -EINVAL, "space refused");
	ok(strstr(why.data, "' '") && strstr(why.data, "position 4"),
	   "message names the character and position: %s", why.data);
	is_int(ecsfs_name_check("", "cluster", &why), -EINVAL, "empty refused");
	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	is_int(ecsfs_name_check(long_name, "cluster", &why), -EINVAL, "256 characters refused");
	long_name[255] = '\0';
	is_int(ecsfs_name_check(long_name, "cluster", &why), 0, "255 characters accepted");
	is_int(ecsfs_name_check("caf\xc3\xa9", "service", &why), -EINVAL, "non-ASCII refused");
	ok(strstr(why.data, "0xc3") != NULL, "binary byte shown in hex: %s", why.data);
	is_int(ecsfs_name_check("a.b", "family", &why), -EINVAL, "dot refused");
	ok(strstr(why.data, "family name") != NULL, "message names the kind");
	is_str(ecsfs_errno_name(-EINVAL), "EINVAL", "errno names");
	is_str(ecsfs_errno_name(ENOTEMPTY), "ENOTEMPTY", "errno names, positive");

	char iso[32];
	ecsfs_time_iso(1700000000123456789ll, iso);
	is_str(iso, "2023-11-14T22:13:20.123Z", "ISO 8601 time with milliseconds");
	ecsfs_buf_release(&why);
	return tap_done();
}
