#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "estate.h"
#include "rules_data.h"
#include "rules_inst.h"
#include "rules_key.h"
#include "rules_pair.h"
#include "rules_vault.h"
#include "xmem.h"

#define CRIT HEALTH_CRIT
#define HIGH HEALTH_HIGH
#define MED  HEALTH_MED
#define LOW  HEALTH_LOW
#define INFO HEALTH_INFO

/* Ids, severities and titles from reference/tde-domain-rules.md section A. */
static const struct health_rule table[] = {
    {"V01", CRIT, "Vault exists and is not deleted", rules_vault_v01,
     "Recover the vault within its retention, re-create its role assignments (deleting a vault "
     "drops them), then revalidate the instances' protectors.",
     NULL},
    {"V02", CRIT, "Soft delete on", rules_vault_v02,
     "Enable soft delete on the vault; SQL refuses keys from a vault without it.", NULL},
    {"V03", CRIT, "Purge protection on", rules_vault_v03,
     "Enable purge protection on the vault (it cannot be turned off again); without it SQL "
     "refuses the key (SecurityInvalidAzureKeyVaultRecoveryLevel).",
     NULL},
    {"V04", INFO, "Soft-delete retention recorded and equal on both vaults", rules_vault_v04,
     "Nothing to change (retention is fixed when a vault is created): know how long a deleted "
     "key name stays blocked in each vault.",
     NULL},
    {"V05", HIGH, "Key recovery level not Purgeable", rules_vault_v05,
     "Turn on soft delete and purge protection on the vault; SQL refuses a key whose "
     "recoveryLevel is Purgeable.",
     NULL},
    {"V06", MED, "Delete lock on each vault", NULL, "Put a CanNotDelete lock on the vault.",
     "needs Microsoft.Authorization locks, which tdectl does not read"},
    {"V07", CRIT, "Each instance identity has access on each vault it uses", rules_vault_v07,
     "Access-policy vault: grant the instance identity get, wrapKey and unwrapKey. RBAC vault: "
     "assign it Key Vault Crypto Service Encryption User at the vault. Grants take about 10 "
     "minutes to apply.",
     NULL},
    {"V08", CRIT, "Permission model unchanged", rules_vault_v08,
     "Check every instance identity has its grant under the new model (V07): switching to RBAC "
     "voids all access policies. Switch back if it was not intended.",
     NULL},
    {"V09", HIGH, "Vault firewall lets SQL through", rules_vault_v09,
     "Allow trusted Microsoft services to bypass the vault firewall, or add an approved private "
     "endpoint of the vault in the instance's region.",
     NULL},
    {"V10", HIGH, "No user-assigned identity behind a vault firewall", rules_vault_v10,
     "Use the system-assigned identity for TDE on this instance, or confirm with Microsoft that "
     "a user-assigned identity works behind the vault firewall.",
     NULL},
    {"V11", HIGH, "Approved private endpoint of the vault in each instance region", rules_vault_v11,
     "Create (or approve) a private endpoint of the vault in every region of the pair and check "
     "the vault name resolves to it from the instance subnet.",
     NULL},
    {"V12", HIGH, "Instance subnet allows 443 to the vault endpoints", NULL,
     "Allow outbound TCP 443 from the instance subnet to each private endpoint address.",
     "needs the effective NSG rules of the instance subnet, which tdectl does not read"},
    {"V13", CRIT, "Vault and instance identity in the same tenant", rules_vault_v13,
     "Keep vault and instance in one Entra tenant; after a tenant move redo the identity and TDE "
     "setup.",
     NULL},
    {"V14", MED, "Premium SKU for HSM keys", rules_vault_v14,
     "Keep RSA-HSM keys in a Premium vault.", NULL},
    {"V15", HIGH, "Vault answers the console", rules_vault_v15,
     "This is the console's own path to the vault, not the instance's: check the vault's "
     "availability and throttling, and the network between tdectl and the vault.",
     NULL},
    {"V16", MED, "AuditEvent logs enabled", NULL,
     "Send the vault's AuditEvent logs to a workspace.",
     "needs Azure Monitor diagnostic settings, which tdectl does not read"},
    {"V17", MED, "Alerts on vault health and inaccessibility", NULL,
     "Create the Key Vault metric alerts, the Activity Log and Resource Health alerts and the "
     "KeyNearExpiry/KeyExpired event subscriptions.",
     "needs Azure Monitor alert rules and Event Grid subscriptions"},
    {"V18", MED, "At most 500 databases per vault", rules_vault_v18,
     "Spread instances over more vaults (a failover asks the vault once per database) and keep "
     "the vault dedicated to SQL.",
     NULL},
    {"K01", CRIT, "Protector version exists and is enabled", rules_key_k01,
     "Enable the protector version again (or recover the key) now, then revalidate if databases "
     "went Inaccessible. Never disable a version in use.",
     NULL},
    {"K02", HIGH, "Key is RSA 2048 or 3072", rules_key_k02,
     "Rotate to an RSA or RSA-HSM key of 2048 or 3072 bits.", NULL},
    {"K03", HIGH, "Key activation date passed", rules_key_k03,
     "Clear or back-date the version's activation date (nbf): SQL treats a future one as lost "
     "access.",
     NULL},
    {"K04", CRIT, "Key expiry ahead", rules_key_k04,
     "Extend the version's expiry date, or rotate before it: SQL treats an expired key as lost "
     "access although Key Vault still unwraps with it.",
     NULL},
    {"K05", HIGH, "Key operations allow wrapKey and unwrapKey", rules_key_k05,
     "Update the key's permitted operations to include wrapKey and unwrapKey.", NULL},
    {"K06", CRIT, "The other vault holds the protector's material, registered", rules_key_k06,
     "Copy the protector's material into the other vault (backup/restore or import), keep it "
     "enabled, and register that copy on the instance (not as protector).",
     NULL},
    {"K07", HIGH, "Former protectors still available", rules_key_k07,
     "Keep every former protector's material enabled in both vaults and registered on both "
     "instances until every backup written under it has expired.",
     NULL},
    {"K08", HIGH, "No older version of a protector key disabled", rules_key_k08,
     "Enable the version again: backups and log written under it need it.", NULL},
    {"K09", MED, "Key backup newer than the key's last change", NULL,
     "Back up the key after every change and store the blob outside the subscription.",
     "the key-backup inventory belongs to the backup wizard"},
    {"K10", MED, "Rotation policy notifies before expiry", rules_key_k10,
     "Add a Notify action to the key's rotation policy (for example 30 days before expiry).", NULL},
    {"K11", LOW, "Vault + key name at most 94 characters", rules_key_k11,
     "Use a shorter key name at the next rotation.", NULL},
    {"K12", HIGH, "Planned key name free in both vaults", NULL,
     "Pick a name that is neither used nor soft-deleted in either vault.",
     "a check of the rotation wizard for the name it plans"},
    {"I01", CRIT, "Instance identity usable", rules_inst_i01,
     "Give the instance an identity (with user-assigned identities: set the primary one) and "
     "grant it on both vaults.",
     NULL},
    {"I02", HIGH, "Protector in the vault of the instance's own region", rules_inst_i02,
     "Set the protector to the copy in the vault of the instance's own region.", NULL},
    {"I03", MED, "Protector is the latest enabled version", rules_inst_i03,
     "Set the protector to the key's latest version (SQL only takes the latest), or turn on "
     "auto-rotation deliberately.",
     NULL},
    {"I04", HIGH, "Auto-rotation consistent across the pair", rules_inst_i04,
     "Turn auto-rotation on for both instances or off for both, and with it on register the "
     "primary's exact vault key on the secondary.",
     NULL},
    {"I05", CRIT, "Partner's protector material registered", rules_inst_i05,
     "Register the partner's protector material on this instance (not as protector); else the "
     "next protector change fails with SameKeyMaterialNotFoundOnRemoteServer.",
     NULL},
    {"I06", CRIT, "No database Inaccessible, key access not lost", rules_inst_i06,
     "Restore key access now (grant, enable, extend, network): within 30 minutes of the loss "
     "databases heal on their own; after that revalidate the protector "
     "(POST .../encryptionProtector/current/revalidate).",
     NULL},
    {"I07", CRIT, "No MakeManagedDbInaccessible in the Activity Log", NULL,
     "Follow the inaccessibility runbook.",
     "needs the Activity Log, which tdectl does not read (and which lags 15-30 minutes)"},
    {"I08", CRIT, "Resource Health of databases available", NULL,
     "Follow the inaccessibility runbook.", "needs Resource Health, which tdectl does not read"},
    {"I09", HIGH, "Vaults reachable from inside the instance", NULL,
     "Test DNS and TCP 443 to both vaults from the instance.",
     "needs T-SQL run inside the instance"},
    {"I10", MED, "Every database encrypted by the current protector", NULL,
     "Wait for the rotation to finish; investigate stragglers.",
     "needs T-SQL (sys.dm_database_encryption_keys)"},
    {"I11", INFO, "Key URI validated before registering", NULL,
     "Validate the URI (validateAzureKeyVaultEncryptionKey) first.",
     "a wizard pre-flight, not a standing check"},
    {"G01", CRIT, "Same protector material on both instances", rules_pair_g01,
     "Rotate so that both instances use the same material (secondary first, then primary).", NULL},
    {"G02", CRIT, "Failover group healthy", rules_pair_g02,
     "Check the group's replication. An Inaccessible database breaks the geo link; the "
     "secondary then has to be reseeded.",
     NULL},
    {"G03", HIGH, "Both vaults hold the same protector materials", rules_pair_g03,
     "Copy every current and former protector's material into the vault that lacks it "
     "(backup/restore within one subscription and geography, else import).",
     NULL},
    {"G04", MED, "Both vaults configured alike", rules_pair_g04,
     "Align soft delete, purge protection, permission model and network rules of the two "
     "vaults.",
     NULL},
    {"G05", HIGH, "Both vaults in one subscription and geography", rules_pair_g05,
     "Backup/restore cannot copy keys between these vaults: use imported (offline or HSM) keys, "
     "or vaults in one subscription and geography.",
     NULL},
    {"G06", MED, "Failover drill within policy", NULL, "Run a planned failover drill.",
     "tdectl keeps no drill record yet"},
    {"D01", HIGH, "Data tdectl could not read", rules_data_d01,
     "Fix tdectl's access to what is named (permissions, network, throttling); until then it "
     "cannot judge what it could not read.",
     NULL},
};

