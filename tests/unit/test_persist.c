/*
 * Unit tests for sim/persist: missing files and unsafe folders first, then
 * atomic 0600 writes, then the world written in scenario format and loaded
 * back (scenario_load_text) unchanged, shared key material included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "instance.h"
#include "key.h"
#include "persist.h"
#include "policy.h"
#include "rsakey.h"
#include "scenario.h"
#include "secret.h"
#include "support.h"
#include "tags.h"
#include "vault.h"
#include "world.h"

#define TENANT "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
#define SUB    "558aba93-77f9-4064-aa55-4db325ca1cbf"

static char *pem1, *pem2;
static char tmpdir[64];

/* Removes every entry of a folder (one level; the tests make no deeper trees). */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(path, 0700);
            empty_dir(path);
            rmdir(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
}

static int group_setup(void **state)
{
    (void)state;
    umask(022);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/azsim-test-persist-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    pem1 = support_rsa_pem();
    pem2 = support_rsa_pem();
    return pem1 && pem2 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    empty_dir(tmpdir);
    rmdir(tmpdir);
    free(pem1);
    free(pem2);
    return 0;
}

/* Each test starts from an empty temporary folder. */
static int clean(void **state)
{
    (void)state;
    empty_dir(tmpdir);
    return 0;
}

static char *path_in(const char *name)
{
    size_t n = strlen(tmpdir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", tmpdir, name);
    return p;
}

/* The names in a folder, sorted, joined with spaces. */
static void list_dir(const char *dir, char *out, size_t size)
{
    char names[16][128];
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 16) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t len = strnlen(e->d_name, sizeof names[0] - 1);
        memcpy(names[n], e->d_name, len);
        names[n++][len] = '\0';
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char tmp[128];
            memcpy(tmp, names[j], sizeof tmp);
            memcpy(names[j], names[j - 1], sizeof tmp);
            memcpy(names[j - 1], tmp, sizeof tmp);
        }
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", names[i]);
    }
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_read_missing(void **state)
{
    (void)state;
    char *cause = NULL;
    size_t len = 77;
    bool missing = false;

    assert_null(persist_read(tmpdir, "state.json", &len, &missing, &cause));
    assert_true(missing);
    assert_non_null(cause);
    free(cause);
    cause = NULL;

    /* A folder where a file should be is not "missing". */
    char *sub = path_in("state.json");
    assert_int_equal(mkdir(sub, 0700), 0);
    missing = true;
    assert_null(persist_read(tmpdir, "state.json", &len, &missing, &cause));
    assert_false(missing);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    rmdir(sub);
    free(sub);

    /* Present, empty and not. */
    char *p = path_in("master.key");
    write_file(p, "", 0600);
    char *text = persist_read(tmpdir, "master.key", &len, &missing, &cause);
    assert_non_null(text);
    assert_false(missing);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    write_file(p, "hello\n", 0600);
    text = persist_read(tmpdir, "master.key", &len, &missing, &cause);
    assert_non_null(text);
    assert_int_equal(len, 6);
    assert_string_equal(text, "hello\n");
    assert_null(cause);
    free(text);
    free(p);
}

