/* Errors of core operations: kind, errno and reason (see ecsfs/error.h). */
#include <errno.h>
#include <stdarg.h>

#include "ecsfs/error.h"

void ecsfs_err_init(ecsfs_err *e)
{
	ecsfs_buf_init(&e->msg);
	e->kind = ECSFS_E_NONE;
	e->code = 0;
}

void ecsfs_err_release(ecsfs_err *e)
{
	ecsfs_buf_release(&e->msg);
}

void ecsfs_err_reset(ecsfs_err *e)
{
	ecsfs_buf_reset(&e->msg);
	e->kind = ECSFS_E_NONE;
	e->code = 0;
}

int ecsfs_err_set(ecsfs_err *e, ecsfs_err_kind kind, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	ecsfs_buf_reset(&e->msg);
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&e->msg, fmt, ap);
	va_end(ap);
	e->kind = kind;
	e->code = code;
	return code;
}

int ecsfs_err_from(ecsfs_err *e, ecsfs_err_kind kind, int code)
{
	if (e && code < 0) {
		e->code = code;
		e->kind = kind;
	}
	return code;
}

ecsfs_err_kind ecsfs_err_kind_for(int code)
{
	switch (code) {
	case 0: return ECSFS_E_NONE;
	case -EINVAL:
	case -E2BIG:
	case -EFBIG:
	case -ERANGE: return ECSFS_E_INVALID_PARAMETER;
	case -EEXIST:
	case -EBUSY:
	case -ENOTEMPTY: return ECSFS_E_RESOURCE_IN_USE;
	case -ENOSPC:
	case -EAGAIN:
	case -EMFILE: return ECSFS_E_LIMIT_EXCEEDED;
	case -EACCES:
	case -EPERM: return ECSFS_E_ACCESS_DENIED;
	case -ENOENT:
	case -EALREADY: return ECSFS_E_CLIENT;
	default: return ECSFS_E_SERVER;
	}
}

ecsfs_err_kind ecsfs_err_kind_of(const ecsfs_err *e)
{
	if (e->kind != ECSFS_E_NONE)
		return e->kind;
	return ecsfs_err_kind_for(e->code);
}

const char *ecsfs_err_kind_name(ecsfs_err_kind kind)
{
	static const char *const names[ECSFS_E_KINDS] = {
	    [ECSFS_E_NONE] = "ServerException",
	    [ECSFS_E_INVALID_PARAMETER] = "InvalidParameterException",
	    [ECSFS_E_CLIENT] = "ClientException",
	    [ECSFS_E_CLUSTER_NOT_FOUND] = "ClusterNotFoundException",
	    [ECSFS_E_SERVICE_NOT_FOUND] = "ServiceNotFoundException",
	    [ECSFS_E_SERVICE_NOT_ACTIVE] = "ServiceNotActiveException",
	    [ECSFS_E_RESOURCE_IN_USE] = "ResourceInUseException",
	    [ECSFS_E_CLUSTER_CONTAINS_SERVICES] = "ClusterContainsServicesException",
	    [ECSFS_E_CLUSTER_CONTAINS_TASKS] = "ClusterContainsTasksException",
	    [ECSFS_E_LIMIT_EXCEEDED] = "LimitExceededException",
	    [ECSFS_E_RESOURCE_NOT_FOUND] = "ResourceNotFoundException",
	    [ECSFS_E_ACCESS_DENIED] = "AccessDeniedException",
	    [ECSFS_E_SERVER] = "ServerException",
	};
	if ((unsigned)kind >= ECSFS_E_KINDS)
		return "ServerException";
	return names[kind];
}