const struct health_rule *rules_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

static void add_active(struct rules_eval *ev, const struct model_instance *mi, const char *uri,
                       bool protector)
{
    char vault[128], key[128], version[64];
    const struct model_version *ver = uri ? model_version_by_uri(ev->m, uri) : NULL;
    if (ver == NULL || ver->version == NULL || model_uri_parse(uri, vault, key, version) < 0)
        return;
    for (size_t i = 0; i < ev->nactive; i++) {
        if (ev->active[i].ver == ver)
            return;
    }
    const struct model_vault *v = model_vault(ev->m, vault);
    ev->active = xrealloc(ev->active, ev->nactive + 1, sizeof *ev->active);
    ev->active[ev->nactive++] = (struct rules_active){mi, v, model_key(v, key), ver, protector};
}

static int by_name(const void *a, const void *b)
{
    const struct model_vault *const *x = a, *const *y = b;
    return strcasecmp((*x)->name, (*y)->name);
}

/* The vault named in uri, through a name-sorted copy of the vault list. */
static const struct model_vault *vault_of(const struct model_vault **sorted, size_t n,
                                          const char *uri, char key[128], char version[64])
{
    char vault[128];
    if (uri == NULL || model_uri_parse(uri, vault, key, version) < 0)
        return NULL;
    struct model_vault probe = {.name = vault};
    const struct model_vault *pp = &probe;
    const struct model_vault **hit = bsearch(&pp, sorted, n, sizeof *sorted, by_name);
    return hit ? *hit : NULL;
}

