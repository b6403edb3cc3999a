/* rotate — the rotation state machine's control (see rotate.h; steps in rotstep.c). */
#include "rotate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "armclient.h"
#include "audit.h"
#include "journal.h"
#include "keymat.h"
#include "loop.h"
#include "oplock.h"
#include "report.h"
#include "rotate_int.h"
#include "xmem.h"

#define MAX_ATTEMPTS 5

static const char *const outcome_names[] = {[ROTATE_NONE] = "none",
                                            [ROTATE_RUNNING] = "running",
                                            [ROTATE_DONE] = "done",
                                            [ROTATE_REFUSED] = "refused",
                                            [ROTATE_FAILED] = "failed",
                                            [ROTATE_VERIFY] = "verify-failed",
                                            [ROTATE_ROLLED_BACK] = "rolled-back"};

const char *rotate_outcome_name(enum rotate_outcome o)
{
    return (unsigned)o <= ROTATE_ROLLED_BACK ? outcome_names[o] : "?";
}

int64_t rotate_wall(const struct rotate *r)
{
    return r->p.loop ? loop_wall(r->p.loop) / 1000 : (int64_t)time(NULL);
}

int64_t rotate_wall_cb(void *arg)
{
    return rotate_wall(arg);
}

struct rotate *rotate_create(const struct rotate_params *p)
{
    struct rotate *r = xcalloc(1, sizeof *r);
    r->p = *p;
    r->state_dir = xstrdup(p->state_dir ? p->state_dir : ".");
    r->owner = xstrdup(p->owner ? p->owner : "tdectl");
    r->p.state_dir = r->state_dir;
    r->p.owner = r->owner;
    if (r->p.poll_ms <= 0)
        r->p.poll_ms = 10000;
    if (r->p.settle_ms <= 0)
        r->p.settle_ms = 10000;
    r->gen_pipe[0] = r->gen_pipe[1] = -1;
    wizard_init(&r->plan.w, "rotate");
    return r;
}

void rotate_destroy(struct rotate *r)
{
    if (r == NULL)
        return;
    rotread_cancel(r->reading);
    if (r->call)
        azure_cancel(r->call);
    oplock_cancel(r->lockcall);
    if (r->timer)
        loop_timer_cancel(r->p.loop, r->timer);
    rotstep_cleanup(r);
    rotread_free(r->st);
    rotplan_cleanup(&r->plan);
    cJSON_Delete(r->records);
    free(r->blockers);
    free(r->findings);
    free(r->detail);
    free(r->last_error);
    free(r->ended);
    free(r->state_dir);
    free(r->owner);
    free(r);
}

void rotate_on_event(struct rotate *r, wizard_event_fn fn, void *arg)
{
    r->plan.w.on_event = fn;
    r->plan.w.event_arg = arg;
}

void rotate_set_secrets(struct rotate *r, const char *key_pass, const char *escrow_pass)
{
    r->key_pass = key_pass;
    r->escrow_pass = escrow_pass;
}

bool rotate_plan_ready(const struct rotate *r)
{
    return r->plan_ready;
}
const struct rot_plan *rotate_get_plan(const struct rotate *r)
{
    return r->have_plan ? &r->plan : NULL;
}
const char *rotate_blockers(const struct rotate *r)
{
    return r->blockers;
}
enum rotate_outcome rotate_outcome(const struct rotate *r)
{
    return r->outcome;
}
const char *rotate_detail(const struct rotate *r)
{
    return r->detail ? r->detail : "";
}
bool rotate_rollback_offered(const struct rotate *r)
{
    return r->rollback_offered;
}
const char *rotate_journal(const struct rotate *r)
{
    return r->plan.w.journal_path;
}
const struct wizard *rotate_wizard(const struct rotate *r)
{
    return &r->plan.w;
}

static void on_plan_read(struct rot_state *st, void *arg)
{
    struct rotate *r = arg;
    r->reading = NULL;
    rotread_free(r->st);
    r->st = st;
    r->st_fresh = true;
    snprintf(r->plan.digest, sizeof r->plan.digest, "%s", st->digest);
    free(r->blockers);
    r->blockers = rotate_judge(r);
    r->plan_ready = st->err == CORE_OK;
    if (!r->plan_ready) {
        free(r->detail);
        r->detail = xstrdup(st->error ? st->error : "the group could not be read");
    }
    if (r->fn)
        r->fn(r, r->arg);
}

