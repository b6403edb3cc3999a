#include "whatif.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "estate.h"
#include "xmem.h"

enum probe_result { PROBE_OK, PROBE_OUTAGE, PROBE_DENIED, PROBE_UNKNOWN };

struct probe {
    enum probe_result result;
    const char *code; /* SQL's code, "" when OK */
    char why[160];
};

/* One injected failure, its target resolved in the model. */
struct failure {
    const struct whatif_scenario *sc;
    const struct model_vault *vault;
    const struct model_pe *pe;
};

struct ctx {
    const struct model *m;
    const struct failure *f; /* none: the current path */
    size_t nf;
    const struct model_pe **down; /* the private endpoints WHATIF_PE_DOWN takes out */
    size_t ndown;
    int64_t now_s;
};

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* The failure of kind k on vault v (NULL: any target), or NULL. */
static const struct failure *hit(const struct ctx *c, enum whatif_kind k,
                                 const struct model_vault *v)
{
    for (size_t i = 0; i < c->nf; i++) {
        if (c->f[i].sc->kind == k && (v == NULL || c->f[i].vault == v))
            return &c->f[i];
    }
    return NULL;
}

/* A region named by a WHATIF_REGION_DOWN failure, or NULL. */
static const char *region_down(const struct ctx *c, const char *region)
{
    for (size_t i = 0; i < c->nf; i++) {
        if (c->f[i].sc->kind == WHATIF_REGION_DOWN &&
            estate_same_region(c->f[i].sc->target, region))
            return c->f[i].sc->target;
    }
    return NULL;
}

static bool vault_out(const struct ctx *c, const struct model_vault *v, const char *region)
{
    for (size_t i = 0; i < c->nf; i++) {
        const struct whatif_scenario *sc = c->f[i].sc;
        if (sc->kind == WHATIF_VAULT_OUTAGE && c->f[i].vault == v &&
            (sc->region == NULL || estate_same_region(sc->region, region)))
            return true;
    }
    return false;
}

static bool pe_down(const struct ctx *c, const struct model_pe *pe)
{
    for (size_t i = 0; i < c->ndown; i++) {
        if (c->down[i] == pe)
            return true;
    }
    return false;
}

