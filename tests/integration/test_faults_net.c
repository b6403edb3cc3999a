/*
 * Network and service faults: every such fault azsim can inject shows up in
 * tdectl, within one poll cycle, as the right state of the reads it hit (err
 * kind, status, an error text saying what happened) and the right finding
 * (D01 naming the part that could not be read; V15 for the console's own
 * probe), keeps the last good data, and clears after the fault is cleared and
 * one more cycle. Faults are scoped to one vault (the other vault stays
 * healthy), to ARM, to Entra ID, or to the whole HTTPS listener.
 *
 * The fixture's transport: 3 s per attempt, 4 attempts, 5 s retry budget,
 * 16 MiB answers at most, and requests to one HTTP/1.1 host (azsim's vaults)
 * take turns. So a refused or reset vault read gives up after ~2.5 s of
 * backoff and a 429/503 storm with Retry-After 1 after four attempts (3 s);
 * the faults that hold connections (blackhole, a trickle that cannot finish)
 * run on a second session whose attempts time out after 1 s.
 *
 * Every test leaves azsim without faults, even when it fails (clear_all).
 * TEST_FILTER='test_vault_*' runs some of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth.h"
#include "cloud.h"
#include "fixture.h"
#include "http.h"
#include "loop.h"
#include "session.h"
#include "support.h"
#include "xmem.h"

#define FAULTY       DEMO_KV_EUS2
#define HEALTHY      DEMO_KV_CUS
#define VAULT_TARGET "\"target\":\"vault:" FAULTY "\""

static struct fixture fx;
/* The fixture in use: fx, or one with a shorter timeout for the faults that hold connections. */
static struct fixture *F = &fx;
static struct fixture quick;

/* The healthy estate: the faulty vault's keys and versions (all must survive a fault). */
static size_t base_nkeys;
static size_t base_nversions;

static size_t count_versions(const struct model_vault *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nkeys; i++)
        n += v->keys[i].nversions;
    return n;
}

/*
 * One poll cycle: the health sweep and/or the probe sweep, started now and
 * waited for until nothing is left in flight (so a periodic sweep that
 * happened to run is waited for too). Returns how long it took.
 */
static int64_t cycle(bool health, bool probe)
{
    unsigned h0 = F->sweeps[ENGINE_SWEEP_HEALTH], p0 = F->sweeps[ENGINE_SWEEP_PROBE];
    int64_t start = support_mono_ms(), deadline = start + 30000;
    if (probe)
        engine_refresh_probe(F->engine);
    if (health)
        engine_refresh_health(F->engine);
    struct loop *loop = session_loop(F->session);
    for (;;) {
        struct engine_stats s = engine_stats(F->engine);
        if ((!health || F->sweeps[ENGINE_SWEEP_HEALTH] > h0) &&
            (!probe || F->sweeps[ENGINE_SWEEP_PROBE] > p0) && s.in_flight == 0 && s.queued == 0)
            break;
        if (support_mono_ms() > deadline)
            fail_msg("the cycle did not end within 30 s");
        loop_run_once(loop, 100);
    }
    return support_mono_ms() - start;
}

static void show_findings(void)
{
    fixture_count(F, HEALTH_INFO); /* evaluates */
    size_t n = 0;
    const struct health_finding *all = health_findings(F->health, &n);
    for (size_t i = 0; i < n; i++) {
        if (all[i].sev >= HEALTH_LOW)
            print_message("    %s %s %s%s: %s\n", all[i].rule, health_sev_name(all[i].sev),
                          all[i].subject, all[i].stale ? " (stale)" : "", all[i].evidence);
    }
}

/* f's last read failed with err, status and an error containing each text (NULL-ended). */
static void expect_failed(const char *what, const struct fresh *f, enum core_err err, int status,
                          const char *const *texts)
{
    print_message("  %s: %s %d %s\n", what, core_err_name(f->err), f->status,
                  f->error ? f->error : "(no error text)");
    if (f->err != err)
        fail_msg("%s: err %s, expected %s", what, core_err_name(f->err), core_err_name(err));
    assert_int_equal(f->status, status);
    assert_non_null(f->error);
    for (size_t i = 0; texts && texts[i]; i++) {
        if (strstr(f->error, texts[i]) == NULL)
            fail_msg("%s: error \"%s\" does not say \"%s\"", what, f->error, texts[i]);
    }
    assert_true(model_fresh_stale(f));
    assert_true(f->read_at > 0); /* read before: what the model shows is the last good data */
    assert_true(f->tried_at >= f->read_at);
}

