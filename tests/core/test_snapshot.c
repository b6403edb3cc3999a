/*
 * Unit tests for core/snapshot: a rich model (every entity, every field set,
 * NULLs and empty arrays among them) saved and loaded into a fresh model
 * compares equal field by field; the file is 0600 in a 0700 directory and is
 * replaced atomically (no temporary files left, a failed save keeps the old
 * file); damaged, truncated (at every 97th byte), wrong-version, wrong-typed,
 * oversized and hostile inputs are refused with a cause naming the place and
 * leave the model empty; a damaged file is moved aside to NAME.corrupt-TIME
 * (a second one the same second to NAME.corrupt-TIME-2, the first kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "snapshot.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T0       INT64_C(1750000000000) /* wall ms */
#define SAVED_AT INT64_C(1750000123456)
#define SUB      "/subscriptions/11111111-2222-3333-4444-555555555555"
#define MI_ID(n) SUB "/resourceGroups/rg-sql/providers/Microsoft.Sql/managedInstances/mi-" #n

static int seq;

static char *str(const char *prefix)
{
    return xasprintf("%s-%d", prefix, ++seq);
}

static void fill_fresh(struct fresh *f, bool failed)
{
    f->read_at = T0 + ++seq;
    f->tried_at = T0 + 1000 + ++seq;
    if (failed) {
        f->err = (enum core_err)(1 + seq % (CORE_ERR_COUNT - 1));
        f->status = 400 + seq % 100;
        f->error = str("KeyVaultThrottled: \"too many\" requests \\ ünïcode");
    }
    f->request_id = str("req");
}

static void fill_version(struct model_version *v, const char *vault, const char *key, int n)
{
    v->version = xasprintf("%032x", 0xabc000 + ++seq);
    v->kid = xasprintf("https://%s.vault.azure.net/keys/%s/%s", vault, key, v->version);
    v->enabled = n % 2 == 0;
    v->nbf = 1700000000 + n;
    v->exp = n == 2 ? 0 : 1800000000 + n; /* 0: not set */
    v->created = 1700000100 + n;
    v->updated = 1700000200 + n;
    v->recovery_level = n == 1 ? NULL : xstrdup("Recoverable");
    v->kty = xstrdup(n == 0 ? "RSA-HSM" : "RSA");
    v->bits = n == 0 ? 3072 : 2048;
    v->ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP | (unsigned)n;
    v->ops_known = n != 1;
    if (n != 2)
        snprintf(v->fingerprint, sizeof v->fingerprint, "%064x", 0x5eed + seq);
    fill_fresh(&v->fresh, n == 1);
}

static void fill_key(struct model_key *k, const char *vault, const char *name)
{
    k->name = xstrdup(name);
    k->nversions = 3;
    k->versions = xcalloc(3, sizeof *k->versions);
    for (int i = 0; i < 3; i++)
        fill_version(&k->versions[i], vault, name, i);
    k->managed = name[0] == 'b';
    k->rotation.read = true;
    k->rotation.notify = true;
    k->rotation.rotate = name[0] == 'a';
    k->rotation.expiry_time = name[0] == 'a' ? xstrdup("P90D") : NULL;
    fill_fresh(&k->versions_fresh, false);
    fill_fresh(&k->rotation_fresh, true);
}