/* File origin: the key file is read once at plan time for its fingerprint and hash. */
static int plan_key_file(struct rotate *r, char **cause)
{
    struct keymat *k = NULL;
    if (keymat_load_file(r->plan.key_file, r->key_pass, &k, cause) < 0)
        return -1;
    int rc = 0;
    if (keymat_bits(k) != r->plan.bits) {
        xcause(cause, "%s holds RSA %d; the plan asks for %d (pass --bits %d)", r->plan.key_file,
               keymat_bits(k), r->plan.bits, keymat_bits(k));
        rc = -1;
    } else {
        keymat_fingerprint(k, r->plan.fingerprint);
        rc = keymat_file_sha256(r->plan.key_file, r->plan.key_file_sha256, cause);
    }
    keymat_destroy(k);
    return rc;
}

int rotate_plan(struct rotate *r, const struct model *m, const struct health *h,
                const struct rot_choice *c, rotate_fn fn, void *arg, char **cause)
{
    if (r->started && (r->outcome != ROTATE_REFUSED || r->resuming || r->rolling_back)) {
        xcause(cause, "this rotation has already started");
        return -1;
    }
    if (r->started) { /* refused before any change ("plan again"): its journal stays, ended */
        r->started = false;
        r->outcome = ROTATE_NONE;
        free(r->detail);
        r->detail = NULL;
        cJSON_Delete(r->records);
        r->records = NULL;
    }
    rotread_cancel(r->reading); /* planned again before the last plan's read ended */
    r->reading = NULL;
    wizard_event_fn ev = r->plan.w.on_event;
    void *ev_arg = r->plan.w.event_arg;
    rotplan_cleanup(&r->plan);
    r->have_plan = r->plan_ready = false;
    int64_t now = rotate_wall(r);
    if (rotplan_build(&r->plan, m, c, now, cause) < 0 ||
        (c->origin == ROT_ORIGIN_FILE && plan_key_file(r, cause) < 0)) {
        rotplan_cleanup(&r->plan);
        wizard_init(&r->plan.w, "rotate");
        r->plan.w.on_event = ev;
        r->plan.w.event_arg = ev_arg;
        return -1;
    }
    r->plan.w.on_event = ev;
    r->plan.w.event_arg = ev_arg;
    r->plan.w.wall = rotate_wall_cb;
    r->plan.w.wall_arg = r;
    r->have_plan = true;
    free(r->findings);
    r->findings = rotate_scope_findings(m, h, r->plan.group);
    r->fn = fn;
    r->arg = arg;
    r->reading = rotread_start(r->p.az, &r->plan, on_plan_read, r);
    return 0;
}

char *rotate_plan_text(const struct rotate *r)
{
    char *plan = rotplan_text(&r->plan);
    if (r->blockers == NULL)
        return plan;
    char *out = xasprintf("%s\nApply would be refused now:\n%s", plan, r->blockers);
    free(plan);
    return out;
}

/* -- running -- */

void rotate_audit(struct rotate *r, const char *event, const char *reason)
{
    char *path = xasprintf("%s/audit.jsonl", r->state_dir);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "action", "rotate");
    cJSON_AddStringToObject(a, "event", event);
    cJSON_AddStringToObject(a, "group", r->plan.group);
    cJSON_AddStringToObject(a, "origin", rotplan_origin_name(r->plan.origin));
    cJSON_AddStringToObject(a, "run", r->plan.w.run);
    cJSON_AddStringToObject(a, "owner", r->owner);
    if (reason)
        cJSON_AddStringToObject(a, "reason", reason);
    if (strcmp(event, "end") == 0) {
        cJSON_AddStringToObject(a, "outcome", rotate_outcome_name(r->outcome));
        cJSON_AddStringToObject(a, "detail", rotate_detail(r));
    }
    char *cause = NULL;
    if (audit_append(path, a, rotate_wall(r), &cause) < 0)
        wizard_note(&r->plan.w, "the audit log could not be written: %s", cause);
    free(cause);
    cJSON_Delete(a);
    free(path);
}

static void call_back(struct rotate *r)
{
    if (r->fn)
        r->fn(r, r->arg);
}

static void on_released(enum core_err err, enum oplock_state state, const struct oplock *lock,
                        const char *cause, void *arg)
{
    (void)state;
    (void)lock;
    struct rotate *r = arg;
    r->lockcall = NULL;
    if (err != CORE_OK)
        wizard_note(&r->plan.w,
                    "the operator lock could not be released (%s): it expires on its own",
                    cause ? cause : core_err_name(err));
    else
        r->lock_held = false;
    call_back(r);
}