static void expect_ok(const char *what, const struct fresh *f)
{
    if (model_fresh_stale(f) || f->err != CORE_OK)
        fail_msg("%s: stale (%s: %s)", what, core_err_name(f->err), f->error ? f->error : "");
    assert_null(f->error);
    assert_true(f->read_at > 0);
}

/* The finding of rule about subject, with every text (NULL-ended) in its evidence. */
static const struct health_finding *expect_finding(const char *rule, const char *subject,
                                                   enum health_sev sev, const char *const *texts)
{
    const struct health_finding *hf = fixture_finding(F, rule, subject);
    if (hf == NULL) {
        show_findings();
        fail_msg("no %s finding about %s", rule, subject);
    }
    if (hf->sev != sev)
        fail_msg("%s %s: %s, expected %s (%s)", rule, subject, health_sev_name(hf->sev),
                 health_sev_name(sev), hf->evidence);
    for (size_t i = 0; texts && texts[i]; i++) {
        if (strstr(hf->evidence, texts[i]) == NULL)
            fail_msg("%s %s: evidence \"%s\" does not say \"%s\"", rule, subject, hf->evidence,
                     texts[i]);
    }
    return hf;
}

static void expect_no_finding(const char *rule, const char *subject)
{
    const struct health_finding *hf = fixture_finding(F, rule, subject);
    if (hf)
        fail_msg("unexpected %s %s %s: %s", hf->rule, health_sev_name(hf->sev), hf->subject,
                 hf->evidence);
}

/* No finding at LOW or above about anything whose subject contains subject. */
static void expect_subject_clean(const char *subject)
{
    fixture_count(F, HEALTH_INFO);
    size_t n = 0;
    const struct health_finding *all = health_findings(F->health, &n);
    for (size_t i = 0; i < n; i++) {
        if (all[i].sev >= HEALTH_LOW && strstr(all[i].subject, subject))
            fail_msg("unexpected %s %s %s: %s", all[i].rule, health_sev_name(all[i].sev),
                     all[i].subject, all[i].evidence);
    }
}

/* The last good data is all still there. */
static void expect_kept(void)
{
    const struct model *m = fixture_model(F);
    struct model_vault *v = fixture_vault(F, FAULTY);
    assert_int_equal(v->nkeys, base_nkeys);
    assert_int_equal(count_versions(v), base_nversions);
    for (size_t i = 0; i < v->nkeys; i++) {
        for (size_t j = 0; j < v->keys[i].nversions; j++)
            assert_int_equal(strlen(v->keys[i].versions[j].fingerprint), 64);
    }
    assert_int_equal(m->ninstances, 2);
    assert_int_equal(m->nvaults, 2);
    assert_int_equal(m->nfogs, 1);
    const char *names[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_instance *mi = fixture_instance(F, names[i]);
        assert_int_equal(mi->ndbs, 3);
        assert_true(mi->nkeys >= 2);
        assert_non_null(mi->protector.uri);
    }
}

static void expect_instances_ok(void)
{
    const char *names[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_instance *mi = fixture_instance(F, names[i]);
        expect_ok("registered keys", &mi->keys_fresh);
        expect_ok("protector", &mi->protector_fresh);
        expect_ok("databases", &mi->dbs_fresh);
    }
    expect_ok("failover group", &fixture_model(F)->fogs[0]->fresh);
}

static void expect_vault_ok(const char *name)
{
    struct model_vault *v = fixture_vault(F, name);
    expect_ok("key list", &v->keys_fresh);
    expect_ok("probe", &v->probe_fresh);
    for (size_t i = 0; i < v->nkeys; i++)
        expect_ok("versions", &v->keys[i].versions_fresh);
}

/* After the fault is gone and one more cycle: every read worked, nothing is flagged. */
static void expect_recovered(void)
{
    expect_vault_ok(FAULTY);
    expect_vault_ok(HEALTHY);
    expect_instances_ok();
    expect_kept();
    fixture_expect_clean(F, HEALTH_LOW);
}

static void clear_and_recover(char *id)
{
    fixture_clear(F, id);
    free(id);
    cycle(true, true);
    expect_recovered();
}

