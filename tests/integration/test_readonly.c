/*
 * Read-only mode: a session with config.read_only sees the whole estate as
 * usual, every write the typed clients offer is refused by the transport
 * before anything leaves the process (CORE_ERR_REFUSED, counted in
 * http_stats), the read-only POSTs (wrap/unwrap on a key version, the
 * instance's key validation) are sent, and azsim's request log proves that no
 * PUT, PATCH, DELETE or other POST ever reached it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "armclient.h"
#include "fixture.h"
#include "http.h"
#include "kvclient.h"
#include "loop.h"
#include "session.h"
#include "support.h"
#include "xmem.h"

static struct fixture fx;

/* How one call ended. */
struct outcome {
    bool done;
    enum core_err err;
    long status;
    char *error;
    unsigned char bytes[1024];
    size_t len;
};

static void note(struct outcome *o, const struct az_status *st)
{
    o->done = true;
    o->err = st->err;
    o->status = st->status;
    o->error = xstrdup_or_null(st->error);
}

static void on_reply(const struct az_reply *r, void *arg)
{
    note(arg, &r->st);
}

static void on_server_key(const struct az_status *st, struct model_server_key *k, void *arg)
{
    note(arg, st);
    model_server_key_cleanup(k);
}

static void on_protector(const struct az_status *st, struct model_protector *p, void *arg)
{
    note(arg, st);
    model_protector_cleanup(p);
}

static void on_version(const struct az_status *st, struct model_version *v, const char *key_name,
                       void *arg)
{
    (void)key_name;
    note(arg, st);
    model_version_cleanup(v);
}

static void on_bytes(const struct az_status *st, const unsigned char *value, size_t len, void *arg)
{
    struct outcome *o = arg;
    note(o, st);
    if (value && len <= sizeof o->bytes) {
        memcpy(o->bytes, value, len);
        o->len = len;
    }
}

static void wait_done(struct outcome *o, const char *what)
{
    struct loop *loop = session_loop(fx.session);
    int64_t deadline = support_mono_ms() + 20000;
    while (!o->done) {
        if (support_mono_ms() > deadline)
            fail_msg("%s: no answer within 20 s", what);
        loop_run_once(loop, 100);
    }
    print_message("  %-22s %s %ld %s\n", what, core_err_name(o->err), o->status,
                  o->error ? o->error : "");
}

static void expect_refused(struct outcome *o, const char *what)
{
    wait_done(o, what);
    if (o->err != CORE_ERR_REFUSED)
        fail_msg("%s: %s (%s), expected refused", what, core_err_name(o->err),
                 o->error ? o->error : "");
    assert_int_equal(o->status, 0);
    assert_non_null(o->error);
    assert_non_null(strstr(o->error, "refused in read-only mode"));
    free(o->error);
}

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, &(struct fixture_options){.read_only = true});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    return 0;
}

/* The full sweep read everything, exactly as without read-only. */
static void test_estate_complete(void **state)
{
    (void)state;
    assert_true(http_read_only(session_http(fx.session)));
    const struct model *m = fixture_model(&fx);
    assert_int_equal(m->ninstances, 2);
    assert_int_equal(m->nvaults, 2);
    assert_int_equal(m->nfogs, 1);
    assert_int_equal(m->npes, 4);
    assert_false(model_fresh_stale(&m->fogs[0]->fresh));
    const char *instances[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_instance *mi = fixture_instance(&fx, instances[i]);
        assert_int_equal(mi->ndbs, 3);
        assert_true(mi->nkeys >= 2);
        assert_non_null(mi->protector.uri);
        assert_false(model_fresh_stale(&mi->keys_fresh));
        assert_false(model_fresh_stale(&mi->protector_fresh));
        assert_false(model_fresh_stale(&mi->dbs_fresh));
    }
    const char *vaults[] = {DEMO_KV_EUS2, DEMO_KV_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_vault *v = fixture_vault(&fx, vaults[i]);
        assert_non_null(v->id);
        assert_true(v->nkeys >= 1);
        assert_false(model_fresh_stale(&v->arm_fresh));
        assert_false(model_fresh_stale(&v->keys_fresh));
        assert_false(model_fresh_stale(&v->probe_fresh));
        for (size_t k = 0; k < v->nkeys; k++) {
            assert_true(v->keys[k].rotation.read);
            for (size_t j = 0; j < v->keys[k].nversions; j++)
                assert_int_equal(strlen(v->keys[k].versions[j].fingerprint), 64);
        }
    }
    fixture_expect_clean(&fx, HEALTH_LOW);
    /* Nothing was refused: a sweep only reads. */
    assert_int_equal(http_stats(session_http(fx.session)).refused, 0);
}

