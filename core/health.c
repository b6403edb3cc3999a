#include "health.h"

#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "xmem.h"

struct health {
    struct health_finding *findings;
    size_t n;
    struct health_finding *resolved;
    size_t nresolved;
    int64_t max_age_ms;
    bool expect_pairs;
    int64_t check_interval_s, grace_s, window_s;
    uint64_t generation;
};

struct health *health_create(void)
{
    struct health *h = xcalloc(1, sizeof *h);
    h->check_interval_s = 600;
    h->grace_s = 600;
    h->window_s = 1800;
    h->generation = 1;
    return h;
}

static void finding_cleanup(struct health_finding *f)
{
    free(f->subject);
    free(f->key);
    free(f->evidence);
    memset(f, 0, sizeof *f);
}

static void findings_free(struct health_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        finding_cleanup(&f[i]);
    free(f);
}

void health_destroy(struct health *h)
{
    if (h == NULL)
        return;
    findings_free(h->findings, h->n);
    findings_free(h->resolved, h->nresolved);
    free(h);
}

void health_set_max_age(struct health *h, int64_t max_age_ms)
{
    h->max_age_ms = max_age_ms > 0 ? max_age_ms : 0;
}

void health_set_expect_pairs(struct health *h, bool expect)
{
    h->expect_pairs = expect;
}

void health_set_timing(struct health *h, int64_t check_interval_s, int64_t grace_s,
                       int64_t window_s)
{
    h->check_interval_s = check_interval_s > 0 ? check_interval_s : 600;
    h->grace_s = grace_s >= 0 ? grace_s : 600;
    h->window_s = window_s > 0 ? window_s : 1800;
}

static int identity_cmp(const struct health_finding *a, const struct health_finding *b)
{
    int c = strcmp(a->rule, b->rule);
    if (c == 0)
        c = strcmp(a->subject, b->subject);
    return c ? c : strcmp(a->key, b->key);
}

static int by_identity(const void *a, const void *b)
{
    return identity_cmp(a, b);
}

static int by_identity_ptr(const void *a, const void *b)
{
    return identity_cmp(*(const struct health_finding *const *)a,
                        *(const struct health_finding *const *)b);
}

/* Severity (worst first), then subject, rule, key: what a findings view lists. */
static int by_severity(const void *a, const void *b)
{
    const struct health_finding *x = a, *y = b;
    if (x->sev != y->sev)
        return x->sev > y->sev ? -1 : 1;
    int c = strcmp(x->subject, y->subject);
    if (c == 0)
        c = strcmp(x->rule, y->rule);
    return c ? c : strcmp(x->key, y->key);
}

/* Sorts by identity and collapses duplicates (two paths to one finding), keeping the worst. */
static size_t dedupe(struct health_finding *f, size_t n)
{
    size_t out = 0;
    if (n == 0)
        return 0;
    qsort(f, n, sizeof *f, by_identity);
    for (size_t i = 1; i < n; i++) {
        if (identity_cmp(&f[out], &f[i]) != 0) {
            f[++out] = f[i];
            continue;
        }
        if (f[i].sev > f[out].sev) {
            finding_cleanup(&f[out]);
            f[out] = f[i];
        } else {
            finding_cleanup(&f[i]);
        }
    }
    return out + 1;
}

static void run_rules(struct rules_eval *ev)
{
    size_t nrules;
    const struct health_rule *rules = rules_table(&nrules);
    rules_prepare(ev);
    for (size_t i = 0; i < nrules; i++) {
        if (rules[i].eval == NULL)
            continue;
        ev->rule = &rules[i];
        rules[i].eval(ev);
    }
    rules_cleanup(ev);
}

