#include "support_estate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

#define NOW SUPPORT_NOW_MS

static struct fresh read_now(void)
{
    return (struct fresh){.read_at = NOW, .tried_at = NOW};
}

char *support_key_uri(const char *vault, const char *key, const char *version)
{
    return xasprintf("https://%s.vault.azure.net/keys/%s/%s", vault, key, version);
}

/* Material: (version, fingerprint, bits, created and exp relative to now, in days). */
struct material {
    const char *version;
    const char *fingerprint;
    const char *thumbprint;
    int bits;
    int64_t created_days, exp_days;
};

static const struct material m2024 = {
    SUPPORT_VER_2024, SUPPORT_FP_2024, SUPPORT_TP_2024, 2048, -400, 330};
static const struct material m2025[2] = {
    {SUPPORT_VER_V1, SUPPORT_FP_V1, SUPPORT_TP_V1, 3072, -200, 530},
    {SUPPORT_VER_V2, SUPPORT_FP_V2, SUPPORT_TP_V2, 3072, -20, 710},
};

static struct model_version version_of(const char *vault, const char *key,
                                       const struct material *mat)
{
    struct model_version v = {0};
    v.version = xstrdup(mat->version);
    v.kid = support_key_uri(vault, key, mat->version);
    v.enabled = true;
    v.created = v.updated = SUPPORT_NOW_S + mat->created_days * SUPPORT_DAY_S;
    v.exp = SUPPORT_NOW_S + mat->exp_days * SUPPORT_DAY_S;
    v.recovery_level = xstrdup("Recoverable");
    v.kty = xstrdup("RSA-HSM");
    v.bits = mat->bits;
    v.ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP;
    v.ops_known = true;
    snprintf(v.fingerprint, sizeof v.fingerprint, "%s", mat->fingerprint);
    v.fresh = read_now();
    return v;
}

static void add_keys(struct model *m, struct model_vault *v, const char *key2025)
{
    char **names = xcalloc(2, sizeof *names);
    names[0] = xstrdup(SUPPORT_KEY_2024);
    names[1] = xstrdup(key2025);
    model_set_key_names(m, v, names, 2);
    model_fresh_ok(m, &v->keys_fresh, NOW, "req-keys");
    for (size_t i = 0; i < v->nkeys; i++) {
        struct model_key *k = &v->keys[i];
        bool old = strcmp(k->name, SUPPORT_KEY_2024) == 0;
        size_t n = old ? 1 : 2;
        struct model_version *vers = xcalloc(n, sizeof *vers);
        for (size_t j = 0; j < n; j++)
            vers[j] = version_of(v->name, k->name, old ? &m2024 : &m2025[j]);
        model_set_versions(m, k, vers, n);
        model_fresh_ok(m, &k->versions_fresh, NOW, "req-versions");
        k->rotation.read = true;
        k->rotation.notify = true;
        model_fresh_ok(m, &k->rotation_fresh, NOW, "req-rotation");
    }
}

static char *pe_id(const char *rg, const char *name)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                     "privateEndpoints/%s",
                     SUPPORT_SUB, rg, name);
}

static char *vault_id(const char *rg, const char *name)
{
    return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s",
                     SUPPORT_SUB, rg, name);
}

static void add_vault(struct model *m, const char *name, const char *region, const char *rg,
                      const char *key2025)
{
    static const char *const oids[2] = {SUPPORT_OID_EUS2, SUPPORT_OID_CUS};
    static const char *const pe_rg[2] = {"rg-sql-eus2", "rg-sql-cus"};
    static const char *const pe_region[2] = {"eus2", "cus"};
    struct model_vault v = {0};
    v.name = xstrdup(name);
    v.id = vault_id(rg, name);
    v.uri = xasprintf("https://%s.vault.azure.net", name);
    v.subscription_id = xstrdup(SUPPORT_SUB);
    v.resource_group = xstrdup(rg);
    v.location = xstrdup(region);
    v.tenant_id = xstrdup(SUPPORT_TENANT);
    v.sku = xstrdup("premium");
    v.soft_delete = v.purge_protection = true;
    v.retention_days = 90;
    v.default_action = xstrdup("Deny");
    v.bypass = xstrdup("AzureServices");
    v.public_network_access = xstrdup("Enabled");
    v.npolicies = 2;
    v.policies = xcalloc(2, sizeof *v.policies);
    for (size_t i = 0; i < 2; i++) {
        v.policies[i].tenant_id = xstrdup(SUPPORT_TENANT);
        v.policies[i].object_id = xstrdup(oids[i]);
        v.policies[i].key_perms = MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP;
    }
    v.npecs = 2;
    v.pecs = xcalloc(2, sizeof *v.pecs);
    for (size_t i = 0; i < 2; i++) {
        char *pe = xasprintf("pe-%s-in-%s", name, pe_region[i]);
        v.pecs[i].name = xasprintf("%s.conn", pe);
        v.pecs[i].endpoint_id = pe_id(pe_rg[i], pe);
        v.pecs[i].status = xstrdup("Approved");
        free(pe);
    }
    v.arm_fresh = read_now();
    v.probe_fresh = read_now();
    v.probe_latency_ms = 40;
    struct model_vault *in = model_put_vault(m, &v);
    add_keys(m, in, key2025);
}