/* Every registered key parsed once, and which vaults are used (protectors included). */
static void prepare_regkeys(struct rules_eval *ev)
{
    const struct model *m = ev->m;
    const struct model_vault **sorted = xcalloc(m->nvaults + 1, sizeof *sorted);
    for (size_t i = 0; i < m->nvaults; i++)
        sorted[i] = m->vaults[i];
    qsort(sorted, m->nvaults, sizeof *sorted, by_name);
    size_t total = 0;
    for (size_t i = 0; i < m->ninstances; i++)
        total += m->instances[i]->nkeys;
    ev->regkeys = xcalloc(total + 1, sizeof *ev->regkeys);
    ev->used = xcalloc(m->nvaults + 1, sizeof *ev->used);
    char key[128], version[64];
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        const struct model_vault *pv =
            estate_protector_is_akv(mi)
                ? vault_of(sorted, m->nvaults, mi->protector.uri, key, version)
                : NULL;
        for (size_t v = 0; pv && v < m->nvaults; v++)
            ev->used[v] = ev->used[v] || m->vaults[v] == pv;
        for (size_t j = 0; j < mi->nkeys; j++) {
            struct rules_regkey *rk = &ev->regkeys[ev->nregkeys++];
            rk->mi = mi;
            rk->sk = &mi->keys[j];
            rk->vault = vault_of(sorted, m->nvaults, mi->keys[j].uri, rk->key, rk->version);
        }
    }
    /* Mark the vaults of registered keys: one pass over a pointer-sorted list would do, but
     * vaults are few next to keys, so a linear match per distinct vault is cheap enough. */
    for (size_t k = 0; k < ev->nregkeys; k++) {
        const struct model_vault *v = ev->regkeys[k].vault;
        if (v == NULL || (k > 0 && ev->regkeys[k - 1].vault == v))
            continue;
        for (size_t i = 0; i < m->nvaults; i++)
            if (m->vaults[i] == v)
                ev->used[i] = true;
    }
    free(sorted);
}

