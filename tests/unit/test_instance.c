/*
 * Unit tests for sim/instance: server key names, the registered-key list
 * (find, case-insensitive; remove in the middle, at the end, and a missing
 * name), databases and their status names, and the thumbprint of RSA
 * material, checked against an independent SHA-1 of the modulus computed here
 * with OpenSSL.
 *
 * Degenerate inputs first: an empty instance, NULL destroys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "b64.h"
#include "instance.h"
#include "rsakey.h"
#include "support.h"

#define V1   "0123456789abcdef0123456789abcdef"
#define V2   "fedcba9876543210fedcba9876543210"
#define TP_A "00112233445566778899AABBCCDDEEFF00112233"
#define TP_B "FFEEDDCCBBAA99887766554433221100FFEEDDCC"
#define TP_C "0A0B0C0D0E0F101112131415161718191A1B1C1D"

static char *pem1, *pem2;

static int group_setup(void **state)
{
    (void)state;
    pem1 = support_rsa_pem();
    pem2 = support_rsa_pem();
    return pem1 && pem2 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(pem1);
    free(pem2);
    return 0;
}

static struct rsakey *load_pem(const char *pem)
{
    char *cause = NULL;
    struct rsakey *k = rsakey_from_pem(pem, strlen(pem), &cause);
    if (k == NULL)
        fail_msg("PEM did not load: %s", cause ? cause : "?");
    return k;
}

static EVP_PKEY *pkey_of(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(pkey);
    return pkey;
}

static BIGNUM *bn_param(const EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
    return bn;
}

/* The expected thumbprint: upper-case hex SHA-1 of the big-endian modulus, computed here. */
static void expected_thumbprint(const char *pem, char out[THUMBPRINT_LEN])
{
    EVP_PKEY *pkey = pkey_of(pem);
    BIGNUM *n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
    int len = BN_num_bytes(n);
    unsigned char *bytes = malloc((size_t)len);
    assert_non_null(bytes);
    assert_int_equal(BN_bn2bin(n, bytes), len);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    assert_int_equal(EVP_Digest(bytes, (size_t)len, digest, &dlen, EVP_sha1(), NULL), 1);
    assert_int_equal(dlen, 20);
    for (unsigned int i = 0; i < dlen; i++)
        snprintf(out + 2 * i, 3, "%02X", digest[i]);
    free(bytes);
    BN_free(n);
    EVP_PKEY_free(pkey);
}

static char *bn_b64url(const BIGNUM *bn)
{
    int len = BN_num_bytes(bn);
    unsigned char *bytes = malloc((size_t)len);
    assert_non_null(bytes);
    BN_bn2bin(bn, bytes);
    char *text = b64_url_encode(bytes, (size_t)len);
    free(bytes);
    return text;
}

/*
 * The same modulus with another public exponent (and the matching private
 * exponent): a different key pair whose thumbprint must not change, as it
 * depends on the modulus only.
 */
static struct rsakey *same_modulus_other_exponent(const char *pem)
{
    EVP_PKEY *pkey = pkey_of(pem);
    BIGNUM *n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
    BIGNUM *p = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
    BIGNUM *q = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *p1 = BN_dup(p), *q1 = BN_dup(q), *g = BN_new(), *phi = BN_new(), *lambda = BN_new();
    BIGNUM *e = BN_new(), *d = NULL;
    assert_true(ctx && p1 && q1 && g && phi && lambda && e);
    assert_int_equal(BN_sub_word(p1, 1), 1);
    assert_int_equal(BN_sub_word(q1, 1), 1);
    assert_int_equal(BN_mul(phi, p1, q1, ctx), 1);
    assert_int_equal(BN_gcd(g, p1, q1, ctx), 1);
    assert_int_equal(BN_div(lambda, NULL, phi, g, ctx), 1);
    static const unsigned long candidates[] = {17, 257, 3, 5, 7, 11, 13, 19, 23, 29, 31, 37};
    for (size_t i = 0; d == NULL && i < sizeof candidates / sizeof candidates[0]; i++) {
        assert_int_equal(BN_set_word(e, candidates[i]), 1);
        d = BN_mod_inverse(NULL, e, lambda, ctx);
    }
    assert_non_null(d);
    char *tn = bn_b64url(n), *te = bn_b64url(e), *td = bn_b64url(d), *cause = NULL;
    struct rsakey *k = rsakey_from_jwk(tn, te, td, NULL, NULL, NULL, NULL, NULL, &cause);
    if (k == NULL)
        fail_msg("the other-exponent key did not load: %s", cause ? cause : "?");
    free(tn);
    free(te);
    free(td);
    BN_free(d);
    BN_free(e);
    BN_free(lambda);
    BN_free(phi);
    BN_free(g);
    BN_free(q1);
    BN_free(p1);
    BN_CTX_free(ctx);
    BN_free(q);
    BN_free(p);
    BN_free(n);
    EVP_PKEY_free(pkey);
    return k;
}

