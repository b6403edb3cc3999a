#include "fixture_rotate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomfile.h"
#include "journal.h"
#include "loop.h"
#include "session.h"
#include "support.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define SIM_POLL_MS 500

static void on_event(const struct wizard_event *ev, void *arg)
{
    struct rotfx *x = arg;
    const struct wizard *w = rotate_wizard(x->r);
    if (getenv("ROTFX_VERBOSE"))
        print_message("  [%zu %s] %d %s\n", ev->index,
                      ev->index < w->nsteps ? w->steps[ev->index].id : "-", (int)ev->kind,
                      ev->text ? ev->text : "");
    if (ev->kind != WIZARD_EV_STEP || x->fault_at == NULL || x->fault_id || ev->index >= w->nsteps)
        return;
    const struct wizard_step *s = &w->steps[ev->index];
    if (s->state == WIZARD_RUNNING && strcmp(s->id, x->fault_at) == 0)
        x->fault_id = fixture_fault(&x->f, x->fault_spec);
}

static void on_done(struct rotate *r, void *arg)
{
    (void)r;
    struct rotfx *x = arg;
    x->calls++;
}

void rotfx_new(struct rotfx *x)
{
    rotate_destroy(x->r);
    struct rotate_params p = {.loop = session_loop(x->f.session),
                              .az = session_azure(x->f.session),
                              .state_dir = x->dir,
                              .owner = ROTFX_OWNER,
                              .read_only = x->f.config.read_only,
                              .poll_ms = 200,
                              .settle_ms = 1500};
    x->r = rotate_create(&p);
    rotate_on_event(x->r, on_event, x);
    x->calls = 0;
}

static int64_t started_ms;

/* sim/scenarios/demo.json with settings.arm_operation_ms 200, in a temp file (heap path). */
static char *fast_demo(void)
{
    char *demo = NULL;
    size_t len = 0;
    assert_int_equal(
        atomfile_read(TDECTL_SOURCE_DIR "/sim/scenarios/demo.json", 1 << 22, &demo, &len, NULL), 0);
    cJSON *j = cJSON_ParseWithLength(demo, len);
    free(demo);
    assert_non_null(j);
    cJSON *settings = cJSON_GetObjectItemCaseSensitive(j, "settings");
    assert_non_null(settings);
    cJSON_DeleteItemFromObjectCaseSensitive(settings, "arm_operation_ms");
    cJSON_AddNumberToObject(settings, "arm_operation_ms", 200);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    char *path = xstrdup("/tmp/tdectl-rotfx-XXXXXX.json");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    cJSON_free(text);
    return path;
}

void rotfx_start(struct rotfx *x, const struct fixture_options *o)
{
    started_ms = support_mono_ms();
    memset(x, 0, sizeof *x);
    /* The demo estate with ARM's long-running operations at 0.2 s instead of the demo's
     * 1.5 s: a rotation makes six of them, and these tests make dozens of rotations. */
    struct fixture_options fast = o ? *o : (struct fixture_options){0};
    char *scenario = NULL;
    if (fast.scenario == NULL) {
        scenario = fast_demo();
        fast.scenario = scenario;
    }
    fixture_start(&x->f, &fast);
    if (scenario) {
        unlink(scenario);
        free(scenario);
    }
    char *dir = support_tmpdir_make();
    assert_non_null(dir);
    snprintf(x->dir, sizeof x->dir, "%s", dir);
    free(dir);
    rotfx_new(x);
}

void rotfx_stop(struct rotfx *x)
{
    rotate_destroy(x->r);
    x->r = NULL;
    free(x->fault_id);
    x->fault_id = NULL;
    fixture_stop(&x->f, false);
    if (x->dir[0])
        support_tmpdir_remove(x->dir);
    if (getenv("ROTFX_VERBOSE"))
        print_message("  (%.1f s)\n", (double)(support_mono_ms() - started_ms) / 1000.0);
}

struct rot_choice rotfx_choice(enum rot_origin origin)
{
    struct rot_choice c = {.group = DEMO_FOG, .origin = origin, .hsm = -1, .watch_s = 3};
    return c;
}