/* Starts a session on F (azsim already running when F->sim is set) and checks it is healthy. */
static void start(const struct fixture_options *o)
{
    fixture_start(F, o);
    cycle(true, true);
    fixture_expect_clean(F, HEALTH_LOW);
    struct model_vault *v = fixture_vault(F, FAULTY);
    base_nkeys = v->nkeys;
    base_nversions = count_versions(v);
    assert_true(base_nkeys >= 1);
    assert_true(base_nversions >= base_nkeys);
}

static int setup(void **state)
{
    (void)state;
    start(NULL);
    return 0;
}

/* A second session on the same azsim whose attempts time out after 1 s. */
static void use_quick(void)
{
    memset(&quick, 0, sizeof quick);
    quick.sim = fx.sim;
    F = &quick;
    start(&(struct fixture_options){.timeout_ms = 1000});
}

static void end_quick(void)
{
    if (F == &quick)
        fixture_stop(&quick, true);
    F = &fx;
}

/* After each test, even a failed one: no fault left behind for the next. */
static int clear_all(void **state)
{
    (void)state;
    fixture_clear(F, NULL);
    end_quick();
    cycle(true, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(F, false);
    return 0;
}

/* -- one vault -------------------------------------------------------------------------------- */

struct vault_case {
    const char *spec;
    enum core_err err;
    int status;
    const char *texts[4]; /* what the error says (the data read's) */
    bool probe_fails;     /* the console's probe fails too (V15 HIGH) */
    enum core_err probe_err;
    const char *probe_texts[4];
};

/*
 * The fault on FAULTY: after one health + probe cycle its key list is stale
 * with the expected error and D01 names it, the probe is V15 (or not), the
 * data is kept, the other vault and ARM are untouched; one cycle after the
 * fault is cleared, everything is clean.
 */
static void vault_fault(const struct vault_case *c)
{
    print_message("fault %s\n", c->spec);
    char *id = fixture_fault(F, c->spec);
    int64_t ms = cycle(true, true);
    print_message("  one cycle: %lld ms\n", (long long)ms);
    struct model_vault *v = fixture_vault(F, FAULTY);
    expect_failed("key list", &v->keys_fresh, c->err, c->status, c->texts);
    const char *d01[] = {"key list: ", c->texts[0], NULL};
    const struct health_finding *hf = expect_finding("D01", "vault " FAULTY, HEALTH_HIGH, d01);
    assert_true(hf->stale);
    if (c->probe_fails) {
        expect_failed("probe", &v->probe_fresh, c->probe_err, 0, c->probe_texts);
        const char *v15[] = {"probe of " FAULTY " failed", c->probe_texts[0], NULL};
        expect_finding("V15", "vault " FAULTY, HEALTH_HIGH, v15);
    } else {
        expect_ok("probe", &v->probe_fresh);
        expect_no_finding("V15", "vault " FAULTY);
    }
    expect_kept();
    expect_vault_ok(HEALTHY);
    expect_subject_clean(HEALTHY);
    expect_instances_ok();
    expect_subject_clean("instance ");
    clear_and_recover(id);
}

static void test_vault_refused(void **state)
{
    (void)state;
    /* azsim closes the connection without an answer (one listener serves every vault). */
    struct vault_case c = {
        .spec = "{\"kind\":\"refused\"," VAULT_TARGET "}",
        .err = CORE_ERR_NETWORK,
        .texts = {"Empty reply from server", FAULTY ".vault.localhost"},
        .probe_fails = true,
        .probe_err = CORE_ERR_NETWORK,
        .probe_texts = {"Empty reply from server"},
    };
    vault_fault(&c);
}

static void test_vault_reset(void **state)
{
    (void)state;
    /* Half the body, then the connection breaks: the headers (and request id) arrived. */
    struct vault_case c = {
        .spec = "{\"kind\":\"reset\"," VAULT_TARGET "}",
        .err = CORE_ERR_NETWORK,
        .texts = {"transfer closed with", "bytes remaining to read"},
        .probe_fails = true,
        .probe_err = CORE_ERR_NETWORK,
        .probe_texts = {"transfer closed with"},
    };
    vault_fault(&c);
    assert_non_null(fixture_vault(F, FAULTY)->keys_fresh.request_id);
}

/*
 * Faults that hold connections: every attempt times out. Requests to one
 * HTTP/1.1 host take turns, so a cycle is six timed-out attempts (the key
 * list and the probe, three times each): a session with 1 s attempts keeps
 * this short.
 */
static void test_vault_held_connections(void **state)
{
    (void)state;
    use_quick();
    /* blackhole: held unanswered. */
    struct vault_case held = {
        .spec = "{\"kind\":\"blackhole\"," VAULT_TARGET "}",
        .err = CORE_ERR_TIMEOUT,
        /* libcurl names the elapsed time, 1000 or 1001 ms: not part of the check */
        .texts = {"timed out after 10", "milliseconds with 0 bytes received",
                  FAULTY ".vault.localhost"},
        .probe_fails = true,
        .probe_err = CORE_ERR_TIMEOUT,
        .probe_texts = {"timed out after 10", "milliseconds with 0 bytes received"},
    };
    vault_fault(&held);
    /* slow at 50 bytes a second: answers of ~500 bytes cannot finish in time. */
    struct vault_case trickle = {
        .spec = "{\"kind\":\"slow\"," VAULT_TARGET ",\"bytes_per_second\":50}",
        .err = CORE_ERR_TIMEOUT,
        .texts = {"timed out after 10", "milliseconds with", "bytes received"},
        .probe_fails = true,
        .probe_err = CORE_ERR_TIMEOUT,
        .probe_texts = {"timed out after 10", "milliseconds with"},
    };
    vault_fault(&trickle);
    end_quick();
}

static void test_vault_slow_enough(void **state)
{
    (void)state;
    /* 2000 bytes a second: every answer trickles in well within the timeout. */
    struct model_vault *v = fixture_vault(F, FAULTY);
    int64_t read_before = v->keys_fresh.read_at;
    char *id = fixture_fault(F, "{\"kind\":\"slow\"," VAULT_TARGET ",\"bytes_per_second\":2000}");
    int64_t ms = cycle(true, true);
    v = fixture_vault(F, FAULTY);
    print_message("  one cycle: %lld ms, probe %lld ms\n", (long long)ms,
                  (long long)v->probe_latency_ms);
    expect_vault_ok(FAULTY);
    assert_true(v->keys_fresh.read_at > read_before);
    /* The probe goes without a token: its 401 answer (~90 bytes) trickles for ~45 ms. */
    assert_true(v->probe_latency_ms >= 30);
    expect_no_finding("D01", "vault " FAULTY);
    expect_no_finding("V15", "vault " FAULTY);
    expect_kept();
    clear_and_recover(id);
}

static void test_vault_throttle(void **state)
{
    (void)state;
    const char *const needles[] = {"https 429 GET " FAULTY ".vault.localhost", NULL};
    int before = support_azsim_log_count(F->sim, needles);
    /*
     * Every answer is 429 with Retry-After: 1. The transport waits as asked and
     * gives up after its 4 attempts: the read ends THROTTLED. The probe got an
     * answer (the path works): no V15, and its latency is not the retries' waits.
     */
    struct vault_case c = {
        .spec = "{\"kind\":\"throttle\"," VAULT_TARGET ",\"rate\":1,\"retry_after\":1}",
        .err = CORE_ERR_THROTTLED,
        .status = 429,
        .texts = {"Throttled: Request was not processed because too many requests"},
    };
    vault_fault(&c);
    /* Two requests hit the storm (the key list and the probe), each sent at most 4 times. */
    int storms = support_azsim_log_count(F->sim, needles) - before;
    print_message("  429 answers: %d\n", storms);
    assert_true(storms >= 2 && storms <= 8);
}

static void test_vault_error(void **state)
{
    (void)state;
    struct vault_case c = {
        .spec = "{\"kind\":\"error\"," VAULT_TARGET ",\"rate\":1,\"status\":503}",
        .err = CORE_ERR_HTTP,
        .status = 503,
        .texts = {"ServiceUnavailable: The service is temporarily unavailable."},
    };
    vault_fault(&c);
}

/* Half the answers fail: the retries usually win, but nothing here is certain but this. */
static void test_vault_error_sometimes(void **state)
{
    (void)state;
    char *id = fixture_fault(F, "{\"kind\":\"error\"," VAULT_TARGET ",\"rate\":0.5}");
    cycle(true, true);
    struct model_vault *v = fixture_vault(F, FAULTY);
    const struct fresh *reads[] = {&v->keys_fresh, &v->probe_fresh};
    for (size_t i = 0; i < 2; i++) {
        if (reads[i]->err != CORE_OK) {
            assert_int_equal(reads[i]->err, CORE_ERR_HTTP);
            assert_int_equal(reads[i]->status, 503);
        }
    }
    expect_kept();
    expect_vault_ok(HEALTHY);
    expect_subject_clean(HEALTHY);
    /*
     * A 503 is an answer: the path works. (A probe answered 200 after a 503
     * may show V15 MED: its time includes the retry's wait.)
     */
    const struct health_finding *v15 = fixture_finding(F, "V15", "vault " FAULTY);
    assert_true(v15 == NULL || v15->sev < HEALTH_HIGH);
    clear_and_recover(id);
}

static void test_vault_malformed(void **state)
{
    (void)state;
    struct vault_case c = {
        .spec = "{\"kind\":\"malformed\"," VAULT_TARGET ",\"rate\":1}",
        .err = CORE_ERR_PARSE,
        .status = 200,
        .texts = {"not valid JSON"},
    };
    vault_fault(&c);
}

static void test_vault_truncated(void **state)
{
    (void)state;
    struct vault_case c = {
        .spec = "{\"kind\":\"truncated\"," VAULT_TARGET ",\"rate\":1}",
        .err = CORE_ERR_PARSE,
        .status = 200,
        .texts = {"not valid JSON"},
    };
    vault_fault(&c);
}

static void test_vault_oversized(void **state)
{
    (void)state;
    /* 17 MiB: over the transport's 16 MiB cap, refused from the declared length. */
    struct vault_case c = {
        .spec = "{\"kind\":\"oversized\"," VAULT_TARGET ",\"bytes\":17825792}",
        .err = CORE_ERR_LIMIT,
        .texts = {"larger than the 16777216-byte limit"},
        .probe_fails = true,
        .probe_err = CORE_ERR_LIMIT,
        .probe_texts = {"larger than the 16777216-byte limit"},
    };
    vault_fault(&c);
}

static void test_vault_latency(void **state)
{
    (void)state;
    struct model_vault *v = fixture_vault(F, FAULTY);
    int64_t read_before = v->keys_fresh.read_at;
    char *id =
        fixture_fault(F, "{\"kind\":\"latency\"," VAULT_TARGET ",\"ms\":1200,\"jitter_ms\":100}");
    int64_t ms = cycle(true, true);
    print_message("  one cycle: %lld ms, probe %lld ms\n", (long long)ms,
                  (long long)v->probe_latency_ms);
    /* Slow but under the timeout: the data is read fine ... */
    v = fixture_vault(F, FAULTY);
    expect_vault_ok(FAULTY);
    assert_true(v->keys_fresh.read_at > read_before);
    expect_no_finding("D01", "vault " FAULTY);
    /* ... and the console's probe says how slow. */
    assert_true(v->probe_latency_ms >= 1100);
    char latency[64];
    snprintf(latency, sizeof latency, "answered the probe in %lld ms",
             (long long)v->probe_latency_ms);
    const char *v15[] = {latency, "console's path", NULL};
    expect_finding("V15", "vault " FAULTY, HEALTH_MED, v15);
    expect_kept();
    expect_subject_clean(HEALTHY);
    clear_and_recover(id);
    assert_true(fixture_vault(F, FAULTY)->probe_latency_ms < 1000);
}

/* A fault on one region's view of the vault is the instances' path, not the console's. */
static void test_region_view(void **state)
{
    (void)state;
    char *id = fixture_fault(F, "{\"kind\":\"refused\",\"target\":\"vault:" FAULTY "@eastus2\"}");
    char *id2 =
        fixture_fault(F, "{\"kind\":\"error\",\"target\":\"vault:" FAULTY "@eastus2\",\"rate\":1}");
    cycle(true, true);
    expect_vault_ok(FAULTY);
    expect_vault_ok(HEALTHY);
    expect_instances_ok();
    fixture_expect_clean(F, HEALTH_LOW);
    fixture_clear(F, id2);
    free(id2);
    clear_and_recover(id);
}

/* -- ARM and Entra ID ------------------------------------------------------------------------- */

/* Every ARM read of the health sweep (instances' keys, protector, databases; the group). */
static void expect_arm_failed(enum core_err err, int status, const char *const *texts)
{
    const char *names[] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        struct model_instance *mi = fixture_instance(F, names[i]);
        expect_failed("registered keys", &mi->keys_fresh, err, status, texts);
        expect_failed("protector", &mi->protector_fresh, err, status, texts);
        expect_failed("databases", &mi->dbs_fresh, err, status, texts);
        char subject[64];
        snprintf(subject, sizeof subject, "instance %s", names[i]);
        const char *d01[] = {"registered keys: ", "encryption protector: ", "databases: ", texts[0],
                             NULL};
        assert_true(expect_finding("D01", subject, HEALTH_HIGH, d01)->stale);
    }
    expect_failed("failover group", &fixture_model(F)->fogs[0]->fresh, err, status, texts);
    const char *d01[] = {"failover group: ", texts[0], NULL};
    expect_finding("D01", "pair " DEMO_FOG, HEALTH_HIGH, d01);
}