/* Every write the clients offer ends with CORE_ERR_REFUSED, before anything is sent. */
static void test_writes_refused(void **state)
{
    (void)state;
    struct azure *az = session_azure(fx.session);
    struct model_instance *mi = fixture_instance(&fx, DEMO_MI_EUS2);
    struct model_vault *v = fixture_vault(&fx, DEMO_KV_EUS2);
    const struct model_fog *fg = fixture_model(&fx)->fogs[0];
    char *instance_id = xstrdup(mi->id), *key_uri = xstrdup(mi->protector.uri);
    char *key_name = xstrdup(mi->protector.server_key_name), *vault = xstrdup(v->uri);
    uint64_t refused = http_stats(session_http(fx.session)).refused;
    const char *const writes[] = {" PUT ", " PATCH ", " DELETE ", NULL};
    char *log_before = support_azsim_log(fx.sim);

    struct outcome o[8];
    memset(o, 0, sizeof o);
    arm_put_server_key(az, instance_id, key_uri, on_server_key, &o[0]);
    expect_refused(&o[0], "arm_put_server_key");
    arm_set_protector(az, instance_id, key_name, true, on_protector, &o[1]);
    expect_refused(&o[1], "arm_set_protector");
    arm_revalidate(az, instance_id, on_reply, &o[2]);
    expect_refused(&o[2], "arm_revalidate");
    arm_fog_failover(az, fg, false, on_reply, &o[3]);
    expect_refused(&o[3], "arm_fog_failover");
    struct kv_key_spec spec = {.bits = 2048, .ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP};
    kv_create_key(az, vault, "tdectl-new", &spec, on_version, &o[4]);
    expect_refused(&o[4], "kv_create_key");
    kv_import_key(az, vault, "tdectl-import", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
                  &spec, on_version, &o[5]);
    expect_refused(&o[5], "kv_import_key");
    kv_backup_key(az, vault, "tde-protector-2025", on_bytes, &o[6]);
    expect_refused(&o[6], "kv_backup_key");
    const unsigned char blob[] = "not a backup";
    kv_restore_key(az, vault, blob, sizeof blob, on_version, &o[7]);
    expect_refused(&o[7], "kv_restore_key");

    /* Each was stopped by the gate, and counted. */
    assert_int_equal(http_stats(session_http(fx.session)).refused - refused, 8);
    /* The log did not grow by a single write (the full check is test_log_proves_it). */
    char *log_after = support_azsim_log(fx.sim);
    assert_true(strlen(log_after) >= strlen(log_before));
    const char *added = log_after + strlen(log_before);
    for (size_t i = 0; writes[i]; i++)
        assert_null(strstr(added, writes[i]));
    assert_null(strstr(added, "/backup"));
    assert_null(strstr(added, "/restore"));
    assert_null(strstr(added, "/create"));
    free(log_before);
    free(log_after);
    free(instance_id);
    free(key_uri);
    free(key_name);
    free(vault);
}