static void test_prepare_dir(void **state)
{
    (void)state;
    char *cause = NULL;
    struct stat st;
    char *dir = path_in("state");

    /* Created 0700 when absent; fine again when present. */
    assert_int_equal(persist_prepare_dir(dir, &cause), 0);
    assert_null(cause);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(persist_prepare_dir(dir, &cause), 0);

    /* Refused when others can read or enter it. */
    static const mode_t unsafe[] = {0755, 0750, 0705, 0701, 0710, 0777};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
        assert_int_equal(chmod(dir, unsafe[i]), 0);
        if (persist_prepare_dir(dir, &cause) != -1)
            fail_msg("a %03o folder was accepted", (unsigned)unsafe[i]);
        assert_non_null(cause);
        if (strstr(cause, "chmod 700") == NULL)
            fail_msg("cause \"%s\" does not say how to fix it", cause);
        free(cause);
        cause = NULL;
    }
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(persist_prepare_dir(dir, &cause), 0);
    free(dir);

    /* Not a folder; a parent that does not exist. */
    char *file = path_in("plain");
    write_file(file, "x", 0600);
    assert_int_equal(persist_prepare_dir(file, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    free(file);
    char *deep = path_in("no/such/folder");
    assert_int_equal(persist_prepare_dir(deep, &cause), -1);
    assert_non_null(cause);
    free(cause);
    free(deep);
}

static void test_write_atomic(void **state)
{
    (void)state;
    char *cause = NULL, listing[512];
    struct stat st, before;
    char *final = path_in("state.json");

    assert_int_equal(persist_write(tmpdir, "state.json", "first", 5, &cause), 0);
    assert_null(cause);
    assert_int_equal(stat(final, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 5);
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "state.json");

    /* A replacement is a new file renamed over the old one, never the old one rewritten. */
    char *keep = path_in("keep");
    assert_int_equal(link(final, keep), 0);
    before = st;
    assert_int_equal(persist_write(tmpdir, "state.json", "second, longer", 14, &cause), 0);
    assert_int_equal(stat(final, &st), 0);
    assert_true(st.st_ino != before.st_ino);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t len;
    bool missing;
    char *text = persist_read(tmpdir, "keep", &len, &missing, &cause);
    assert_string_equal(text, "first");
    free(text);
    text = persist_read(tmpdir, "state.json", &len, &missing, &cause);
    assert_string_equal(text, "second, longer");
    free(text);
    unlink(keep);
    free(keep);
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "state.json");

    /* Empty data, binary data with NULs. */
    assert_int_equal(persist_write(tmpdir, "master.key", "", 0, &cause), 0);
    char *mk = path_in("master.key");
    assert_int_equal(stat(mk, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    unsigned char bin[32];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i % 3 ? 0 : i);
    assert_int_equal(persist_write(tmpdir, "master.key", bin, sizeof bin, &cause), 0);
    text = persist_read(tmpdir, "master.key", &len, &missing, &cause);
    assert_int_equal(len, sizeof bin);
    assert_memory_equal(text, bin, sizeof bin);
    free(text);
    free(mk);
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "master.key state.json");
    free(final);
}

