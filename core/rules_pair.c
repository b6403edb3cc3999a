#include "rules_pair.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "rules.h"

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static const char *nz(const char *s)
{
    return s ? s : "?";
}

void rules_pair_g01(struct rules_eval *ev)
{
    char subj[192], a[16], b[16];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const struct model_instance *p = estate_fog_primary(ev->m, fg);
        const struct model_instance *s = estate_fog_secondary(ev->m, fg);
        const char *tp = estate_protector_thumbprint(p), *ts = estate_protector_thumbprint(s);
        if (tp == NULL || ts == NULL || same(tp, ts) || !rules_read(&p->protector_fresh) ||
            !rules_read(&s->protector_fresh))
            continue;
        rules_emit(ev, ev->rule->sev,
                   rules_stale(ev, &p->protector_fresh) || rules_stale(ev, &s->protector_fresh),
                   rules_subject(subj, "pair", fg->name), "",
                   "%s's protector has thumbprint %s (%s), %s's %s (%s)", p->name,
                   rules_short(tp, a), nz(p->protector.server_key_name), s->name,
                   rules_short(ts, b), nz(s->protector.server_key_name));
    }
}

/* An instance in no failover group, judged only when its subscription was read. */
static void g02_alone(struct rules_eval *ev, const struct model_instance *mi)
{
    char subj[192];
    const struct model_subscription *sub = NULL;
    for (size_t i = 0; i < ev->m->nsubs && sub == NULL; i++) {
        if (same(ev->m->subs[i]->id, mi->subscription_id))
            sub = ev->m->subs[i];
    }
    if (sub == NULL || rules_stale(ev, &sub->fresh) || model_fog_of(ev->m, mi))
        return;
    rules_emit(ev, ev->rule->sev, false, rules_subject(subj, "instance", mi->name), "alone",
               "%s is in no failover group (the configuration expects pairs)", mi->name);
}

void rules_pair_g02(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const char *state = fg->replication_state;
        if (!rules_read(&fg->fresh) || state == NULL || same(state, "CATCH_UP"))
            continue;
        bool seeding = same(state, "SEEDING");
        rules_emit(ev, seeding ? HEALTH_HIGH : ev->rule->sev, rules_stale(ev, &fg->fresh),
                   rules_subject(subj, "pair", fg->name), "", "%s replication state %s%s", fg->name,
                   state, seeding ? ": the secondary cannot take over yet" : "");
    }
    for (size_t i = 0; ev->expect_pairs && i < ev->m->ninstances; i++) {
        if (rules_read(&ev->m->instances[i]->arm_fresh))
            g02_alone(ev, ev->m->instances[i]);
    }
}

static size_t add_tp(const char **tps, size_t n, size_t cap, const char *tp)
{
    for (size_t i = 0; tp && i < n; i++) {
        if (same(tps[i], tp))
            return n;
    }
    if (tp && n < cap)
        tps[n++] = tp;
    return n;
}

/* Current and former protector thumbprints of both instances. */
static size_t pair_thumbprints(const struct model_instance *p, const struct model_instance *s,
                               const char **tps, size_t cap)
{
    const struct model_instance *both[2] = {p, s};
    size_t n = 0;
    for (size_t i = 0; i < 2; i++) {
        n = add_tp(tps, n, cap, estate_protector_thumbprint(both[i]));
        for (size_t j = 0; j < both[i]->npast; j++)
            n = add_tp(tps, n, cap, both[i]->past_protectors[j]);
    }
    return n;
}

static void g03_material(struct rules_eval *ev, const struct model_fog *fg, const char *tp,
                         const struct model_vault *has, const struct model_vault *lacks)
{
    char subj[192], key[192], tps[16];
    const char *fp = rules_fingerprint_of(ev, tp);
    const struct model_key *k;
    const struct model_version *in = estate_vault_material(has, fp, &k);
    if (fp == NULL || in == NULL || estate_vault_material(lacks, fp, NULL))
        return;
    snprintf(key, sizeof key, "%s %s", tp, lacks->name);
    rules_emit(ev, ev->rule->sev,
               rules_stale(ev, &has->keys_fresh) || rules_stale(ev, &lacks->keys_fresh),
               rules_subject(subj, "pair", fg->name), key,
               "%s lacks the material of protector thumbprint %s (in %s as %s/%s)", lacks->name,
               rules_short(tp, tps), has->name, k->name, in->version);
}