static void test_arm_throttle(void **state)
{
    (void)state;
    /*
     * ARM asks for 30 s: more than the transport's longest wait (8 s), so it
     * does not wait at all (an on-call console never hangs): each read ends
     * THROTTLED after one attempt.
     */
    uint64_t retries = http_stats(session_http(F->session)).retries;
    char *id = fixture_fault(
        F, "{\"kind\":\"throttle\",\"target\":\"arm\",\"rate\":1,\"retry_after\":30}");
    int64_t ms = cycle(true, true);
    print_message("  one cycle: %lld ms\n", (long long)ms);
    assert_int_equal(http_stats(session_http(F->session)).retries, retries);
    assert_true(ms < 3000);
    const char *texts[] = {"TooManyRequests: ", NULL};
    expect_arm_failed(CORE_ERR_THROTTLED, 429, texts);
    expect_kept();
    /* The vaults' data plane is another service. */
    expect_vault_ok(FAULTY);
    expect_vault_ok(HEALTHY);
    expect_subject_clean("vault ");
    clear_and_recover(id);
}

static void test_arm_malformed(void **state)
{
    (void)state;
    char *id = fixture_fault(F, "{\"kind\":\"malformed\",\"target\":\"arm\",\"rate\":1}");
    print_message("  one cycle: %lld ms\n", (long long)cycle(true, true));
    const char *texts[] = {"not valid JSON", NULL};
    expect_arm_failed(CORE_ERR_PARSE, 200, texts);
    expect_kept();
    expect_vault_ok(FAULTY);
    expect_vault_ok(HEALTHY);
    expect_subject_clean("vault ");
    clear_and_recover(id);
}

