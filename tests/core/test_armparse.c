/*
 * Unit tests for core/armparse (its Microsoft.Sql part, armparse.c) and
 * core/armid: ids and region names, degenerate bodies and wrong types for
 * every armparse function, the rules of the SQL parsers (names from ids,
 * canonical enums, the failover group's location-free key and roles), then
 * every official Microsoft.Sql example with the values tdectl needs checked
 * against the files. test_armparse_kv.c covers the rest of the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armid.h"
#include "armparse.h"
#include "azerr.h"
#include "support_azdata.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Cleans n elements with cleanup and frees the array. */
#define FREE_ITEMS(arr, n, cleanup)         \
    do {                                    \
        for (size_t i_ = 0; i_ < (n); i_++) \
            cleanup(&(arr)[i_]);            \
        free(arr);                          \
    } while (0)

#define SUB "00000000-1111-2222-3333-444444444444"
#define MI_PREFIX \
    "/subscriptions/" SUB "/resourceGroups/Default/providers/Microsoft.Sql/managedInstances/"
#define FOG_KEY(name)     \
    "/subscriptions/" SUB \
    "/resourceGroups/Default/providers/Microsoft.Sql/instanceFailoverGroups/" name

static void assert_str(char *got, const char *expect)
{
    if (expect == NULL)
        assert_null(got);
    else
        assert_string_equal(got, expect);
    free(got);
}

/* -- armid ------------------------------------------------------------------------------------ */