/* azsim's model, once: the worst seen so far goes into x. */
static void watch_sim(struct rotfx *x)
{
    const char *names[2] = {DEMO_MI_EUS2, DEMO_MI_CUS};
    for (int i = 0; i < 2; i++) {
        struct rotfx_sim s;
        rotfx_sim(x, names[i], &s);
        if (s.inaccessible > x->seen_inaccessible) {
            x->seen_inaccessible = s.inaccessible;
            snprintf(x->seen_what, sizeof x->seen_what, "%s: %zu databases Inaccessible", names[i],
                     s.inaccessible);
        }
        if (strcmp(s.access, "lost") == 0 && !x->seen_lost) {
            x->seen_lost = true;
            snprintf(x->seen_what, sizeof x->seen_what, "%s: access lost", names[i]);
        }
    }
}

/* Runs the loop until the wizard called back more than `before` times and pred holds. */
static void run_until(struct rotfx *x, int before, bool need_end, int timeout_ms, const char *what)
{
    struct loop *loop = session_loop(x->f.session);
    int64_t deadline = support_mono_ms() + timeout_ms, next_sim = 0;
    while (x->calls <= before || (need_end && rotate_outcome(x->r) == ROTATE_RUNNING)) {
        int64_t now = support_mono_ms();
        if (now > deadline)
            fail_msg("%s: nothing within %d ms (outcome %s, detail %s)", what, timeout_ms,
                     rotate_outcome_name(rotate_outcome(x->r)), rotate_detail(x->r));
        if (need_end && now >= next_sim) {
            watch_sim(x);
            next_sim = now + SIM_POLL_MS;
        }
        loop_run_once(loop, 50);
    }
}

void rotfx_plan(struct rotfx *x, const struct rot_choice *c)
{
    fixture_count(&x->f, HEALTH_INFO); /* evaluates the findings the plan is judged by */
    char *cause = NULL;
    int before = x->calls;
    if (rotate_plan(x->r, fixture_model(&x->f), x->f.health, c, on_done, x, &cause) < 0) {
        char text[512];
        snprintf(text, sizeof text, "%s", cause ? cause : "");
        free(cause);
        fail_msg("rotate_plan refused: %s", text);
    }
    run_until(x, before, false, 20000, "plan");
    if (!rotate_plan_ready(x->r))
        fail_msg("the plan is not ready: %s", rotate_detail(x->r));
}

enum rotate_outcome rotfx_wait(struct rotfx *x, int timeout_ms)
{
    run_until(x, x->calls, true, timeout_ms, "outcome");
    return rotate_outcome(x->r);
}

enum rotate_outcome rotfx_apply(struct rotfx *x)
{
    char *cause = NULL;
    int before = x->calls;
    fixture_count(&x->f, HEALTH_INFO);
    if (rotate_apply(x->r, fixture_model(&x->f), x->f.health, DEMO_FOG, ROTFX_REASON, on_done, x,
                     &cause) < 0) {
        char text[512];
        snprintf(text, sizeof text, "%s", cause ? cause : "");
        free(cause);
        fail_msg("rotate_apply refused: %s", text);
    }
    run_until(x, before, true, 90000, "apply");
    return rotate_outcome(x->r);
}

void rotfx_expect(struct rotfx *x, enum rotate_outcome got, enum rotate_outcome want)
{
    if (got != want)
        fail_msg("outcome %s, expected %s: %s", rotate_outcome_name(got), rotate_outcome_name(want),
                 rotate_detail(x->r));
}

struct read_wait {
    struct rot_state *st;
};

static void on_read(struct rot_state *st, void *arg)
{
    struct read_wait *w = arg;
    w->st = st;
}

struct rot_state *rotfx_read(struct rotfx *x)
{
    const struct rot_plan *p = rotate_get_plan(x->r);
    assert_non_null(p);
    struct read_wait w = {0};
    rotread_start(session_azure(x->f.session), p, on_read, &w);
    struct loop *loop = session_loop(x->f.session);
    int64_t deadline = support_mono_ms() + 20000;
    while (w.st == NULL) {
        if (support_mono_ms() > deadline)
            fail_msg("the group read did not end within 20 s");
        loop_run_once(loop, 50);
    }
    if (w.st->err != CORE_OK) {
        char text[512];
        snprintf(text, sizeof text, "%s", w.st->error ? w.st->error : "");
        rotread_free(w.st);
        fail_msg("the group read failed: %s", text);
    }
    return w.st;
}

static void copy_str(char *dst, size_t size, const cJSON *o, const char *name)
{
    snprintf(dst, size, "%s", rotfx_str(o, name) ? rotfx_str(o, name) : "");
}

static long get_long(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        fail_msg("azsim's /model has no number %s", name);
    return (long)v->valuedouble;
}

