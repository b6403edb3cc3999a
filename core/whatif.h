/*
 * whatif — what happens to every instance if a vault, a private endpoint or
 * a region fails now, predicted by the rules SQL follows (DOMAIN.md "How an
 * instance uses its vaults"; the same rules azsim's sim/mimodel.c applies):
 *
 *   1. the vault: deleted -> refusal (AkvKeyDNS);
 *   2. the path from the instance's region: an outage of the vault, or a
 *      private endpoint of it in that region that is not approved -> outage;
 *      no endpoint there and the public endpoint closed to SQL (public access
 *      Disabled, or Deny without the AzureServices bypass) -> refusal;
 *   3. the identity (primary UAMI, else system): none, another tenant, or no
 *      get+wrapKey+unwrapKey / crypto role -> refusal;
 *   4. the key version: missing, disabled, expired, not yet valid, key_ops
 *      without wrap/unwrap, not RSA 2048/3072 -> refusal.
 *
 * Only an outage of the protector's vault makes SQL use a registered key with
 * the same thumbprint in another vault, which must pass the same four checks
 * (registered, enabled and in date, identity granted there, reachable from
 * the instance's region). A refusal never falls back: SQL takes it as
 * intentional. With nothing usable the instance's databases turn Inaccessible
 * at its next check (at most check_interval away) plus the grace.
 *
 * Where the model lacks what a step needs (never read), the outcome is
 * UNKNOWN with the reason, never a guess.
 *
 * Several failures can be combined in one call (both vaults down). One
 * deliberate difference from azsim: with several private endpoints of one
 * vault in a region, any approved one serves (azsim looks at the first only).
 *
 * Ownership: results are a heap array (free() it) holding copies, so they
 * outlive later model changes. Errors: NULL and *cause for a scenario whose
 * target is not in the estate.
 */
#ifndef TDECTL_WHATIF_H
#define TDECTL_WHATIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum whatif_kind {
    WHATIF_NONE,           /* nothing fails: each instance's current path */
    WHATIF_VAULT_OUTAGE,   /* target: vault name; region: from there only (NULL: all) */
    WHATIF_PE_DOWN,        /* target: private endpoint resource id or name */
    WHATIF_REGION_DOWN,    /* target: region: its vaults are out, its instances down */
    WHATIF_ACCESS_REVOKED, /* target: vault: every instance identity loses its grant */
    WHATIF_VAULT_DELETED,  /* target: vault */
    WHATIF_KEY_DISABLED,   /* target: vault; key; version (NULL: the latest) */
    WHATIF_KEY_EXPIRED,    /* target: vault; key; version (NULL: the latest) */
    WHATIF_KEY_DELETED,    /* target: vault; key */
};

struct whatif_scenario {
    enum whatif_kind kind;
    const char *target;
    const char *region;  /* WHATIF_VAULT_OUTAGE only */
    const char *key;     /* WHATIF_KEY_* */
    const char *version; /* WHATIF_KEY_DISABLED / _EXPIRED */
};

struct whatif_params {
    int64_t now_ms;           /* wall clock */
    int64_t check_interval_s; /* how often an instance checks its protector; default 600 */
    int64_t grace_s;          /* failed check -> Inaccessible; default 600 */
};

enum whatif_outcome {
    WHATIF_UNAFFECTED,    /* served by its protector's (primary) vault */
    WHATIF_VIA_SECONDARY, /* primary vault out: served by the same material elsewhere */
    WHATIF_INACCESSIBLE,  /* no usable key: databases turn Inaccessible */
    WHATIF_INSTANCE_DOWN, /* its own region is down: its partner serves after failover */
    WHATIF_UNKNOWN,       /* the model lacks what the prediction needs */
};

struct whatif_result {
    char instance[128];
    enum whatif_outcome outcome;
    bool changed;       /* differs from what whatif_current says */
    char via[128];      /* the vault serving the instance; "" when none */
    int64_t when_s;     /* Unix s: VIA_SECONDARY the switch, INACCESSIBLE databases
                           Inaccessible, each at the latest; 0 when nothing changes */
    int64_t earliest_s; /* INACCESSIBLE: at the earliest (the next check may be now) */
    char code[64];      /* SQL's error code for the failure; "" when served */
    char reason[256];   /* one line */
};

void whatif_params_init(struct whatif_params *p, int64_t now_ms);

/*
 * The failures sc[0..nsc) all at once (two vault outages: "both vaults
 * down"). One result per instance, in model order; *n their count. NULL and
 * *cause when a target is not in the estate.
 */
struct whatif_result *whatif_run(const struct model *m, const struct whatif_scenario *sc,
                                 size_t nsc, const struct whatif_params *p, size_t *n,
                                 char **cause);
/*
 * The same for one instance of the model (the others are not evaluated: a
 * front end that shows one instance at a time pays for one). 0, or -1 with
 * *cause as whatif_run.
 */
int whatif_run_one(const struct model *m, const struct whatif_scenario *sc, size_t nsc,
                   const struct whatif_params *p, const struct model_instance *mi,
                   struct whatif_result *out, char **cause);
/* What the model says right now (no failure injected). */
struct whatif_result *whatif_current(const struct model *m, const struct whatif_params *p,
                                     size_t *n);

const char *whatif_outcome_name(enum whatif_outcome o); /* "unaffected", "via secondary", ... */
const char *whatif_kind_name(enum whatif_kind k);       /* "vault outage", ... */

#endif