static void add_vault(struct model *m, const char *name, bool rich)
{
    struct model_vault v = {0};
    v.name = xstrdup(name);
    if (rich) {
        v.id = xasprintf(SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/%s", name);
        v.uri = xasprintf("https://%s.vault.azure.net", name);
        v.subscription_id = xstrdup("11111111-2222-3333-4444-555555555555");
        v.resource_group = xstrdup("rg-kv");
        v.location = xstrdup("westeurope");
        v.tenant_id = str("tenant");
        v.sku = xstrdup("premium");
        v.soft_delete = true;
        v.purge_protection = true;
        v.retention_days = 90;
        v.rbac = true;
        v.deleted = false;
        v.default_action = xstrdup("Deny");
        v.bypass = xstrdup("AzureServices");
        v.public_network_access = xstrdup("Disabled");
        v.npolicies = 2;
        v.policies = xcalloc(2, sizeof *v.policies);
        for (int i = 0; i < 2; i++) {
            v.policies[i].tenant_id = str("tenant");
            v.policies[i].object_id = str("object");
            v.policies[i].application_id = i ? str("app") : NULL;
            v.policies[i].key_perms = i ? MODEL_PERM_ALL : MODEL_PERM_GET | MODEL_PERM_WRAP;
        }
        v.nroles = 2;
        v.roles = xcalloc(2, sizeof *v.roles);
        for (int i = 0; i < 2; i++) {
            v.roles[i].id = str("role-assignment");
            v.roles[i].principal_id = str("principal");
            v.roles[i].role_definition_id = xstrdup(MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER);
            v.roles[i].scope = str("/scope");
        }
        v.roles_known = true;
        v.npecs = 2;
        v.pecs = xcalloc(2, sizeof *v.pecs);
        for (int i = 0; i < 2; i++) {
            v.pecs[i].name = str("pec");
            v.pecs[i].endpoint_id = str("/pe");
            v.pecs[i].status = xstrdup(i ? "Pending" : "Approved");
        }
        v.nkeys = 2; /* sorted by name, as the model keeps them */
        v.keys = xcalloc(2, sizeof *v.keys);
        fill_key(&v.keys[0], name, "a-key");
        fill_key(&v.keys[1], name, "b-key");
        fill_fresh(&v.arm_fresh, false);
        fill_fresh(&v.roles_fresh, true);
        fill_fresh(&v.keys_fresh, false);
        fill_fresh(&v.probe_fresh, false);
        v.probe_latency_ms = 17 + seq;
    }
    struct model_vault *in = model_put_vault(m, &v);
    in->rbac_before = rich ? 0 : -1; /* a flip to RBAC seen (V08), or never read */
    if (!rich)
        in->probe_latency_ms = -1;
}

static void add_instance(struct model *m, const char *id, int n)
{
    struct model_instance mi = {0};
    mi.id = xstrdup(id);
    mi.name = xasprintf("mi-%d", n);
    mi.subscription_id = xstrdup("11111111-2222-3333-4444-555555555555");
    mi.resource_group = xstrdup("rg-sql");
    mi.location = xstrdup(n ? "northeurope" : "westeurope");
    mi.state = xstrdup("Ready");
    mi.identity_type = xstrdup("SystemAssigned,UserAssigned");
    mi.principal_id = str("principal");
    mi.tenant_id = str("tenant");
    mi.primary_uami = str("/uami");
    mi.nuamis = 2;
    mi.uamis = xcalloc(2, sizeof *mi.uamis);
    for (int i = 0; i < 2; i++) {
        mi.uamis[i].id = str("/uami");
        mi.uamis[i].principal_id = str("principal");
        mi.uamis[i].client_id = i ? NULL : str("client");
    }
    mi.nkeys = 3;
    mi.keys = xcalloc(3, sizeof *mi.keys);
    for (int i = 0; i < 3; i++) {
        mi.keys[i].name = str("kv_key_version");
        mi.keys[i].type = xstrdup(i ? "AzureKeyVault" : "ServiceManaged");
        mi.keys[i].uri = i ? str("https://kv.vault.azure.net/keys/k") : NULL;
        mi.keys[i].thumbprint = str("ABCDEF0123");
        mi.keys[i].created = 1700000000 + i;
        mi.keys[i].auto_rotation = i == 2;
    }
    mi.protector.server_key_name = str("kv_key_version");
    mi.protector.type = xstrdup("AzureKeyVault");
    mi.protector.uri = str("https://kv.vault.azure.net/keys/k");
    mi.protector.thumbprint = str("ABCDEF0123");
    mi.protector.auto_rotation = n == 1;
    mi.ndbs = 2;
    mi.dbs = xcalloc(2, sizeof *mi.dbs);
    mi.dbs[0].name = xstrdup("orders");
    mi.dbs[0].status = xstrdup("Online");
    mi.dbs[1].name = xstrdup("billing");
    mi.dbs[1].status = xstrdup(n ? "Inaccessible" : "Online");
    mi.npast = 2;
    mi.past_protectors = xcalloc(2, sizeof *mi.past_protectors);
    mi.past_protectors[0] = str("OLDTHUMB");
    mi.past_protectors[1] = str("NEWTHUMB");
    mi.inaccessible_since = n ? T0 - 600000 : 0;
    mi.lock_owner = n ? NULL : str("alice@host (client C)");
    mi.lock_reason = n ? NULL : str("CHG-42");
    mi.lock_op = n ? NULL : str("rotate");
    mi.lock_expires = n ? 0 : T0 / 1000 + 7200;
    mi.lock_bad = n == 1;
    fill_fresh(&mi.arm_fresh, false);
    fill_fresh(&mi.keys_fresh, false);
    fill_fresh(&mi.protector_fresh, n == 1);
    fill_fresh(&mi.dbs_fresh, false);
    model_put_instance(m, &mi);
}

static struct model *rich_model(void)
{
    struct model *m = model_create();
    seq = 0;
    for (int i = 0; i < 2; i++) {
        struct model_subscription s = {0};
        s.id = xasprintf("1111111%d-2222-3333-4444-555555555555", i);
        s.name = i ? NULL : str("Production");
        fill_fresh(&s.fresh, i == 1);
        model_put_subscription(m, &s);
    }
    add_instance(m, MI_ID(0), 0);
    add_instance(m, MI_ID(1), 1);
    struct model_fog g = {0};
    g.name = xstrdup("fog-a");
    g.id = xstrdup(SUB "/resourceGroups/rg-sql/providers/Microsoft.Sql/locations/westeurope/"
                       "instanceFailoverGroups/fog-a");
    g.subscription_id = xstrdup("11111111-2222-3333-4444-555555555555");
    g.resource_group = xstrdup("rg-sql");
    g.primary_location = xstrdup("westeurope");
    g.secondary_location = xstrdup("northeurope");
    g.primary_id = xstrdup(MI_ID(0));
    g.secondary_id = xstrdup(MI_ID(1));
    g.replication_state = xstrdup("CATCH_UP");
    g.failover_policy = xstrdup("Manual");
    g.grace_minutes = 60;
    fill_fresh(&g.fresh, false);
    model_put_fog(m, &g);
    add_vault(m, "kv-weu", true);
    add_vault(m, "kv-neu", true);
    add_vault(m, "kv-bare", false); /* known from a key URI only: NULLs and empty arrays */
    model_vault(m, "kv-neu")->rbac_before = 1;
    for (int i = 0; i < 2; i++) {
        struct model_pe pe = {0};
        pe.id = xasprintf(SUB "/resourceGroups/rg-net/providers/Microsoft.Network/"
                              "privateEndpoints/pe-%d",
                          i);
        pe.name = xasprintf("pe-%d", i);
        pe.subscription_id = xstrdup("11111111-2222-3333-4444-555555555555");
        pe.resource_group = xstrdup("rg-net");
        pe.location = xstrdup(i ? "northeurope" : "westeurope");
        pe.target_id = i ? NULL : xstrdup(model_vault(m, "kv-weu")->id);
        pe.status = xstrdup("Approved");
        fill_fresh(&pe.fresh, i == 1);
        model_put_pe(m, &pe);
    }
    return m;
}

/* -- comparing every field -------------------------------------------------------------------- */

static void same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

#define S(f) same_str(a->f, b->f)
#define N(f) assert_int_equal(a->f, b->f)

static void same_fresh(const struct fresh *a, const struct fresh *b)
{
    N(read_at);
    N(tried_at);
    N(err);
    N(status);
    S(error);
    S(request_id);
}

static void same_version(const struct model_version *a, const struct model_version *b)
{
    S(version);
    S(kid);
    N(enabled);
    N(nbf);
    N(exp);
    N(created);
    N(updated);
    S(recovery_level);
    S(kty);
    N(bits);
    N(ops);
    N(ops_known);
    assert_string_equal(a->fingerprint, b->fingerprint);
    same_fresh(&a->fresh, &b->fresh);
}

static void same_key(const struct model_key *a, const struct model_key *b)
{
    S(name);
    N(nversions);
    for (size_t i = 0; i < a->nversions; i++)
        same_version(&a->versions[i], &b->versions[i]);
    N(managed);
    N(rotation.read);
    N(rotation.notify);
    N(rotation.rotate);
    S(rotation.expiry_time);
    same_fresh(&a->versions_fresh, &b->versions_fresh);
    same_fresh(&a->rotation_fresh, &b->rotation_fresh);
}

static void same_vault(const struct model_vault *a, const struct model_vault *b)
{
    S(name);
    S(id);
    S(uri);
    S(subscription_id);
    S(resource_group);
    S(location);
    S(tenant_id);
    S(sku);
    N(soft_delete);
    N(purge_protection);
    N(retention_days);
    N(rbac);
    N(rbac_before);
    N(deleted);
    S(default_action);
    S(bypass);
    S(public_network_access);
    N(npolicies);
    for (size_t i = 0; i < a->npolicies; i++) {
        S(policies[i].tenant_id);
        S(policies[i].object_id);
        S(policies[i].application_id);
        N(policies[i].key_perms);
    }
    N(nroles);
    for (size_t i = 0; i < a->nroles; i++) {
        S(roles[i].id);
        S(roles[i].principal_id);
        S(roles[i].role_definition_id);
        S(roles[i].scope);
    }
    N(roles_known);
    N(npecs);
    for (size_t i = 0; i < a->npecs; i++) {
        S(pecs[i].name);
        S(pecs[i].endpoint_id);
        S(pecs[i].status);
    }
    N(nkeys);
    for (size_t i = 0; i < a->nkeys; i++)
        same_key(&a->keys[i], &b->keys[i]);
    same_fresh(&a->arm_fresh, &b->arm_fresh);
    same_fresh(&a->roles_fresh, &b->roles_fresh);
    same_fresh(&a->keys_fresh, &b->keys_fresh);
    same_fresh(&a->probe_fresh, &b->probe_fresh);
    N(probe_latency_ms);
}

static void same_instance(const struct model_instance *a, const struct model_instance *b)
{
    S(id);
    S(name);
    S(subscription_id);
    S(resource_group);
    S(location);
    S(state);
    S(identity_type);
    S(principal_id);
    S(tenant_id);
    S(primary_uami);
    N(nuamis);
    for (size_t i = 0; i < a->nuamis; i++) {
        S(uamis[i].id);
        S(uamis[i].principal_id);
        S(uamis[i].client_id);
    }
    N(nkeys);
    for (size_t i = 0; i < a->nkeys; i++) {
        S(keys[i].name);
        S(keys[i].type);
        S(keys[i].uri);
        S(keys[i].thumbprint);
        N(keys[i].created);
        N(keys[i].auto_rotation);
    }
    S(protector.server_key_name);
    S(protector.type);
    S(protector.uri);
    S(protector.thumbprint);
    N(protector.auto_rotation);
    N(ndbs);
    for (size_t i = 0; i < a->ndbs; i++) {
        S(dbs[i].name);
        S(dbs[i].status);
    }
    N(npast);
    for (size_t i = 0; i < a->npast; i++)
        S(past_protectors[i]);
    N(inaccessible_since);
    S(lock_owner);
    S(lock_reason);
    S(lock_op);
    N(lock_expires);
    N(lock_bad);
    same_fresh(&a->arm_fresh, &b->arm_fresh);
    same_fresh(&a->keys_fresh, &b->keys_fresh);
    same_fresh(&a->protector_fresh, &b->protector_fresh);
    same_fresh(&a->dbs_fresh, &b->dbs_fresh);
}

static void same_fog(const struct model_fog *a, const struct model_fog *b)
{
    S(name);
    S(id);
    S(subscription_id);
    S(resource_group);
    S(primary_location);
    S(secondary_location);
    S(primary_id);
    S(secondary_id);
    S(replication_state);
    S(failover_policy);
    N(grace_minutes);
    same_fresh(&a->fresh, &b->fresh);
}

static void same_pe(const struct model_pe *a, const struct model_pe *b)
{
    S(id);
    S(name);
    S(subscription_id);
    S(resource_group);
    S(location);
    S(target_id);
    S(status);
    same_fresh(&a->fresh, &b->fresh);
}

static void same_model(const struct model *a, const struct model *b)
{
    N(nsubs);
    for (size_t i = 0; i < a->nsubs; i++) {
        S(subs[i]->id);
        S(subs[i]->name);
        same_fresh(&a->subs[i]->fresh, &b->subs[i]->fresh);
    }
    N(nfogs);
    for (size_t i = 0; i < a->nfogs; i++)
        same_fog(a->fogs[i], b->fogs[i]);
    N(ninstances);
    for (size_t i = 0; i < a->ninstances; i++)
        same_instance(a->instances[i], b->instances[i]);
    N(nvaults);
    for (size_t i = 0; i < a->nvaults; i++)
        same_vault(a->vaults[i], b->vaults[i]);
    N(npes);
    for (size_t i = 0; i < a->npes; i++)
        same_pe(a->pes[i], b->pes[i]);
}

static bool is_empty(const struct model *m)
{
    return m->nsubs == 0 && m->nfogs == 0 && m->ninstances == 0 && m->nvaults == 0 &&
           m->npes == 0 && m->snapshot_at == 0;
}

/* -- fixture ---------------------------------------------------------------------------------- */

struct fixture {
    char *dir;
    char *path; /* dir/snapshot.json, holding the rich model */
    char *text; /* its contents */
    size_t len;
};

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->dir = support_tmpdir_make();
    if (f->dir == NULL)
        return -1;
    f->path = xasprintf("%s/snapshot.json", f->dir);
    struct model *m = rich_model();
    char *cause = NULL;
    enum core_err rc = snapshot_save(m, f->path, SAVED_AT, &cause);
    model_destroy(m);
    if (rc != CORE_OK) {
        free(cause);
        return -1;
    }
    f->text = slurp(f->path, &f->len);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    support_tmpdir_remove(f->dir);
    free(f->dir);
    free(f->path);
    free(f->text);
    free(f);
    return 0;
}

