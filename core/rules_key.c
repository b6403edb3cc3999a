#include "rules_key.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "rules.h"

#define DAY_S 86400

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static void k01_instance(struct rules_eval *ev, const struct model_instance *mi)
{
    char vault[128], key[128], version[64], subj[192];
    if (!estate_protector_is_akv(mi) ||
        model_uri_parse(mi->protector.uri, vault, key, version) < 0 || key[0] == '\0')
        return;
    const struct model_vault *v = model_vault(ev->m, vault);
    if (v == NULL || v->deleted) /* unknown: D01; deleted: V01 */
        return;
    const struct model_key *k = model_key(v, key);
    snprintf(subj, sizeof subj, "key %s/%s", v->name, key);
    if (k == NULL) {
        if (rules_read(&v->keys_fresh))
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &v->keys_fresh), subj, version,
                       "%s's protector key %s is not in %s (deleted?)", mi->name, key, v->name);
        return;
    }
    const struct model_version *ver = version[0]
                                          ? model_version(k, version)
                                          : (k->nversions ? &k->versions[k->nversions - 1] : NULL);
    if (ver == NULL) {
        if (rules_read(&k->versions_fresh))
            rules_emit(ev, ev->rule->sev, rules_stale(ev, &k->versions_fresh), subj, version,
                       "%s's protector version %s is not among the versions of %s/%s", mi->name,
                       version[0] ? version : "(latest)", v->name, key);
        return;
    }
    if (!ver->enabled && ver->version && rules_read(&k->versions_fresh))
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &k->versions_fresh), subj, ver->version,
                   "%s/%s/%s is disabled and is %s's protector", v->name, key, ver->version,
                   mi->name);
}

void rules_key_k01(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++)
        k01_instance(ev, ev->m->instances[i]);
}

void rules_key_k02(struct rules_eval *ev)
{
    char subj[192], role[160];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        const char *kty = a->ver->kty;
        int bits = a->ver->bits;
        bool bad_kty = kty && !same(kty, "RSA") && !same(kty, "RSA-HSM");
        bool bad_bits = bits && bits != 2048 && bits != 3072;
        if (!bad_kty && !bad_bits)
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->ver->fresh),
                   rules_key_subject(subj, a->vault, a->key), a->ver->version,
                   "%s/%s/%s is %s of %d bits (%s)", a->vault->name, a->key->name, a->ver->version,
                   kty ? kty : "?", bits, rules_active_role(a, role));
    }
}

void rules_key_k03(struct rules_eval *ev)
{
    char subj[192], role[160], date[16];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        if (a->ver->nbf == 0 || a->ver->nbf <= ev->now_s)
            continue;
        rules_date(a->ver->nbf, date);
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->key->versions_fresh),
                   rules_key_subject(subj, a->vault, a->key), a->ver->version,
                   "%s/%s/%s is not valid before %s (%s)", a->vault->name, a->key->name,
                   a->ver->version, date, rules_active_role(a, role));
    }
}

void rules_key_k04(struct rules_eval *ev)
{
    char subj[192], role[160], date[16];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        int64_t exp = a->ver->exp, left = exp - ev->now_s;
        enum health_sev sev = left < 7 * DAY_S    ? HEALTH_CRIT
                              : left < 30 * DAY_S ? HEALTH_HIGH
                                                  : HEALTH_MED;
        if (exp == 0 || left >= 90 * DAY_S)
            continue;
        rules_date(exp, date);
        rules_key_subject(subj, a->vault, a->key);
        if (left <= 0)
            rules_emit(ev, sev, rules_stale(ev, &a->key->versions_fresh), subj, a->ver->version,
                       "%s/%s/%s expired on %s (%s): SQL treats it as lost access", a->vault->name,
                       a->key->name, a->ver->version, date, rules_active_role(a, role));
        else
            rules_emit(ev, sev, rules_stale(ev, &a->key->versions_fresh), subj, a->ver->version,
                       "%s/%s/%s expires on %s, in %lld days (%s)", a->vault->name, a->key->name,
                       a->ver->version, date, (long long)(left / DAY_S),
                       rules_active_role(a, role));
    }
}