/* The PEM again in the traditional PKCS#1 form ("RSA PRIVATE KEY"), heap. */
static char *pkcs1_pem(const char *pem)
{
    EVP_PKEY *pkey = pkey_of(pem);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = malloc((size_t)len + 1);
    assert_non_null(out);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    assert_non_null(strstr(out, "BEGIN RSA PRIVATE KEY"));
    return out;
}

static void assert_thumbprint_shape(const char *tp)
{
    assert_int_equal(strlen(tp), 40);
    for (size_t i = 0; i < 40; i++) {
        if (!isxdigit((unsigned char)tp[i]) || islower((unsigned char)tp[i]))
            fail_msg("thumbprint %s: character %zu is not upper-case hex", tp, i);
    }
}

static void test_degenerate(void **state)
{
    (void)state;
    instance_destroy(NULL);
    failover_group_destroy(NULL);
    private_endpoint_destroy(NULL);

    struct instance *mi = instance_create("mi-empty");
    assert_string_equal(mi->name, "mi-empty");
    assert_int_equal(mi->nkeys, 0);
    assert_int_equal(mi->ndbs, 0);
    assert_null(mi->protector);
    assert_null(mi->serving);
    assert_int_equal(mi->access, MI_ACCESS_OK);
    assert_int_equal(mi->lost_since, 0);
    assert_false(mi->revalidate_needed);
    assert_null(instance_find_key(mi, "kv_k_" V1));
    assert_null(instance_find_key(mi, ""));
    assert_null(instance_find_thumbprint(mi, TP_A));
    assert_null(instance_find_thumbprint(mi, ""));
    assert_null(instance_find_db(mi, "db1"));
    instance_remove_key(mi, "kv_k_" V1); /* nothing to remove: a no-op */
    assert_int_equal(mi->nkeys, 0);
    instance_destroy(mi);
}

static void test_server_key_names(void **state)
{
    (void)state;
    char *name = server_key_name_of("kv-east", "tde-1", V1);
    assert_string_equal(name, "kv-east_tde-1_" V1);
    free(name);
    name = server_key_name_of("kv-east", "tde-1", NULL);
    assert_string_equal(name, "kv-east_tde-1");
    free(name);

    struct server_key k = {.vault = "kv-west", .key = "cmk", .version = V2};
    name = server_key_name(&k);
    assert_string_equal(name, "kv-west_cmk_" V2);
    free(name);
    k.version = NULL;
    name = server_key_name(&k);
    assert_string_equal(name, "kv-west_cmk");
    free(name);
}

