/*
 * Unit tests for core/kvparse: degenerate bodies and wrong types first, then
 * the fingerprint of one key spelled two ways, then every official Key Vault
 * data-plane example and every entry of every recorded session, with the
 * values tdectl needs checked against the files.
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

#include "azerr.h"
#include "json.h"
#include "kvparse.h"
#include "support_azdata.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The modulus of the examples' CreateSoftKeyTest key (2048 bits). */
#define EX_N                                                                                       \
    "2HJAE5fU3Cw2Rt9hEuq-F6XjINKGa-zskfISVqopqUy60GOs2eyhxbWbJBeUXNor_gf-tXtNeuqeBgitLeVa640UDvnE" \
    "jYTKWjCniTxZRaU7ewY8BfTSk-7KxoDdLsPSpX_MX4rwlAx-_1UGk5t4sQgTbm9T6Fm2oqFd37dsz5-Gj27UP2GTAShf" \
    "JPFD7MqU_zIgOI0pfqsbNL5xTQVM29K6rX4jSPtylZV3uWJtkoQIQnrIHhk1d0SC0KwlBV3V7R_LVYjiXLyIXsFzSNYg" \
    "Q68ZjAwt8iL7I8Osa-ehQLM13DVvLASaf7Jnu3sC3CWl3Gyirgded6cfMmswJzY87w"

static char *bundle(const char *kid, const char *n, const char *e)
{
    return xasprintf("{\"key\":{\"kid\":\"%s\",\"kty\":\"RSA\",\"key_ops\":[\"wrapKey\","
                     "\"UNWRAPKEY\",\"bogus\",7],\"n\":\"%s\",\"e\":\"%s\"},\"attributes\":"
                     "{\"enabled\":true,\"exp\":1893484800}}",
                     kid, n, e);
}

static int parse_bundle(const char *body, struct model_version *v, char **name, char **cause)
{
    return kvparse_key_bundle(body, body ? strlen(body) : 0, v, name, cause);
}

/* -- degenerate inputs ------------------------------------------------------------------------ */