static enum probe_result set(struct probe *p, enum probe_result r, const char *code,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum probe_result set(struct probe *p, enum probe_result r, const char *code,
                             const char *fmt, ...)
{
    va_list ap;
    p->result = r;
    p->code = code;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    return r;
}

/* Step 2: the path from the instance's region (an injected outage comes first, as in azsim). */
static enum probe_result probe_path(const struct ctx *c, const struct model_instance *mi,
                                    const struct model_vault *v, struct probe *p)
{
    const char *conn = "AzureKeyVaultConnectionFailed";
    const char *down = region_down(c, v->location);
    if (vault_out(c, v, mi->location))
        return set(p, PROBE_OUTAGE, conn, "%s is unreachable (outage)", v->name);
    if (down)
        return set(p, PROBE_OUTAGE, conn, "%s is unreachable (%s is down)", v->name, down);
    const struct model_pe *pe;
    switch (estate_path(c->m, v, mi->location, c->down, c->ndown, &pe)) {
    case ESTATE_PATH_PRIVATE:
    case ESTATE_PATH_PUBLIC:
        return PROBE_OK;
    case ESTATE_PATH_PE_DOWN:
        return set(p, PROBE_OUTAGE, conn, "private endpoint %s of %s in %s is %s", pe->name,
                   v->name, mi->location, pe_down(c, pe) ? "down" : "not approved");
    case ESTATE_PATH_BLOCKED:
        return set(p, PROBE_DENIED, "AkvKeyOperationNotAllowedByFirewall",
                   "%s's firewall refuses SQL (no private endpoint in %s, no AzureServices "
                   "bypass)",
                   v->name, mi->location);
    case ESTATE_PATH_UNKNOWN:
        break;
    }
    return set(p, PROBE_UNKNOWN, "", "the path from %s to %s is not known (not read)",
               mi->location ? mi->location : "?", v->name);
}

/* Step 3: the identity SQL uses, and its grant. */
static enum probe_result probe_identity(const struct ctx *c, const struct model_instance *mi,
                                        const struct model_vault *v, const char *key,
                                        struct probe *p)
{
    const char *principal = estate_principal(mi), *name = mi->name ? mi->name : "?";
    const char *refused =
        v->rbac ? "AkvKeyOperationNotAllowedByRBAC" : "AzureKeyVaultMissingPermissions";
    if (principal == NULL && mi->arm_fresh.read_at == 0)
        return set(p, PROBE_UNKNOWN, "", "%s's identity was never read", name);
    if (principal == NULL)
        return set(p, PROBE_DENIED, "AzureKeyVaultNoServerIdentity", "%s has no usable identity",
                   name);
    if (mi->tenant_id && v->tenant_id && !same(mi->tenant_id, v->tenant_id))
        return set(p, PROBE_DENIED, refused, "%s is in another tenant than %s", v->name, name);
    if (hit(c, WHATIF_ACCESS_REVOKED, v))
        return set(p, PROBE_DENIED, refused, "%s's access to %s is revoked", name, v->name);
    switch (estate_grant(v, principal, key, NULL)) {
    case ESTATE_GRANT_YES:
        return PROBE_OK;
    case ESTATE_GRANT_NO:
        return set(p, PROBE_DENIED, refused, "%s has no get/wrapKey/unwrapKey on %s", name,
                   v->name);
    case ESTATE_GRANT_UNKNOWN:
        break;
    }
    return set(p, PROBE_UNKNOWN, "", "%s's grants (%s) could not be read", v->name,
               v->rbac ? "role assignments" : "access policies");
}

static bool scenario_hits(const struct ctx *c, enum whatif_kind k, const struct model_vault *v,
                          const struct model_key *key, const struct model_version *ver)
{
    for (size_t i = 0; i < c->nf; i++) {
        const struct whatif_scenario *sc = c->f[i].sc;
        if (sc->kind != k || c->f[i].vault != v || !same(key->name, sc->key))
            continue;
        if (k == WHATIF_KEY_DELETED)
            return true;
        if (sc->version && sc->version[0] ? same(ver->version, sc->version)
                                          : ver == &key->versions[key->nversions - 1])
            return true;
    }
    return false;
}

/* Step 4: the key version, with SQL's own date check (an expired key is lost access). */
static enum probe_result probe_key(const struct ctx *c, const struct model_vault *v,
                                   const char *name, const char *version, struct probe *p)
{
    const char *deleted = "AkvKeyDeleted", *disabled = "AzureKeyVaultKeyDisabled";
    const struct model_key *k = model_key(v, name);
    if (k == NULL)
        return v->keys_fresh.read_at
                   ? set(p, PROBE_DENIED, deleted, "key %s/%s is gone", v->name, name)
                   : set(p, PROBE_UNKNOWN, "", "%s's keys were never read", v->name);
    const struct model_version *ver = NULL;
    if (version && version[0])
        ver = model_version(k, version);
    else if (k->nversions)
        ver = &k->versions[k->nversions - 1];
    if (ver == NULL)
        return k->versions_fresh.read_at
                   ? set(p, PROBE_DENIED, deleted, "version %s of %s/%s is gone",
                         version ? version : "", v->name, name)
                   : set(p, PROBE_UNKNOWN, "", "versions of %s/%s were never read", v->name, name);
    if (scenario_hits(c, WHATIF_KEY_DELETED, v, k, ver))
        return set(p, PROBE_DENIED, deleted, "key %s/%s is deleted", v->name, name);
    if (!ver->enabled || scenario_hits(c, WHATIF_KEY_DISABLED, v, k, ver))
        return set(p, PROBE_DENIED, disabled, "%s/%s/%s is disabled", v->name, name, ver->version);
    if ((ver->exp && c->now_s >= ver->exp) || scenario_hits(c, WHATIF_KEY_EXPIRED, v, k, ver))
        return set(p, PROBE_DENIED, "AzureKeyVaultInvalidExpirationDate", "%s/%s/%s is expired",
                   v->name, name, ver->version);
    if (ver->nbf && c->now_s < ver->nbf)
        return set(p, PROBE_DENIED, disabled, "%s/%s/%s is not valid yet (nbf)", v->name, name,
                   ver->version);
    if (ver->ops_known &&
        (ver->ops & (MODEL_OP_WRAP | MODEL_OP_UNWRAP)) != (MODEL_OP_WRAP | MODEL_OP_UNWRAP))
        return set(p, PROBE_DENIED, "AkvKeyAccessDenied",
                   "%s/%s/%s does not allow wrapKey and unwrapKey", v->name, name, ver->version);
    if (ver->bits && ver->bits != 2048 && ver->bits != 3072)
        return set(p, PROBE_DENIED, "AzureKeyVaultRsaKeyNotSupported",
                   "%s/%s/%s is RSA-%d, not 2048 or 3072", v->name, name, ver->version, ver->bits);
    return PROBE_OK;
}

/* Can mi use vault/key/version now, under the scenario? The order is SQL's (see header). */
static enum probe_result probe(const struct ctx *c, const struct model_instance *mi,
                               const char *uri, struct probe *p)
{
    char vault[128], key[128], version[64];
    *p = (struct probe){PROBE_OK, "", ""};
    if (model_uri_parse(uri, vault, key, version) < 0 || key[0] == '\0')
        return set(p, PROBE_DENIED, "AzureKeyVaultInvalidUri", "%s is not a key URI", uri);
    const struct model_vault *v = model_vault(c->m, vault);
    if (v == NULL)
        return set(p, PROBE_UNKNOWN, "", "vault %s is not in the model", vault);
    if (v->deleted || hit(c, WHATIF_VAULT_DELETED, v))
        return set(p, PROBE_DENIED, "AkvKeyDNS", "vault %s is deleted", v->name);
    if (probe_path(c, mi, v, p) != PROBE_OK)
        return p->result;
    if (probe_identity(c, mi, v, key, p) != PROBE_OK)
        return p->result;
    return probe_key(c, v, key, version, p);
}

static void result_set(struct whatif_result *r, enum whatif_outcome o, const char *via,
                       const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void result_set(struct whatif_result *r, enum whatif_outcome o, const char *via,
                       const char *code, const char *fmt, ...)
{
    va_list ap;
    r->outcome = o;
    snprintf(r->via, sizeof r->via, "%s", via ? via : "");
    snprintf(r->code, sizeof r->code, "%s", code ? code : "");
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

/* On an outage of the primary: the registered same-thumbprint keys in other vaults, in order. */
static void fallback(const struct ctx *c, const struct model_instance *mi, const char *primary,
                     const struct probe *out, struct whatif_result *r)
{
    const char *tp = estate_protector_thumbprint(mi);
    char vault[128], key[128], version[64];
    struct probe p, last = {PROBE_DENIED, "",
                            "no registered key with the protector's "
                            "thumbprint in another vault"};
    bool unknown = false;
    for (size_t i = 0; tp && i < mi->nkeys; i++) {
        const struct model_server_key *k = &mi->keys[i];
        if (!same(k->thumbprint, tp) || model_uri_parse(k->uri, vault, key, version) < 0 ||
            same(vault, primary))
            continue;
        if (probe(c, mi, k->uri, &p) == PROBE_OK) {
            result_set(r, WHATIF_VIA_SECONDARY, vault, "",
                       "%s; falls back to %s/%s (same thumbprint)", out->why, vault, key);
            return;
        }
        unknown = unknown || p.result == PROBE_UNKNOWN;
        last = p;
    }
    if (unknown)
        result_set(r, WHATIF_UNKNOWN, NULL, "", "%s; the fallback cannot be judged: %s", out->why,
                   last.why);
    else
        result_set(r, WHATIF_INACCESSIBLE, NULL, out->code, "%s; no fallback: %s", out->why,
                   last.why);
}

static void serve(const struct ctx *c, const struct model_instance *mi, struct whatif_result *r)
{
    char vault[128], key[128], version[64];
    struct probe p;
    snprintf(r->instance, sizeof r->instance, "%s", mi->name ? mi->name : "?");
    if (region_down(c, mi->location)) {
        result_set(r, WHATIF_INSTANCE_DOWN, NULL, "",
                   "%s itself is down with %s; its failover partner serves after failover",
                   mi->name, mi->location);
        return;
    }
    if (!estate_protector_is_akv(mi)) {
        if (mi->protector_fresh.read_at == 0 && mi->protector.type == NULL)
            result_set(r, WHATIF_UNKNOWN, NULL, "", "%s's protector was never read", mi->name);
        else
            result_set(r, WHATIF_UNAFFECTED, NULL, "", "service-managed key: no vault involved");
        return;
    }
    if (model_uri_parse(mi->protector.uri, vault, key, version) < 0) {
        result_set(r, WHATIF_UNKNOWN, NULL, "", "protector URI %s is not a key URI",
                   mi->protector.uri);
        return;
    }
    switch (probe(c, mi, mi->protector.uri, &p)) {
    case PROBE_OK:
        result_set(r, WHATIF_UNAFFECTED, vault, "", "served by its primary vault %s (%s)", vault,
                   key);
        return;
    case PROBE_DENIED:
        result_set(r, WHATIF_INACCESSIBLE, NULL, p.code,
                   "%s; a refusal never falls back to the secondary", p.why);
        return;
    case PROBE_UNKNOWN:
        result_set(r, WHATIF_UNKNOWN, NULL, "", "%s", p.why);
        return;
    case PROBE_OUTAGE:
        fallback(c, mi, vault, &p, r);
        return;
    }
}

static void timing(const struct whatif_params *p, const struct model_instance *mi,
                   const struct whatif_result *cur, struct whatif_result *r)
{
    int64_t now_s = p->now_ms / 1000;
    r->changed = r->outcome != cur->outcome || strcmp(r->via, cur->via) != 0;
    r->when_s = r->earliest_s = 0;
    if (r->outcome == WHATIF_VIA_SECONDARY && r->changed)
        r->when_s = now_s + p->check_interval_s;
    if (r->outcome != WHATIF_INACCESSIBLE)
        return;
    if (cur->outcome == WHATIF_INACCESSIBLE && mi->inaccessible_since > 0) {
        r->when_s = r->earliest_s = mi->inaccessible_since / 1000; /* already */
        return;
    }
    r->when_s = now_s + p->check_interval_s + p->grace_s;
    r->earliest_s = now_s + p->grace_s;
}

void whatif_params_init(struct whatif_params *p, int64_t now_ms)
{
    p->now_ms = now_ms;
    p->check_interval_s = 600;
    p->grace_s = 600;
}

static const struct model_pe *find_pe(const struct model *m, const char *target)
{
    const struct model_pe *pe = model_pe(m, target);
    for (size_t i = 0; pe == NULL && i < m->npes; i++) {
        if (same(m->pes[i]->name, target))
            pe = m->pes[i];
    }
    return pe;
}

static bool region_used(const struct model *m, const char *region)
{
    for (size_t i = 0; i < m->ninstances; i++) {
        if (estate_same_region(m->instances[i]->location, region))
            return true;
    }
    for (size_t i = 0; i < m->nvaults; i++) {
        if (estate_same_region(m->vaults[i]->location, region))
            return true;
    }
    return false;
}

/* Resolves one failure's target; -1 and *cause when it is not in the estate. */
static int resolve(const struct model *m, struct failure *f, char **cause)
{
    const struct whatif_scenario *sc = f->sc;
    const char *t = sc->target;
    switch (sc->kind) {
    case WHATIF_NONE:
        return 0;
    case WHATIF_PE_DOWN:
        if ((f->pe = t ? find_pe(m, t) : NULL) == NULL)
            goto missing;
        return 0;
    case WHATIF_REGION_DOWN:
        if (t == NULL || !region_used(m, t))
            goto missing;
        return 0;
    case WHATIF_KEY_DISABLED:
    case WHATIF_KEY_EXPIRED:
    case WHATIF_KEY_DELETED:
        f->vault = model_vault(m, t);
        if (f->vault && model_key(f->vault, sc->key) == NULL) {
            xcause(cause, "%s: no key %s in vault %s", whatif_kind_name(sc->kind),
                   sc->key ? sc->key : "(none)", t);
            return -1;
        }
        break;
    case WHATIF_VAULT_OUTAGE:
    case WHATIF_ACCESS_REVOKED:
    case WHATIF_VAULT_DELETED:
        f->vault = model_vault(m, t);
        break;
    default:
        xcause(cause, "unknown what-if kind %d", (int)sc->kind);
        return -1;
    }
    if (f->vault)
        return 0;
missing:
    xcause(cause, "%s: %s is not in the estate", whatif_kind_name(sc->kind), t ? t : "(none)");
    return -1;
}

static int resolve_all(struct ctx *c, struct failure *f, const struct whatif_scenario *sc,
                       size_t nsc, char **cause)
{
    for (size_t i = 0; i < nsc; i++) {
        f[i] = (struct failure){.sc = &sc[i]};
        if (resolve(c->m, &f[i], cause) < 0)
            return -1;
        if (f[i].pe)
            c->down[c->ndown++] = f[i].pe;
    }
    c->f = f;
    c->nf = nsc;
    return 0;
}

/* The failures sc[0..nsc) for the instances in only[0..nonly) (all of them when only is NULL). */
static struct whatif_result *run(const struct model *m, const struct whatif_scenario *sc,
                                 size_t nsc, const struct whatif_params *p,
                                 const struct model_instance *const *only, size_t nonly, size_t *n,
                                 char **cause)
{
    *n = 0;
    if (m == NULL || p == NULL) {
        xcause(cause, "what-if needs a model and parameters");
        return NULL;
    }
    if (sc == NULL)
        nsc = 0;
    struct ctx base = {.m = m, .now_s = p->now_ms / 1000};
    struct ctx c = base;
    struct failure *f = xcalloc(nsc ? nsc : 1, sizeof *f);
    struct whatif_result *out = NULL;
    c.down = xcalloc(nsc ? nsc : 1, sizeof *c.down);
    if (resolve_all(&c, f, sc, nsc, cause) < 0)
        goto out;
    size_t count = only ? nonly : m->ninstances;
    out = xcalloc(count ? count : 1, sizeof *out);
    for (size_t i = 0; i < count; i++) {
        const struct model_instance *mi = only ? only[i] : m->instances[i];
        struct whatif_result cur = {0};
        serve(&base, mi, &cur);
        if (c.nf)
            serve(&c, mi, &out[i]);
        else
            out[i] = cur;
        timing(p, mi, &cur, &out[i]);
    }
    *n = count;
out:
    free(f);
    free(c.down);
    return out;
}

struct whatif_result *whatif_run(const struct model *m, const struct whatif_scenario *sc,
                                 size_t nsc, const struct whatif_params *p, size_t *n, char **cause)
{
    return run(m, sc, nsc, p, NULL, 0, n, cause);
}

int whatif_run_one(const struct model *m, const struct whatif_scenario *sc, size_t nsc,
                   const struct whatif_params *p, const struct model_instance *mi,
                   struct whatif_result *out, char **cause)
{
    size_t n = 0;
    if (mi == NULL) {
        xcause(cause, "what-if needs an instance");
        return -1;
    }
    struct whatif_result *r = run(m, sc, nsc, p, &mi, 1, &n, cause);
    if (r == NULL)
        return -1;
    *out = r[0];
    free(r);
    return 0;
}

struct whatif_result *whatif_current(const struct model *m, const struct whatif_params *p,
                                     size_t *n)
{
    return whatif_run(m, NULL, 0, p, n, NULL);
}

const char *whatif_outcome_name(enum whatif_outcome o)
{
    switch (o) {
    case WHATIF_UNAFFECTED:
        return "unaffected";
    case WHATIF_VIA_SECONDARY:
        return "via secondary";
    case WHATIF_INACCESSIBLE:
        return "inaccessible";
    case WHATIF_INSTANCE_DOWN:
        return "instance down";
    case WHATIF_UNKNOWN:
        return "unknown";
    }
    return "?";
}

const char *whatif_kind_name(enum whatif_kind k)
{
    static const char *const names[] = {
        "nothing",       "vault outage", "private endpoint down", "region down", "access revoked",
        "vault deleted", "key disabled", "key expired",           "key deleted",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}