static void test_keys(void **state)
{
    (void)state;
    struct instance *mi = instance_create("mi-p");
    instance_add_key(mi, "kv-east", "tde", V1, TP_A, 100);
    instance_add_key(mi, "kv-west", "tde", V1, TP_A, 200);
    instance_add_key(mi, "kv-east", "tde", V2, TP_B, 300);
    instance_add_key(mi, "kv-east", "loose", NULL, TP_C, 400);
    assert_int_equal(mi->nkeys, 4);

    struct server_key *k = instance_find_key(mi, "kv-east_tde_" V1);
    assert_ptr_equal(k, &mi->keys[0]);
    assert_string_equal(k->vault, "kv-east");
    assert_string_equal(k->key, "tde");
    assert_string_equal(k->version, V1);
    assert_string_equal(k->thumbprint, TP_A);
    assert_int_equal(k->created, 100);
    /* Names compare ignoring case, as Azure's resource names do. */
    assert_ptr_equal(instance_find_key(mi, "KV-WEST_TDE_0123456789ABCDEF0123456789ABCDEF"),
                     &mi->keys[1]);
    assert_ptr_equal(instance_find_key(mi, "kv-east_loose"), &mi->keys[3]);
    assert_null(mi->keys[3].version);
    assert_null(instance_find_key(mi, "kv-east_loose_" V1));
    assert_null(instance_find_key(mi, "kv-east_tde"));
    assert_null(instance_find_key(mi, "kv-east_tde_" V1 "0"));

    /* Thumbprints: the first key with it, in either case. */
    assert_ptr_equal(instance_find_thumbprint(mi, TP_A), &mi->keys[0]);
    assert_ptr_equal(instance_find_thumbprint(mi, "ffeeddccbbaa99887766554433221100ffeeddcc"),
                     &mi->keys[2]);
    assert_null(instance_find_thumbprint(mi, "0000000000000000000000000000000000000000"));

    /* Remove in the middle: order of the others kept, lookups still right. */
    instance_remove_key(mi, "KV-WEST_tde_" V1);
    assert_int_equal(mi->nkeys, 3);
    assert_null(instance_find_key(mi, "kv-west_tde_" V1));
    assert_string_equal(mi->keys[0].version, V1);
    assert_string_equal(mi->keys[1].version, V2);
    assert_string_equal(mi->keys[2].key, "loose");
    assert_ptr_equal(instance_find_thumbprint(mi, TP_A), &mi->keys[0]);
    assert_ptr_equal(instance_find_key(mi, "kv-east_tde_" V2), &mi->keys[1]);

    /* Remove the last one. */
    instance_remove_key(mi, "kv-east_loose");
    assert_int_equal(mi->nkeys, 2);
    assert_null(instance_find_key(mi, "kv-east_loose"));
    assert_null(instance_find_thumbprint(mi, TP_C));

    /* A missing name changes nothing. */
    instance_remove_key(mi, "kv-east_nope_" V1);
    instance_remove_key(mi, "");
    assert_int_equal(mi->nkeys, 2);

    /* Remove the first, then the only one left; then add again. */
    instance_remove_key(mi, "kv-east_tde_" V1);
    assert_int_equal(mi->nkeys, 1);
    assert_string_equal(mi->keys[0].version, V2);
    instance_remove_key(mi, "kv-east_tde_" V2);
    assert_int_equal(mi->nkeys, 0);
    assert_null(instance_find_thumbprint(mi, TP_B));
    instance_add_key(mi, "kv-x", "k", V2, TP_C, 5);
    assert_ptr_equal(instance_find_thumbprint(mi, TP_C), &mi->keys[0]);
    instance_destroy(mi);
}

static void test_databases(void **state)
{
    (void)state;
    assert_string_equal(db_status_name(DB_ONLINE), "Online");
    assert_string_equal(db_status_name(DB_INACCESSIBLE), "Inaccessible");
    assert_string_equal(db_status_name(DB_CREATING), "Creating");
    assert_string_equal(db_status_name(DB_OFFLINE), "Offline");
    assert_int_equal(db_status_parse("Online"), DB_ONLINE);
    assert_int_equal(db_status_parse("inaccessible"), DB_INACCESSIBLE);
    assert_int_equal(db_status_parse("CREATING"), DB_CREATING);
    assert_int_equal(db_status_parse("Offline"), DB_OFFLINE);
    assert_int_equal(db_status_parse(""), -1);
    assert_int_equal(db_status_parse("Onlin"), -1);
    assert_int_equal(db_status_parse("Online "), -1);
    assert_int_equal(db_status_parse("Suspect"), -1);
    for (int s = DB_ONLINE; s <= DB_OFFLINE; s++)
        assert_int_equal(db_status_parse(db_status_name((enum db_status)s)), s);

    struct instance *mi = instance_create("mi-db");
    instance_add_db(mi, "sales", DB_ONLINE, 1000);
    instance_add_db(mi, "Archive", DB_OFFLINE, 2000);
    instance_add_db(mi, "hr", DB_INACCESSIBLE, 3000);
    assert_int_equal(mi->ndbs, 3);
    struct database *db = instance_find_db(mi, "SALES");
    assert_ptr_equal(db, &mi->dbs[0]);
    assert_string_equal(db->name, "sales");
    assert_int_equal(db->status, DB_ONLINE);
    assert_int_equal(db->created, 1000);
    assert_non_null(db->collation);
    assert_string_equal(db->collation, "SQL_Latin1_General_CP1_CI_AS");
    assert_ptr_equal(instance_find_db(mi, "archive"), &mi->dbs[1]);
    assert_int_equal(instance_find_db(mi, "hr")->status, DB_INACCESSIBLE);
    assert_null(instance_find_db(mi, "h"));
    assert_null(instance_find_db(mi, ""));
    instance_destroy(mi);
}