static void add_pe(struct model *m, const char *vault, const char *vault_rg, const char *region,
                   const char *short_region, const char *rg)
{
    struct model_pe pe = {0};
    pe.name = xasprintf("pe-%s-in-%s", vault, short_region);
    pe.id = pe_id(rg, pe.name);
    pe.subscription_id = xstrdup(SUPPORT_SUB);
    pe.resource_group = xstrdup(rg);
    pe.location = xstrdup(region);
    pe.target_id = vault_id(vault_rg, vault);
    pe.status = xstrdup("Approved");
    pe.fresh = read_now();
    model_put_pe(m, &pe);
}

/* Every copy of every material, from both vaults, registered on mi. */
static void register_all(struct model *m, struct model_instance *mi, const char *key2025)
{
    const char *vaults[2] = {SUPPORT_KV_EUS2, SUPPORT_KV_CUS};
    const struct material *mats[3] = {&m2024, &m2025[0], &m2025[1]};
    struct model_server_key *keys = xcalloc(6, sizeof *keys);
    size_t n = 0;
    for (size_t v = 0; v < 2; v++) {
        for (size_t i = 0; i < 3; i++, n++) {
            const char *key = i == 0 ? SUPPORT_KEY_2024 : key2025;
            keys[n].name = xasprintf("%s_%s_%s", vaults[v], key, mats[i]->version);
            keys[n].type = xstrdup("AzureKeyVault");
            keys[n].uri = support_key_uri(vaults[v], key, mats[i]->version);
            keys[n].thumbprint = xstrdup(mats[i]->thumbprint);
            keys[n].created = SUPPORT_NOW_S + mats[i]->created_days * SUPPORT_DAY_S;
        }
    }
    model_set_server_keys(m, mi, keys, n);
    model_fresh_ok(m, &mi->keys_fresh, NOW, "req-mi-keys");
}

void support_set_protector(struct model *m, struct model_instance *mi, const char *vault,
                           const char *key, const char *version, const char *thumbprint,
                           bool auto_rotation)
{
    struct model_protector p = {0};
    p.server_key_name = xasprintf("%s_%s_%s", vault, key, version);
    p.type = xstrdup("AzureKeyVault");
    p.uri = support_key_uri(vault, key, version);
    p.thumbprint = xstrdup(thumbprint);
    p.auto_rotation = auto_rotation;
    model_set_protector(m, mi, &p, NOW);
    model_fresh_ok(m, &mi->protector_fresh, NOW, "req-protector");
}

void support_set_dbs(struct model *m, struct model_instance *mi, size_t n, size_t inaccessible,
                     int64_t now_ms)
{
    static const char *const names[] = {"sales", "inventory", "billing"};
    struct model_database *dbs = xcalloc(n ? n : 1, sizeof *dbs);
    for (size_t i = 0; i < n; i++) {
        dbs[i].name = i < 3 ? xstrdup(names[i]) : xasprintf("db%zu", i);
        dbs[i].status = xstrdup(i < inaccessible ? "Inaccessible" : "Online");
    }
    model_set_databases(m, mi, dbs, n, now_ms);
    model_fresh_ok(m, &mi->dbs_fresh, now_ms, "req-dbs");
}

static void add_instance(struct model *m, const char *name, const char *region, const char *rg,
                         const char *oid, const char *vault, const char *key2025)
{
    struct model_instance mi = {0};
    mi.id = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/"
                      "managedInstances/%s",
                      SUPPORT_SUB, rg, name);
    mi.name = xstrdup(name);
    mi.subscription_id = xstrdup(SUPPORT_SUB);
    mi.resource_group = xstrdup(rg);
    mi.location = xstrdup(region);
    mi.state = xstrdup("Ready");
    mi.identity_type = xstrdup("SystemAssigned");
    mi.principal_id = xstrdup(oid);
    mi.tenant_id = xstrdup(SUPPORT_TENANT);
    mi.arm_fresh = read_now();
    struct model_instance *in = model_put_instance(m, &mi);
    register_all(m, in, key2025);
    /* Former protectors first, as the snapshot would have kept them. */
    in->past_protectors = xcalloc(2, sizeof *in->past_protectors);
    in->past_protectors[0] = xstrdup(SUPPORT_TP_2024);
    in->past_protectors[1] = xstrdup(SUPPORT_TP_V1);
    in->npast = 2;
    support_set_protector(m, in, vault, key2025, SUPPORT_VER_V2, SUPPORT_TP_V2, false);
    support_set_dbs(m, in, 3, 0, NOW);
}