/* Drops the cached tokens, as if they had expired: the next reads must fetch new ones. */
static void forget_tokens(void)
{
    const struct cloud *cloud = session_cloud(F->session);
    auth_forget(session_auth(F->session), DEMO_TENANT, cloud->arm_scope);
    auth_forget(session_auth(F->session), DEMO_TENANT, cloud->vault_scope);
}

static void test_login_cached_tokens(void **state)
{
    (void)state;
    /* Entra ID down while tokens are cached: nothing to see. */
    char *id = fixture_fault(F, "{\"kind\":\"refused\",\"target\":\"login\"}");
    cycle(true, true);
    expect_vault_ok(FAULTY);
    expect_instances_ok();
    fixture_expect_clean(F, HEALTH_LOW);
    clear_and_recover(id);
}

static void test_login_refused(void **state)
{
    (void)state;
    char *id = fixture_fault(F, "{\"kind\":\"refused\",\"target\":\"login\"}");
    forget_tokens();
    print_message("  one cycle: %lld ms\n", (long long)cycle(true, true));
    /* Every read needs a new token: each says it has none, and why. */
    const char *texts[] = {"no token for ", "Entra ID could not be reached",
                           "Empty reply from server", NULL};
    expect_arm_failed(CORE_ERR_NETWORK, 0, texts);
    struct model_vault *v = fixture_vault(F, FAULTY);
    expect_failed("key list", &v->keys_fresh, CORE_ERR_NETWORK, 0, texts);
    const char *d01[] = {"key list: no token for ", NULL};
    expect_finding("D01", "vault " FAULTY, HEALTH_HIGH, d01);
    /* The probe needs no token: the console's path to the vault is fine, and V15 says so. */
    expect_no_finding("V15", "vault " FAULTY);
    expect_kept();
    clear_and_recover(id);
}