void rotfx_sim(struct rotfx *x, const char *instance, struct rotfx_sim *out)
{
    char *body = NULL;
    long status = support_azsim_control(x->f.sim, "GET", "/model", NULL, &body);
    cJSON *model = status == 200 && body ? cJSON_Parse(body) : NULL;
    free(body);
    if (model == NULL)
        fail_msg("azsim's /model answered %ld without JSON", status);
    memset(out, 0, sizeof *out);
    bool found = false;
    const cJSON *mi;
    cJSON_ArrayForEach(mi, cJSON_GetObjectItemCaseSensitive(model, "instances"))
    {
        const char *name = rotfx_str(mi, "name");
        if (name == NULL || strcmp(name, instance) != 0)
            continue;
        found = true;
        copy_str(out->access, sizeof out->access, mi, "access");
        copy_str(out->protector, sizeof out->protector, mi, "protector");
        copy_str(out->serving, sizeof out->serving, mi, "serving");
        out->inaccessible_events = get_long(mi, "inaccessible_events");
        out->lost_events = get_long(mi, "lost_events");
        const cJSON *db;
        cJSON_ArrayForEach(db, cJSON_GetObjectItemCaseSensitive(mi, "databases"))
        {
            const char *st = rotfx_str(db, "status");
            out->ndbs++;
            out->inaccessible += st && strcmp(st, "Inaccessible") == 0;
        }
    }
    cJSON_Delete(model);
    if (!found)
        fail_msg("azsim's /model has no instance %s", instance);
}

cJSON *rotfx_journal(struct rotfx *x)
{
    const char *path = rotate_journal(x->r);
    if (path == NULL)
        fail_msg("the run has no journal");
    cJSON *records = NULL;
    char *cause = NULL;
    if (journal_load(path, &records, NULL, &cause) < 0) {
        char text[512];
        snprintf(text, sizeof text, "%s", cause ? cause : "");
        free(cause);
        fail_msg("the journal cannot be read: %s", text);
    }
    return records;
}

const char *rotfx_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is(const cJSON *o, const char *name, const char *want)
{
    const char *v = rotfx_str(o, name);
    return want == NULL || (v && strcmp(v, want) == 0);
}

const cJSON *rotfx_record(const cJSON *records, const char *type, const char *step,
                          const char *phase)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        if (is(r, "type", type) && is(r, "step", step) && is(r, "phase", phase))
            return r;
    }
    return NULL;
}

size_t rotfx_begun(const cJSON *records, const char *ids[], size_t max)
{
    size_t n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        if (!is(r, "type", "step") || !is(r, "phase", "begin"))
            continue;
        const char *id = rotfx_str(r, "step");
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(ids[i], id) == 0;
        if (!seen && n < max)
            ids[n++] = id;
    }
    return n;
}

char *rotfx_slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        buf = xrealloc(buf, len + n + 1, 1);
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(fp);
    if (buf == NULL)
        buf = xstrdup("");
    buf[len] = '\0';
    return buf;
}

void rotfx_expect_in(const char *text, const char *needle)
{
    if (text == NULL || strstr(text, needle) == NULL)
        fail_msg("\"%s\" not in: %s", needle, text ? text : "(null)");
}

void rotfx_note_before(struct rotfx *x, struct rotfx_before *b)
{
    memset(b, 0, sizeof *b);
    struct rot_state *st = rotfx_read(x);
    const struct rot_inst *in[2] = {&st->pri, &st->sec};
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < in[i]->nkeys && k < 16; k++)
            b->keys[i][b->nkeys[i]++] = xstrdup(in[i]->keys[k].name);
    rotread_free(st);
    rotfx_sim(x, DEMO_MI_EUS2, &b->sim[0]);
    rotfx_sim(x, DEMO_MI_CUS, &b->sim[1]);
}

void rotfx_before_cleanup(struct rotfx_before *b)
{
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < b->nkeys[i]; k++)
            free(b->keys[i][k]);
    memset(b, 0, sizeof *b);
}

/* The copy's server key name in vault, {vault}_{key}_{version}: exactly one version. */
static void copy_name(const struct rot_copy *c, const char *vault, const char *key, char *buf,
                      size_t size)
{
    if (!c->exists)
        fail_msg("%s is not in %s", key, vault);
    if (c->nv != 1)
        fail_msg("%s has %zu versions in %s: duplicate material", key, c->nv, vault);
    snprintf(buf, size, "%s_%s_%s", vault, key, c->v[0].version);
}