/* Parses text; expects err with want in the cause and the model left empty. */
static void assert_refused_text(const char *text, size_t len, enum core_err err, const char *want)
{
    struct model *m = model_create();
    char *cause = NULL;
    enum core_err rc = snapshot_parse(m, text, len, &cause);
    if (rc != err || cause == NULL || strstr(cause, want) == NULL)
        fail_msg("got %s \"%s\", expected %s with \"%s\"", core_err_name(rc),
                 cause ? cause : "(no cause)", core_err_name(err), want);
    assert_true(strncmp(cause, "snapshot: ", 10) == 0);
    assert_true(is_empty(m));
    free(cause);
    model_destroy(m);
}

/*
 * The saved file with one JSON edit: path is dotted ("vaults.0.keys.1.name");
 * replacement is JSON text, or NULL to delete the member.
 */
static char *edited(const char *text, const char *path, const char *replacement)
{
    cJSON *root = cJSON_Parse(text);
    cJSON *at = root;
    char *copy = xstrdup(path), *save = NULL;
    char *tok = strtok_r(copy, ".", &save), *next;
    for (; (next = strtok_r(NULL, ".", &save)) != NULL; tok = next) {
        at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, (int)strtol(tok, NULL, 10))
                               : cJSON_GetObjectItemCaseSensitive(at, tok);
        assert_non_null(at);
    }
    if (replacement == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(at, tok);
    } else {
        cJSON *value = cJSON_Parse(replacement);
        assert_non_null(value);
        if (cJSON_IsArray(at))
            cJSON_ReplaceItemInArray(at, (int)strtol(tok, NULL, 10), value);
        else if (cJSON_GetObjectItemCaseSensitive(at, tok))
            cJSON_ReplaceItemInObjectCaseSensitive(at, tok, value);
        else
            cJSON_AddItemToObject(at, tok, value);
    }
    char *out = cJSON_PrintUnformatted(root);
    char *result = xstrdup(out);
    cJSON_free(out);
    cJSON_Delete(root);
    free(copy);
    return result;
}

