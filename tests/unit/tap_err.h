/* TAP checks of core operations: the errno and the ECS error kind of a
 * call. Both macros use the test's `ecsfs_err err`. */
#ifndef ECSFS_TAP_ERR_H
#define ECSFS_TAP_ERR_H

#include "ecsfs/error.h"
#include "tap.h"

/* The call failed with this errno and kind. */
#define fails(call, code, kind, what)                                                           \
	do {                                                                                    \
		ecsfs_err_reset(&err);                                                          \
		int r_ = (call);                                                                \
		is_int(r_, code, "%s: %s", what, #code);                                        \
		is_str(ecsfs_err_kind_name(ecsfs_err_kind_of(&err)), ecsfs_err_kind_name(kind), \
		       "%s: %s (%s)", what, ecsfs_err_kind_name(kind), err.msg.data);           \
	} while (0)

/* The call succeeded (and says why not when it did not). */
#define works(call, what)                                 \
	do {                                              \
		ecsfs_err_reset(&err);                    \
		int r_ = (call);                          \
		is_int(r_, 0, "%s", what);                \
		if (r_)                                   \
			printf("#   %s\n", err.msg.data); \
	} while (0)

#endif
