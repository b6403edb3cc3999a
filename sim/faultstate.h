/*
 * faultstate — the fault record shared by fault.c and the state faults
 * (faultstate.c): changes to the world that a fault makes when added and
 * takes back when cleared. Not for use outside fault*.c.
 */
#ifndef AZSIM_FAULTSTATE_H
#define AZSIM_FAULTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fault.h"

struct sim;
struct access_policy;
struct role_assignment;

enum fault_target { TARGET_VAULT, TARGET_SERVICE, TARGET_LISTENER };

/* What a state fault changed, to put it back. */
struct fault_undo {
    bool enabled;
    int64_t exp;
    bool rbac;
    struct access_policy *policies;
    size_t npolicies;
    struct role_assignment *roles;
    size_t nroles;
    char status[16];
};

struct fault {
    char id[16];
    enum fault_kind kind;
    cJSON *spec;        /* as given, for listing */
    int64_t expires_ms; /* real monotonic ms; 0 = until cleared */

    /* network and service faults */
    enum fault_target target;
    char name[64]; /* vault name, service name or listener name */
    char view[64]; /* "" (everyone), "console", or a region */
    int ms, jitter_ms, status, retry_after;
    double rate;
    long bytes, bps;

    /* state faults */
    char vault[64], key[128], version[40], principal[64], pe[80];
    struct fault_undo undo;
};

/*
 * The id of an active state fault that changes the same thing as candidate
 * (its vault/key/version/principal/pe filled in), or "" when none; out has
 * room for 16. Two faults on one thing could not be undone in any order, so
 * the second is refused. Takes the registry lock (after the world lock).
 */
void fault_state_conflict(const struct fault *candidate, char out[16]);

/* Applies a state fault described by spec (world write-locked inside); -1 with *cause. */
int faultstate_apply(struct sim *sim, const cJSON *spec, struct fault *f, char **cause);
/* Puts back what the fault changed, as far as the world still allows. */
void faultstate_undo(struct sim *sim, struct fault *f);
void faultstate_free_undo(struct fault *f);

#endif