void rules_pair_g03(struct rules_eval *ev)
{
    const char *tps[64];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const struct model_instance *p, *s;
        const struct model_vault *a, *b;
        if (!rules_pair_vaults(ev, fg, &p, &s, &a, &b) || a->deleted || b->deleted ||
            !rules_read(&a->keys_fresh) || !rules_read(&b->keys_fresh))
            continue;
        size_t n = pair_thumbprints(p, s, tps, sizeof tps / sizeof tps[0]);
        for (size_t j = 0; j < n; j++) {
            g03_material(ev, fg, tps[j], a, b);
            g03_material(ev, fg, tps[j], b, a);
        }
    }
}

static const char *onoff(bool b)
{
    return b ? "on" : "off";
}

static void differ(char *buf, size_t size, const char *what, const char *a, const char *b)
{
    size_t len = strlen(buf);
    if (!same(a, b) && len < size)
        snprintf(buf + len, size - len, "%s%s %s/%s", len ? "; " : "", what, a, b);
}

void rules_pair_g04(struct rules_eval *ev)
{
    char subj[192], diff[512];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const struct model_instance *p, *s;
        const struct model_vault *a, *b;
        if (!rules_pair_vaults(ev, fg, &p, &s, &a, &b) || !rules_read(&a->arm_fresh) ||
            !rules_read(&b->arm_fresh))
            continue;
        /* Retention is V04's (INFO): it is fixed at creation, so a MED finding could not be fixed.
         */
        diff[0] = '\0';
        differ(diff, sizeof diff, "soft delete", onoff(a->soft_delete), onoff(b->soft_delete));
        differ(diff, sizeof diff, "purge protection", onoff(a->purge_protection),
               onoff(b->purge_protection));
        differ(diff, sizeof diff, "permission model", a->rbac ? "RBAC" : "access policies",
               b->rbac ? "RBAC" : "access policies");
        differ(diff, sizeof diff, "network default action",
               a->default_action ? a->default_action : "Allow",
               b->default_action ? b->default_action : "Allow");
        if (diff[0])
            rules_emit(ev, ev->rule->sev,
                       rules_stale(ev, &a->arm_fresh) || rules_stale(ev, &b->arm_fresh),
                       rules_subject(subj, "pair", fg->name), "", "%s/%s differ: %s", a->name,
                       b->name, diff);
    }
}

void rules_pair_g05(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const struct model_instance *p, *s;
        const struct model_vault *a, *b;
        if (!rules_pair_vaults(ev, fg, &p, &s, &a, &b) || !rules_read(&a->arm_fresh) ||
            !rules_read(&b->arm_fresh))
            continue;
        const char *ga = estate_geography(a->location), *gb = estate_geography(b->location);
        bool other_sub = a->subscription_id && b->subscription_id &&
                         !same(a->subscription_id, b->subscription_id);
        bool other_geo = ga && gb && strcmp(ga, gb) != 0;
        if (!other_sub && !other_geo)
            continue;
        rules_emit(ev, ev->rule->sev,
                   rules_stale(ev, &a->arm_fresh) || rules_stale(ev, &b->arm_fresh),
                   rules_subject(subj, "pair", fg->name), "",
                   "%s (%s, %s) and %s (%s, %s) are in different %s: backup/restore cannot copy "
                   "keys between them",
                   a->name, nz(a->location), nz(ga), b->name, nz(b->location), nz(gb),
                   other_sub && other_geo ? "subscriptions and geographies"
                   : other_sub            ? "subscriptions"
                                          : "geographies");
    }
}