static int by_order(const struct rules_tp *x, const struct rules_tp *y)
{
    return (x->order > y->order) - (x->order < y->order);
}

static int by_thumbprint(const void *a, const void *b)
{
    const struct rules_tp *x = a, *y = b;
    int c = strcasecmp(x->thumbprint, y->thumbprint);
    return c ? c : by_order(x, y);
}

static int by_fingerprint(const void *a, const void *b)
{
    const struct rules_tp *x = a, *y = b;
    int c = strcasecmp(x->fingerprint, y->fingerprint);
    return c ? c : by_order(x, y);
}

/* The first entry of sorted[0..n) whose text (thumbprint or fingerprint) is key; NULL. */
static const struct rules_tp *first_of(const struct rules_tp *sorted, size_t n, const char *key,
                                       bool fingerprint)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the lower bound: ties are ordered by registration */
        size_t mid = lo + (hi - lo) / 2;
        const char *at = fingerprint ? sorted[mid].fingerprint : sorted[mid].thumbprint;
        if (strcasecmp(at, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *at = lo < n ? (fingerprint ? sorted[lo].fingerprint : sorted[lo].thumbprint) : "";
    return lo < n && strcasecmp(at, key) == 0 ? &sorted[lo] : NULL;
}

/* The thumbprint map: every registered key whose version's material was read. */
static void prepare_tps(struct rules_eval *ev)
{
    ev->tps = xcalloc(ev->nregkeys + 1, sizeof *ev->tps);
    for (size_t r = 0; r < ev->nregkeys; r++) {
        const struct rules_regkey *rk = &ev->regkeys[r];
        const struct model_key *k = rk->vault ? model_key(rk->vault, rk->key) : NULL;
        const struct model_version *v = k && rk->version[0] ? model_version(k, rk->version) : NULL;
        if (rk->sk->thumbprint && v && v->fingerprint[0]) {
            ev->tps[ev->ntps] = (struct rules_tp){rk->sk->thumbprint, v->fingerprint, ev->ntps};
            ev->ntps++;
        }
    }
    ev->fps = xcalloc(ev->ntps + 1, sizeof *ev->fps);
    memcpy(ev->fps, ev->tps, ev->ntps * sizeof *ev->tps);
    if (ev->ntps > 1) {
        qsort(ev->tps, ev->ntps, sizeof *ev->tps, by_thumbprint);
        qsort(ev->fps, ev->ntps, sizeof *ev->fps, by_fingerprint);
    }
}

const char *rules_fingerprint_of(const struct rules_eval *ev, const char *thumbprint)
{
    const struct rules_tp *hit = thumbprint ? first_of(ev->tps, ev->ntps, thumbprint, false) : NULL;
    return hit ? hit->fingerprint : NULL;
}

const char *rules_thumbprint_of(const struct rules_eval *ev, const char *fingerprint)
{
    const struct rules_tp *hit =
        fingerprint && fingerprint[0] ? first_of(ev->fps, ev->ntps, fingerprint, true) : NULL;
    return hit ? hit->thumbprint : NULL;
}

bool rules_vault_used(const struct rules_eval *ev, const struct model_vault *v)
{
    for (size_t i = 0; v && ev->used && i < ev->m->nvaults; i++)
        if (ev->m->vaults[i] == v)
            return ev->used[i];
    return false;
}

void rules_prepare(struct rules_eval *ev)
{
    ev->now_s = ev->now_ms / 1000;
    prepare_regkeys(ev);
    prepare_tps(ev);
    ev->current = whatif_current(ev->m, &ev->wp, &ev->ncurrent);
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        if (!estate_protector_is_akv(mi))
            continue;
        add_active(ev, mi, mi->protector.uri, true);
    }
    for (size_t i = 0; i < ev->m->ninstances; i++) {
        const struct model_instance *mi = ev->m->instances[i];
        const struct model_server_key *sk = estate_secondary_key(ev->m, mi);
        if (sk)
            add_active(ev, mi, sk->uri, false);
    }
}