static void finish(struct rotate *r, enum rotate_outcome o, const char *detail)
{
    r->outcome = o;
    free(r->detail);
    r->detail = xstrdup(detail);
    rotstep_cleanup(r);
    if (o == ROTATE_FAILED || o == ROTATE_VERIFY) {
        const struct rot_state *st = r->st;
        bool moved = false;
        if (st)
            moved = (r->plan.sec.prev_key[0] && st->sec.protector.server_key_name &&
                     strcasecmp(st->sec.protector.server_key_name, r->plan.sec.prev_key) != 0) ||
                    (r->plan.pri.prev_key[0] && st->pri.protector.server_key_name &&
                     strcasecmp(st->pri.protector.server_key_name, r->plan.pri.prev_key) != 0);
        r->rollback_offered = moved && !r->rolling_back;
    }
    /*
     * A resumed run (or a rollback) that is refused changed nothing now, but the group is still
     * half-rotated: its journal must stay unfinished ("failed"), or the run could never be
     * resumed again; and it keeps the lock. A first run is refused only before any change.
     */
    bool again = r->resuming || r->rolling_back;
    const char *ended =
        o == ROTATE_VERIFY || (o == ROTATE_REFUSED && again) ? "failed" : rotate_outcome_name(o);
    wizard_end(&r->plan.w, ended, "%s", detail);
    if (r->plan.w.journal)
        rotate_audit(r, "end", NULL);
    if (r->lock_held &&
        (o == ROTATE_DONE || o == ROTATE_ROLLED_BACK || (o == ROTATE_REFUSED && !again))) {
        r->lockcall = oplock_release(r->p.az, r->plan.pri.instance_id, r->plan.w.run,
                                     rotate_wall(r), on_released, r);
        return;
    }
    if (r->lock_held)
        wizard_note(&r->plan.w,
                    "the operator lock stays on %s until it expires, so nobody starts on a "
                    "half-rotated group: resume or roll back releases it",
                    r->plan.pri.instance);
    call_back(r);
}

static void on_next_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct rotate *r = arg;
    r->timer = 0;
    rotate_run(r);
}

static void schedule(struct rotate *r, int64_t ms)
{
    r->timer = loop_timer(r->p.loop, ms, on_next_timer, r);
}

/* A step ended well (done, or skipped because its effect was in place): on to the next. */
static void step_end(struct rotate *r, bool skipped, cJSON *data, char *detail)
{
    if (skipped)
        wizard_step_skipped(&r->plan.w, r->step, data, "%s", detail);
    else
        wizard_step_done(&r->plan.w, r->step, data, "%s", detail);
    free(detail);
    r->step++;
    r->attempts = 0;
    r->in_doubt = false;
    r->phase = 0;
    schedule(r, 0);
}

void rotate_step_ok(struct rotate *r, cJSON *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = xvasprintf(fmt, ap);
    va_end(ap);
    step_end(r, false, data, d);
}

void rotate_step_skip(struct rotate *r, cJSON *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = xvasprintf(fmt, ap);
    va_end(ap);
    step_end(r, true, data, d);
}

void rotate_step_fail(struct rotate *r, enum rotate_outcome o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = xvasprintf(fmt, ap);
    va_end(ap);
    wizard_step_failed(&r->plan.w, r->step, "%s", d);
    const struct wizard_step *s = &r->plan.w.steps[r->step];
    char *why = xasprintf("step %zu (%s) failed: %s", r->step + 1, s->id, d);
    finish(r, o, why);
    free(why);
    free(d);
}

static void on_reread(struct rot_state *st, void *arg);

void rotate_reread(struct rotate *r, void (*fn)(struct rotate *r))
{
    r->then = fn;
    r->reading = rotread_start(r->p.az, &r->plan, on_reread, r);
}

static void on_reread(struct rot_state *st, void *arg)
{
    struct rotate *r = arg;
    r->reading = NULL;
    rotread_free(r->st);
    r->st = st;
    r->st_fresh = st->err == CORE_OK;
    r->then(r);
}

/* -- effects: verification, retries -- */