static void test_write_fails_cleanly(void **state)
{
    (void)state;
    char *cause = NULL, listing[512];
    char *missing_dir = path_in("absent");

    assert_int_equal(persist_write(missing_dir, "state.json", "x", 1, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    free(missing_dir);

    /* The target is a folder: rename fails, the temporary file is gone. */
    char *sub = path_in("state.json");
    assert_int_equal(mkdir(sub, 0700), 0);
    char *inner = path_in("state.json/x");
    write_file(inner, "x", 0600);
    assert_int_equal(persist_write(tmpdir, "state.json", "x", 1, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "state.json");
    unlink(inner);
    rmdir(sub);
    free(inner);
    free(sub);
}

static void test_write_stale_temp(void **state)
{
    (void)state;
    char *cause = NULL, listing[512];
    struct stat st;

    /* A temporary file left by someone else, readable by all, must not lend its mode. */
    char *tmp = path_in(".state.json.tmp");
    write_file(tmp, "stale stale stale", 0644);
    free(tmp);
    assert_int_equal(persist_write(tmpdir, "state.json", "fresh", 5, &cause), 0);
    char *final = path_in("state.json");
    int rc = stat(final, &st);
    free(final);
    assert_int_equal(rc, 0);
    assert_int_equal(st.st_size, 5);
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "state.json");
    if ((st.st_mode & 0777) != 0600)
        fail_msg("state.json is %03o after replacing a stale 0644 temporary file",
                 (unsigned)(st.st_mode & 0777));
}

static const char base_text[] =
    "{"
    " \"name\": \"unit\","
    " \"settings\": {\"soft_delete_transition_ms\": 25, \"token_lifetime_seconds\": 900,"
    "               \"backup_max_versions\": 7},"
    " \"regions\": [{\"name\": \"eastus2\", \"geography\": \"United States\"},"
    "               {\"name\": \"westeurope\", \"geography\": \"Europe\"}],"
    " \"tenants\": [{\"id\": \"" TENANT "\", \"name\": \"contoso\"}],"
    " \"subscriptions\": [{\"id\": \"" SUB "\", \"name\": \"sub1\"}],"
    " \"principals\": ["
    "  {\"name\": \"operator\", \"kind\": \"app\", \"client_id\": "
    "   \"7d248692-5828-4a0d-ae0c-8333f4a54257\", \"object_id\": "
    "   \"a0fe1e45-cffb-4be8-8b04-7557671c0962\", \"secret\": \"s3cret\"},"
    "  {\"name\": \"mi\", \"kind\": \"managed_identity\", \"client_id\": "
    "   \"920a9567-25b0-4683-8a53-4663d01c33f1\", \"object_id\": "
    "   \"756a35a4-1b5e-495e-93af-6fc9eefb32d0\", \"imds_default\": true,"
    "   \"resource_id\": \"/subscriptions/" SUB "/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/mi\"}],"
    " \"vaults\": ["
    "  {\"name\": \"kv-one\", \"subscription\": \"sub1\", \"resource_group\": \"rg1\","
    "   \"region\": \"eastus2\", \"sku\": \"premium\", \"retention_days\": 30,"
    "   \"purge_protection\": true, \"tags\": {\"Owner\": \"dba\", \"tier\": \"\"},"
    "   \"network_acls\": {\"default_action\": \"Deny\", \"bypass\": \"None\","
    "                     \"ip_rules\": [\"10.0.0.0/8\", \"::1\"]},"
    "   \"access_policies\": ["
    "    {\"principal\": \"operator\", \"keys\": [\"get\", \"list\", \"wrapKey\", \"unwrapKey\","
    "     \"getrotationpolicy\"]},"
    "    {\"object_id\": \"f78ab195-5c4b-4638-909c-9fba4bd80287\", \"application_id\": "
    "     \"62a50920-39f7-44ce-af52-b5ad5ff7b541\", \"keys\": [\"all\"]}],"
    "   \"keys\": ["
    "    {\"name\": \"k1\","
    "     \"rotation_policy\": {\"lifetimeActions\": ["
    "       {\"trigger\": {\"timeAfterCreate\": \"P90D\"}, \"action\": {\"type\": \"Rotate\"}},"
    "       {\"trigger\": {\"timeBeforeExpiry\": \"P30D\"}, \"action\": {\"type\": \"Notify\"}}],"
    "       \"attributes\": {\"expiryTime\": \"P2Y\", \"created\": 1700000100,"
    "                        \"updated\": 1700000200}},"
    "     \"versions\": ["
    "      {\"version\": \"0123456789abcdef0123456789abcdef\", \"material\": \"m1\","
    "       \"kty\": \"RSA-HSM\", \"created\": \"now-10d\", \"nbf\": \"now-10d\","
    "       \"exp\": \"now+100d\", \"updated\": \"now-5d\", \"key_ops\": [\"wrapKey\", "
    "       \"unwrapKey\"], \"tags\": {\"purpose\": \"tde\", \"fog\": \"fog-sql-prod\"}},"
    "      {\"version\": \"fedcba9876543210fedcba9876543210\", \"material\": \"m2\","
    "       \"created\": \"now-1d\", \"enabled\": false}]},"
    "    {\"name\": \"Gone\", \"deleted\": {\"date\": \"now-2d\", \"scheduled_purge\": "
    "\"now+28d\"},"
    "     \"managed\": true, \"versions\": [{\"material\": \"m2\", \"created\": 1700000000}]}]},"
    "  {\"name\": \"kv-two\", \"subscription\": \"" SUB "\", \"resource_group\": \"rg2\","
    "   \"region\": \"westeurope\", \"rbac\": true, \"soft_delete\": false,"
    "   \"public_network_access\": \"Disabled\","
    "   \"role_assignments\": [{\"principal\": \"mi\","
    "     \"role\": \"Key Vault Crypto Service Encryption User\", \"key\": \"k1\"},"
    "     {\"object_id\": \"f78ab195-5c4b-4638-909c-9fba4bd80287\", \"role\": \"Key Vault "
    "Reader\"}],"
    "   \"keys\": [{\"name\": \"k1\","
    "     \"versions\": [{\"version\": \"0123456789abcdef0123456789abcdef\", \"material\": \"m1\","
    "       \"kty\": \"RSA\", \"created\": \"now-10d\"}]}]}],"
    " \"instances\": [{\"name\": \"mi-one\", \"subscription\": \"sub1\","
    "   \"resource_group\": \"rg1\", \"region\": \"eastus2\", \"identity\": {\"principal\": "
    "\"mi\"},"
    "   \"tags\": {\"tdectl-lock\": \"op-1;2026-01-01T00:00:00Z\"}},"
    "  {\"name\": \"mi-two\", \"subscription\": \"sub1\", \"resource_group\": \"rg1\","
    "   \"region\": \"westeurope\", \"identity\": {\"principal\": \"mi\"}}]"
    "}";

static struct world *load_base(void)
{
    cJSON *top = cJSON_Parse(base_text);
    if (top == NULL)
        fail_msg("the base scenario does not parse near: %.40s", cJSON_GetErrorPtr());
    cJSON *materials = cJSON_AddArrayToObject(top, "materials");
    cJSON *m1 = cJSON_CreateObject(), *m2 = cJSON_CreateObject();
    cJSON_AddStringToObject(m1, "id", "m1");
    cJSON_AddStringToObject(m1, "pem", pem1);
    cJSON_AddStringToObject(m2, "id", "m2");
    cJSON_AddStringToObject(m2, "pem", pem2);
    cJSON_AddItemToArray(materials, m1);
    cJSON_AddItemToArray(materials, m2);
    char *text = cJSON_PrintUnformatted(top);
    cJSON_Delete(top);
    char *cause = NULL;
    struct world *w = scenario_load_text(text, strlen(text), NULL, &cause);
    free(text);
    if (w == NULL)
        fail_msg("the base scenario did not load: %s", cause);
    return w;
}

static struct world *reload(const cJSON *json)
{
    char *text = cJSON_Print(json);
    char *cause = NULL;
    struct world *w = scenario_load_text(text, strlen(text), NULL, &cause);
    free(text);
    if (w == NULL)
        fail_msg("the persisted world did not load back: %s", cause);
    return w;
}

static void same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void same_version(const struct key_version *a, const struct key_version *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(rsakey_n(a->material), rsakey_n(b->material));
    assert_string_equal(rsakey_e(a->material), rsakey_e(b->material));
    assert_int_equal(a->hsm, b->hsm);
    assert_int_equal(a->ops, b->ops);
    assert_int_equal(a->enabled, b->enabled);
    assert_int_equal(a->nbf, b->nbf);
    assert_int_equal(a->exp, b->exp);
    assert_int_equal(a->created, b->created);
    assert_int_equal(a->updated, b->updated);
    assert_int_equal(a->tags.n, b->tags.n);
    for (size_t i = 0; i < a->tags.n; i++) {
        assert_string_equal(a->tags.v[i].name, b->tags.v[i].name);
        assert_string_equal(a->tags.v[i].value, b->tags.v[i].value);
    }
}

static void same_policy(const struct rotation_policy *a, const struct rotation_policy *b)
{
    assert_int_equal(a->set, b->set);
    assert_int_equal(a->nactions, b->nactions);
    for (int i = 0; i < a->nactions; i++) {
        assert_int_equal(a->actions[i].rotate, b->actions[i].rotate);
        assert_int_equal(a->actions[i].after_create, b->actions[i].after_create);
        assert_string_equal(a->actions[i].duration, b->actions[i].duration);
        assert_int_equal(a->actions[i].seconds, b->actions[i].seconds);
    }
    assert_string_equal(a->expiry, b->expiry);
    assert_int_equal(a->expiry_seconds, b->expiry_seconds);
    if (a->set) {
        assert_int_equal(a->created, b->created);
        assert_int_equal(a->updated, b->updated);
    }
}

static void same_key(const struct key *a, const struct key *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->managed, b->managed);
    assert_int_equal(a->deleted, b->deleted);
    if (a->deleted) {
        assert_int_equal(a->deleted_date, b->deleted_date);
        assert_int_equal(a->scheduled_purge, b->scheduled_purge);
    }
    same_policy(&a->policy, &b->policy);
    assert_int_equal(a->nversions, b->nversions);
    for (size_t i = 0; i < a->nversions; i++)
        same_version(a->versions[i], b->versions[i]);
}

static void same_tags(const struct tags *a, const struct tags *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->v[i].name, b->v[i].name);
        assert_string_equal(a->v[i].value, b->v[i].value);
    }
}