void rules_cleanup(struct rules_eval *ev)
{
    free(ev->current);
    free(ev->active);
    free(ev->used);
    free(ev->regkeys);
    free(ev->tps);
    free(ev->fps);
    ev->tps = ev->fps = NULL;
    ev->ntps = 0;
    ev->current = NULL;
    ev->active = NULL;
    ev->used = NULL;
    ev->regkeys = NULL;
    ev->nregkeys = 0;
    ev->ncurrent = ev->nactive = 0;
}

void rules_emit(struct rules_eval *ev, enum health_sev sev, bool stale, const char *subject,
                const char *key, const char *fmt, ...)
{
    va_list ap;
    if (ev->n == ev->cap) {
        ev->cap = ev->cap ? 2 * ev->cap : 32;
        ev->out = xrealloc(ev->out, ev->cap, sizeof *ev->out);
    }
    struct health_finding *f = &ev->out[ev->n++];
    *f = (struct health_finding){0};
    f->rule = ev->rule->id;
    f->sev = sev;
    f->subject = xstrdup(subject ? subject : "");
    f->key = xstrdup(key ? key : "");
    va_start(ap, fmt);
    f->evidence = xvasprintf(fmt, ap);
    va_end(ap);
    f->title = ev->rule->title;
    f->remedy = ev->rule->remedy;
    f->stale = stale;
}

const struct health_finding *rules_prev(const struct rules_eval *ev, const char *rule,
                                        const char *subject, const char *key)
{
    for (size_t i = 0; i < ev->nprev; i++) {
        const struct health_finding *f = &ev->prev[i];
        if (strcmp(f->rule, rule) == 0 && strcmp(f->subject, subject) == 0 &&
            strcmp(f->key, key ? key : "") == 0)
            return f;
    }
    return NULL;
}

bool rules_read(const struct fresh *f)
{
    return f->read_at != 0;
}

bool rules_stale(const struct rules_eval *ev, const struct fresh *f)
{
    if (model_fresh_stale(f))
        return true;
    return ev->max_age_ms > 0 && ev->now_ms - f->read_at > ev->max_age_ms;
}

const char *rules_subject(char buf[192], const char *kind, const char *name)
{
    snprintf(buf, 192, "%s %s", kind, name ? name : "?");
    return buf;
}

const char *rules_key_subject(char buf[192], const struct model_vault *v, const struct model_key *k)
{
    snprintf(buf, 192, "key %s/%s", v && v->name ? v->name : "?", k && k->name ? k->name : "?");
    return buf;
}

void rules_date(int64_t unix_s, char buf[16])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, 16, "?");
}

void rules_hhmm(int64_t ms, char buf[16])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 16, "%H:%MZ", &tm) == 0)
        snprintf(buf, 16, "?");
}

void rules_ago(int64_t now_ms, int64_t then_ms, char buf[32])
{
    int64_t s = (now_ms - then_ms) / 1000;
    if (then_ms <= 0)
        snprintf(buf, 32, "never");
    else if (s < 60)
        snprintf(buf, 32, "%lld s ago", (long long)(s < 0 ? 0 : s));
    else if (s < 7200)
        snprintf(buf, 32, "%lld min ago", (long long)(s / 60));
    else if (s < 172800)
        snprintf(buf, 32, "%lld h ago", (long long)(s / 3600));
    else
        snprintf(buf, 32, "%lld days ago", (long long)(s / 86400));
}

const char *rules_short(const char *id, char buf[16])
{
    if (id == NULL)
        return "?";
    if (strlen(id) <= 11)
        return id;
    snprintf(buf, 16, "%.8s...", id);
    return buf;
}

const struct whatif_result *rules_current(const struct rules_eval *ev,
                                          const struct model_instance *mi)
{
    for (size_t i = 0; i < ev->ncurrent && i < ev->m->ninstances; i++) {
        if (ev->m->instances[i] == mi)
            return &ev->current[i];
    }
    return NULL;
}

bool rules_pair_vaults(const struct rules_eval *ev, const struct model_fog *fg,
                       const struct model_instance **p, const struct model_instance **s,
                       const struct model_vault **vp, const struct model_vault **vs)
{
    *p = estate_fog_primary(ev->m, fg);
    *s = estate_fog_secondary(ev->m, fg);
    *vp = estate_primary_vault(ev->m, *p);
    *vs = estate_primary_vault(ev->m, *s);
    return *p && *s && *vp && *vs && *vp != *vs;
}

const char *rules_active_role(const struct rules_active *a, char buf[160])
{
    if (a->protector)
        snprintf(buf, 160, "protector of %s", a->mi->name);
    else
        snprintf(buf, 160, "%s's secondary copy", a->mi->name);
    return buf;
}
