#include "observed.h"

#include <stdlib.h>
#include <strings.h>

/* More vaults down at once than this are judged on the first ones (a front end's limit). */
#define OBSERVED_MAX 64

bool observed_vault_down(const struct model_vault *v)
{
    /* A 429 is the vault refusing tdectl, not an outage: the instances are not affected. */
    return v && !v->deleted && v->probe_fresh.tried_at != 0 && v->probe_fresh.status != 429 &&
           model_fresh_stale(&v->probe_fresh);
}

size_t observed_down(const struct model *m, struct whatif_scenario *sc, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; m && i < m->nvaults && n < cap; i++) {
        const struct model_vault *v = m->vaults[i];
        if (v->deleted)
            sc[n++] = (struct whatif_scenario){.kind = WHATIF_VAULT_DELETED, .target = v->name};
        else if (observed_vault_down(v))
            sc[n++] = (struct whatif_scenario){.kind = WHATIF_VAULT_OUTAGE, .target = v->name};
    }
    return n;
}

/* The observed outages plus extra_vault (when not NULL and not already out); their count. */
static size_t scenarios(const struct model *m, const char *extra_vault, struct whatif_scenario *sc)
{
    size_t nsc = observed_down(m, sc, OBSERVED_MAX);
    if (extra_vault) {
        size_t k = 0;
        while (k < nsc && strcasecmp(sc[k].target, extra_vault) != 0)
            k++;
        if (k == nsc)
            sc[nsc++] =
                (struct whatif_scenario){.kind = WHATIF_VAULT_OUTAGE, .target = extra_vault};
    }
    return nsc;
}

struct whatif_result *observed_run(const struct model *m, const char *extra_vault,
                                   const struct whatif_params *p, size_t *n)
{
    struct whatif_scenario sc[OBSERVED_MAX + 1];
    size_t nsc = scenarios(m, extra_vault, sc);
    *n = 0;
    if (nsc == 0)
        return whatif_current(m, p, n);
    return whatif_run(m, sc, nsc, p, n, NULL);
}

int observed_run_one(const struct model *m, const char *extra_vault, const struct whatif_params *p,
                     const struct model_instance *mi, struct whatif_result *out)
{
    struct whatif_scenario sc[OBSERVED_MAX + 1];
    size_t nsc = scenarios(m, extra_vault, sc);
    return whatif_run_one(m, sc, nsc, p, mi, out, NULL);
}
