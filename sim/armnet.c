/* Microsoft.Network: private endpoints. */
#include "armint.h"

const struct arm_route armnet_routes[] = {
    {NULL, NULL, NULL, NULL},
};