static void test_thumbprint_matches_sha1_of_modulus(void **state)
{
    (void)state;
    const char *pems[] = {pem1, pem2};
    for (size_t i = 0; i < 2; i++) {
        struct rsakey *k = load_pem(pems[i]);
        char got[THUMBPRINT_LEN], want[THUMBPRINT_LEN];
        memset(got, 'x', sizeof got);
        instance_thumbprint(k, got);
        expected_thumbprint(pems[i], want);
        assert_thumbprint_shape(got);
        assert_string_equal(got, want);
        rsakey_unref(k);
    }
}

static void test_thumbprint_same_and_different_material(void **state)
{
    (void)state;
    struct rsakey *a1 = load_pem(pem1), *a2 = load_pem(pem1), *b = load_pem(pem2);
    char ta1[THUMBPRINT_LEN], ta2[THUMBPRINT_LEN], tb[THUMBPRINT_LEN];
    instance_thumbprint(a1, ta1);
    instance_thumbprint(a2, ta2);
    instance_thumbprint(b, tb);
    assert_thumbprint_shape(ta1);
    assert_thumbprint_shape(tb);
    assert_string_equal(ta1, ta2); /* loaded twice: two objects, one material */
    assert_string_not_equal(ta1, tb);

    /* Stable: the same key asked twice. */
    char again[THUMBPRINT_LEN];
    instance_thumbprint(a1, again);
    assert_string_equal(again, ta1);

    /* The same material in the PKCS#1 encoding. */
    char *pkcs1 = pkcs1_pem(pem1);
    struct rsakey *a3 = load_pem(pkcs1);
    char ta3[THUMBPRINT_LEN];
    instance_thumbprint(a3, ta3);
    assert_string_equal(ta3, ta1);
    free(pkcs1);

    rsakey_unref(a3);
    rsakey_unref(b);
    rsakey_unref(a2);
    rsakey_unref(a1);
}

static void test_thumbprint_modulus_only(void **state)
{
    (void)state;
    struct rsakey *a = load_pem(pem1);
    struct rsakey *other_e = same_modulus_other_exponent(pem1);
    assert_false(rsakey_same_material(a, other_e)); /* the exponents differ */
    assert_string_equal(rsakey_n(a), rsakey_n(other_e));
    char ta[THUMBPRINT_LEN], te[THUMBPRINT_LEN];
    instance_thumbprint(a, ta);
    instance_thumbprint(other_e, te);
    assert_string_equal(ta, te);
    rsakey_unref(other_e);
    rsakey_unref(a);
}

/* A registration keeps the thumbprint it is given, whatever its case, truncated to 40. */
static void test_add_key_copies(void **state)
{
    (void)state;
    struct instance *mi = instance_create("mi-copy");
    char vault[] = "kv-a", key[] = "k", version[] = V1, tp[] = TP_A;
    instance_add_key(mi, vault, key, version, tp, 7);
    vault[0] = key[0] = version[0] = tp[0] = 'Z'; /* the instance holds its own copies */
    assert_string_equal(mi->keys[0].vault, "kv-a");
    assert_string_equal(mi->keys[0].key, "k");
    assert_string_equal(mi->keys[0].version, V1);
    assert_string_equal(mi->keys[0].thumbprint, TP_A);
    instance_add_key(mi, "kv-a", "long", V2, TP_B "EXTRA", 8);
    assert_string_equal(mi->keys[1].thumbprint, TP_B);
    instance_destroy(mi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_server_key_names),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_add_key_copies),
        cmocka_unit_test(test_databases),
        cmocka_unit_test(test_thumbprint_matches_sha1_of_modulus),
        cmocka_unit_test(test_thumbprint_same_and_different_material),
        cmocka_unit_test(test_thumbprint_modulus_only),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
