/* Microsoft.KeyVault (control plane): vaults, access policies, private endpoint connections. */
#include "armint.h"

const struct arm_route armkv_routes[] = {
    {NULL, NULL, NULL, NULL},
};