/* -- round trip ------------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct model *want = rich_model(), *got = model_create();
    char *cause = NULL;
    uint64_t generation = got->generation;
    assert_int_equal(snapshot_load(got, f->path, &cause), CORE_OK);
    assert_null(cause);
    same_model(want, got);
    assert_int_equal(got->snapshot_at, SAVED_AT);
    assert_true(got->generation > generation);

    /* The loaded model works as a model: lookups, adoption on top of it. */
    assert_non_null(model_instance(got, MI_ID(1)));
    assert_ptr_equal(model_fog_of(got, model_instance(got, MI_ID(0))), got->fogs[0]);
    const char *kid = model_vault(got, "kv-weu")->keys[1].versions[2].kid;
    assert_ptr_equal(model_version_by_uri(got, kid),
                     &model_vault(got, "kv-weu")->keys[1].versions[2]);
    assert_string_equal(model_vault(got, "kv-bare")->name, "kv-bare");
    assert_null(model_vault(got, "kv-bare")->keys);
    assert_int_equal(model_vault(got, "kv-bare")->nkeys, 0);
    struct model_vault again = {0};
    again.name = xstrdup("KV-WEU");
    model_put_vault(got, &again); /* replaces by name, keeps keys and rbac_before */
    assert_int_equal(got->nvaults, 3);
    assert_int_equal(model_vault(got, "kv-weu")->nkeys, 2);
    assert_int_equal(model_vault(got, "kv-weu")->rbac_before, 0);

    /* Loading into a model that is not empty is refused, and changes nothing. */
    assert_int_equal(snapshot_load(got, f->path, &cause), CORE_ERR_REFUSED);
    assert_non_null(strstr(cause, "not empty"));
    assert_int_equal(got->nvaults, 3);
    free(cause);
    cause = NULL;

    /* Saving what was loaded gives the same file again (save, load, save is stable). */
    struct model *reloaded = model_create();
    assert_int_equal(snapshot_load(reloaded, f->path, NULL), CORE_OK);
    char *second = xasprintf("%s/second.json", f->dir);
    assert_int_equal(snapshot_save(reloaded, second, SAVED_AT, &cause), CORE_OK);
    size_t len;
    char *text = slurp(second, &len);
    assert_int_equal(len, f->len);
    assert_memory_equal(text, f->text, len);
    free(text);
    free(second);
    model_destroy(reloaded);
    model_destroy(want);
    model_destroy(got);
}

