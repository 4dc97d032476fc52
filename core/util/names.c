#include <errno.h>
#include <string.h>

#include "ecsfs/util.h"

int ecsfs_name_check(const char *name, const char *what, ecsfs_buf *why)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255) {
		ecsfs_buf_setf(why, "%s name must be 1 to 255 characters, got %zu", what, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_')
			continue;
		if (c >= 0x20 && c < 0x7f)
			ecsfs_buf_setf(
			    why,
			    "%s name '%s' has '%c' at position %zu; only letters, digits, "
			    "'-' and '_' are allowed",
			    what, name, c, i + 1);
		else
			ecsfs_buf_setf(
			    why,
			    "%s name has byte 0x%02x at position %zu; only letters, digits, "
			    "'-' and '_' are allowed",
			    what, c, i + 1);
		return -EINVAL;
	}
	return 0;
}

const char *ecsfs_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EBUSY: return "EBUSY";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ENOMEM: return "ENOMEM";
	case EMFILE: return "EMFILE";
	case EALREADY: return "EALREADY";
	case EAGAIN: return "EAGAIN";
	case EADDRINUSE: return "EADDRINUSE";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "EUNKNOWN";
	}
}
