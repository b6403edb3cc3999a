#include "rules_inst.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "healclock.h"
#include "rules.h"

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static void i01_instance(struct rules_eval *ev, const struct model_instance *mi)
{
    char subj[192];
    bool stale = rules_stale(ev, &mi->arm_fresh);
    rules_subject(subj, "instance", mi->name);
    if (mi->nuamis == 0 && mi->principal_id == NULL) {
        rules_emit(ev, ev->rule->sev, stale, subj, "",
                   "%s has no identity (type %s): SQL cannot reach Key Vault "
                   "(AzureKeyVaultNoServerIdentity)",
                   mi->name, mi->identity_type ? mi->identity_type : "None");
        return;
    }
    if (mi->nuamis == 0)
        return;
    if (mi->primary_uami == NULL) {
        rules_emit(ev, ev->rule->sev, stale, subj, "",
                   "%s has %zu user-assigned identities and no primary one", mi->name, mi->nuamis);
        return;
    }
    for (size_t i = 0; i < mi->nuamis; i++) {
        if (same(mi->uamis[i].id, mi->primary_uami))
            return;
    }
    rules_emit(ev, ev->rule->sev, stale, subj, "",
               "%s's primary user-assigned identity %s is not among its identities", mi->name,
               mi->primary_uami);
}

void rules_inst_i01(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        /* The identity matters only with a Key Vault protector. */
        if (rules_read(&mi->arm_fresh) && estate_protector_is_akv(mi))
            i01_instance(ev, mi);
    }
}

void rules_inst_i02(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        if (!rules_read(&mi->protector_fresh))
            continue;
        bool stale = rules_stale(ev, &mi->protector_fresh);
        rules_subject(subj, "instance", mi->name);
        if (!estate_protector_is_akv(mi)) {
            rules_emit(ev, ev->rule->sev, stale, subj, "",
                       "%s's protector is %s, not a Key Vault key", mi->name,
                       mi->protector.type ? mi->protector.type : "not set");
            continue;
        }
        const struct model_vault *v = estate_primary_vault(ev->m, mi);
        if (v == NULL || !rules_read(&v->arm_fresh) || v->location == NULL ||
            mi->location == NULL || estate_same_region(v->location, mi->location))
            continue;
        rules_emit(ev, ev->rule->sev, stale || rules_stale(ev, &v->arm_fresh), subj, "",
                   "%s (%s) has its protector in %s (%s), not in its own region", mi->name,
                   mi->location, v->name, v->location);
    }
}

static void i03_instance(struct rules_eval *ev, const struct model_instance *mi)
{
    char vault[128], key[128], version[64], subj[192], date[16];
    if (model_uri_parse(mi->protector.uri, vault, key, version) < 0 || version[0] == '\0')
        return;
    const struct model_key *k = model_key(model_vault(ev->m, vault), key);
    if (k == NULL || !rules_read(&k->versions_fresh))
        return;
    /*
     * Versions are oldest first. Only a newer enabled version counts: when the
     * protector itself is disabled (K01) the latest enabled one is older, and
     * going back to it is no remedy.
     */
    size_t at = k->nversions;
    for (size_t i = 0; i < k->nversions && at == k->nversions; i++) {
        if (same(k->versions[i].version, version))
            at = i;
    }
    const struct model_version *latest = NULL;
    for (size_t i = k->nversions; at < k->nversions && i-- > at + 1 && latest == NULL;) {
        if (k->versions[i].enabled)
            latest = &k->versions[i];
    }
    if (latest == NULL)
        return;
    rules_date(latest->created, date);
    rules_emit(ev, ev->rule->sev, rules_stale(ev, &k->versions_fresh),
               rules_subject(subj, "instance", mi->name), "",
               "%s's protector is version %s of %s/%s; the latest enabled is %s (created %s) "
               "and auto-rotation is off",
               mi->name, version, vault, key, latest->version, date);
}

void rules_inst_i03(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        if (rules_read(&mi->protector_fresh) && estate_protector_is_akv(mi) &&
            !mi->protector.auto_rotation)
            i03_instance(ev, mi);
    }
}

/* The vault and key name of a protector; false when it is not a Key Vault key. */
static bool protector_key(const struct model_instance *mi, char vault[128], char key[128])
{
    char version[64];
    return estate_protector_is_akv(mi) && rules_read(&mi->protector_fresh) &&
           model_uri_parse(mi->protector.uri, vault, key, version) == 0 && key[0];
}

static bool has_key_of(const struct model_instance *mi, const char *vault, const char *key)
{
    char v[128], k[128], version[64];
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (model_uri_parse(mi->keys[i].uri, v, k, version) == 0 && same(v, vault) && same(k, key))
            return true;
    }
    return false;
}

void rules_inst_i04(struct rules_eval *ev)
{
    char subj[192], pv[128], pk[128], sv[128], sk[128];
    for (size_t i = 0; i < ev->m->nfogs; i++) {
        const struct model_fog *fg = ev->m->fogs[i];
        const struct model_instance *p = estate_fog_primary(ev->m, fg);
        const struct model_instance *s = estate_fog_secondary(ev->m, fg);
        if (p == NULL || s == NULL || !protector_key(p, pv, pk) || !protector_key(s, sv, sk))
            continue;
        bool stale = rules_stale(ev, &p->protector_fresh) || rules_stale(ev, &s->protector_fresh);
        rules_subject(subj, "pair", fg->name);
        bool shared = same(pv, sv) && same(pk, sk);
        if (shared && p->protector.auto_rotation != s->protector.auto_rotation)
            rules_emit(ev, ev->rule->sev, stale, subj, "asymmetric",
                       "both use %s/%s as protector; auto-rotation is %s on %s and %s on %s", pv,
                       pk, p->protector.auto_rotation ? "on" : "off", p->name,
                       s->protector.auto_rotation ? "on" : "off", s->name);
        if (p->protector.auto_rotation && rules_read(&s->keys_fresh) && !has_key_of(s, pv, pk))
            rules_emit(ev, ev->rule->sev, stale || rules_stale(ev, &s->keys_fresh), subj,
                       "unregistered",
                       "%s auto-rotates %s/%s but %s has no version of that vault key "
                       "registered: rotated versions cannot follow",
                       p->name, pv, pk, s->name);
    }
}