static void test_armid(void **state)
{
    (void)state;
    static const char id[] = "/subscriptions/S1/resourceGroups/Rg-1/providers/Microsoft.Sql/"
                             "locations/Japan East/instanceFailoverGroups/fg1";
    assert_str(armid_segment(id, "subscriptions"), "S1");
    assert_str(armid_segment(id, "RESOURCEGROUPS"), "Rg-1");
    assert_str(armid_segment(id, "locations"), "Japan East");
    assert_str(armid_segment(id, "instanceFailoverGroups"), "fg1");
    assert_str(armid_segment(id, "vaults"), NULL);
    assert_str(armid_segment(id, "fg1"), NULL); /* the last segment has no value */
    assert_str(armid_segment("//subscriptions//S2//x", "subscriptions"), "S2");
    assert_str(armid_segment("/subscriptions/S3?api-version=1", "subscriptions"), "S3");
    assert_str(armid_segment("/subscriptions?x=/subscriptions/S4", "subscriptions"), NULL);
    assert_str(armid_segment(NULL, "subscriptions"), NULL);
    assert_str(armid_segment(id, NULL), NULL);
    assert_str(armid_segment("", "subscriptions"), NULL);
    assert_str(armid_last(id), "fg1");
    assert_str(armid_last("/a/b/accessPolicies/"), "accessPolicies");
    assert_str(armid_last("/a/b?c/d"), "b");
    assert_str(armid_last("name"), "name");
    assert_str(armid_last("/"), NULL);
    assert_str(armid_last(""), NULL);
    assert_str(armid_last(NULL), NULL);
    assert_str(armid_location("Japan East"), "japaneast");
    assert_str(armid_location("JapanEast"), "japaneast");
    assert_str(armid_location(" west\tus 2 "), "westus2");
    assert_str(armid_location("   "), NULL);
    assert_str(armid_location(""), NULL);
    assert_str(armid_location(NULL), NULL);
    /* Hostile: control characters, invalid UTF-8, non-ASCII, punctuation, too long. */
    assert_str(armid_location("eastus2\x1b[2J"), NULL);
    assert_str(armid_location("eastus2\xff\xfe"), NULL);
    assert_str(armid_location("east\r\nus"), NULL);
    assert_str(armid_location("\xc3\xa9tats"), NULL);
    assert_str(armid_location("east-us"), NULL);
    char longest[ARMID_LOCATION_MAX + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_str(armid_location(longest), NULL);
    longest[ARMID_LOCATION_MAX] = '\0';
    assert_str(armid_location(longest), longest);
    /* A 1 MB id: nothing quadratic, nothing lost. */
    size_t big = 1u << 20;
    char *huge = xmalloc(big + 32);
    memcpy(huge, "/subscriptions/", 15);
    memset(huge + 15, 's', big);
    huge[15 + big] = '\0';
    char *seg = armid_segment(huge, "subscriptions");
    assert_int_equal(strlen(seg), big);
    free(seg);
    free(huge);
}

/* -- degenerate bodies, every parser ---------------------------------------------------------- */

typedef int (*single_fn)(const char *body, size_t len, char **cause);

/* A single-object parser run for its verdict; a failure leaves the output all zero. */
#define SINGLE(name, type, parse, cleanup)                      \
    static int name(const char *body, size_t len, char **cause) \
    {                                                           \
        static const type zero;                                 \
        type out;                                               \
        memset(&out, 0x5a, sizeof out);                         \
        int rc = parse(body, len, &out, cause);                 \
        if (rc == 0)                                            \
            cleanup(&out);                                      \
        else                                                    \
            assert_memory_equal(&out, &zero, sizeof out);       \
        return rc;                                              \
    }

SINGLE(one_instance, struct model_instance, armparse_instance, model_instance_cleanup)
SINGLE(one_server_key, struct model_server_key, armparse_server_key, model_server_key_cleanup)
SINGLE(one_protector, struct model_protector, armparse_protector, model_protector_cleanup)
SINGLE(one_fog, struct model_fog, armparse_fog, model_fog_cleanup)
SINGLE(one_vault, struct model_vault, armparse_vault, model_vault_cleanup)
SINGLE(one_pe, struct model_pe, armparse_pe, model_pe_cleanup)

SINGLE(one_pec, struct model_pec, armparse_pec, model_pec_cleanup)

static void version_cleanup(struct model_version *v)
{
    model_version_cleanup(v);
}
static int vault_key_adapter(const char *body, size_t len, struct model_version *out, char **cause)
{
    return armparse_vault_key(body, len, out, NULL, cause);
}
SINGLE(one_vault_key, struct model_version, vault_key_adapter, version_cleanup)

static int one_protector_page(const char *body, size_t len, char **cause)
{
    struct model_protector p;
    char *next = (char *)1;
    int rc = armparse_protector_page(body, len, &p, &next, cause);
    if (rc == 0)
        model_protector_cleanup(&p);
    else
        assert_null(next);
    free(next);
    return rc;
}

static int one_lro(const char *body, size_t len, char **cause)
{
    char *status = (char *)1, *loc = (char *)1;
    struct az_error e;
    int rc = armparse_lro_status(body, len, &status, &e, &loc, cause);
    if (rc < 0) {
        assert_null(status);
        assert_null(loc);
        assert_null(e.code);
    }
    free(status);
    free(loc);
    az_error_cleanup(&e);
    return rc;
}

static int one_policies(const char *body, size_t len, char **cause)
{
    struct model_policy *p = (struct model_policy *)1;
    size_t n = 5;
    int rc = armparse_access_policies(body, len, &p, &n, cause);
    if (rc < 0) {
        assert_null(p);
        assert_int_equal(n, 0);
    }
    FREE_ITEMS(p, n, model_policy_cleanup);
    return rc;
}

#define PAGE(name, type, parse, cleanup)                        \
    static int name(const char *body, size_t len, char **cause) \
    {                                                           \
        type *items = (type *)1;                                \
        size_t n = 5;                                           \
        char *next = (char *)1;                                 \
        int rc = parse(body, len, &items, &n, &next, cause);    \
        if (rc < 0) {                                           \
            assert_null(items);                                 \
            assert_int_equal(n, 0);                             \
            assert_null(next);                                  \
        }                                                       \
        for (size_t i = 0; i < n; i++)                          \
            cleanup(&items[i]);                                 \
        free(items);                                            \
        free(next);                                             \
        return rc;                                              \
    }

static void name_cleanup(char **s)
{
    free(*s);
}

PAGE(page_instance, struct model_instance, armparse_instance_page, model_instance_cleanup)
PAGE(page_server_key, struct model_server_key, armparse_server_key_page, model_server_key_cleanup)
PAGE(page_database, struct model_database, armparse_database_page, model_database_cleanup)
PAGE(page_fog, struct model_fog, armparse_fog_page, model_fog_cleanup)
PAGE(page_vault, struct model_vault, armparse_vault_page, model_vault_cleanup)
PAGE(page_deleted, char *, armparse_deleted_vault_page, name_cleanup)
PAGE(page_role, struct model_role, armparse_role_page, model_role_cleanup)
PAGE(page_pec, struct model_pec, armparse_pec_page, model_pec_cleanup)
PAGE(page_pe, struct model_pe, armparse_pe_page, model_pe_cleanup)
PAGE(page_sub, struct model_subscription, armparse_subscription_page, model_subscription_cleanup)

static const struct {
    const char *name;
    single_fn fn;
} singles[] =
    {
        {"instance", one_instance},
        {"server_key", one_server_key},
        {"protector", one_protector},
        {"protector_page", one_protector_page},
        {"fog", one_fog},
        {"vault", one_vault},
        {"pe", one_pe},
        {"pec", one_pec},
        {"vault_key", one_vault_key},
        {"lro", one_lro},
        {"access_policies", one_policies},
},
  pages[] = {
      {"instance", page_instance},
      {"server_key", page_server_key},
      {"database", page_database},
      {"fog", page_fog},
      {"vault", page_vault},
      {"deleted", page_deleted},
      {"role", page_role},
      {"pec", page_pec},
      {"pe", page_pe},
      {"subscription", page_sub},
      {"protector_page", one_protector_page},
};

static void expect_fail(single_fn fn, const char *what, const char *body, size_t len,
                        const char *cause_expect)
{
    char *cause = NULL;
    if (fn(body, len, &cause) != -1)
        fail_msg("%s accepted \"%.60s\"", what, body ? body : "(null)");
    assert_non_null(cause);
    if (cause_expect && strcmp(cause, cause_expect) != 0)
        fail_msg("%s: \"%s\" != \"%s\"", what, cause, cause_expect);
    free(cause);
}

static void test_degenerate_all(void **state)
{
    (void)state;
    /* Every parser refuses what is not one JSON object, with a cause. */
    static const char *bodies[] = {"", "null", "[]", "\"x\"", "42", "{", "{\"id\":", "{} x"};
    for (size_t f = 0; f < COUNT(singles); f++) {
        expect_fail(singles[f].fn, singles[f].name, NULL, 0, "body: empty");
        for (size_t b = 0; b < COUNT(bodies); b++)
            expect_fail(singles[f].fn, singles[f].name, bodies[b], strlen(bodies[b]), NULL);
    }
    /* Every page parser wants a "value" array of objects. */
    static const struct {
        const char *body, *cause;
    } page_bad[] = {
        {"{}", "value: missing"},
        {"{\"value\":null}", "value: missing"},
        {"{\"value\":{}}", "value: expected an array"},
        {"{\"value\":[[]]}", "value[0]: expected an object"},
        {"{\"value\":[\"id\"]}", "value[0]: expected an object"},
    };
    for (size_t f = 0; f < COUNT(pages); f++) {
        for (size_t b = 0; b < COUNT(bodies); b++)
            expect_fail(pages[f].fn, pages[f].name, bodies[b], strlen(bodies[b]), NULL);
        for (size_t b = 0; b < COUNT(page_bad); b++)
            expect_fail(pages[f].fn, pages[f].name, page_bad[b].body, strlen(page_bad[b].body),
                        page_bad[b].cause);
        /* An empty page is fine (and a protector page is not: it has to hold the protector). */
        char *cause = NULL;
        static const char empty[] = "{\"value\":[],\"nextLink\":null}";
        int rc = pages[f].fn(empty, strlen(empty), &cause);
        assert_int_equal(rc, pages[f].fn == one_protector_page ? -1 : 0);
        free(cause);
    }
    /* 100 000 levels of nesting inside a resource. */
    size_t depth = 100000;
    char *deep = xmalloc(2 * depth + 64);
    size_t o = (size_t)snprintf(deep, 64, "{\"id\":\"/x\",\"properties\":");
    memset(deep + o, '[', depth);
    memset(deep + o + depth, ']', depth);
    o += 2 * depth;
    deep[o++] = '}';
    deep[o] = '\0';
    for (size_t f = 0; f < COUNT(singles); f++)
        expect_fail(singles[f].fn, singles[f].name, deep, o, "body: not valid JSON");
    free(deep);
}

static void test_required_fields(void **state)
{
    (void)state;
    static const struct {
        single_fn fn;
        const char *body, *cause;
    } cases[] = {
        {one_instance, "{\"name\":\"mi\"}", "id: missing"},
        {one_instance, "{\"id\":5}", "id: expected a string"},
        {one_instance, "{\"id\":\"\"}", "id: empty"},
        {page_instance, "{\"value\":[{\"id\":\"/a\"},{\"id\":[]}]}",
         "value[1].id: expected a string"},
        {one_server_key, "{\"properties\":{}}", "id: missing"},
        {one_protector, "{\"properties\":{\"serverKeyType\":\"AzureKeyVault\"}}",
         "properties.serverKeyName: missing"},
        {one_protector, "{\"properties\":{\"serverKeyName\":7}}",
         "properties.serverKeyName: expected a string"},
        {one_protector, "{\"properties\":[]}", "properties.serverKeyName: missing"},
        {one_protector_page, "{\"value\":[{\"properties\":{}}]}",
         "value[0].properties.serverKeyName: missing"},
        {page_database, "{\"value\":[{\"properties\":{\"status\":\"Online\"}}]}",
         "value[0].name: missing"},
        {one_fog, "{\"id\":\"/subscriptions/s/providers/x/fg\"}", "id: not a failover group id"},
        {page_fog, "{\"value\":[{\"id\":\"fg\"}]}", "value[0].id: not a failover group id"},
        {one_vault, "{\"name\":\"v\"}", "id: missing"},
        {one_vault,
         "{\"id\":\"/v\",\"properties\":{\"accessPolicies\":[{\"objectId\":\"o\"},{\"tenantId\":"
         "\"t\"}]}}",
         "properties.accessPolicies[1].objectId: missing"},
        {page_vault, "{\"value\":[{\"id\":\"/v\",\"properties\":{\"accessPolicies\":[5]}}]}",
         "value[0].properties.accessPolicies[0]: expected an object"},
        {one_vault, "{\"id\":\"/v\",\"properties\":{\"privateEndpointConnections\":[true]}}",
         "properties.privateEndpointConnections[0]: expected an object"},
        {page_deleted, "{\"value\":[{\"properties\":{}}]}", "value[0].name: missing"},
        {page_role, "{\"value\":[{\"id\":\"/r\",\"properties\":{\"roleDefinitionId\":\"/d\"}}]}",
         "value[0].properties.principalId: missing"},
        {page_role, "{\"value\":[{\"id\":\"/r\",\"properties\":{\"principalId\":\"p\"}}]}",
         "value[0].properties.roleDefinitionId: missing"},
        {one_pe, "{\"name\":\"pe\"}", "id: missing"},
        {page_sub, "{\"value\":[{\"displayName\":\"d\"}]}", "value[0].subscriptionId: missing"},
        {one_vault_key, "{\"properties\":{}}", "properties.keyUriWithVersion: missing"},
        {one_vault_key,
         "{\"properties\":{\"keyUriWithVersion\":\"https://v.vault.azure.net/keys/k\"}}",
         "properties.keyUriWithVersion: not a key identifier with a version"},
        {one_policies, "{\"properties\":{}}", "properties.accessPolicies: missing"},
        {one_lro, "{\"name\":\"op\"}", "status: missing"},
        {one_lro, "{\"status\":1}", "status: expected a string"},
        {one_lro, "{\"status\":\"\"}", "status: empty"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char label[32];
        snprintf(label, sizeof label, "case %zu", i);
        expect_fail(cases[i].fn, label, cases[i].body, strlen(cases[i].body), cases[i].cause);
    }
}

/* -- fuzz-minded: every field of every example body of the wrong type, and cut short -------- */

struct fuzz {
    size_t bodies, mutants, accepted;
};

/* Every ARM parser on one text: each answers 0, or -1 with a cause, and leaks nothing. */
static void arm_all(const char *body, size_t len, void *arg)
{
    struct fuzz *f = arg;
    for (int list = 0; list < 2; list++) {
        size_t n = list ? COUNT(pages) : COUNT(singles);
        for (size_t i = 0; i < n; i++) {
            char *cause = NULL;
            int rc = (list ? pages[i].fn : singles[i].fn)(body, len, &cause);
            if (rc != 0 && (rc != -1 || cause == NULL))
                fail_msg("%s: rc %d without a cause on \"%.80s\"",
                         list ? pages[i].name : singles[i].name, rc, body);
            f->accepted += rc == 0;
            free(cause);
        }
    }
    struct az_error e;
    az_error_parse(400, body, len, &e);
    assert_non_null(e.code);
    az_error_cleanup(&e);
    f->mutants++;
}

static void fuzz_response(const char *file, const char *status, const char *body, size_t len,
                          void *arg)
{
    (void)file;
    (void)status;
    struct fuzz *f = arg;
    if (body == NULL)
        return;
    f->bodies++;
    support_azdata_mutants(body, len, 300, arm_all, f);
}

static void test_fuzz_examples(void **state)
{
    (void)state;
    static const char *folders[] = {"azure-examples/sql", "azure-examples/keyvault-mgmt",
                                    "azure-examples/network"};
    struct fuzz f = {0};
    for (size_t d = 0; d < COUNT(folders); d++) {
        size_t n;
        char **files = support_azdata_list(folders[d], &n);
        for (size_t i = 0; i < n; i++)
            support_azdata_responses(files[i], fuzz_response, &f);
        support_azdata_list_free(files, n);
    }
    assert_int_equal(f.bodies, 27);
    assert_true(f.mutants > 3000);
    assert_true(f.accepted > 0);
}

/* -- the rules, on made-up bodies ------------------------------------------------------------- */

/* The operator lock's tags become the instance's lock; unreadable ones mark it held. */
static void test_instance_lock(void **state)
{
    (void)state;
    static const char held[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/managedInstances/"
        "mi-1\",\"tags\":{\"env\":\"prod\",\"tdectl-lock-owner\":\"alice@host\","
        "\"tdectl-lock-run\":\"rotate-1\",\"tdectl-lock-reason\":\"CHG-42\","
        "\"tdectl-lock-op\":\"rotate\",\"tdectl-lock-expires\":\"2026-11-30T01:00:00Z\"}}";
    struct model_instance mi;
    assert_int_equal(armparse_instance(held, strlen(held), &mi, NULL), 0);
    assert_string_equal(mi.lock_owner, "alice@host");
    assert_string_equal(mi.lock_reason, "CHG-42");
    assert_string_equal(mi.lock_op, "rotate");
    assert_int_equal(mi.lock_expires, 1796000400);
    assert_false(mi.lock_bad);
    model_instance_cleanup(&mi);
    static const char bad[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/managedInstances/"
        "mi-1\",\"tags\":{\"tdectl-lock-owner\":\"bob\",\"tdectl-lock-expires\":\"soon\"}}";
    assert_int_equal(armparse_instance(bad, strlen(bad), &mi, NULL), 0);
    assert_null(mi.lock_owner);
    assert_true(mi.lock_bad);
    model_instance_cleanup(&mi);
    static const char none[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/managedInstances/"
        "mi-1\",\"tags\":[1,2]}";
    assert_int_equal(armparse_instance(none, strlen(none), &mi, NULL), 0);
    assert_null(mi.lock_owner);
    model_instance_cleanup(&mi);
}

static void test_instance_identity(void **state)
{
    (void)state;
    static const char body[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/managedInstances/"
        "mi-1\",\"name\":\"ignored\",\"location\":\"West Europe\",\"identity\":{\"type\":"
        "\"systemassigned,userassigned\",\"principalId\":\"P\",\"tenantId\":\"T\","
        "\"userAssignedIdentities\":{\"/u/one\":{\"principalId\":\"P1\",\"clientId\":\"C1\"},"
        "\"/u/two\":{},\"/u/three\":null}},\"properties\":{\"state\":\"ready\","
        "\"primaryUserAssignedIdentityId\":\"/u/one\",\"keyId\":5}}";
    struct model_instance mi;
    assert_int_equal(armparse_instance(body, strlen(body), &mi, NULL), 0);
    assert_string_equal(mi.name, "mi-1");
    assert_string_equal(mi.subscription_id, "S");
    assert_string_equal(mi.resource_group, "RG");
    assert_string_equal(mi.location, "westeurope");
    assert_string_equal(mi.state, "Ready");
    assert_string_equal(mi.identity_type, "SystemAssigned,UserAssigned");
    assert_string_equal(mi.principal_id, "P");
    assert_string_equal(mi.tenant_id, "T");
    assert_string_equal(mi.primary_uami, "/u/one");
    assert_int_equal(mi.nuamis, 3);
    assert_string_equal(mi.uamis[0].id, "/u/one");
    assert_string_equal(mi.uamis[0].principal_id, "P1");
    assert_string_equal(mi.uamis[0].client_id, "C1");
    assert_string_equal(mi.uamis[1].id, "/u/two");
    assert_null(mi.uamis[1].principal_id);
    assert_string_equal(mi.uamis[2].id, "/u/three");
    assert_int_equal(mi.arm_fresh.read_at, 0);
    model_instance_cleanup(&mi);
    /* identity of the wrong type is no identity. */
    static const char odd[] = "{\"id\":\"/x/mi\",\"identity\":\"SystemAssigned\",\"location\":5}";
    assert_int_equal(armparse_instance(odd, strlen(odd), &mi, NULL), 0);
    assert_null(mi.identity_type);
    assert_null(mi.location);
    assert_null(mi.subscription_id);
    assert_int_equal(mi.nuamis, 0);
    model_instance_cleanup(&mi);
}

static void test_server_key_rules(void **state)
{
    (void)state;
    static const char body[] =
        "{\"id\":\"/s/keys/kv_k_0123\",\"name\":\"instance-name\",\"kind\":\"azurekeyvault\","
        "\"properties\":{\"uri\":\"https://KV.vault.azure.net:443/keys/k/0123/\",\"thumbprint\":"
        "\"0a1b2c\",\"creationDate\":\"not a date\",\"autoRotationEnabled\":\"true\"}}";
    struct model_server_key k;
    assert_int_equal(armparse_server_key(body, strlen(body), &k, NULL), 0);
    assert_string_equal(k.name, "kv_k_0123");
    assert_string_equal(k.type, "AzureKeyVault");
    assert_string_equal(k.uri, "https://kv.vault.azure.net/keys/k/0123");
    assert_string_equal(k.thumbprint, "0A1B2C");
    assert_int_equal(k.created, 0);
    assert_false(k.auto_rotation);
    model_server_key_cleanup(&k);
    /* serverKeyType wins over kind; an unknown type stays as sent; a bad uri is none. */
    static const char b2[] = "{\"id\":\"/s/keys/x\",\"kind\":\"servicemanaged\",\"properties\":{"
                             "\"serverKeyType\":\"NewKind\",\"uri\":\"ftp://x\",\"creationDate\":"
                             "\"2020-11-01T00:00:00Z\",\"autoRotationEnabled\":true}}";
    assert_int_equal(armparse_server_key(b2, strlen(b2), &k, NULL), 0);
    assert_string_equal(k.type, "NewKind");
    assert_null(k.uri);
    assert_int_equal(k.created, 1604188800);
    assert_true(k.auto_rotation);
    model_server_key_cleanup(&k);
}

static void test_fog_views(void **state)
{
    (void)state;
    /* The same group from its two regions: one key, the same roles. */
    static const char east[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/locations/"
        "japaneast/instanceFailoverGroups/fg\",\"properties\":{\"replicationRole\":\"Primary\","
        "\"partnerRegions\":[{\"location\":\"japanwest\",\"replicationRole\":\"Secondary\"}],"
        "\"managedInstancePairs\":[{\"primaryManagedInstanceId\":\"/mi-p\","
        "\"partnerManagedInstanceId\":\"/mi-s\"}],\"readWriteEndpoint\":{\"failoverPolicy\":"
        "\"manual\"}}}";
    static const char west[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/locations/"
        "Japan West/instanceFailoverGroups/fg\",\"properties\":{\"replicationRole\":\"secondary\","
        "\"partnerRegions\":[{\"location\":\"Japan East\",\"replicationRole\":\"Primary\"}],"
        "\"managedInstancePairs\":[{\"primaryManagedInstanceId\":\"/mi-p\","
        "\"partnerManagedInstanceId\":\"/mi-s\"}],\"readWriteEndpoint\":{\"failoverPolicy\":"
        "\"Automatic\",\"failoverWithDataLossGracePeriodMinutes\":60}}}";
    struct model_fog a, b;
    assert_int_equal(armparse_fog(east, strlen(east), &a, NULL), 0);
    assert_int_equal(armparse_fog(west, strlen(west), &b, NULL), 0);
    assert_string_equal(a.id, "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/"
                              "instanceFailoverGroups/fg");
    assert_string_equal(a.id, b.id);
    assert_string_equal(a.name, "fg");
    assert_string_equal(a.subscription_id, "S");
    assert_string_equal(a.resource_group, "RG");
    assert_string_equal(a.primary_location, "japaneast");
    assert_string_equal(a.secondary_location, "japanwest");
    assert_string_equal(b.primary_location, "japaneast");
    assert_string_equal(b.secondary_location, "japanwest");
    assert_string_equal(a.primary_id, "/mi-p");
    assert_string_equal(b.secondary_id, "/mi-s");
    assert_string_equal(a.failover_policy, "Manual");
    assert_int_equal(a.grace_minutes, 0);
    assert_string_equal(b.failover_policy, "Automatic");
    assert_int_equal(b.grace_minutes, 60);
    model_fog_cleanup(&a);
    model_fog_cleanup(&b);
    /* No role of its own: the partner's says it; no roles at all: no locations. */
    static const char partner_only[] =
        "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/locations/l1/"
        "instanceFailoverGroups/fg\",\"properties\":{\"partnerRegions\":[{\"location\":\"L2\","
        "\"replicationRole\":\"Primary\"}],\"managedInstancePairs\":[],"
        "\"readWriteEndpoint\":{\"failoverWithDataLossGracePeriodMinutes\":1e12}}}";
    assert_int_equal(armparse_fog(partner_only, strlen(partner_only), &a, NULL), 0);
    assert_string_equal(a.primary_location, "l2");
    assert_string_equal(a.secondary_location, "l1");
    assert_null(a.primary_id);
    assert_int_equal(a.grace_minutes, 0);
    model_fog_cleanup(&a);
    static const char bare[] = "{\"id\":\"/subscriptions/S/resourceGroups/RG/providers/"
                               "Microsoft.Sql/instanceFailoverGroups/fg\",\"properties\":5}";
    assert_int_equal(armparse_fog(bare, strlen(bare), &a, NULL), 0);
    assert_null(a.primary_location);
    assert_null(a.secondary_location);
    assert_null(a.replication_state);
    model_fog_cleanup(&a);
}

static void test_protector_page_rules(void **state)
{
    (void)state;
    static const char two[] = "{\"value\":[{\"properties\":{\"serverKeyName\":\"first\","
                              "\"thumbprint\":\"ab\"}},{\"properties\":{\"serverKeyName\":"
                              "\"second\"}}],\"nextLink\":\"n\"}";
    struct model_protector p;
    char *next;
    assert_int_equal(armparse_protector_page(two, strlen(two), &p, &next, NULL), 0);
    assert_string_equal(p.server_key_name, "first");
    assert_string_equal(p.thumbprint, "AB");
    assert_null(p.type);
    assert_string_equal(next, "n");
    model_protector_cleanup(&p);
    free(next);
    char *cause = NULL;
    static const char empty[] = "{\"value\":[],\"nextLink\":\"n\"}";
    assert_int_equal(armparse_protector_page(empty, strlen(empty), &p, &next, &cause), -1);
    assert_string_equal(cause, "value: no encryption protector");
    assert_null(next);
    free(cause);
}

/* -- the official examples -------------------------------------------------------------------- */

static void check_fog_common(const char *file, const struct model_fog *fg, const char *name)
{
    char *key = xasprintf("/subscriptions/%s/resourceGroups/Default/providers/Microsoft.Sql/"
                          "instanceFailoverGroups/%s",
                          SUB, name);
    assert_string_equal(fg->id, key);
    free(key);
    assert_string_equal(fg->name, name);
    assert_string_equal(fg->subscription_id, SUB);
    assert_string_equal(fg->resource_group, "Default");
    assert_string_equal(fg->replication_state, "CATCH_UP");
    assert_string_equal(fg->failover_policy, "Automatic");
    assert_int_equal(fg->grace_minutes, 480);
    /* Each example views the group from locationName, where it is the primary. */
    char *param = support_azdata_parameter(file, "locationName");
    char *here = armid_location(param);
    assert_string_equal(fg->primary_location, here);
    free(here);
    free(param);
}

static void fog_one(const char *body, size_t len, struct model_fog *fg)
{
    char *cause = NULL;
    if (armparse_fog(body, len, fg, &cause) != 0)
        fail_msg("fog refused: %s", cause);
}

/* Created in Japan East: primary there with the "primary" instance. */
static void check_fog_east(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    struct model_fog fg;
    fog_one(body, len, &fg);
    check_fog_common(file, &fg, "failover-group-test-3");
    assert_string_equal(fg.primary_location, "japaneast");
    assert_string_equal(fg.secondary_location, "japanwest");
    assert_string_equal(fg.primary_id, MI_PREFIX "failover-group-primary-mngdInstance");
    assert_string_equal(fg.secondary_id, MI_PREFIX "failover-group-secondary-mngdInstance");
    model_fog_cleanup(&fg);
}

/* After a failover, seen from Japan West: the roles (and instances) swapped. */
static void check_fog_west(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    struct model_fog fg;
    fog_one(body, len, &fg);
    check_fog_common(file, &fg, "failover-group-test-3");
    assert_string_equal(fg.id, FOG_KEY("failover-group-test-3")); /* the same key as from east */
    assert_string_equal(fg.primary_location, "japanwest");
    assert_string_equal(fg.secondary_location, "japaneast");
    assert_string_equal(fg.primary_id, MI_PREFIX "failover-group-secondary-mngdInstance");
    assert_string_equal(fg.secondary_id, MI_PREFIX "failover-group-primary-mngdInstance");
    model_fog_cleanup(&fg);
}

static void check_fog_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    struct model_fog *fg;
    size_t n;
    char *next = (char *)1;
    assert_int_equal(armparse_fog_page(body, len, &fg, &n, &next, NULL), 0);
    assert_int_equal(n, 2);
    assert_null(next);
    check_fog_common(file, &fg[0], "failover-group-test");
    check_fog_common(file, &fg[1], "failover-group-test-1");
    assert_string_equal(fg[0].secondary_location, "japanwest");
    assert_string_equal(fg[0].primary_id, MI_PREFIX "failover-group-primary-mngdInstance");
    assert_string_equal(fg[1].secondary_id, MI_PREFIX "failover-group-secondary-mngdInstance-1");
    for (size_t i = 0; i < n; i++)
        model_fog_cleanup(&fg[i]);
    free(fg);
}

#define KEY_NAME "someVault_someKey_01234567890123456789012345678901"
#define KEY_URI  "https://somevault.vault.azure.net/keys/someKey/01234567890123456789012345678901"

/* The SQL key examples put the instance name in "name": the key's name comes from the id. */
static void check_server_key(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_server_key k;
    assert_int_equal(armparse_server_key(body, len, &k, NULL), 0);
    assert_string_equal(k.name, KEY_NAME);
    assert_string_equal(k.type, "AzureKeyVault");
    assert_string_equal(k.thumbprint, "00112233445566778899AABBCCDDEEFFAABBCCDD");
    assert_int_equal(k.created, 1604188800);
    assert_false(k.auto_rotation);
    assert_null(k.uri); /* the examples leave it out */
    model_server_key_cleanup(&k);
}

static void check_server_key_list(const char *file, const char *status, const char *body,
                                  size_t len)
{
    (void)file;
    (void)status;
    struct model_server_key *k;
    size_t n;
    assert_int_equal(armparse_server_key_page(body, len, &k, &n, NULL, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(k[0].name, KEY_NAME);
    assert_int_equal(k[0].created, 1605398400);
    assert_string_equal(k[1].name, "myVault_myKey_11111111111111111111111111111111");
    assert_string_equal(k[1].thumbprint, "AAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBB");
    assert_string_equal(k[2].name, "ServiceManaged");
    assert_string_equal(k[2].type, "ServiceManaged");
    assert_null(k[2].thumbprint);
    assert_int_equal(k[2].created, 0);
    for (size_t i = 0; i < n; i++)
        model_server_key_cleanup(&k[i]);
    free(k);
}

static void check_protector(const struct model_protector *p, bool has_uri)
{
    assert_string_equal(p->server_key_name, KEY_NAME);
    assert_string_equal(p->type, "AzureKeyVault");
    assert_false(p->auto_rotation);
    assert_null(p->thumbprint);
    if (has_uri)
        assert_string_equal(p->uri, KEY_URI); /* someVault: host lower-cased */
    else
        assert_null(p->uri);
}

static void check_protector_get(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    struct model_protector p;
    assert_int_equal(armparse_protector(body, len, &p, NULL), 0);
    check_protector(&p, strstr(file, "Get.json") != NULL);
    model_protector_cleanup(&p);
}

static void check_protector_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_protector p;
    assert_int_equal(armparse_protector_page(body, len, &p, NULL, NULL), 0);
    check_protector(&p, true);
    model_protector_cleanup(&p);
}

static void check_protector_sm(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_protector p;
    assert_int_equal(armparse_protector(body, len, &p, NULL), 0);
    assert_string_equal(p.server_key_name, "ServiceManaged");
    assert_string_equal(p.type, "ServiceManaged");
    assert_null(p.uri);
    model_protector_cleanup(&p);
}

static void check_instance(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_instance mi;
    assert_int_equal(armparse_instance(body, len, &mi, NULL), 0);
    assert_string_equal(mi.id, "/subscriptions/" SUB "/resourceGroups/testrg/providers/"
                               "Microsoft.Sql/managedInstances/testinstance");
    assert_string_equal(mi.name, "testinstance");
    assert_string_equal(mi.subscription_id, SUB);
    assert_string_equal(mi.resource_group, "testrg");
    assert_string_equal(mi.location, "japaneast");
    assert_string_equal(mi.state, "Ready");
    assert_null(mi.identity_type); /* the example has servicePrincipal, not identity */
    assert_null(mi.principal_id);
    assert_int_equal(mi.nuamis, 0);
    model_instance_cleanup(&mi);
}

static void check_instance_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_instance *mi;
    size_t n;
    assert_int_equal(armparse_instance_page(body, len, &mi, &n, NULL, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(mi[0].name, "testinstance1");
    assert_string_equal(mi[1].name, "testinstance2");
    assert_string_equal(mi[1].resource_group, "Test1");
    assert_string_equal(mi[1].location, "japaneast");
    assert_string_equal(mi[1].state, "Ready");
    for (size_t i = 0; i < n; i++)
        model_instance_cleanup(&mi[i]);
    free(mi);
}

static const struct support_azdata_check sql_examples[] = {
    {"sql/2023-08-01/InstanceFailoverGroupDelete.json", NULL},
    {"sql/2023-08-01/InstanceFailoverGroupForceFailoverAllowDataLoss.json", check_fog_west},
    {"sql/2023-08-01/InstanceFailoverGroupList.json", check_fog_list},
    {"sql/2023-08-01/ManagedInstanceEncryptionProtectorCreateOrUpdateServiceManaged.json",
     check_protector_sm},
    {"sql/2023-08-01/ManagedInstanceKeyGet.json", check_server_key},
    {"sql/2023-08-01/ManagedInstanceKeyList.json", check_server_key_list},
    {"sql/2025-01-01/InstanceFailoverGroupCreateOrUpdate.json", check_fog_east},
    {"sql/2025-01-01/InstanceFailoverGroupFailover.json", check_fog_west},
    {"sql/2025-01-01/InstanceFailoverGroupGet.json", check_fog_east},
    {"sql/2025-01-01/ManagedInstancValidateAzureKeyVaultEncryptionKey.json", NULL},
    {"sql/2025-01-01/ManagedInstanceEncryptionProtectorCreateOrUpdateKeyVault.json",
     check_protector_get},
    {"sql/2025-01-01/ManagedInstanceEncryptionProtectorGet.json", check_protector_get},
    {"sql/2025-01-01/ManagedInstanceEncryptionProtectorList.json", check_protector_list},
    {"sql/2025-01-01/ManagedInstanceEncryptionProtectorRevalidate.json", NULL},
    {"sql/2025-01-01/ManagedInstanceGet.json", check_instance},
    {"sql/2025-01-01/ManagedInstanceKeyCreateOrUpdate.json", check_server_key},
    {"sql/2025-01-01/ManagedInstanceKeyDelete.json", NULL},
    {"sql/2025-01-01/ManagedInstanceList.json", check_instance_list},
};

static void test_examples(void **state)
{
    (void)state;
    struct support_azdata_counts c = {0};
    support_azdata_walk("sql", sql_examples, COUNT(sql_examples), &c);
    assert_int_equal(c.files, COUNT(sql_examples));
    assert_int_equal(c.parsed, 16);
    assert_int_equal(c.empty, 16);
    assert_int_equal(c.errors, 0);
}

int main(void)
{
    support_azdata_init(TDECTL_SHARED_DIR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_armid),
        cmocka_unit_test(test_degenerate_all),
        cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_fuzz_examples),
        cmocka_unit_test(test_instance_identity),
        cmocka_unit_test(test_instance_lock),
        cmocka_unit_test(test_server_key_rules),
        cmocka_unit_test(test_fog_views),
        cmocka_unit_test(test_protector_page_rules),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