void rules_key_k05(struct rules_eval *ev)
{
    char subj[192], role[160];
    const unsigned need = MODEL_OP_WRAP | MODEL_OP_UNWRAP;
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        if (!a->ver->ops_known || (a->ver->ops & need) == need)
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->ver->fresh),
                   rules_key_subject(subj, a->vault, a->key), a->ver->version,
                   "%s/%s/%s key_ops lack%s%s (%s)", a->vault->name, a->key->name, a->ver->version,
                   a->ver->ops & MODEL_OP_WRAP ? "" : " wrapKey",
                   a->ver->ops & MODEL_OP_UNWRAP ? "" : " unwrapKey", rules_active_role(a, role));
    }
}

/* The vault that should hold mi's fallback copy: its partner's primary, when it differs. */
static const struct model_vault *other_vault(const struct rules_eval *ev,
                                             const struct model_instance *mi)
{
    const struct model_vault *own = estate_primary_vault(ev->m, mi);
    const struct model_vault *other = estate_primary_vault(ev->m, estate_partner(ev->m, mi));
    return own && other && own != other ? other : NULL;
}

static const char *protector_fingerprint(const struct rules_eval *ev,
                                         const struct model_instance *mi)
{
    const struct model_version *v = model_version_by_uri(ev->m, mi->protector.uri);
    return v && v->fingerprint[0] ? v->fingerprint : NULL;
}

static void k06_unregistered(struct rules_eval *ev, const struct model_instance *mi,
                             const struct model_vault *other, const char *tp, const char *subj)
{
    char tps[16];
    const struct model_key *k;
    const struct model_version *mat =
        estate_vault_material(other, protector_fingerprint(ev, mi), &k);
    if (mat)
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &mi->keys_fresh), subj, other->name,
                   "%s holds the protector's material (%s/%s) but %s has no key with "
                   "thumbprint %s registered from it",
                   other->name, k->name, mat->version, mi->name, rules_short(tp, tps));
    else
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &mi->keys_fresh), subj, other->name,
                   "%s has no key with its protector's thumbprint %s registered from %s: no "
                   "fallback if its primary vault is out",
                   mi->name, rules_short(tp, tps), other->name);
}

static void k06_instance(struct rules_eval *ev, const struct model_instance *mi)
{
    char subj[192];
    const struct model_vault *other = other_vault(ev, mi);
    const char *tp = estate_protector_thumbprint(mi);
    if (other == NULL || tp == NULL || !rules_read(&mi->keys_fresh))
        return;
    rules_subject(subj, "instance", mi->name);
    const struct model_server_key *rk = estate_registered_key(mi, other->name, tp);
    if (rk == NULL) {
        k06_unregistered(ev, mi, other, tp, subj);
        return;
    }
    const struct model_version *ver = model_version_by_uri(ev->m, rk->uri);
    char vault[128], key[128], version[64];
    model_uri_parse(rk->uri, vault, key, version);
    const struct model_key *k = model_key(other, key);
    if (ver == NULL && (k ? rules_read(&k->versions_fresh) : rules_read(&other->keys_fresh)))
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &other->keys_fresh), subj, other->name,
                   "%s's registered copy %s/%s/%s is gone from the vault", mi->name, other->name,
                   key, version);
    else if (ver && ver->version && !ver->enabled)
        rules_emit(ev, ev->rule->sev, k && rules_stale(ev, &k->versions_fresh), subj, other->name,
                   "%s's copy of its protector in %s (%s/%s) is disabled", mi->name, other->name,
                   key, ver->version);
}

void rules_key_k06(struct rules_eval *ev)
{
    for (size_t i = 0; i < ev->m->ninstances; i++)
        k06_instance(ev, ev->m->instances[i]);
}

static void append(char *buf, size_t size, const char *piece)
{
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "%s%s", len ? "; " : "", piece);
}

/* Problems of one former protector thumbprint tp of mi, appended to buf. */
static void k07_problems(struct rules_eval *ev, const struct model_instance *mi, const char *tp,
                         char *buf, size_t size)
{
    const struct model_instance *partner = estate_partner(ev->m, mi);
    const struct model_vault *vaults[2] = {estate_primary_vault(ev->m, mi), other_vault(ev, mi)};
    const char *fp = rules_fingerprint_of(ev, tp);
    char piece[256];
    for (size_t i = 0; fp && i < 2; i++) {
        const struct model_vault *v = vaults[i];
        if (v == NULL || v->deleted || !rules_read(&v->keys_fresh))
            continue;
        const struct model_version *mat = estate_vault_material(v, fp, NULL);
        if (mat == NULL)
            snprintf(piece, sizeof piece, "missing from %s", v->name);
        else if (!mat->enabled)
            snprintf(piece, sizeof piece, "disabled in %s (version %s)", v->name, mat->version);
        else
            continue;
        append(buf, size, piece);
    }
    const struct model_instance *insts[2] = {mi, partner};
    for (size_t i = 0; i < 2; i++) {
        if (insts[i] && rules_read(&insts[i]->keys_fresh) &&
            estate_registered_key(insts[i], NULL, tp) == NULL) {
            snprintf(piece, sizeof piece, "not registered on %s", insts[i]->name);
            append(buf, size, piece);
        }
    }
}