static void test_login_error(void **state)
{
    (void)state;
    /* Retry-After 30 s, beyond the transport's cap: the token requests give up at once. */
    char *id =
        fixture_fault(F, "{\"kind\":\"error\",\"target\":\"login\",\"rate\":1,\"retry_after\":30}");
    forget_tokens();
    print_message("  one cycle: %lld ms\n", (long long)cycle(true, true));
    /* Entra ID answered 503 (status 0: the read itself got no answer, it was never sent). */
    const char *texts[] = {"no token for ", "Entra ID refused the token request (HTTP 503",
                           "temporarily unavailable", NULL};
    expect_arm_failed(CORE_ERR_HTTP, 0, texts);
    struct model_vault *v = fixture_vault(F, FAULTY);
    expect_failed("key list", &v->keys_fresh, CORE_ERR_HTTP, 0, texts);
    expect_kept();
    clear_and_recover(id);
}

/* -- the whole listener ----------------------------------------------------------------------- */

/* azsim reconciles its listeners about once a second: waits for a log line to appear. */
static void wait_log(const char *needle, int before)
{
    const char *const needles[] = {needle, NULL};
    int64_t deadline = support_mono_ms() + 10000;
    while (support_azsim_log_count(F->sim, needles) <= before) {
        if (support_mono_ms() > deadline)
            fail_msg("azsim never logged \"%s\"", needle);
        fixture_run(F, 100);
    }
}

