/*
 * vaultstate — one word for a vault's health as the console sees it (UP,
 * DOWN, THROTTLED, DELETED, UNKNOWN) with its theme role and the reason,
 * from the model's freshness records; shared by the topology and vaults
 * views so both say the same thing about the same vault.
 */
#ifndef TDECTL_VAULTSTATE_H
#define TDECTL_VAULTSTATE_H

#include <stddef.h>

#include "model.h"
#include "theme.h"

struct vaultstate {
    const char *word; /* "UP", "DOWN", "THROTTLED", "DELETED", "UNKNOWN" */
    enum theme_role role;
    char why[160];   /* "" when up; else the last error and how long ago */
    long latency_ms; /* of the last good probe; -1 none */
    const char *pe;  /* "2/2 Approved", "1 Disconnected", "none": private endpoint connections */
    enum theme_role pe_role;
    char pe_text[64];
};

void vaultstate_of(const struct model_vault *v, int64_t now_ms, struct vaultstate *out);

#endif