void rules_key_k07(struct rules_eval *ev)
{
    char subj[192], problems[512], tps[16];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        const char *current = estate_protector_thumbprint(mi);
        for (size_t j = 0; j < mi->npast; j++) {
            const char *tp = mi->past_protectors[j];
            if (same(tp, current))
                continue;
            problems[0] = '\0';
            k07_problems(ev, mi, tp, problems, sizeof problems);
            if (problems[0])
                rules_emit(ev, ev->rule->sev, rules_stale(ev, &mi->keys_fresh),
                           rules_subject(subj, "instance", mi->name), tp, "former protector %s: %s",
                           rules_short(tp, tps), problems);
        }
    }
}

/* A key whose versions matter to backups: some protector's key, or holding a former one. */
static bool k08_relevant(const struct rules_eval *ev, const struct model_vault *v,
                         const struct model_key *k)
{
    char vault[128], key[128], version[64];
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        if (estate_protector_is_akv(mi) &&
            model_uri_parse(mi->protector.uri, vault, key, version) == 0 && same(vault, v->name) &&
            same(key, k->name))
            return true;
    }
    for (size_t j = 0; j < k->nversions; j++) {
        const char *tp = rules_thumbprint_of(ev, k->versions[j].fingerprint);
        for (size_t i = 0; tp && i < ev->m->ninstances; i++) {
            const struct model_instance *mi = ev->m->instances[i];
            for (size_t p = 0; p < mi->npast; p++) {
                if (same(mi->past_protectors[p], tp))
                    return true;
            }
        }
    }
    return false;
}

void rules_key_k08(struct rules_eval *ev)
{
    char subj[192], date[16];
    for (size_t i = 0; i < ev->m->nvaults; i++) {
        const struct model_vault *v = ev->m->vaults[i];
        if (v->deleted || !rules_vault_used(ev, v))
            continue;
        for (size_t j = 0; j < v->nkeys; j++) {
            const struct model_key *k = &v->keys[j];
            if (!rules_read(&k->versions_fresh) || k->nversions < 2 || !k08_relevant(ev, v, k))
                continue;
            for (size_t n = 0; n + 1 < k->nversions; n++) {
                const struct model_version *ver = &k->versions[n];
                if (ver->enabled || ver->version == NULL)
                    continue;
                rules_date(ver->created, date);
                rules_emit(ev, ev->rule->sev, rules_stale(ev, &k->versions_fresh),
                           rules_key_subject(subj, v, k), ver->version,
                           "%s/%s version %s (created %s) is disabled: backups written under it "
                           "cannot be restored",
                           v->name, k->name, ver->version, date);
            }
        }
    }
}

void rules_key_k10(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = ev->active[j].key == a->key;
        if (dup || a->key == NULL || !a->key->rotation.read || a->key->rotation.notify)
            continue;
        rules_emit(ev, ev->rule->sev, rules_stale(ev, &a->key->rotation_fresh),
                   rules_key_subject(subj, a->vault, a->key), "",
                   "%s/%s rotation policy has no Notify action", a->vault->name, a->key->name);
    }
}

void rules_key_k11(struct rules_eval *ev)
{
    char subj[192];
    for (size_t i = 0; i < ev->nactive; i++) {
        const struct rules_active *a = &ev->active[i];
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = ev->active[j].key == a->key;
        size_t len = strlen(a->vault->name) + strlen(a->key->name);
        if (dup || len <= 94)
            continue;
        rules_emit(ev, ev->rule->sev, false, rules_key_subject(subj, a->vault, a->key), "",
                   "%s + %s is %zu characters (limit 94)", a->vault->name, a->key->name, len);
    }
}
