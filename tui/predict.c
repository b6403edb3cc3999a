#include "predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "model.h"
#include "vaultstate.h"
#include "xmem.h"

/* Scenarios for the vaults down now, plus extra (NULL: none); their count. */
static size_t scenarios(struct app *a, const struct model *m, const char *extra,
                        struct whatif_scenario *sc, size_t cap)
{
    size_t n = 0;
    int64_t now = app_now(a);
    for (size_t i = 0; i < m->nvaults && n + 1 < cap; i++) {
        const struct model_vault *v = m->vaults[i];
        struct vaultstate st;
        vaultstate_of(v, now, &st);
        bool down = strcmp(st.word, "DOWN") == 0, deleted = strcmp(st.word, "DELETED") == 0;
        if (extra && strcasecmp(extra, v->name) == 0)
            continue; /* added below, once */
        if (down || deleted)
            sc[n++] = (struct whatif_scenario){
                .kind = deleted ? WHATIF_VAULT_DELETED : WHATIF_VAULT_OUTAGE, .target = v->name};
    }
    if (extra)
        sc[n++] = (struct whatif_scenario){.kind = WHATIF_VAULT_OUTAGE, .target = extra};
    return n;
}

size_t predict_down(struct app *a, const struct model *m, char *buf, size_t size)
{
    struct whatif_scenario sc[64];
    size_t n = scenarios(a, m, NULL, sc, 64), len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", sc[i].target);
    return n;
}

static struct whatif_result *run(struct app *a, const struct model *m, const char *extra, size_t *n)
{
    struct whatif_scenario sc[64];
    size_t nsc = scenarios(a, m, extra, sc, 64);
    struct whatif_params p;
    app_whatif_params(a, &p);
    *n = 0;
    if (nsc == 0)
        return whatif_current(m, &p, n);
    char *cause = NULL;
    struct whatif_result *w = whatif_run(m, sc, nsc, &p, n, &cause);
    free(cause);
    return w;
}

struct whatif_result *predict_now(struct app *a, const struct model *m, size_t *n)
{
    return run(a, m, NULL, n);
}

struct whatif_result *predict_outage(struct app *a, const struct model *m, const char *vault,
                                     size_t *n)
{
    return run(a, m, vault, n);
}

const struct whatif_result *predict_for(const struct whatif_result *w, size_t n,
                                        const char *instance)
{
    for (size_t i = 0; w && instance && i < n; i++)
        if (strcmp(w[i].instance, instance) == 0)
            return &w[i];
    return NULL;
}
