#include "vaultstate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"

static void pe_state(const struct model_vault *v, struct vaultstate *out)
{
    size_t approved = 0, other = 0;
    const char *bad = NULL;
    for (size_t i = 0; i < v->npecs; i++) {
        if (v->pecs[i].status && strcasecmp(v->pecs[i].status, "Approved") == 0)
            approved++;
        else {
            other++;
            bad = v->pecs[i].status ? v->pecs[i].status : "unknown";
        }
    }
    if (v->npecs == 0) {
        snprintf(out->pe_text, sizeof out->pe_text, "none");
        out->pe_role = THEME_DIM;
    } else if (other == 0) {
        snprintf(out->pe_text, sizeof out->pe_text, "%zu/%zu Approved", approved, v->npecs);
        out->pe_role = THEME_OK;
    } else {
        snprintf(out->pe_text, sizeof out->pe_text, "%zu %s of %zu", other, bad, v->npecs);
        out->pe_role = THEME_CRIT;
    }
    out->pe = out->pe_text;
}

void vaultstate_of(const struct model_vault *v, int64_t now_ms, struct vaultstate *out)
{
    memset(out, 0, sizeof *out);
    out->latency_ms = v->probe_latency_ms;
    pe_state(v, out);
    const struct fresh *f = &v->probe_fresh;
    char age[32];
    if (v->deleted) {
        out->word = "DELETED";
        out->role = THEME_CRIT;
        snprintf(out->why, sizeof out->why, "the vault is among the deleted vaults");
    } else if (f->tried_at == 0) {
        out->word = "UNKNOWN";
        out->role = THEME_DIM;
        snprintf(out->why, sizeof out->why, "not probed yet");
    } else if (model_fresh_stale(f)) {
        out->word = f->status == 429 ? "THROTTLED" : "DOWN";
        out->role = f->status == 429 ? THEME_WARN : THEME_CRIT;
        snprintf(out->why, sizeof out->why, "%s; last good %s ago",
                 f->error ? f->error : "no answer",
                 f->read_at ? fmt_age(age, sizeof age, now_ms - f->read_at) : "never");
    } else {
        out->word = "UP";
        out->role = THEME_OK;
    }
}