static void test_bundle_degenerate(void **state)
{
    (void)state;
    static const struct {
        const char *body, *cause;
    } cases[] = {
        {NULL, "body: empty"},
        {"", "body: empty"},
        {"null", "body: expected a JSON object"},
        {"[]", "body: expected a JSON object"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\"", "body: not valid JSON"},
        {"{}", "key: missing"},
        {"{\"key\":[]}", "key: expected an object"},
        {"{\"key\":{}}", "key.kid: missing"},
        {"{\"key\":{\"kid\":42}}", "key.kid: expected a string"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k\"}}",
         "key.kid: not a key identifier with a version"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/secrets/k/1\"}}",
         "key.kid: not a key identifier with a version"},
        {"{\"key\":{\"kid\":\"http://v.vault.azure.net/keys/k/1\"}}",
         "key.kid: not a key identifier with a version"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"n\":\"***\",\"e\":\"AQAB\"}}",
         "key.n: not base64url"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"n\":\"AQAB\",\"e\":\"A\"}}",
         "key.e: not base64url"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"n\":\"AAAA\",\"e\":\"AQAB\"}}",
         "key.n: not an RSA public key value"},
        {"{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"n\":\"AQAB\",\"e\":\"\"}}",
         "key.e: not an RSA public key value"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct model_version v;
        char *name = (char *)1, *cause = NULL;
        assert_int_equal(parse_bundle(cases[i].body, &v, &name, &cause), -1);
        assert_null(name);
        assert_null(v.kid);
        assert_null(v.version);
        if (strcmp(cause, cases[i].cause) != 0)
            fail_msg("case %zu: \"%s\" != \"%s\"", i, cause, cases[i].cause);
        free(cause);
    }
    /* A 1 MB kid is no key identifier, and nothing breaks. */
    size_t big = 1u << 20;
    char *longname = xmalloc(big + 1);
    memset(longname, 'k', big);
    longname[big] = '\0';
    char *kid = xasprintf("https://v.vault.azure.net/keys/%s/0123", longname);
    char *body = bundle(kid, "AQAB", "AQAB");
    struct model_version v;
    char *cause = NULL;
    assert_int_equal(parse_bundle(body, &v, NULL, &cause), -1);
    free(cause);
    free(body);
    free(kid);
    free(longname);
}

static void test_bundle_tolerant(void **state)
{
    (void)state;
    /* Only key.kid is required; wrong types of optional fields read as absent. */
    static const char body[] =
        "{\"key\":{\"kid\":\"https://V.Vault.Azure.Net:443/keys/MyKey/abc123/\",\"kty\":5,"
        "\"key_ops\":\"wrapKey\",\"n\":7},\"attributes\":{\"enabled\":\"no\",\"nbf\":1.5,"
        "\"exp\":\"1893484800\",\"created\":-5,\"recoveryLevel\":[]},\"unknown\":{\"x\":1},"
        "\"managed\":true}";
    struct model_version v;
    char *name, *cause = NULL;
    assert_int_equal(parse_bundle(body, &v, &name, &cause), 0);
    assert_string_equal(v.kid, "https://v.vault.azure.net/keys/MyKey/abc123");
    assert_string_equal(v.version, "abc123");
    assert_string_equal(name, "MyKey");
    assert_true(v.enabled); /* Key Vault's default */
    assert_int_equal(v.nbf, 0);
    assert_int_equal(v.exp, 0);
    assert_int_equal(v.created, -5);
    assert_null(v.recovery_level);
    assert_null(v.kty);
    assert_false(v.ops_known);
    assert_int_equal(v.bits, 0);
    assert_string_equal(v.fingerprint, "");
    model_version_cleanup(&v);
    free(name);
    /* No attributes at all. */
    assert_int_equal(parse_bundle("{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\"}}", &v,
                                  NULL, &cause),
                     0);
    assert_true(v.enabled);
    model_version_cleanup(&v);
    assert_null(cause);
}

static void test_lists_degenerate(void **state)
{
    (void)state;
    static const struct {
        const char *body, *cause;
    } cases[] = {
        {"", "body: empty"},
        {"null", "body: expected a JSON object"},
        {"[]", "body: expected a JSON object"},
        {"{\"nextLink\":null}", "value: missing"},
        {"{\"value\":{}}", "value: expected an array"},
        {"{\"value\":[1]}", "value[0]: expected an object"},
        {"{\"value\":[{\"kid\":\"https://v.vault.azure.net/keys/a/"
         "00000000000000000000000000000001\"},{}]}",
         "value[1].kid: missing"},
        {"{\"value\":[{\"kid\":false}]}", "value[0].kid: expected a string"},
        {"{\"value\":[{\"kid\":\"https://v.vault.azure.net/keys/a\"}", "body: not valid JSON"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *b = cases[i].body;
        size_t len = strlen(b), n = 9;
        char **names = (char **)1, *next = (char *)1, *cause = NULL;
        assert_int_equal(kvparse_key_list(b, len, &names, &n, &next, &cause), -1);
        assert_null(names);
        assert_null(next);
        assert_int_equal(n, 0);
        assert_string_equal(cause, cases[i].cause);
        struct model_version *vs = (struct model_version *)1;
        assert_int_equal(kvparse_version_list(b, len, &vs, &n, &next, &cause), -1);
        assert_null(vs);
        assert_string_equal(cause, cases[i].cause);
        struct kv_deleted *ds = (struct kv_deleted *)1;
        assert_int_equal(kvparse_deleted_list(b, len, &ds, &n, &next, &cause), -1);
        assert_null(ds);
        assert_string_equal(cause, cases[i].cause);
        free(cause);
    }
}

static void test_lists_refuse_garbled_kids(void **state)
{
    (void)state;
    /* Every item parses: names, versions and deleted entries. */
    static const char body[] =
        "{\"value\":[{\"kid\":\"https://v.vault.azure.net/keys/a/"
        "00000000000000000000000000000001\"},"
        "{\"kid\":\"https://V.vault.azure.net:443/keys/B/0123456789abcdef0123456789abcdef\","
        "\"attributes\":{\"enabled\":false,\"exp\":1700000000,\"created\":1600000000},"
        "\"recoveryId\":\"https://v.vault.azure.net/deletedkeys/B\",\"deletedDate\":5,"
        "\"scheduledPurgeDate\":\"6\"}],"
        "\"nextLink\":null}";
    size_t len = strlen(body), n;
    char **names, *next = (char *)1;
    assert_int_equal(kvparse_key_list(body, len, &names, &n, &next, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "a");
    assert_string_equal(names[1], "B");
    assert_null(next);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    struct model_version *vs;
    assert_int_equal(kvparse_version_list(body, len, &vs, &n, NULL, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(vs[1].version, "0123456789abcdef0123456789abcdef");
    assert_string_equal(vs[1].kid,
                        "https://v.vault.azure.net/keys/B/0123456789abcdef0123456789abcdef");
    assert_false(vs[1].enabled);
    assert_int_equal(vs[1].exp, 1700000000);
    assert_int_equal(vs[1].created, 1600000000);
    assert_null(vs[1].kty);
    for (size_t i = 0; i < n; i++)
        model_version_cleanup(&vs[i]);
    free(vs);
    struct kv_deleted *ds;
    assert_int_equal(kvparse_deleted_list(body, len, &ds, &n, NULL, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ds[1].name, "B");
    assert_string_equal(ds[1].recovery_id, "https://v.vault.azure.net/deletedkeys/B");
    assert_int_equal(ds[1].deleted_date, 5);
    assert_int_equal(ds[1].scheduled_purge, 0); /* a string is not a time */
    assert_null(ds[0].recovery_id);
    kvparse_deleted_free(ds, n);
    kvparse_deleted_free(NULL, 0);

    /*
     * One item whose kid is not a key identifier fails the page, naming the
     * item: skipped, it would read as a key that is not there (a missing
     * protector key is CRITICAL), while a page that cannot be read is D01.
     */
    static const char *const garbled[] = {
        "not a url",
        "https://v.vault.azure.net/secrets/s",
        "https://v.vault.azure.net/keys/",
        "https://v.vault.azure.net/keys/bad\\u001bname",
        "https://v.vault.azure.net/keys/a b",
    };
    for (size_t i = 0; i < sizeof(garbled) / sizeof(garbled[0]); i++) {
        char *page = xasprintf("{\"value\":[{\"kid\":\"https://v.vault.azure.net/keys/ok/"
                               "00000000000000000000000000000001\"},{\"kid\":\"%s\"}]}",
                               garbled[i]);
        char *cause = NULL;
        names = (char **)1;
        assert_int_equal(kvparse_key_list(page, strlen(page), &names, &n, NULL, &cause), -1);
        assert_string_equal(cause, "value[1].kid: not a Key Vault key identifier");
        free(cause);
        cause = NULL;
        assert_int_equal(kvparse_version_list(page, strlen(page), &vs, &n, NULL, &cause), -1);
        assert_string_equal(cause, "value[1].kid: not a Key Vault key identifier");
        free(cause);
        cause = NULL;
        assert_int_equal(kvparse_deleted_list(page, strlen(page), &ds, &n, NULL, &cause), -1);
        assert_string_equal(cause, "value[1].kid: not a Key Vault key identifier");
        free(cause);
        free(page);
    }
    /* A versions page item must name its version. */
    static const char versionless[] =
        "{\"value\":[{\"kid\":\"https://v.vault.azure.net/keys/a\"}]}";
    char *cause = NULL;
    assert_int_equal(kvparse_version_list(versionless, strlen(versionless), &vs, &n, NULL, &cause),
                     -1);
    assert_string_equal(cause, "value[0].kid: not a Key Vault key identifier");
    free(cause);
    /* An empty page with a next link. */
    static const char empty[] = "{\"value\":[],\"nextLink\":\"https://x/keys?s=1\"}";
    assert_int_equal(kvparse_key_list(empty, strlen(empty), &names, &n, &next, NULL), 0);
    assert_int_equal(n, 0);
    assert_null(names);
    assert_string_equal(next, "https://x/keys?s=1");
    free(next);
}

static void test_rotation_degenerate(void **state)
{
    (void)state;
    struct model_rotation r;
    char *cause = NULL;
    assert_int_equal(kvparse_rotation_policy("", 0, &r, &cause), -1);
    assert_false(r.read);
    assert_int_equal(kvparse_rotation_policy("[]", 2, &r, &cause), -1);
    assert_string_equal(cause, "body: expected a JSON object");
    assert_int_equal(kvparse_rotation_policy("{\"lifetimeActions\":[", 20, &r, &cause), -1);
    free(cause);
    /* Tolerated: no actions, actions of the wrong type, odd entries, unknown types. */
    static const char *ok[] = {
        "{}",
        "{\"lifetimeActions\":{},\"attributes\":[]}",
        "{\"lifetimeActions\":[1,null,{},{\"action\":5},{\"action\":{\"type\":\"Explode\"}}],"
        "\"attributes\":{\"expiryTime\":\"\"}}",
    };
    for (size_t i = 0; i < COUNT(ok); i++) {
        assert_int_equal(kvparse_rotation_policy(ok[i], strlen(ok[i]), &r, NULL), 0);
        assert_true(r.read);
        assert_false(r.rotate);
        assert_false(r.notify);
        assert_null(r.expiry_time);
    }
    static const char mixed[] = "{\"lifetimeActions\":[{\"trigger\":{\"timeAfterCreate\":\"P90D\"},"
                                "\"action\":{\"type\":\"rotate\"}}],\"attributes\":{\"expiryTime\":"
                                "\"P1Y\"}}";
    assert_int_equal(kvparse_rotation_policy(mixed, strlen(mixed), &r, NULL), 0);
    assert_true(r.rotate);
    assert_false(r.notify);
    assert_string_equal(r.expiry_time, "P1Y");
    free(r.expiry_time);
}

static void test_value_degenerate(void **state)
{
    (void)state;
    static const struct {
        const char *body, *cause;
    } cases[] = {
        {"", "body: empty"},
        {"null", "body: expected a JSON object"},
        {"{}", "value: missing"},
        {"{\"value\":null}", "value: missing"},
        {"{\"value\":12}", "value: expected a string"},
        {"{\"value\":\"a b\"}", "value: not base64url"},
        {"{\"value\":\"Zg=\"}", "value: not base64url"},
        {"{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"value\":\"Zm9v\"",
         "body: not valid JSON"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        unsigned char *value = (unsigned char *)1;
        size_t len = 9;
        char *kid = (char *)1, *cause = NULL;
        assert_int_equal(
            kvparse_value(cases[i].body, strlen(cases[i].body), &value, &len, &kid, &cause), -1);
        assert_null(value);
        assert_int_equal(len, 0);
        assert_null(kid);
        assert_string_equal(cause, cases[i].cause);
        free(cause);
    }
    unsigned char *value;
    size_t len;
    char *kid;
    static const char both[] = "{\"kid\":\"https://V.vault.azure.net:443/keys/k/1/\",\"value\":"
                               "\"-_8\",\"alg\":\"RSA-OAEP\"}";
    assert_int_equal(kvparse_value(both, strlen(both), &value, &len, &kid, NULL), 0);
    assert_int_equal(len, 2);
    assert_int_equal(value[0], 0xfb);
    assert_int_equal(value[1], 0xff);
    assert_string_equal(kid, "https://v.vault.azure.net/keys/k/1");
    free(value);
    free(kid);
    /* kid may be NULL, and an empty value is an empty result. */
    assert_int_equal(kvparse_value("{\"value\":\"\"}", 12, &value, &len, NULL, NULL), 0);
    assert_int_equal(len, 0);
    free(value);
}

/* -- fuzz-minded: every field of every body of the wrong type, and cut short ----------------- */

struct fuzz {
    size_t bodies, mutants, accepted;
};

static void verdict(struct fuzz *f, const char *what, int rc, char *cause, const char *body)
{
    if (rc != 0 && (rc != -1 || cause == NULL))
        fail_msg("%s: rc %d without a cause on \"%.80s\"", what, rc, body);
    f->accepted += rc == 0;
    free(cause);
}

static void kv_lists(const char *body, size_t len, struct fuzz *f)
{
    char **names, *next, *cause = NULL;
    size_t n;
    int rc = kvparse_key_list(body, len, &names, &n, &next, &cause);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(next);
    verdict(f, "key_list", rc, cause, body);
    struct model_version *vs;
    cause = NULL;
    rc = kvparse_version_list(body, len, &vs, &n, &next, &cause);
    for (size_t i = 0; i < n; i++)
        model_version_cleanup(&vs[i]);
    free(vs);
    free(next);
    verdict(f, "version_list", rc, cause, body);
    struct kv_deleted *ds;
    cause = NULL;
    rc = kvparse_deleted_list(body, len, &ds, &n, &next, &cause);
    kvparse_deleted_free(ds, n);
    free(next);
    verdict(f, "deleted_list", rc, cause, body);
}

/* Every Key Vault parser on one text: each answers 0, or -1 with a cause, and leaks nothing. */
static void kv_all(const char *body, size_t len, void *arg)
{
    struct fuzz *f = arg;
    struct model_version v;
    char *name = NULL, *kid = NULL, *cause = NULL;
    int rc = kvparse_key_bundle(body, len, &v, &name, &cause);
    if (rc == 0)
        model_version_cleanup(&v);
    else
        assert_null(v.kid);
    free(name);
    verdict(f, "key_bundle", rc, cause, body);
    kv_lists(body, len, f);
    struct model_rotation r;
    cause = NULL;
    rc = kvparse_rotation_policy(body, len, &r, &cause);
    free(r.expiry_time);
    verdict(f, "rotation_policy", rc, cause, body);
    unsigned char *value;
    size_t vlen;
    cause = NULL;
    rc = kvparse_value(body, len, &value, &vlen, &kid, &cause);
    free(value);
    free(kid);
    verdict(f, "value", rc, cause, body);
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
    support_azdata_mutants(body, len, 300, kv_all, f);
}

static void fuzz_entry(const struct support_azdata_entry *en, void *arg)
{
    fuzz_response(en->file, NULL, en->body, en->len, arg);
}

static void test_fuzz(void **state)
{
    (void)state;
    struct fuzz f = {0};
    size_t n;
    char **files = support_azdata_list("azure-examples/keyvault-data", &n);
    for (size_t i = 0; i < n; i++)
        support_azdata_responses(files[i], fuzz_response, &f);
    support_azdata_list_free(files, n);
    files = support_azdata_list("azure-recordings", &n);
    for (size_t i = 0; i < n; i++)
        support_azdata_entries(files[i], fuzz_entry, &f);
    support_azdata_list_free(files, n);
    assert_int_equal(f.bodies, 17 + 26);
    assert_true(f.mutants > 3000);
    assert_true(f.accepted > 0);
}

/* -- fingerprints ----------------------------------------------------------------------------- */

/* base64url without padding -> standard base64 with padding. */
static char *to_standard(const char *url)
{
    size_t len = strlen(url);
    char *s = xmalloc(len + 4);
    for (size_t i = 0; i < len; i++)
        s[i] = url[i] == '-' ? '+' : url[i] == '_' ? '/' : url[i];
    while (len % 4)
        s[len++] = '=';
    s[len] = '\0';
    return s;
}

static void test_fingerprint_spellings(void **state)
{
    (void)state;
    char *std_n = to_standard(EX_N);
    assert_non_null(strchr(std_n, '+')); /* the spellings really differ */
    assert_non_null(strchr(std_n, '='));
    char *a = bundle("https://myvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef",
                     EX_N, "AQAB");
    char *b = bundle("https://MyVault.vault.azure.net:443/keys/k/0123456789abcdef0123456789abcdef/",
                     std_n, "AQAB");
    struct model_version va, vb;
    assert_int_equal(parse_bundle(a, &va, NULL, NULL), 0);
    assert_int_equal(parse_bundle(b, &vb, NULL, NULL), 0);
    assert_int_equal(strlen(va.fingerprint), 64);
    assert_string_equal(va.fingerprint, vb.fingerprint);
    assert_string_equal(va.kid, vb.kid);
    assert_int_equal(va.bits, 2048);
    assert_int_equal(vb.bits, 2048);
    assert_true(va.ops_known);
    assert_int_equal(va.ops, MODEL_OP_WRAP | MODEL_OP_UNWRAP);
    assert_int_equal(va.exp, 1893484800);
    /* The fingerprint is model_fingerprint of the decoded n and e. */
    unsigned char *n, *e;
    size_t nlen, elen;
    assert_int_equal(json_b64_decode(EX_N, strlen(EX_N), &n, &nlen), 0);
    assert_int_equal(json_b64_decode("AQAB", 4, &e, &elen), 0);
    char fp[MODEL_FINGERPRINT_LEN];
    model_fingerprint(n, nlen, e, elen, fp);
    assert_string_equal(va.fingerprint, fp);
    /* n with a leading zero byte (standard base64 of 0x00 || n) gives the same fingerprint. */
    unsigned char *zero_n = xmalloc(nlen + 1);
    zero_n[0] = 0;
    memcpy(zero_n + 1, n, nlen);
    char fp0[MODEL_FINGERPRINT_LEN];
    model_fingerprint(zero_n, nlen + 1, e, elen, fp0);
    assert_string_equal(fp0, fp);
    /* Another exponent is other material. */
    char *c = bundle("https://myvault.vault.azure.net/keys/k/1", EX_N, "Aw");
    struct model_version vc;
    assert_int_equal(parse_bundle(c, &vc, NULL, NULL), 0);
    assert_string_not_equal(vc.fingerprint, va.fingerprint);
    model_version_cleanup(&va);
    model_version_cleanup(&vb);
    model_version_cleanup(&vc);
    free(zero_n);
    free(n);
    free(e);
    free(a);
    free(b);
    free(c);
    free(std_n);
}

/* -- the official examples -------------------------------------------------------------------- */

/* The fingerprint of the CreateSoftKeyTest key, as the first file holding it gave it. */
static char create_fp[MODEL_FINGERPRINT_LEN];

struct walk {
    size_t parsed, errors;
};

static void check_bundle_common(const char *body, size_t len, struct model_version *v, char **name)
{
    char *cause = NULL;
    if (kvparse_key_bundle(body, len, v, name, &cause) != 0)
        fail_msg("key bundle refused: %s", cause);
    assert_non_null(v->kid);
    assert_true(strncmp(v->kid, "https://myvault.vault.azure.net/keys/", 37) == 0);
    assert_string_equal(v->kty, "RSA");
    assert_int_equal(v->bits, 2048);
    assert_int_equal(strlen(v->fingerprint), 64);
    assert_string_equal(v->recovery_level, "Recoverable+Purgeable");
}

/* GetKey, CreateKey, DeleteKey, GetDeletedKey, RotateKey: the CreateSoftKeyTest key. */
static void check_create_soft(const char *file, const char *status, const char *body, size_t len)
{
    (void)file;
    (void)status;
    struct model_version v;
    char *name;
    check_bundle_common(body, len, &v, &name);
    assert_string_equal(name, "CreateSoftKeyTest");
    assert_string_equal(v.version, "78deebed173b48e48f55abf87ed4cf71");
    assert_string_equal(
        v.kid,
        "https://myvault.vault.azure.net/keys/CreateSoftKeyTest/78deebed173b48e48f55abf87ed4cf71");
    assert_true(v.enabled);
    assert_int_equal(v.created, 1493942451);
    assert_int_equal(v.updated, 1493942451);
    assert_int_equal(v.nbf, 0);
    assert_int_equal(v.exp, 0);
    assert_true(v.ops_known);
    assert_int_equal(v.ops, MODEL_OP_ENCRYPT | MODEL_OP_DECRYPT | MODEL_OP_SIGN | MODEL_OP_VERIFY |
                                MODEL_OP_WRAP | MODEL_OP_UNWRAP);
    /* Every file holding this key gives the same fingerprint. */
    if (create_fp[0] == '\0')
        memcpy(create_fp, v.fingerprint, sizeof create_fp);
    assert_string_equal(v.fingerprint, create_fp);
    model_version_cleanup(&v);
    free(name);
}

static void check_import(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    struct model_version v;
    char *name;
    check_bundle_common(body, len, &v, &name);
    assert_string_equal(name, "ImportSoftKeyTest");
    assert_string_equal(v.version, "2eb4a15d74184c6f84159c3ca90f0f4b");
    assert_int_equal(v.created, 1493942691);
    /* The imported material (the request's n and e) is what came back. */
    char *params = support_azdata_parameter(file, "parameters");
    cJSON *p = cJSON_Parse(params);
    const char *n64 = json_str(p, "key.n"), *e64 = json_str(p, "key.e");
    assert_non_null(n64);
    unsigned char *n, *e;
    size_t nlen, elen;
    assert_int_equal(json_b64_decode(n64, strlen(n64), &n, &nlen), 0);
    assert_int_equal(json_b64_decode(e64, strlen(e64), &e, &elen), 0);
    char fp[MODEL_FINGERPRINT_LEN];
    model_fingerprint(n, nlen, e, elen, fp);
    assert_string_equal(v.fingerprint, fp);
    free(n);
    free(e);
    cJSON_Delete(p);
    free(params);
    model_version_cleanup(&v);
    free(name);
}

static void check_restore(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct model_version v;
    char *name;
    check_bundle_common(body, len, &v, &name);
    assert_string_equal(name, "KeyBackupRestoreTest");
    assert_string_equal(v.version, "d7a019f5da8843aea30722a7edcc37f7");
    assert_false(v.enabled);
    assert_int_equal(v.nbf, 1262332800);
    assert_int_equal(v.exp, 1893484800);
    model_version_cleanup(&v);
    free(name);
}

static void check_recover(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct model_version v;
    char *name;
    check_bundle_common(body, len, &v, &name);
    assert_string_equal(name, "CreateDeleteRecoverPurgeTest");
    assert_string_equal(v.version, "6fc2be54c6be4a7ea7bbb8a2a99a1996");
    assert_true(v.enabled);
    assert_int_equal(v.created, 1493938342);
    model_version_cleanup(&v);
    free(name);
}

static void check_update(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct model_version v;
    char *name;
    check_bundle_common(body, len, &v, &name);
    assert_string_equal(name, "UpdateKeyAttributesTest");
    assert_string_equal(v.version, "3d31e6e5c4c14eaf9be8d42c00225088");
    assert_false(v.enabled);
    assert_int_equal(v.nbf, 631180800);
    assert_int_equal(v.exp, 662716800);
    assert_int_equal(v.created, 1493860275);
    assert_int_equal(v.updated, 1493860277);
    assert_true(v.ops_known);
    assert_int_equal(v.ops, MODEL_OP_DECRYPT | MODEL_OP_ENCRYPT);
    model_version_cleanup(&v);
    free(name);
}

static void check_key_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    char **names, *next;
    size_t n;
    assert_int_equal(kvparse_key_list(body, len, &names, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "sdktestkey");
    /* nextLink verbatim: ":443" and another api-version included. */
    assert_true(
        strncmp(next, "https://myvault.vault.azure.net:443/keys?api-version=7.2&$skiptoken=", 68) ==
        0);
    assert_true(strstr(next, "&maxresults=1") != NULL);
    free(names[0]);
    free(names);
    free(next);
}

static void check_version_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct model_version *vs;
    char *next;
    size_t n;
    assert_int_equal(kvparse_version_list(body, len, &vs, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(vs[0].version, "7c9dc6775d0e4177827c4f98f482fc12");
    assert_string_equal(vs[0].kid, "https://myvault.vault.azure.net/keys/listkeyversionstest/"
                                   "7c9dc6775d0e4177827c4f98f482fc12");
    assert_true(vs[0].enabled);
    assert_int_equal(vs[0].created, 1493937851);
    assert_string_equal(vs[0].recovery_level, "Recoverable+Purgeable");
    assert_string_equal(vs[0].fingerprint, ""); /* lists carry no material */
    assert_true(strncmp(next,
                        "https://myvault.vault.azure.net:443/keys/listkeyversionstest/versions"
                        "?api-version=7.2&",
                        86) == 0);
    model_version_cleanup(&vs[0]);
    free(vs);
    free(next);
}

static void check_deleted_list(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct kv_deleted *ds;
    char *next;
    size_t n;
    assert_int_equal(kvparse_deleted_list(body, len, &ds, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ds[0].name, "listdeletedkeytest0");
    assert_string_equal(ds[0].recovery_id,
                        "https://myvault.vault.azure.net/deletedkeys/listdeletedkeytest0");
    assert_int_equal(ds[0].deleted_date, 1493938031);
    assert_int_equal(ds[0].scheduled_purge, 1501714031);
    assert_true(
        strncmp(next, "https://myvault.vault.azure.net:443/deletedkeys?api-version=7.2&", 64) == 0);
    kvparse_deleted_free(ds, n);
    free(next);
}

static void check_policy(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    struct model_rotation r;
    assert_int_equal(kvparse_rotation_policy(body, len, &r, NULL), 0);
    assert_true(r.read);
    assert_true(r.rotate);
    assert_true(r.notify);
    assert_string_equal(r.expiry_time, "P2Y");
    free(r.expiry_time);
}

static void check_value(const char *body, size_t len, size_t expect_len, const char *expect_kid)
{
    unsigned char *value;
    size_t vlen;
    char *kid, *cause = NULL;
    if (kvparse_value(body, len, &value, &vlen, &kid, &cause) != 0)
        fail_msg("value refused: %s", cause);
    assert_int_equal(vlen, expect_len);
    if (expect_kid)
        assert_string_equal(kid, expect_kid);
    else
        assert_null(kid);
    free(value);
    free(kid);
}

static void check_wrap(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    /* The example answers in standard base64 without padding: 256 bytes (RSA 2048). */
    check_value(body, len, 256,
                "https://myvault.vault.azure.net/keys/sdktestkey/0698c2156c1a4e1da5b6bab6f6422fd6");
}

static void check_unwrap(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    check_value(body, len, 32,
                "https://myvault.vault.azure.net/keys/sdktestkey/0698c2156c1a4e1da5b6bab6f6422fd6");
}

static void check_backup(const char *file, const char *status, const char *body, size_t len)
{
    (void)status;
    (void)file;
    unsigned char *blob;
    size_t blen;
    char *kid = (char *)1;
    assert_int_equal(kvparse_value(body, len, &blob, &blen, &kid, NULL), 0);
    assert_int_equal(blen, 8031);
    assert_memory_equal(blob, "&AzureKeyVaultKeyBackupV1.microsoft.com", 39);
    assert_null(kid);
    free(blob);
}

static const struct support_azdata_check kv_examples[] = {
    {"keyvault-data/2025-07-01/DeleteKey-example.json", check_create_soft},
    {"keyvault-data/2025-07-01/GetDeletedKey-example.json", check_create_soft},
    {"keyvault-data/2025-07-01/GetDeletedKeys-example.json", check_deleted_list},
    {"keyvault-data/2025-07-01/GetKey-example.json", check_create_soft},
    {"keyvault-data/2025-07-01/GetKeyVersions-example.json", check_version_list},
    {"keyvault-data/2025-07-01/GetKeys-example.json", check_key_list},
    {"keyvault-data/2025-07-01/ImportKey-example.json", check_import},
    {"keyvault-data/2025-07-01/PurgeDeletedKey-example.json", NULL}, /* 204, no body */
    {"keyvault-data/2025-07-01/RestoreKey-example.json", check_restore},
    {"keyvault-data/2025-07-01/UpdateKeyRotationPolicy-example.json", check_policy},
    {"keyvault-data/2025-07-01/wrapKey-example.json", check_wrap},
    {"keyvault-data/7.5/CreateKey-example.json", check_create_soft},
    {"keyvault-data/7.5/RecoverDeletedKey-example.json", check_recover},
    {"keyvault-data/7.5/RotateKey-example.json", check_create_soft},
    {"keyvault-data/7.6/BackupKey-example.json", check_backup},
    {"keyvault-data/7.6/GetKeyRotationPolicy-example.json", check_policy},
    {"keyvault-data/7.6/UpdateKey-example.json", check_update},
    {"keyvault-data/7.6/unwrapKey-example.json", check_unwrap},
};

static void test_examples(void **state)
{
    (void)state;
    struct support_azdata_counts c = {0};
    support_azdata_walk("keyvault-data", kv_examples, COUNT(kv_examples), &c);
    assert_int_equal(c.files, COUNT(kv_examples));
    assert_int_equal(c.parsed, 17);
    assert_int_equal(c.empty, 1);
    assert_int_equal(c.errors, 0);
    assert_int_equal(strlen(create_fp), 64);
}

/* -- the recorded sessions -------------------------------------------------------------------- */

/* The path of a request URI without scheme, host and query: "/keys/123/create". */
static char *uri_path(const char *uri)
{
    const char *p = strstr(uri, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    assert_non_null(p);
    return xstrndup(p, strcspn(p, "?"));
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The key name in /keys/{name}/... or /deletedkeys/{name}/... */
static char *path_key(const char *path)
{
    const char *p = strncmp(path, "/keys/", 6) == 0 ? path + 6 : path + 13;
    return xstrndup(p, strcspn(p, "/"));
}

static void recorded_bundle(const struct support_azdata_entry *en, const char *path, struct walk *w)
{
    struct model_version v;
    char *name, *cause = NULL;
    if (kvparse_key_bundle(en->body, en->len, &v, &name, &cause) != 0)
        fail_msg("%s %s %s: %s", en->file, en->method, en->uri, cause);
    char *key = path_key(path);
    assert_string_equal(name, key);
    /* The kid lives in the recording's vault. */
    char *vault = model_uri_normalise(en->vault_url);
    assert_true(strncmp(v.kid, vault, strlen(vault)) == 0);
    assert_int_equal(strlen(v.version), 32);
    assert_int_equal(v.created > 1600000000, 1);
    assert_true(v.ops_known);
    if (strcmp(v.kty, "RSA") == 0) {
        assert_int_equal(v.bits, 2048);
        assert_int_equal(strlen(v.fingerprint), 64);
        assert_int_equal(v.ops & (MODEL_OP_WRAP | MODEL_OP_UNWRAP),
                         MODEL_OP_WRAP | MODEL_OP_UNWRAP);
    } else {
        assert_string_equal(v.kty, "EC");
        assert_int_equal(v.bits, 0);
        assert_string_equal(v.fingerprint, "");
        assert_int_equal(v.ops, MODEL_OP_SIGN | MODEL_OP_VERIFY);
    }
    assert_string_equal(v.recovery_level, "CustomizedRecoverable+Purgeable");
    /* UpdateEnabled disables the key with a PATCH; the GET after it agrees. */
    if (strstr(en->file, "UpdateEnabled") && strcmp(en->method, "POST") != 0)
        assert_false(v.enabled);
    else
        assert_true(v.enabled);
    model_version_cleanup(&v);
    free(vault);
    free(key);
    free(name);
    w->parsed++;
}

static void recorded_entry(const struct support_azdata_entry *en, void *arg)
{
    struct walk *w = arg;
    char *path = uri_path(en->uri);
    if (en->status >= 400) {
        struct az_error e;
        az_error_parse(en->status, en->body, en->len, &e);
        assert_string_equal(e.code, en->status == 401 ? "Unauthorized" : "KeyNotFound");
        az_error_cleanup(&e);
        w->errors++;
    } else if (ends_with(path, "/rotationpolicy")) {
        struct model_rotation r;
        assert_int_equal(kvparse_rotation_policy(en->body, en->len, &r, NULL), 0);
        assert_true(r.read);
        if (strcmp(en->method, "GET") == 0) { /* the service default: "attributes": null */
            assert_true(r.notify);
            assert_false(r.rotate);
            assert_null(r.expiry_time);
        } else {
            assert_false(r.notify);
            assert_true(r.rotate);
            assert_string_equal(r.expiry_time, "P90D");
        }
        free(r.expiry_time);
        w->parsed++;
    } else if (ends_with(path, "/wrapKey") || ends_with(path, "/unwrapKey")) {
        char *kid = model_uri_normalise(en->uri);
        *strrchr(kid, '/') = '\0'; /* the operation's key version */
        check_value(en->body, en->len, ends_with(path, "/wrapKey") ? 256 : 32, kid);
        free(kid);
        w->parsed++;
    } else {
        recorded_bundle(en, path, w);
    }
    free(path);
}

static void test_recordings(void **state)
{
    (void)state;
    struct walk w = {0};
    size_t n, entries = 0;
    char **files = support_azdata_list("azure-recordings", &n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        entries += support_azdata_entries(files[i], recorded_entry, &w);
    support_azdata_list_free(files, n);
    assert_int_equal(entries, 26);
    assert_int_equal(w.errors, 9);
    assert_int_equal(w.parsed, 17);
}

int main(void)
{
    support_azdata_init(TDECTL_SHARED_DIR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_degenerate),
        cmocka_unit_test(test_bundle_tolerant),
        cmocka_unit_test(test_lists_degenerate),
        cmocka_unit_test(test_lists_refuse_garbled_kids),
        cmocka_unit_test(test_rotation_degenerate),
        cmocka_unit_test(test_value_degenerate),
        cmocka_unit_test(test_fingerprint_spellings),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_recordings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