static void same_vault(const struct vault *a, const struct vault *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->subscription_id, b->subscription_id);
    assert_string_equal(a->resource_group, b->resource_group);
    assert_string_equal(a->region, b->region);
    assert_string_equal(a->tenant_id, b->tenant_id);
    assert_string_equal(a->sku, b->sku);
    assert_int_equal(a->soft_delete, b->soft_delete);
    assert_int_equal(a->retention_days, b->retention_days);
    assert_int_equal(a->purge_protection, b->purge_protection);
    assert_int_equal(a->rbac, b->rbac);
    assert_int_equal(a->public_access, b->public_access);
    assert_int_equal(a->acl_deny, b->acl_deny);
    assert_int_equal(a->acl_bypass_azure, b->acl_bypass_azure);
    assert_int_equal(a->nip_rules, b->nip_rules);
    for (size_t i = 0; i < a->nip_rules; i++) {
        assert_string_equal(a->ip_rules[i].text, b->ip_rules[i].text);
        assert_int_equal(a->ip_rules[i].prefix, b->ip_rules[i].prefix);
    }
    assert_int_equal(a->npolicies, b->npolicies);
    for (size_t i = 0; i < a->npolicies; i++) {
        same_str(a->policies[i].tenant_id, b->policies[i].tenant_id);
        same_str(a->policies[i].object_id, b->policies[i].object_id);
        same_str(a->policies[i].application_id, b->policies[i].application_id);
        assert_int_equal(a->policies[i].keys, b->policies[i].keys);
    }
    assert_int_equal(a->nroles, b->nroles);
    for (size_t i = 0; i < a->nroles; i++) {
        same_str(a->roles[i].id, b->roles[i].id);
        same_str(a->roles[i].principal_id, b->roles[i].principal_id);
        same_str(a->roles[i].role, b->roles[i].role);
        same_str(a->roles[i].key_scope, b->roles[i].key_scope);
    }
    assert_int_equal(a->nkeys, b->nkeys);
    for (size_t i = 0; i < a->nkeys; i++)
        same_key(a->keys[i], b->keys[i]);
    same_tags(&a->tags, &b->tags);
}