static bool transient(const struct az_status *st)
{
    return st->err == CORE_ERR_THROTTLED || st->err == CORE_ERR_TIMEOUT ||
           st->err == CORE_ERR_NETWORK || st->status >= 500 ||
           (st->code && (strcmp(st->code, "EncryptionProtectorChangeInProgress") == 0 ||
                         strcmp(st->code, "ConflictingServerOperation") == 0 ||
                         /* SQL could not reach the vault: connectivity, not a refusal */
                         strcmp(st->code, "AzureKeyVaultConnectionFailed") == 0));
}

/* What to do about a service code an operator meets here. */
static const char *remedy(const char *code)
{
    static const struct {
        const char *code, *text;
    } map[] = {
        {"SameKeyMaterialNotFoundOnRemoteServer",
         "the partner lacks the material: register it on the secondary first (resume does)"},
        {"AzureKeyVaultMissingPermissions",
         "grant the instance's identity get, wrapKey and unwrapKey on the vault"},
        {"Forbidden", "grant tdectl's principal the key permission this step needs"},
        {"AuthorizationFailed", "grant tdectl's principal a role that allows this write"},
        {"ServerKeyNotFound", "the key is not registered: register it, then resume"},
        {"OldGenerationOfAKVKeyBeingUsedError",
         "a newer version of the key exists: a protector must be its key's latest version"},
        {"KeyNotFound", "the key is missing in the vault: check the vault, then resume"},
        {"Conflict", "the name is taken or soft-deleted in the vault: plan with another name"},
        {"AzureKeyVaultKeyDisabled", "the key is disabled: enable it (tdectl never disables)"},
    };
    for (size_t i = 0; code && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].text;
    return NULL;
}

/*
 * What a resume needs from an effect step's done record (adopt_journal reads it back): the
 * material's fingerprint once known, and the backup file (without it a resume backs up again).
 */
static cJSON *effect_data(const struct rotate *r)
{
    cJSON *d = cJSON_CreateObject();
    if (r->fp[0])
        cJSON_AddStringToObject(d, "fingerprint", r->fp);
    if (strcmp(r->plan.w.steps[r->step].id, "backup") == 0 && r->backup_path[0])
        cJSON_AddStringToObject(d, "file", r->backup_path);
    return d;
}

static void on_settled(struct loop *loop, void *arg);

static void retry_step(struct rotate *r)
{
    const struct rotstep *s = rotstep_find(r->plan.w.steps[r->step].id);
    if (s && s->in_place && r->st_fresh && s->in_place(r)) {
        rotate_step_ok(r, effect_data(r), "in place (read back after a failed attempt)");
        return;
    }
    int64_t delay = r->p.poll_ms / 4 * (1LL << (r->attempts < 4 ? r->attempts : 4));
    if (r->retry_after_ms > delay) /* a throttled service said when: sooner is refused again */
        delay = r->retry_after_ms < 60000 ? r->retry_after_ms : 60000;
    if (r->in_doubt && !r->st_fresh) { /* never write twice blind */
        wizard_note(&r->plan.w,
                    "the last write may have been done and could not be read back: reading "
                    "again in %.1f s (attempt %d of %d)",
                    (double)delay / 1000.0, r->attempts + 1, MAX_ATTEMPTS);
        r->timer = loop_timer(r->p.loop, delay, on_settled, r);
        return;
    }
    r->in_doubt = false;
    wizard_note(&r->plan.w, "retrying %s in %.1f s (attempt %d of %d)", r->plan.w.steps[r->step].id,
                (double)delay / 1000.0, r->attempts + 1, MAX_ATTEMPTS);
    r->phase = 0;
    r->timer = loop_timer(r->p.loop, delay, on_next_timer, r);
    r->step_retry = true;
}

static void after_verify(struct rotate *r)
{
    const struct rotstep *s = rotstep_find(r->plan.w.steps[r->step].id);
    if (s && s->in_place && r->st_fresh && s->in_place(r)) {
        rotate_step_ok(r, effect_data(r), "done and read back");
        return;
    }
    bool read_failed = r->st == NULL || r->st->err != CORE_OK;
    if (++r->attempts < MAX_ATTEMPTS) { /* Azure's reads can lag its writes */
        wizard_note(&r->plan.w, read_failed ? "reading it back failed; reading again"
                                            : "not visible yet; reading again");
        r->timer = loop_timer(r->p.loop, r->p.poll_ms / 4, on_next_timer, r);
        r->step_verify = true;
        return;
    }
    if (read_failed) /* not a verification that failed: nothing could be read; resumable */
        rotate_step_fail(r, ROTATE_FAILED,
                         "the change was accepted; reading it back failed: %s (resume when the "
                         "service answers)",
                         r->st && r->st->error ? r->st->error : "no answer");
    else
        rotate_step_fail(r, ROTATE_VERIFY, "the change was accepted but cannot be read back");
}