static int log_count(const char *needle)
{
    const char *const needles[] = {needle, NULL};
    return support_azsim_log_count(F->sim, needles);
}

static void test_listener_tls(void **state)
{
    (void)state;
    const char *untrusted = "listener https open with an untrusted certificate";
    const char *open = "listener https open";
    int before = log_count(untrusted);
    char *id = fixture_fault(F, "{\"kind\":\"tls\",\"target\":\"listener:https\"}");
    wait_log(untrusted, before);
    /* The ARM token is gone too: its renewal fails the same way, and says so. */
    auth_forget(session_auth(F->session), DEMO_TENANT, session_cloud(F->session)->arm_scope);
    print_message("  one cycle: %lld ms\n", (long long)cycle(true, true));
    const char *tls[] = {"SSL certificate problem", NULL};
    struct model_vault *v = fixture_vault(F, FAULTY);
    expect_failed("key list", &v->keys_fresh, CORE_ERR_TLS, 0, tls);
    const char *d01[] = {"key list: ", "SSL certificate problem", NULL};
    expect_finding("D01", "vault " FAULTY, HEALTH_HIGH, d01);
    expect_failed("probe", &v->probe_fresh, CORE_ERR_TLS, 0, tls);
    const char *v15[] = {"probe of " FAULTY " failed", "SSL certificate problem", NULL};
    expect_finding("V15", "vault " FAULTY, HEALTH_HIGH, v15);
    const char *token[] = {"no token for ", "Entra ID could not be reached",
                           "SSL certificate problem", NULL};
    expect_arm_failed(CORE_ERR_TLS, 0, token);
    expect_kept();
    before = log_count(open);
    fixture_clear(F, id);
    free(id);
    wait_log(open, before);
    cycle(true, true);
    expect_recovered();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_vault_refused, clear_all),
        cmocka_unit_test_teardown(test_vault_reset, clear_all),
        cmocka_unit_test_teardown(test_vault_held_connections, clear_all),
        cmocka_unit_test_teardown(test_vault_slow_enough, clear_all),
        cmocka_unit_test_teardown(test_vault_latency, clear_all),
        cmocka_unit_test_teardown(test_vault_throttle, clear_all),
        cmocka_unit_test_teardown(test_vault_error, clear_all),
        cmocka_unit_test_teardown(test_vault_error_sometimes, clear_all),
        cmocka_unit_test_teardown(test_vault_malformed, clear_all),
        cmocka_unit_test_teardown(test_vault_truncated, clear_all),
        cmocka_unit_test_teardown(test_vault_oversized, clear_all),
        cmocka_unit_test_teardown(test_region_view, clear_all),
        cmocka_unit_test_teardown(test_arm_throttle, clear_all),
        cmocka_unit_test_teardown(test_arm_malformed, clear_all),
        cmocka_unit_test_teardown(test_login_cached_tokens, clear_all),
        cmocka_unit_test_teardown(test_login_refused, clear_all),
        cmocka_unit_test_teardown(test_login_error, clear_all),
        cmocka_unit_test_teardown(test_listener_tls, clear_all),
    };
    if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER='test_vault_*' */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