static void same_world(const struct world *a, const struct world *b)
{
    same_str(a->name, b->name);
    assert_int_equal(a->settings.transition_ms, b->settings.transition_ms);
    assert_int_equal(a->settings.token_lifetime, b->settings.token_lifetime);
    assert_int_equal(a->settings.backup_max_versions, b->settings.backup_max_versions);
    assert_int_equal(a->nregions, b->nregions);
    for (size_t i = 0; i < a->nregions; i++) {
        assert_string_equal(a->regions[i].name, b->regions[i].name);
        assert_string_equal(a->regions[i].geography, b->regions[i].geography);
    }
    assert_int_equal(a->ntenants, b->ntenants);
    for (size_t i = 0; i < a->ntenants; i++) {
        assert_string_equal(a->tenants[i].id, b->tenants[i].id);
        assert_string_equal(a->tenants[i].name, b->tenants[i].name);
    }
    assert_int_equal(a->nsubscriptions, b->nsubscriptions);
    for (size_t i = 0; i < a->nsubscriptions; i++) {
        assert_string_equal(a->subscriptions[i].id, b->subscriptions[i].id);
        assert_string_equal(a->subscriptions[i].name, b->subscriptions[i].name);
        assert_string_equal(a->subscriptions[i].tenant_id, b->subscriptions[i].tenant_id);
    }
    assert_int_equal(a->nprincipals, b->nprincipals);
    for (size_t i = 0; i < a->nprincipals; i++) {
        const struct principal *p = &a->principals[i], *q = &b->principals[i];
        assert_string_equal(p->name, q->name);
        assert_int_equal(p->kind, q->kind);
        same_str(p->tenant_id, q->tenant_id);
        same_str(p->client_id, q->client_id);
        same_str(p->object_id, q->object_id);
        same_str(p->secret, q->secret);
        same_str(p->cert_pem, q->cert_pem);
        same_str(p->resource_id, q->resource_id);
        assert_int_equal(p->imds_default, q->imds_default);
    }
    assert_int_equal(a->nvaults, b->nvaults);
    for (size_t i = 0; i < a->nvaults; i++)
        same_vault(a->vaults[i], b->vaults[i]);
    assert_int_equal(a->ninstances, b->ninstances);
    for (size_t i = 0; i < a->ninstances; i++) {
        assert_string_equal(a->instances[i]->name, b->instances[i]->name);
        same_tags(&a->instances[i]->tags, &b->instances[i]->tags);
    }
}