/* Carries first_seen over from the previous findings; what did not come back is resolved. */
static void merge(struct health *h, struct health_finding *f, size_t n, int64_t now_ms,
                  struct health_changes *chg)
{
    struct health_finding **old = xcalloc(h->n ? h->n : 1, sizeof *old);
    bool *matched = xcalloc(h->n ? h->n : 1, sizeof *matched);
    for (size_t i = 0; i < h->n; i++)
        old[i] = &h->findings[i];
    qsort(old, h->n, sizeof *old, by_identity_ptr);
    for (size_t i = 0; i < n; i++) {
        const struct health_finding *key = &f[i];
        struct health_finding **hit = bsearch(&key, old, h->n, sizeof *old, by_identity_ptr);
        f[i].last_seen = now_ms;
        if (hit == NULL) {
            f[i].first_seen = now_ms;
            chg->added++;
            continue;
        }
        f[i].first_seen = (*hit)->first_seen;
        matched[hit - old] = true;
        chg->kept++;
        if ((*hit)->sev != f[i].sev || strcmp((*hit)->evidence, f[i].evidence) != 0 ||
            (*hit)->stale != f[i].stale)
            chg->moved++;
    }
    findings_free(h->resolved, h->nresolved);
    h->resolved = xcalloc(h->n ? h->n : 1, sizeof *h->resolved);
    h->nresolved = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (matched[i])
            finding_cleanup(old[i]);
        else
            h->resolved[h->nresolved++] = *old[i];
    }
    chg->resolved = h->nresolved;
    free(old);
    free(matched);
    free(h->findings);
    h->findings = f;
    h->n = n;
}

void health_evaluate(struct health *h, const struct model *m, int64_t now_ms,
                     struct health_changes *chg)
{
    static const struct model empty; /* a NULL model is judged as an empty one */
    struct health_changes local = {0};
    if (m == NULL)
        m = &empty;
    struct rules_eval ev = {.m = m,
                            .now_ms = now_ms,
                            .max_age_ms = h->max_age_ms,
                            .expect_pairs = h->expect_pairs,
                            .prev = h->findings,
                            .nprev = h->n};
    whatif_params_init(&ev.wp, now_ms);
    ev.wp.check_interval_s = h->check_interval_s;
    ev.wp.grace_s = h->grace_s;
    ev.clock.grace_ms = h->grace_s * 1000;
    ev.clock.window_ms = h->window_s * 1000;
    run_rules(&ev);
    size_t n = dedupe(ev.out, ev.n);
    merge(h, ev.out, n, now_ms, &local);
    if (h->n)
        qsort(h->findings, h->n, sizeof *h->findings, by_severity);
    if (local.added || local.resolved || local.moved)
        h->generation++;
    if (chg)
        *chg = local;
}

const struct health_finding *health_findings(const struct health *h, size_t *n)
{
    *n = h->n;
    return h->findings;
}

const struct health_finding *health_resolved(const struct health *h, size_t *n)
{
    *n = h->nresolved;
    return h->resolved;
}

const struct health_finding *health_find(const struct health *h, const char *rule,
                                         const char *subject)
{
    for (size_t i = 0; rule && subject && i < h->n; i++) {
        if (strcmp(h->findings[i].rule, rule) == 0 && strcmp(h->findings[i].subject, subject) == 0)
            return &h->findings[i];
    }
    return NULL;
}

size_t health_count(const struct health *h, enum health_sev min)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        n += h->findings[i].sev >= min;
    return n;
}

uint64_t health_generation(const struct health *h)
{
    return h->generation;
}

bool health_clock(const struct health *h, const struct model_instance *mi, int64_t now_ms,
                  struct healclock *out)
{
    char subject[192];
    struct healclock_params p = {h->grace_s * 1000, h->window_s * 1000};
    *out = (struct healclock){0};
    if (mi == NULL)
        return false;
    rules_subject(subject, "instance", mi->name);
    const struct health_finding *f = health_find(h, "I06", subject);
    if (f == NULL)
        return false;
    healclock_compute(f->first_seen, mi->inaccessible_since, now_ms, &p, out);
    return out->lost;
}

const struct health_rule *health_rules(size_t *n)
{
    return rules_table(n);
}

const struct health_rule *health_rule(const char *id)
{
    size_t n;
    const struct health_rule *rules = rules_table(&n);
    for (size_t i = 0; id && i < n; i++) {
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    }
    return NULL;
}

const char *health_sev_name(enum health_sev sev)
{
    static const char *const names[] = {"INFO", "LOW", "MED", "HIGH", "CRIT"};
    return (unsigned)sev < sizeof names / sizeof names[0] ? names[sev] : "?";
}