static void add_fog(struct model *m)
{
    struct model_fog fg = {0};
    fg.name = xstrdup(SUPPORT_FOG);
    fg.id = xasprintf("/subscriptions/%s/resourceGroups/rg-sql-eus2/providers/Microsoft.Sql/"
                      "locations/eastus2/instanceFailoverGroups/%s",
                      SUPPORT_SUB, SUPPORT_FOG);
    fg.subscription_id = xstrdup(SUPPORT_SUB);
    fg.resource_group = xstrdup("rg-sql-eus2");
    fg.primary_location = xstrdup("eastus2");
    fg.secondary_location = xstrdup("centralus");
    fg.primary_id = xstrdup(support_mi(m, SUPPORT_MI_EUS2)->id);
    fg.secondary_id = xstrdup(support_mi(m, SUPPORT_MI_CUS)->id);
    fg.replication_state = xstrdup("CATCH_UP");
    fg.failover_policy = xstrdup("Automatic");
    fg.grace_minutes = 60;
    fg.fresh = read_now();
    model_put_fog(m, &fg);
}

struct model *support_estate(const char *key2025)
{
    struct model *m = model_create();
    struct model_subscription sub = {xstrdup(SUPPORT_SUB), xstrdup("sql-tde-prod"), read_now()};
    if (key2025 == NULL)
        key2025 = SUPPORT_KEY_2025;
    model_put_subscription(m, &sub);
    add_vault(m, SUPPORT_KV_EUS2, "eastus2", "rg-sql-eus2", key2025);
    add_vault(m, SUPPORT_KV_CUS, "centralus", "rg-sql-cus", key2025);
    add_pe(m, SUPPORT_KV_EUS2, "rg-sql-eus2", "eastus2", "eus2", "rg-sql-eus2");
    add_pe(m, SUPPORT_KV_CUS, "rg-sql-cus", "eastus2", "eus2", "rg-sql-eus2");
    add_pe(m, SUPPORT_KV_CUS, "rg-sql-cus", "centralus", "cus", "rg-sql-cus");
    add_pe(m, SUPPORT_KV_EUS2, "rg-sql-eus2", "centralus", "cus", "rg-sql-cus");
    add_instance(m, SUPPORT_MI_EUS2, "eastus2", "rg-sql-eus2", SUPPORT_OID_EUS2, SUPPORT_KV_EUS2,
                 key2025);
    add_instance(m, SUPPORT_MI_CUS, "centralus", "rg-sql-cus", SUPPORT_OID_CUS, SUPPORT_KV_CUS,
                 key2025);
    add_fog(m);
    return m;
}

struct model_vault *support_vault(struct model *m, const char *name)
{
    return model_vault(m, name);
}

struct model_instance *support_mi(struct model *m, const char *name)
{
    return model_instance_by_name(m, name);
}

struct model_version *support_version(struct model *m, const char *vault, const char *key,
                                      const char *version)
{
    return model_version(model_key(model_vault(m, vault), key), version);
}

struct model_pe *support_pe(struct model *m, const char *name)
{
    for (size_t i = 0; i < m->npes; i++) {
        if (strcmp(m->pes[i]->name, name) == 0)
            return m->pes[i];
    }
    return NULL;
}

struct model_policy *support_policy(struct model_vault *v, const char *object_id)
{
    for (size_t i = 0; v && i < v->npolicies; i++) {
        if (strcasecmp(v->policies[i].object_id, object_id) == 0)
            return &v->policies[i];
    }
    return NULL;
}

struct model_server_key *support_server_key(struct model_instance *mi, const char *vault,
                                            const char *key, const char *version)
{
    char *uri = support_key_uri(vault, key, version);
    struct model_server_key *found = NULL;
    for (size_t i = 0; i < mi->nkeys && found == NULL; i++) {
        if (mi->keys[i].uri && strcmp(mi->keys[i].uri, uri) == 0)
            found = &mi->keys[i];
    }
    free(uri);
    return found;
}