static void expect_registered(const struct rot_inst *in, const char *name, const char *thumbprint)
{
    const struct model_server_key *k = rotread_key(in, name);
    if (k == NULL)
        fail_msg("%s is not registered", name);
    assert_non_null(k->thumbprint);
    assert_int_equal(strcasecmp(k->thumbprint, thumbprint), 0);
}

/* azsim's instances after a check: serving their protectors, nothing lost at any time. */
static void expect_sim(struct rotfx *x, const struct rotfx_before *b, const char *np,
                       const char *ns)
{
    struct rotfx_sim s[2];
    rotfx_sim(x, DEMO_MI_EUS2, &s[0]);
    rotfx_sim(x, DEMO_MI_CUS, &s[1]);
    assert_string_equal(s[0].protector, np);
    assert_string_equal(s[1].protector, ns);
    fixture_advance(&x->f, 700);
    rotfx_sim(x, DEMO_MI_EUS2, &s[0]);
    rotfx_sim(x, DEMO_MI_CUS, &s[1]);
    assert_string_equal(s[0].serving, np);
    assert_string_equal(s[1].serving, ns);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(s[i].access, "ok");
        assert_int_equal(s[i].inaccessible, 0);
        assert_int_equal(s[i].inaccessible_events, b->sim[i].inaccessible_events);
        assert_int_equal(s[i].lost_events, b->sim[i].lost_events);
    }
    if (x->seen_inaccessible || x->seen_lost)
        fail_msg("during the run azsim showed %s", x->seen_what);
}

/* The old key's versions: still there and enabled in both vaults (Key Vault's answer). */
static void expect_old_versions(struct rotfx *x)
{
    fixture_sweep(&x->f, ENGINE_SWEEP_HEALTH, 20000);
    const char *vaults[2] = {DEMO_KV_EUS2, DEMO_KV_CUS};
    for (int i = 0; i < 2; i++) {
        const struct model_key *k = model_key(fixture_vault(&x->f, vaults[i]), ROTFX_OLD_KEY);
        assert_non_null(k);
        assert_int_equal(k->nversions, 2);
        for (size_t v = 0; v < k->nversions; v++)
            if (!k->versions[v].enabled)
                fail_msg("%s/%s/%s was disabled", vaults[i], ROTFX_OLD_KEY, k->versions[v].version);
    }
}

void rotfx_expect_keys(struct rotfx *x, const struct rotfx_before *b, bool rotated,
                       char fp[MODEL_FINGERPRINT_LEN])
{
    const struct rot_plan *p = rotate_get_plan(x->r);
    struct rot_state *st = rotfx_read(x);
    char np[400], ns[400];
    copy_name(&st->cpri, DEMO_KV_EUS2, p->new_key, np, sizeof np);
    copy_name(&st->csec, DEMO_KV_CUS, p->new_key, ns, sizeof ns);
    assert_string_equal(st->cpri.v[0].fingerprint, st->csec.v[0].fingerprint);
    assert_true(st->cpri.v[0].enabled && st->csec.v[0].enabled);
    if (fp)
        snprintf(fp, MODEL_FINGERPRINT_LEN, "%s", st->csec.v[0].fingerprint);
    const char *want_p = rotated ? np : ROTFX_PREV_EUS2, *want_s = rotated ? ns : ROTFX_PREV_CUS;
    assert_string_equal(st->pri.protector.server_key_name, want_p);
    assert_string_equal(st->sec.protector.server_key_name, want_s);
    assert_false(st->pri.protector.auto_rotation || st->sec.protector.auto_rotation);
    const char *tp = st->pri.protector.thumbprint;
    assert_non_null(tp);
    assert_int_equal(strcasecmp(tp, st->sec.protector.thumbprint), 0);
    const struct model_server_key *nk = rotread_key(&st->sec, ns);
    assert_non_null(nk);
    const struct rot_inst *in[2] = {&st->pri, &st->sec};
    for (int i = 0; i < 2; i++) {
        expect_registered(in[i], np, nk->thumbprint);
        expect_registered(in[i], ns, nk->thumbprint);
        for (size_t k = 0; k < b->nkeys[i]; k++)
            if (rotread_key(in[i], b->keys[i][k]) == NULL)
                fail_msg("%s is no longer registered", b->keys[i][k]);
        char what[160];
        if (rotread_inaccessible(in[i], what, sizeof what))
            fail_msg("ARM says %s", what);
    }
    rotread_free(st);
    expect_sim(x, b, want_p, want_s);
    expect_old_versions(x);
    fixture_expect_clean(&x->f, HEALTH_CRIT);
}