void rules_inst_i05(struct rules_eval *ev)
{
    char subj[192], tps[16];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        const struct model_instance *partner = estate_partner(ev->m, mi);
        const char *tp = estate_protector_thumbprint(partner);
        if (partner == NULL || tp == NULL || !estate_protector_is_akv(partner) ||
            !rules_read(&mi->keys_fresh) || estate_registered_key(mi, NULL, tp))
            continue;
        rules_emit(ev, ev->rule->sev,
                   rules_stale(ev, &mi->keys_fresh) || rules_stale(ev, &partner->protector_fresh),
                   rules_subject(subj, "instance", mi->name), "",
                   "%s has no registered key with thumbprint %s of %s's protector (%s)", mi->name,
                   rules_short(tp, tps), partner->name,
                   partner->protector.server_key_name ? partner->protector.server_key_name
                                                      : partner->protector.uri);
    }
}

/* "sales, inventory" of the Inaccessible databases; returns how many. */
static size_t inaccessible_dbs(const struct model_instance *mi, char *buf, size_t size)
{
    size_t n = 0, len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < mi->ndbs; i++) {
        if (!same(mi->dbs[i].status, "Inaccessible"))
            continue;
        if (n++ < 5 && len < size) {
            int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                             mi->dbs[i].name ? mi->dbs[i].name : "?");
            len += w > 0 ? (size_t)w : 0;
        }
    }
    if (n > 5 && len < size)
        snprintf(buf + len, size - len, ", ...");
    return n;
}

/* What the evidence adds after the clock: the cause tdectl sees, or where to look. */
static const char *i06_outlook(const struct whatif_result *cur, const struct healclock *c,
                               int64_t cause_seen, char *buf, size_t size)
{
    bool back = cur && (cur->outcome == WHATIF_UNAFFECTED || cur->outcome == WHATIF_VIA_SECONDARY);
    if (cur && cur->outcome == WHATIF_INACCESSIBLE)
        snprintf(buf, size, "; cause: %s", cur->code);
    else if (!back)
        buf[0] = '\0';
    else if (cause_seen == 0) /* never saw a cause: it is outside what tdectl reads */
        snprintf(buf, size,
                 "; tdectl sees no cause in what it reads (vaults, grants, key and endpoints "
                 "look usable): check the instance's own path to its vaults (subnet rules, "
                 "routes, private DNS)%s",
                 c->revalidate_only ? ", then revalidate" : "");
    else
        snprintf(buf, size, "%s",
                 c->revalidate_only ? "; key access looks back: revalidate to bring them back"
                                    : "; key access looks back: they should heal on their own");
    return buf;
}

static void i06_actual(struct rules_eval *ev, const struct model_instance *mi, size_t bad,
                       const char *names, const char *clock, const char *outlook, const char *subj)
{
    char since[16];
    rules_hhmm(mi->inaccessible_since ? mi->inaccessible_since : ev->now_ms, since);
    rules_emit(ev, ev->rule->sev, rules_stale(ev, &mi->dbs_fresh), subj, "",
               "%zu of %zu databases Inaccessible (%s) since %s; %s%s", bad, mi->ndbs, names, since,
               clock, outlook);
}

static void i06_instance(struct rules_eval *ev, const struct model_instance *mi)
{
    char subj[192], names[256], clock[192], by[16], outlook[256];
    size_t bad = rules_read(&mi->dbs_fresh) ? inaccessible_dbs(mi, names, sizeof names) : 0;
    const struct whatif_result *cur = rules_current(ev, mi);
    bool predicted = cur && cur->outcome == WHATIF_INACCESSIBLE;
    if (bad == 0 && !predicted)
        return;
    rules_subject(subj, "instance", mi->name);
    /* The earliest sign: this finding's first_seen, when it started as a prediction. */
    const struct health_finding *prev = rules_prev(ev, ev->rule->id, subj, "");
    int64_t first = prev ? prev->first_seen : 0, cause = prev ? prev->cause_seen : 0;
    if (first == 0 && predicted)
        first = ev->now_ms;
    if (cause == 0 && predicted)
        cause = ev->now_ms;
    int64_t since = bad ? (mi->inaccessible_since ? mi->inaccessible_since : ev->now_ms) : 0;
    struct healclock c;
    healclock_compute(first, since, ev->now_ms, &ev->clock, &c);
    healclock_describe(&c, &ev->clock, clock, sizeof clock);
    if (bad) {
        i06_actual(ev, mi, bad, names, clock, i06_outlook(cur, &c, cause, outlook, sizeof outlook),
                   subj);
    } else {
        rules_hhmm(c.inaccessible_at_ms, by);
        rules_emit(ev, ev->rule->sev, false, subj, "",
                   "key access lost (predicted, %s): %s; databases can turn Inaccessible from "
                   "%s; %s",
                   cur->code, cur->reason, by, clock);
    }
    ev->out[ev->n - 1].cause_seen = cause;
}

void rules_inst_i06(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++)
        i06_instance(ev, ev->m->instances[i]);
}