static void after_failure(struct rotate *r)
{
    if (++r->attempts < MAX_ATTEMPTS) {
        retry_step(r);
        return;
    }
    rotate_step_fail(r, ROTATE_FAILED, "%s (gave up after %d attempts)", r->last_error,
                     MAX_ATTEMPTS);
}

/*
 * A write that was sent and then timed out or lost its connection may still be
 * carried out (a loaded service answers late). Reading back at once could miss
 * it and repeat the write: a second version of the new key, which then makes
 * the first one "an old generation" to SQL. So the read-back waits settle_ms,
 * as a resume does after a crash.
 */
static bool in_doubt(const struct az_status *st)
{
    return st->unanswered;
}

static void on_settled(struct loop *loop, void *arg)
{
    (void)loop;
    struct rotate *r = arg;
    r->timer = 0;
    rotate_reread(r, after_failure);
}

void rotate_effect_done(struct rotate *r, const char *method, const char *url,
                        const struct az_status *st)
{
    r->call = NULL;
    wizard_call(&r->plan.w, method, url, st);
    r->st_fresh = false;
    if (st->err == CORE_OK) {
        rotate_reread(r, after_verify);
        return;
    }
    free(r->last_error);
    const char *fix = remedy(st->code);
    const char *err = st->error ? st->error : core_err_name(st->err);
    size_t ml = strlen(method); /* transport errors name the call already: "POST https://..." */
    char *what = strncmp(err, method, ml) == 0 && err[ml] == ' '
                     ? xstrdup(err)
                     : xasprintf("%s %s: %s", method, url, err);
    r->last_error = fix ? xasprintf("%s; %s", what, fix) : xstrdup(what);
    free(what);
    if (transient(st)) {
        r->retry_after_ms = st->retry_after_ms;
        if (in_doubt(st)) {
            wizard_note(&r->plan.w,
                        "no answer to a write that was sent: waiting %lld s for it to land "
                        "before reading back",
                        (long long)(r->p.settle_ms / 1000));
            r->in_doubt = true;
            r->timer = loop_timer(r->p.loop, r->p.settle_ms, on_settled, r);
            return;
        }
        rotate_reread(r, after_failure);
        return;
    }
    if (st->err == CORE_ERR_REFUSED && r->p.read_only) {
        rotate_step_fail(r, ROTATE_REFUSED, "read-only mode: %s", r->last_error);
        return;
    }
    rotate_step_fail(r, ROTATE_FAILED, "%s", r->last_error);
}

/* -- the walk -- */

/*
 * A resumed run's interrupted step (its journal ends on its "begin"): the
 * process died with a request in flight, which may still land. Reading back
 * at once could miss it and repeat the write (a second key version), so the
 * first read waits settle_ms. True when it is waiting.
 */
static bool settle(struct rotate *r)
{
    const struct rotstep *s = rotstep_find(r->plan.w.steps[r->step].id);
    if (!r->resuming || r->settled || r->interrupted[0] == '\0' || s == NULL ||
        s->in_place == NULL || strcmp(s->id, r->interrupted) != 0)
        return false;
    r->settled = true;
    wizard_note(&r->plan.w,
                "%s was interrupted with a request in flight: waiting %lld s for it to land "
                "before reading back",
                r->interrupted, (long long)(r->p.settle_ms / 1000));
    r->st_fresh = false;
    r->timer = loop_timer(r->p.loop, r->p.settle_ms, on_next_timer, r);
    r->step_retry = true; /* the step has begun: do not begin it again */
    return true;
}

static void dispatch(struct rotate *r)
{
    const char *id = r->plan.w.steps[r->step].id;
    if (strcmp(id, "preconditions") == 0) { /* nothing changed yet: a failed read refuses */
        rotate_preconditions(r);
        return;
    }
    if (r->st == NULL || !r->st_fresh) {
        const char *why = r->st && r->st->error ? r->st->error : "no answer";
        /* The vaults or ARM not answering is transient: one more attempt, with backoff. */
        wizard_note(&r->plan.w, "the group could not be read: %s", why);
        free(r->last_error);
        r->last_error = xasprintf("the group could not be read: %s", why);
        after_failure(r);
        return;
    }
    if (strcmp(id, "lock") == 0) {
        rotate_take_lock(r);
        return;
    }
    const struct rotstep *s = rotstep_find(id);
    if (s == NULL) {
        rotate_step_fail(r, ROTATE_FAILED, "unknown step %s in the plan", id);
        return;
    }
    if (s->in_place && s->in_place(r)) {
        rotate_step_skip(r, effect_data(r), "already in place (read back)");
        return;
    }
    s->run(r);
}