void rotfx_expect_unchanged(struct rotfx *x)
{
    struct rot_state *st = rotfx_read(x);
    assert_string_equal(st->pri.protector.server_key_name, ROTFX_PREV_EUS2);
    assert_string_equal(st->sec.protector.server_key_name, ROTFX_PREV_CUS);
    assert_false(st->cpri.exists || st->cpri.deleted);
    assert_false(st->csec.exists || st->csec.deleted);
    rotread_free(st);
    struct rotfx_sim s;
    rotfx_sim(x, DEMO_MI_EUS2, &s);
    assert_string_equal(s.protector, ROTFX_PREV_EUS2);
    rotfx_sim(x, DEMO_MI_CUS, &s);
    assert_string_equal(s.protector, ROTFX_PREV_CUS);
}

static void fail_cause(const char *what, char *cause)
{
    char text[512];
    snprintf(text, sizeof text, "%s", cause ? cause : "");
    free(cause);
    fail_msg("%s: %s", what, text);
}

enum rotate_outcome rotfx_resume(struct rotfx *x, const char *journal)
{
    char *path = xstrdup(journal), *cause = NULL;
    rotfx_new(x);
    int rc = rotate_load(x->r, path, &cause);
    free(path);
    if (rc < 0)
        fail_cause("rotate_load", cause);
    if (rotate_resume(x->r, on_done, x, &cause) < 0)
        fail_cause("rotate_resume", cause);
    return rotfx_wait(x, 90000);
}

void rotfx_resume_dropped(struct rotfx *x, const char *journal, const char *step, int after_ms)
{
    char *path = xstrdup(journal), *cause = NULL;
    rotfx_new(x);
    int rc = rotate_load(x->r, path, &cause);
    free(path);
    if (rc < 0)
        fail_cause("rotate_load", cause);
    if (rotate_resume(x->r, on_done, x, &cause) < 0)
        fail_cause("rotate_resume", cause);
    const struct wizard *w = rotate_wizard(x->r);
    size_t i = wizard_find(w, step);
    assert_true(i < w->nsteps);
    struct loop *loop = session_loop(x->f.session);
    int64_t deadline = support_mono_ms() + 60000;
    while (w->steps[i].state != WIZARD_RUNNING) {
        if (rotate_outcome(x->r) != ROTATE_RUNNING || support_mono_ms() > deadline)
            fail_msg("the resumed run never reached %s: %s %s", step,
                     rotate_outcome_name(rotate_outcome(x->r)), rotate_detail(x->r));
        loop_run_once(loop, 20);
    }
    for (int64_t end = support_mono_ms() + after_ms; support_mono_ms() < end;)
        loop_run_once(loop, 20);
    assert_int_equal(rotate_outcome(x->r), ROTATE_RUNNING);
    rotate_destroy(x->r);
    x->r = NULL;
}

enum rotate_outcome rotfx_rollback(struct rotfx *x, const char *reason)
{
    char *cause = NULL;
    if (rotate_rollback(x->r, reason, on_done, x, &cause) < 0)
        fail_cause("rotate_rollback", cause);
    return rotfx_wait(x, 60000);
}

size_t rotfx_unfinished(struct rotfx *x, const char *path, bool *listed)
{
    char **paths = NULL, *cause = NULL;
    size_t n = 0;
    if (rotate_unfinished(x->dir, &paths, &n, &cause) < 0)
        fail_cause("rotate_unfinished", cause);
    *listed = false;
    for (size_t i = 0; i < n; i++) {
        *listed = *listed || (path && strcmp(paths[i], path) == 0);
        free(paths[i]);
    }
    free(paths);
    return n;
}

void rotfx_on_lock(enum core_err err, enum oplock_state state, const struct oplock *lock,
                   const char *cause, void *arg)
{
    (void)cause;
    struct rotfx_lock *g = arg;
    g->calls++;
    g->err = err;
    g->state = state;
    if (lock)
        g->lock = *lock;
}

void rotfx_wait_calls(struct rotfx *x, const int *calls)
{
    for (int i = 0; i < 400 && *calls == 0; i++)
        loop_run_once(session_loop(x->f.session), 50);
}