/* The POSTs that change nothing go out: wrap and unwrap on a key version, validate. */
static void test_readonly_posts_sent(void **state)
{
    (void)state;
    struct azure *az = session_azure(fx.session);
    struct model_instance *mi = fixture_instance(&fx, DEMO_MI_EUS2);
    char *key_uri = xstrdup(mi->protector.uri), *instance_id = xstrdup(mi->id);
    uint64_t refused = http_stats(session_http(fx.session)).refused;
    unsigned char secret[32];
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (unsigned char)(i * 7 + 1);

    struct outcome wrap = {0}, unwrap = {0}, validate = {0};
    kv_wrap(az, key_uri, "RSA-OAEP-256", secret, sizeof secret, on_bytes, &wrap);
    wait_done(&wrap, "kv_wrap");
    assert_int_equal(wrap.err, CORE_OK);
    assert_true(wrap.len >= 256); /* an RSA-2048 or 3072 ciphertext */
    kv_unwrap(az, key_uri, "RSA-OAEP-256", wrap.bytes, wrap.len, on_bytes, &unwrap);
    wait_done(&unwrap, "kv_unwrap");
    assert_int_equal(unwrap.err, CORE_OK);
    assert_int_equal(unwrap.len, sizeof secret);
    assert_memory_equal(unwrap.bytes, secret, sizeof secret);
    arm_validate_key(az, instance_id, key_uri, on_reply, &validate);
    wait_done(&validate, "arm_validate_key");
    assert_int_equal(validate.err, CORE_OK);
    assert_int_equal(http_stats(session_http(fx.session)).refused, refused);

    /* azsim saw them. */
    const char *const wraps[] = {"https 200 POST ", "/wrapkey", NULL};
    const char *const unwraps[] = {"https 200 POST ", "/unwrapkey", NULL};
    const char *const validates[] = {"https 20", " POST management.localhost/",
                                     "/validateAzureKeyVaultEncryptionKey", NULL};
    assert_int_equal(support_azsim_log_count(fx.sim, wraps), 1);
    assert_int_equal(support_azsim_log_count(fx.sim, unwraps), 1);
    assert_int_equal(support_azsim_log_count(fx.sim, validates), 1);
    free(wrap.error);
    free(unwrap.error);
    free(validate.error);
    free(key_uri);
    free(instance_id);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A POST read-only mode lets through: a token, a wrap/unwrap, a key validation. */
static bool allowed_post(const char *target)
{
    if (strncmp(target, "login.localhost/", 16) == 0)
        return ends_with(target, "/oauth2/v2.0/token") || ends_with(target, "/oauth2/token");
    if (strstr(target, ".vault.localhost/keys/"))
        return ends_with(target, "/wrapkey") || ends_with(target, "/unwrapkey");
    if (strncmp(target, "management.localhost/", 21) == 0)
        return ends_with(target, "/validateAzureKeyVaultEncryptionKey");
    return false;
}

/* Every request azsim ever answered on its HTTPS listener was a read or an allowed POST. */
static void test_log_proves_it(void **state)
{
    (void)state;
    char *log = support_azsim_log(fx.sim);
    size_t gets = 0, tokens = 0, crypto = 0, validates = 0;
    for (char *line = log, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        const char *at = strstr(line, " https ");
        if (at == NULL)
            continue; /* the control interface, startup lines */
        int status = 0;
        char method[16], target[1024];
        if (sscanf(at, " https %d %15s %1023s", &status, method, target) != 3)
            fail_msg("unreadable log line: %s", line);
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
            gets++;
            continue;
        }
        if (strcmp(method, "POST") != 0 || !allowed_post(target))
            fail_msg("a write reached azsim in read-only mode: %s", line);
        if (strncmp(target, "login.", 6) == 0)
            tokens++;
        else if (strncmp(target, "management.", 11) == 0)
            validates++;
        else
            crypto++;
    }
    free(log);
    print_message("  azsim saw %zu reads, %zu token POSTs, %zu wrap/unwrap, %zu validations\n",
                  gets, tokens, crypto, validates);
    assert_true(gets > 20);
    assert_true(tokens >= 2); /* ARM and Key Vault */
    assert_int_equal(crypto, 2);
    assert_int_equal(validates, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estate_complete),
        cmocka_unit_test(test_writes_refused),
        cmocka_unit_test(test_readonly_posts_sent),
        cmocka_unit_test(test_log_proves_it),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