static void test_empty_model(void **state)
{
    struct fixture *f = *state;
    struct model *m = model_create(), *got = model_create();
    char *path = xasprintf("%s/empty.json", f->dir), *cause = NULL;
    assert_int_equal(snapshot_save(m, path, 1, &cause), CORE_OK);
    assert_int_equal(snapshot_load(got, path, &cause), CORE_OK);
    assert_int_equal(got->snapshot_at, 1);
    assert_int_equal(got->nvaults, 0);
    free(path);
    model_destroy(m);
    model_destroy(got);
}

/* When this fails, a model struct changed: add the field to snapshot_codec.c's tables and to
 * this file's rich_model and same_* functions, then update the sizes here. */
static void test_model_layout(void **state)
{
    (void)state;
    if (sizeof(void *) != 8 || sizeof(int) != 4)
        skip();
    assert_int_equal(sizeof(struct fresh), 40);
    assert_int_equal(sizeof(struct model_version), 192);
    assert_int_equal(sizeof(struct model_rotation), 16);
    assert_int_equal(sizeof(struct model_key), 128);
    assert_int_equal(sizeof(struct model_policy), 32);
    assert_int_equal(sizeof(struct model_role), 32);
    assert_int_equal(sizeof(struct model_pec), 24);
    assert_int_equal(sizeof(struct model_vault), 352);
    assert_int_equal(sizeof(struct model_server_key), 48);
    assert_int_equal(sizeof(struct model_protector), 40);
    assert_int_equal(sizeof(struct model_database), 16);
    assert_int_equal(sizeof(struct model_uami), 24);
    assert_int_equal(sizeof(struct model_instance), 392);
    assert_int_equal(sizeof(struct model_fog), 128);
    assert_int_equal(sizeof(struct model_pe), 96);
    assert_int_equal(sizeof(struct model_subscription), 56);
    assert_int_equal(sizeof(struct model), 96);
}

/* -- the file --------------------------------------------------------------------------------- */