void rotate_run(struct rotate *r)
{
    if (r->step_verify) { /* a verification read again */
        r->step_verify = false;
        rotate_reread(r, after_verify);
        return;
    }
    if (r->step >= r->plan.w.nsteps) {
        finish(r, r->rolling_back ? ROTATE_ROLLED_BACK : ROTATE_DONE,
               r->rolling_back ? "both protectors are back on their previous keys"
                               : "both instances are on the new protector and the watch passed");
        return;
    }
    if (r->plan.w.journal_failed) {
        rotate_step_fail(r, ROTATE_FAILED,
                         "the journal cannot be written: stopping before the next change");
        return;
    }
    bool retry = r->step_retry;
    r->step_retry = false;
    if (!retry && r->plan.w.steps[r->step].state != WIZARD_RUNNING)
        wizard_step_begin(&r->plan.w, r->step);
    if (settle(r))
        return;
    if (r->st_fresh) {
        dispatch(r);
        return;
    }
    rotate_reread(r, dispatch);
}

/* -- apply, resume, rollback -- */

void rotate_record_input(struct rotate *r, const char *name, const char *value)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddStringToObject(f, "value", value);
    wizard_record(&r->plan.w, "input", f);
    if (strcmp(name, "reason") == 0) {
        cJSON_Delete(r->records);
        r->records = cJSON_CreateArray();
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "name", "reason");
        cJSON_AddStringToObject(rec, "value", value);
        cJSON_AddItemToArray(r->records, rec);
    }
}

int rotate_may_change(const struct rotate *r, const char *reason, char **cause)
{
    if (r->p.read_only) {
        xcause(cause,
               "read-only mode: a rotation changes Azure (start tdectl without --read-only)");
        return -1;
    }
    if (reason == NULL || strspn(reason, " \t") == strlen(reason)) {
        xcause(cause, "a reason is required (it goes into the journal and the audit log)");
        return -1;
    }
    if (r->outcome == ROTATE_RUNNING) {
        xcause(cause, "this rotation is already running");
        return -1;
    }
    return 0;
}

int rotate_apply(struct rotate *r, const struct model *m, const struct health *h,
                 const char *confirm, const char *reason, rotate_fn fn, void *arg, char **cause)
{
    if (!r->plan_ready) {
        xcause(cause, "there is no plan to apply yet");
        return -1;
    }
    if (rotate_may_change(r, reason, cause) < 0)
        return -1;
    if (r->started) {
        xcause(cause, "this plan was applied already: plan again");
        return -1;
    }
    if (confirm == NULL || strcmp(confirm, r->plan.group) != 0) {
        xcause(cause, "the confirmation must be the failover group's name, %s, typed exactly",
               r->plan.group);
        return -1;
    }
    char *dir = xasprintf("%s/wizards", r->state_dir);
    int rc = wizard_journal_start(&r->plan.w, dir, cause);
    free(dir);
    if (rc < 0)
        return -1;
    r->started = true;
    free(r->findings);
    r->findings = rotate_scope_findings(m, h, r->plan.group);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "kind", "rotate");
    cJSON_AddStringToObject(f, "run", r->plan.w.run);
    cJSON_AddItemToObject(f, "plan", rotplan_json(&r->plan));
    if (wizard_record(&r->plan.w, "plan", f) < 0) {
        xcause(cause, "the journal %s cannot be written", r->plan.w.journal_path);
        return -1;
    }
    rotate_record_input(r, "reason", reason);
    rotate_record_input(r, "confirm", confirm);
    rotate_record_input(r, "owner", r->owner);
    rotate_audit(r, "start", reason);
    r->fn = fn;
    r->arg = arg;
    r->outcome = ROTATE_RUNNING;
    r->step = 0;
    r->st_fresh = false; /* apply reads the group again: the plan may be stale */
    rotate_run(r);
    return 0;
}
