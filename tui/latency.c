#include "latency.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "xmem.h"

struct series {
    char *vault;
    long samples[LATENCY_SAMPLES];
    size_t n;
};

struct latency {
    struct series *s;
    size_t n;
};

struct latency *latency_create(void)
{
    return xcalloc(1, sizeof(struct latency));
}

void latency_destroy(struct latency *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        free(l->s[i].vault);
    if (l)
        free(l->s);
    free(l);
}

static struct series *find(const struct latency *l, const char *vault)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->s[i].vault, vault) == 0)
            return &l->s[i];
    return NULL;
}

static void push(struct series *s, long v)
{
    if (s->n == LATENCY_SAMPLES) {
        memmove(s->samples, s->samples + 1, (LATENCY_SAMPLES - 1) * sizeof s->samples[0]);
        s->n--;
    }
    s->samples[s->n++] = v;
}

void latency_record(struct latency *l, const struct model *m)
{
    for (size_t i = 0; m && i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        if (v->probe_fresh.tried_at == 0)
            continue; /* never probed: no sample, not a failure */
        struct series *s = find(l, v->name);
        if (s == NULL) {
            l->s = xrealloc(l->s, l->n + 1, sizeof *l->s);
            s = &l->s[l->n++];
            memset(s, 0, sizeof *s);
            s->vault = xstrdup(v->name);
        }
        bool ok = !model_fresh_stale(&v->probe_fresh) && v->probe_latency_ms >= 0;
        push(s, ok ? (long)v->probe_latency_ms : -1);
    }
}

const long *latency_samples(const struct latency *l, const char *vault, size_t *n)
{
    const struct series *s = l && vault ? find(l, vault) : NULL;
    *n = s ? s->n : 0;
    return s ? s->samples : NULL;
}