static void test_file_modes(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(support_tmpdir_count(f->dir), 1);
    assert_null(strstr(f->text, "secret"));
    assert_null(strstr(f->text, "Bearer"));

    /* A missing parent directory is created private. */
    struct model *m = rich_model();
    char *path = xasprintf("%s/state/snapshot.json", f->dir), *dir = xasprintf("%s/state", f->dir);
    mode_t old = umask(0);
    assert_int_equal(snapshot_save(m, path, SAVED_AT, NULL), CORE_OK);
    umask(old);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A parent that is a file: an I/O error, nothing left behind. */
    char *bad = xasprintf("%s/snapshot.json/x.json", f->dir), *cause = NULL;
    assert_int_equal(snapshot_save(m, bad, SAVED_AT, &cause), CORE_ERR_IO);
    assert_non_null(cause);
    free(cause);
    assert_int_equal(support_tmpdir_count(f->dir), 2);

    /* A relative path saves in the working directory. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(snapshot_save(m, "rel.json", SAVED_AT, NULL), CORE_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(support_tmpdir_count(dir), 2);
    free(bad);
    free(path);
    free(dir);
    model_destroy(m);
}

static void test_atomic_replace(void **state)
{
    struct fixture *f = *state;
    struct model *m = rich_model(), *got = model_create();
    char *cause = NULL;

    /* A second save replaces the first; only the one file remains. */
    model_set_databases(m, m->instances[0], NULL, 0, T0);
    assert_int_equal(snapshot_save(m, f->path, SAVED_AT + 1, &cause), CORE_OK);
    assert_int_equal(support_tmpdir_count(f->dir), 1);
    assert_int_equal(snapshot_load(got, f->path, &cause), CORE_OK);
    assert_int_equal(got->snapshot_at, SAVED_AT + 1);
    assert_int_equal(got->instances[0]->ndbs, 0);
    model_destroy(got);

    /* A save that fails keeps the old file whole and leaves no temporary file. */
    size_t before_len;
    char *before = slurp(f->path, &before_len);
    model_vault(m, "kv-weu")->keys[0].versions[0].exp = INT64_MAX;
    assert_int_equal(snapshot_save(m, f->path, SAVED_AT + 2, &cause), CORE_ERR_LIMIT);
    assert_non_null(strstr(cause, "\"exp\""));
    free(cause);
    cause = NULL;
    model_vault(m, "kv-weu")->keys[0].versions[0].exp = 0;
    model_vault(m, "kv-neu")->rbac_before = 5;
    assert_int_equal(snapshot_save(m, f->path, SAVED_AT + 2, &cause), CORE_ERR_LIMIT);
    assert_non_null(strstr(cause, "rbac_before"));
    free(cause);
    cause = NULL;
    model_vault(m, "kv-neu")->rbac_before = 1;
    assert_int_equal(snapshot_save(m, f->path, 0, &cause), CORE_ERR_REFUSED);
    free(cause);
    size_t after_len;
    char *after = slurp(f->path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    assert_int_equal(support_tmpdir_count(f->dir), 1);
    free(before);
    free(after);
    model_destroy(m);
}

static void test_default_path(void **state)
{
    (void)state;
    char *old = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;
    setenv("XDG_STATE_HOME", "/var/tmp/xdg-state", 1);
    char *path = snapshot_default_path();
    assert_string_equal(path, "/var/tmp/xdg-state/tdectl/snapshot.json");
    free(path);
    if (old)
        setenv("XDG_STATE_HOME", old, 1);
    else
        unsetenv("XDG_STATE_HOME");
    free(old);
}

/* -- damaged and hostile input ---------------------------------------------------------------- */

static void test_missing_and_odd_files(void **state)
{
    struct fixture *f = *state;
    struct model *m = model_create();
    char *cause = NULL, *path = xasprintf("%s/none.json", f->dir);
    assert_int_equal(snapshot_load(m, path, &cause), CORE_ERR_NOT_FOUND);
    assert_non_null(strstr(cause, path));
    free(cause);
    cause = NULL;
    assert_int_equal(snapshot_load(m, f->dir, &cause), CORE_ERR_IO); /* a directory */
    assert_non_null(strstr(cause, "not a regular file"));
    free(cause);
    cause = NULL;
    char *fifo = xasprintf("%s/fifo", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(snapshot_load(m, fifo, &cause), CORE_ERR_IO); /* and no hang */
    free(cause);
    cause = NULL;
    assert_int_equal(support_tmpdir_write(path, "", 0, 0600), 0);
    assert_int_equal(snapshot_load(m, path, &cause), CORE_ERR_PARSE);
    assert_non_null(strstr(cause, "empty"));
    free(cause);
    cause = NULL;

    /* 100 MB (sparse): refused before a byte is read. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100 * 1024 * 1024), 0);
    close(fd);
    assert_int_equal(snapshot_load(m, path, &cause), CORE_ERR_LIMIT);
    assert_non_null(strstr(cause, "larger than"));
    free(cause);
    assert_true(is_empty(m));
    assert_int_equal(snapshot_parse(m, NULL, 0, NULL), CORE_ERR_PARSE);
    free(fifo);
    free(path);
    model_destroy(m);
}

static void test_truncated(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/cut.json", f->dir);
    int tried = 0;
    for (size_t cut = 0; cut < f->len - 1; cut += 97) {
        struct model *m = model_create();
        char *cause = NULL;
        assert_int_equal(support_tmpdir_write(path, f->text, cut, 0600), 0);
        enum core_err rc = snapshot_load(m, path, &cause);
        if (rc != CORE_ERR_PARSE || cause == NULL)
            fail_msg("cut at %zu: %s (%s)", cut, core_err_name(rc), cause ? cause : "-");
        assert_true(is_empty(m));
        free(cause);
        model_destroy(m);
        tried++;
    }
    assert_true(tried > 20);
    free(path);
}

static void test_wrong_content(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *path, *replacement, *want;
    } cases[] = {
        {"version", "2", "snapshot format version 2; this tdectl reads version 1"},
        {"version", "\"1\"", "no snapshot format version"},
        {"format", "\"tdectl-journal\"", "not a tdectl snapshot"},
        {"format", NULL, "not a tdectl snapshot"},
        {"saved_at", "0", "saved_at: 0 is not an integer in 1.."},
        {"saved_at", "\"today\"", "saved_at: expected an integer, got a string"},
        {"saved_at", NULL, "saved_at: missing"},
        {"vaults.2.keys.0.versions.0.exp", "\"soon\"",
         "vaults[2].keys[0].versions[0].exp: expected an integer, got a string"},
        {"vaults.2.keys.0.versions.0.exp", "1.5", "versions[0].exp: 1.5 is not an integer"},
        {"vaults.2.keys.0.versions.0.exp", "1e300", "exp: 1e+300 is not an integer"},
        {"vaults.2.keys.0.versions.0.exp", "-1e16", "is not an integer"},
        {"instances.1.protector", "[]", "instances[1].protector: expected an object, got an array"},
        {"instances.0.past_protectors.1", "null",
         "instances[0].past_protectors[1]: expected a string, got null"},
        {"instances.0.past_protectors", "\"x\"",
         "past_protectors: expected an array, got a string"},
        {"vaults.1.rbac_before", "2", "vaults[1].rbac_before: 2 is not an integer in -1..1"},
        {"vaults.2.arm_fresh.err", "99", "vaults[2].arm_fresh.err: 99 is not an integer in 0.."},
        {"vaults.2.keys.1.versions.2.fingerprint", "\"ABC\"",
         "vaults[2].keys[1].versions[2].fingerprint: expected \"\" or a fingerprint"},
        {"vaults.2.keys.1.versions.2.fingerprint",
         "\"00000000000000000000000000000000000000000000000000000000000000000\"",
         "fingerprint: expected"},
        {"vaults.2.keys.1.versions.2.fingerprint", "null", "fingerprint: expected"},
        {"vaults.2.keys.0.name", "null", "vaults[2].keys[0].name: expected a string, got null"},
        {"vaults.2.keys.0.versions", "[1]",
         "vaults[2].keys[0].versions[0]: expected an object, got a number"},
        {"vaults.2.soft_delete", "\"true\"", "vaults[2].soft_delete: expected true or false"},
        {"vaults.2.policies.0.key_perms", "-1", "key_perms: -1 is not an integer in 0..4294967295"},
        {"vaults.2.retention_days", "3000000000", "retention_days: 3e+09 is not an integer"},
        {"instances.0.uamis.0.client_id", "true",
         "instances[0].uamis[0].client_id: expected a string or null, got a boolean"},
        {"subs.0.bogus", "1", "subs[0]: unknown field \"bogus\""},
        {"bogus", "{}", "(top level): unknown field \"bogus\""},
        {"fogs.0.grace_minutes", NULL, "fogs[0].grace_minutes: missing"},
        {"pes", "{}", "pes: expected an array, got an object"},
        {"pes.1", "\"pe\"", "pes[1]: expected an object, got a string"},
        {"instances.1.id", "\"" MI_ID(0) "\"", "instance \"/subscriptions/1111"},
        {"vaults.1.name", "\"KV-WEU\"", "(top level): vault name \""},
        {"vaults.2.keys.1.name", "\"A-KEY\"", "vaults[2].keys: key \""},
        {"subs.1.id", "\"11111110-2222-3333-4444-555555555555\"", "subscription \"1111111"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *text = edited(f->text, cases[i].path, cases[i].replacement);
        assert_refused_text(text, strlen(text), CORE_ERR_PARSE, cases[i].want);
        free(text);
    }

    /* A member given twice (cJSON keeps both). */
    const char *at = strstr(f->text, "\"managed\":");
    assert_non_null(at);
    char *text = xasprintf("%.*s\"managed\":true,%s", (int)(at - f->text), f->text, at);
    assert_refused_text(text, strlen(text), CORE_ERR_PARSE, "field \"managed\" given twice");
    free(text);

    /* Not a JSON object, or more after it. */
    assert_refused_text("[]", 2, CORE_ERR_PARSE, "(top level): expected an object, got an array");
    assert_refused_text("{}", 2, CORE_ERR_PARSE, "not a tdectl snapshot");
    assert_refused_text("nul", 3, CORE_ERR_PARSE, "not valid JSON");
    text = xasprintf("%s{}", f->text);
    assert_refused_text(text, strlen(text), CORE_ERR_PARSE, "text after the JSON");
    free(text);
    text = xasprintf("%s \n", f->text); /* trailing white space is fine */
    struct model *m = model_create();
    assert_int_equal(snapshot_parse(m, text, strlen(text), NULL), CORE_OK);
    model_destroy(m);
    free(text);
}

static void test_sorts_on_load(void **state)
{
    struct fixture *f = *state;
    /* Keys out of order and versions newest first: the model's orders come back. */
    cJSON *root = cJSON_Parse(f->text);
    cJSON *vault = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "vaults"), 0);
    cJSON *keys = cJSON_GetObjectItem(vault, "keys");
    cJSON *first = cJSON_DetachItemFromArray(keys, 0);
    cJSON_AddItemToArray(keys, first);
    cJSON *versions = cJSON_GetObjectItem(cJSON_GetArrayItem(keys, 0), "versions");
    cJSON_AddItemToArray(versions, cJSON_DetachItemFromArray(versions, 0));
    cJSON_AddItemToArray(versions, cJSON_DetachItemFromArray(versions, 0));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    struct model *m = model_create(), *want = rich_model();
    assert_int_equal(snapshot_parse(m, text, strlen(text), NULL), CORE_OK);
    same_model(want, m);
    cJSON_free(text);
    model_destroy(m);
    model_destroy(want);
}

