/* Operations of this file (filled in by its owner). */
#include "api_private.h"

const ecsfs__api_op ecsfs__ecs_service_ops[] = {
    {NULL, NULL},
};