static void test_world_round_trip(void **state)
{
    (void)state;
    struct world *w1 = load_base();
    cJSON *json1 = persist_world_json(w1);

    /* Three versions over two materials: two material entries, each a PKCS#8 PEM. */
    const cJSON *materials = cJSON_GetObjectItemCaseSensitive(json1, "materials");
    assert_int_equal(cJSON_GetArraySize(materials), 2);
    const cJSON *m;
    cJSON_ArrayForEach(m, materials)
    {
        const cJSON *pem = cJSON_GetObjectItemCaseSensitive(m, "pem");
        assert_true(cJSON_IsString(pem));
        assert_non_null(strstr(pem->valuestring, "-----BEGIN PRIVATE KEY-----"));
    }

    struct world *w2 = reload(json1);
    same_world(w1, w2);

    /* Shared material is still one material. */
    struct vault *one = world_vault(w2, "kv-one"), *two = world_vault(w2, "kv-two");
    struct key *k1 = vault_find_key(one, "k1"), *gone = vault_find_key(one, "gone");
    struct key *k1b = vault_find_key(two, "k1");
    assert_ptr_equal(k1->versions[0]->material, k1b->versions[0]->material);
    assert_ptr_equal(k1->versions[1]->material, gone->versions[0]->material);
    assert_ptr_not_equal(k1->versions[0]->material, k1->versions[1]->material);

    /* Resource tags: the vault's and the instance's (none is no "tags" member). */
    assert_int_equal(one->tags.n, 2);
    assert_string_equal(tags_find(&one->tags, "owner")->value, "dba");
    assert_int_equal(two->tags.n, 0);
    struct instance *mi1 = world_instance(w2, "mi-one"), *mi2 = world_instance(w2, "mi-two");
    assert_string_equal(tags_find(&mi1->tags, "tdectl-lock")->value, "op-1;2026-01-01T00:00:00Z");
    assert_int_equal(mi2->tags.n, 0);
    const cJSON *mis = cJSON_GetObjectItemCaseSensitive(json1, "instances");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(mis, 0), "tags"));
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(mis, 1), "tags"));

    /* And a second generation is the same text as the first, but for the clock, which runs
     * on while the test does: a second may tick between the two (at most one). */
    cJSON *json2 = persist_world_json(w2);
    const cJSON *c1 =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(json1, "clock"), "now");
    const cJSON *c2 =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(json2, "clock"), "now");
    assert_true(cJSON_IsNumber(c1) && cJSON_IsNumber(c2));
    assert_true(c2->valuedouble - c1->valuedouble >= 0 && c2->valuedouble - c1->valuedouble <= 1);
    cJSON_SetNumberValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(json2, "clock"), "now"),
        c1->valuedouble);
    if (!cJSON_Compare(json1, json2, 1)) {
        char *a = cJSON_Print(json1), *b = cJSON_Print(json2);
        fail_msg("state differs after a reload:\n%s\n---\n%s", a, b);
    }
    secret_json_delete(json2);
    secret_json_delete(json1);
    secret_json_delete(NULL);
    world_destroy(w2);
    world_destroy(w1);
}

static void test_save_world(void **state)
{
    (void)state;
    char *cause = NULL, listing[512];
    struct stat st;
    struct world *w1 = load_base();

    assert_int_equal(persist_save_world(tmpdir, w1, &cause), 0);
    assert_null(cause);
    char *path = path_in("state.json");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    list_dir(tmpdir, listing, sizeof listing);
    assert_string_equal(listing, "state.json");

    struct world *w2 = scenario_load_file(path, &cause);
    if (w2 == NULL)
        fail_msg("state.json did not load: %s", cause);
    same_world(w1, w2);
    world_destroy(w2);
    world_destroy(w1);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_read_missing, clean),
        cmocka_unit_test_setup(test_prepare_dir, clean),
        cmocka_unit_test_setup(test_write_atomic, clean),
        cmocka_unit_test_setup(test_write_fails_cleanly, clean),
        cmocka_unit_test_setup(test_write_stale_temp, clean),
        cmocka_unit_test_setup(test_world_round_trip, clean),
        cmocka_unit_test_setup(test_save_world, clean),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