static void test_limits(void **state)
{
    (void)state;
    /* More values than any snapshot has: refused before cJSON allocates them. */
    size_t n = (size_t)SNAPSHOT_MAX_VALUES + 2, len = 2 * n + 1;
    char *text = xmalloc(len + 1);
    text[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy(text + 1 + 2 * i, "0,", 2);
    text[len - 1] = ']';
    text[len] = '\0';
    assert_refused_text(text, len, CORE_ERR_LIMIT, "more than 4194304 values");
    free(text);

    /* Commas inside strings are not values. */
    char *commas = xmalloc(SNAPSHOT_MAX_VALUES + 64);
    int k = snprintf(commas, 64, "{\"format\":\"");
    memset(commas + k, ',', SNAPSHOT_MAX_VALUES + 1);
    memcpy(commas + k + SNAPSHOT_MAX_VALUES + 1, "\"}", 3);
    assert_refused_text(commas, strlen(commas), CORE_ERR_PARSE, "not a tdectl snapshot");
    free(commas);

    /* Too many elements in one array. */
    const char *head = "{\"format\":\"tdectl-snapshot\",\"version\":1,\"saved_at\":1,\"subs\":[";
    size_t items = SNAPSHOT_MAX_ITEMS + 1;
    text = xmalloc(strlen(head) + 3 * items + 64);
    size_t at = (size_t)snprintf(text, 128, "%s", head);
    for (size_t i = 0; i < items; i++, at += 3)
        memcpy(text + at, i ? ",{}" : "{} ", 3);
    snprintf(text + at, 64, "],\"fogs\":[],\"instances\":[],\"vaults\":[],\"pes\":[]}");
    assert_refused_text(text, strlen(text), CORE_ERR_LIMIT, "subs: more than 100000 elements");
    free(text);

    /* Nesting deeper than a snapshot. */
    char deep[64];
    memset(deep, '[', 20);
    memset(deep + 20, ']', 20);
    assert_refused_text(deep, 40, CORE_ERR_PARSE, "nested deeper");
}

/* Byte flips and random bytes: each load either works or is refused; never a crash or a leak. */
static void test_fuzzish(void **state)
{
    struct fixture *f = *state;
    char *text = xmalloc(f->len + 1);
    int refused = 0;
    for (size_t i = 0; i < f->len; i += 53) {
        memcpy(text, f->text, f->len);
        text[i] = (char)(text[i] ^ (1 + i % 127));
        struct model *m = model_create();
        char *cause = NULL;
        enum core_err rc = snapshot_parse(m, text, f->len, &cause);
        if (rc != CORE_OK) {
            assert_non_null(cause);
            assert_true(is_empty(m));
            refused++;
        }
        free(cause);
        model_destroy(m);
    }
    assert_true(refused > 0);
    unsigned x = 12345;
    for (int round = 0; round < 64; round++) {
        for (size_t i = 0; i < 512; i++) {
            x = x * 1103515245u + 12345u;
            text[i] = (char)(x >> 16);
        }
        struct model *m = model_create();
        assert_int_not_equal(snapshot_parse(m, text, 512, NULL), CORE_OK);
        model_destroy(m);
    }
    free(text);
}

/* A damaged snapshot is moved aside (never replaced, never overwriting an earlier copy). */
static void test_set_aside(void **state)
{
    struct fixture *f = *state;
    char *aside = NULL, *aside2 = NULL, *cause = NULL;
    assert_int_equal(support_tmpdir_write(f->path, "{\"format\": torn", 16, 0600), 0);
    /* 2026-11-30T00:00:00Z */
    assert_int_equal(snapshot_set_aside(f->path, 1795996800, &aside, &cause), 0);
    assert_null(cause);
    char *want = xasprintf("%s.corrupt-20261130T000000Z", f->path);
    assert_string_equal(aside, want);
    assert_int_equal(access(f->path, F_OK), -1);
    size_t len = 0;
    char *kept = slurp(aside, &len);
    assert_string_equal(kept, "{\"format\": torn");
    free(kept);
    /* The same second again: a second name, the first copy kept. */
    assert_int_equal(support_tmpdir_write(f->path, "x", 1, 0600), 0);
    assert_int_equal(snapshot_set_aside(f->path, 1795996800, &aside2, NULL), 0);
    free(aside);
    char *want2 = xasprintf("%s.corrupt-20261130T000000Z-2", f->path);
    assert_string_equal(aside2, want2);
    assert_int_equal(support_tmpdir_count(f->dir), 2);
    /* Nothing to move: -1 and a cause naming the file. */
    assert_int_equal(snapshot_set_aside(f->path, 1795996800, &aside, &cause), -1);
    assert_null(aside);
    assert_non_null(strstr(cause, f->path));
    free(cause);
    free(want);
    free(want2);
    free(aside2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_layout),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_aside, setup, teardown),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test_setup_teardown(test_missing_and_odd_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sorts_on_load, setup, teardown),
        cmocka_unit_test(test_limits),
        cmocka_unit_test_setup_teardown(test_fuzzish, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
