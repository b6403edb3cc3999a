#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "azure.h"
#include "engine_int.h"
#include "loop.h"
#include "snapshot.h"
#include "xmem.h"

/* ARM: tdectl starts well inside the 250-read bucket and 25/s refill ARM grants. */
#define ARM_BUCKET 200.0
#define ARM_REFILL 20.0

static void drain(struct engine *e);
static void schedule(struct engine *e, enum engine_sweep kind);

int64_t engine_wall(const struct engine *e)
{
    return loop_wall(e->loop);
}

static char **copy_strings(const char *const *from, size_t n)
{
    char **out = xcalloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(from[i]);
    return out;
}

struct engine *engine_create(struct loop *loop, struct azure *az, const struct engine_options *o)
{
    struct engine *e = xcalloc(1, sizeof *e);
    e->loop = loop;
    e->az = az;
    e->model = model_create();
    e->o = *o;
    e->o.structure_ms = o->structure_ms > 0 ? o->structure_ms : 300000;
    e->o.health_ms = o->health_ms > 0 ? o->health_ms : 60000;
    e->o.probe_ms = o->probe_ms > 0 ? o->probe_ms : 30000;
    e->o.jitter_percent = o->jitter_percent < 0    ? 0
                          : o->jitter_percent > 50 ? 50
                                                   : o->jitter_percent;
    e->o.max_requests_per_minute = o->max_requests_per_minute ? o->max_requests_per_minute : 600;
    e->o.max_in_flight = o->max_in_flight ? o->max_in_flight : 48;
    e->subscriptions = copy_strings(o->subscriptions, o->nsubscriptions);
    e->o.subscriptions = (const char *const *)e->subscriptions;
    e->fogs = xcalloc(o->nfogs ? o->nfogs : 1, sizeof *e->fogs);
    e->fog_strings = xcalloc(4 * o->nfogs + 1, sizeof *e->fog_strings);
    for (size_t i = 0; i < o->nfogs; i++) {
        char **s = &e->fog_strings[4 * i];
        e->fogs[i].subscription = s[0] = xstrdup(o->fogs[i].subscription);
        e->fogs[i].resource_group = s[1] = xstrdup(o->fogs[i].resource_group);
        e->fogs[i].location = s[2] = xstrdup(o->fogs[i].location);
        e->fogs[i].name = s[3] = xstrdup(o->fogs[i].name);
    }
    e->o.fogs = e->fogs;
    e->snapshot_path = xstrdup_or_null(o->snapshot_path);
    e->o.snapshot_path = e->snapshot_path;
    int64_t now = loop_now(loop);
    pace_bucket_init(&e->arm_bucket, ARM_BUCKET, ARM_REFILL, now);
    double rpm = (double)e->o.max_requests_per_minute;
    pace_bucket_init(&e->budget, rpm, rpm / 60.0, now);
    return e;
}

static void sweep_free(struct sweep *sw)
{
    for (size_t i = 0; i < sw->nclaims; i++)
        free(sw->claims[i]);
    free(sw->claims);
    free(sw);
}

static void read_unlink(struct read *r)
{
    struct engine *e = r->e;
    if (r->prev)
        r->prev->next = r->next;
    else
        e->reads = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void read_free(struct read *r)
{
    free(r->a);
    free(r->b);
    free(r->c);
    free(r->d);
    free(r);
}

void engine_destroy(struct engine *e)
{
    if (e == NULL)
        return;
    if (e->started && e->stats.sweeps > 0)
        engine_save_snapshot(e, NULL); /* what the last health sweeps saw, for the next start */
    loop_timer_cancel(e->loop, e->full_timer);
    loop_timer_cancel(e->loop, e->health_timer);
    loop_timer_cancel(e->loop, e->probe_timer);
    loop_timer_cancel(e->loop, e->drain_timer);
    /* Sweeps are shared by their reads: free each once, after its last read. */
    struct sweep **sweeps = NULL;
    size_t nsweeps = 0;
    while (e->reads) {
        struct read *r = e->reads;
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): read_unlink took r off e->reads */
        read_unlink(r);
        if (r->call)
            azure_cancel(r->call);
        bool known = false;
        for (size_t i = 0; i < nsweeps && !known; i++)
            known = sweeps[i] == r->sw;
        if (!known) {
            sweeps = xrealloc(sweeps, nsweeps + 1, sizeof *sweeps);
            sweeps[nsweeps++] = r->sw;
        }
        read_free(r);
    }
    for (size_t i = 0; i < nsweeps; i++)
        sweep_free(sweeps[i]);
    free(sweeps);
    discover_cleanup(e);
    for (size_t i = 0; i < e->o.nsubscriptions; i++)
        free(e->subscriptions[i]);
    free(e->subscriptions);
    for (size_t i = 0; i < 4 * e->o.nfogs; i++)
        free(e->fog_strings[i]);
    free(e->fog_strings);
    free(e->fogs);
    for (size_t i = 0; i < e->nbackoffs; i++)
        free(e->backoffs[i].name);
    free(e->backoffs);
    free(e->snapshot_path);
    free(e->snapshot_note);
    model_destroy(e->model);
    free(e);
}

const struct model *engine_model(const struct engine *e)
{
    return e->model;
}

struct engine_stats engine_stats(const struct engine *e)
{
    struct engine_stats s = e->stats;
    s.in_flight = e->in_flight;
    s.queued = e->queued;
    s.skipped = e->skipped;
    for (int k = 0; k < 3; k++)
        s.live[k] = e->live[k];
    return s;
}

void engine_on_sweep(struct engine *e, engine_sweep_fn fn, void *arg)
{
    e->on_sweep = fn;
    e->on_sweep_arg = arg;
}

int engine_save_snapshot(struct engine *e, char **cause)
{
    if (e->snapshot_path == NULL || e->model->generation == e->saved_generation)
        return 0;
    enum core_err err = snapshot_save(e->model, e->snapshot_path, engine_wall(e), cause);
    if (err == CORE_OK)
        e->saved_generation = e->model->generation;
    return err == CORE_OK ? 0 : -1;
}

/* -- reads and their queue -------------------------------------------------------------------- */

static bool is_arm(enum read_kind k)
{
    return k < R_KEYS;
}

void engine_read(struct engine *e, struct sweep *sw, enum read_kind kind, const char *a,
                 const char *b, const char *c, const char *d)
{
    struct read *r = xcalloc(1, sizeof *r);
    r->e = e;
    r->sw = sw;
    r->kind = kind;
    r->a = xstrdup_or_null(a);
    r->b = xstrdup_or_null(b);
    r->c = xstrdup_or_null(c);
    r->d = xstrdup_or_null(d);
    r->queued_ms = loop_now(e->loop);
    r->next = e->reads;
    if (e->reads)
        e->reads->prev = r;
    e->reads = r;
    sw->pending++;
    struct read **head = is_arm(kind) ? &e->arm_head : &e->kv_head;
    struct read **tail = is_arm(kind) ? &e->arm_tail : &e->kv_tail;
    if (*tail)
        (*tail)->qnext = r;
    else
        *head = r;
    *tail = r;
    e->queued++;
    drain(e);
}

static void sweep_start(struct engine *e, enum engine_sweep kind, bool urgent, bool catch_up);

/*
 * Whether sw's end calls for a catch-up full sweep. After an outage, parts
 * only a full sweep reads (subscriptions, groups, vaults' settings) stay
 * unreadable (D01) until the next one, five minutes by default. An outage is
 * a full sweep that failed reads and a health sweep that failed reads after
 * it started; the first health sweep started after that one and failing none
 * says Azure is back. A failure only full sweeps meet (a subscription the
 * identity cannot read) is not an outage: it would double every full sweep.
 * One catch-up per outage: one that fails too waits for the cadence.
 */
static bool needs_catch_up(struct engine *e, const struct sweep *sw)
{
    int64_t now = loop_now(e->loop);
    if (sw->kind == ENGINE_SWEEP_FULL) {
        e->full_behind = !sw->catch_up && sw->failed > 0;
        e->full_behind_since = sw->started_ms;
        return false;
    }
    if (sw->kind != ENGINE_SWEEP_HEALTH)
        return false;
    if (sw->failed > 0) {
        e->health_failed_at = now;
        return false;
    }
    if (e->o.no_catch_up || !e->full_behind || e->health_failed_at < e->full_behind_since ||
        sw->started_ms < e->health_failed_at || e->live[ENGINE_SWEEP_FULL] > 0)
        return false;
    e->full_behind = false;
    return true;
}

static void sweep_end(struct engine *e, struct sweep *sw)
{
    e->stats.sweeps++;
    if (sw->kind == ENGINE_SWEEP_FULL)
        e->stats.last_sweep_ms = loop_now(e->loop) - sw->started_ms;
    enum engine_sweep kind = sw->kind;
    e->live[kind]--;
    bool catch_up = needs_catch_up(e, sw);
    sweep_free(sw);
    if (kind == ENGINE_SWEEP_FULL)
        engine_save_snapshot(e, NULL); /* best effort: a full disk must not stop monitoring */
    if (catch_up) {
        e->stats.catch_ups++;
        sweep_start(e, ENGINE_SWEEP_FULL, false, true); /* before the callback, which may destroy */
    }
    if (e->on_sweep)
        e->on_sweep(e, kind, e->on_sweep_arg);
}

void engine_read_done(struct read *r, bool failed)
{
    struct engine *e = r->e;
    struct sweep *sw = r->sw;
    read_unlink(r);
    if (r->running)
        e->in_flight--;
    if (failed) {
        e->stats.failures++;
        sw->failed++;
    }
    read_free(r);
    if (--sw->pending == 0)
        sweep_end(e, sw);
    drain(e);
}

void engine_arm_remaining(struct engine *e, long remaining)
{
    pace_bucket_follow(&e->arm_bucket, remaining, loop_now(e->loop));
}

static void drain_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct engine *e = arg;
    e->drain_timer = 0;
    drain(e);
}

static struct read *dequeue(struct read **head, struct read **tail)
{
    struct read *r = *head;
    *head = r->qnext;
    if (*head == NULL)
        *tail = NULL;
    r->qnext = NULL;
    return r;
}

/* May the head of a queue start now? *wait_ms says when to look again if not. */
static bool may_start(struct engine *e, struct read *r, int64_t now, int64_t *wait_ms)
{
    bool budget = !r->sw->urgent, arm = is_arm(r->kind);
    int64_t w = budget ? pace_bucket_wait_ms(&e->budget, now) : 0;
    if (arm) {
        int64_t a = pace_bucket_wait_ms(&e->arm_bucket, now);
        w = a > w ? a : w;
    }
    if (w > 0) {
        *wait_ms = *wait_ms < 0 || w < *wait_ms ? w : *wait_ms;
        return false;
    }
    if (budget)
        pace_bucket_take(&e->budget, now);
    if (arm)
        pace_bucket_take(&e->arm_bucket, now);
    return true;
}

static void start(struct engine *e, struct read *r)
{
    e->queued--;
    e->in_flight++;
    e->stats.requests++;
    r->running = true;
    discover_start(r);
}

static void drain(struct engine *e)
{
    int64_t now = loop_now(e->loop), wait_ms = -1;
    bool arm_open = true, kv_open = true;
    while (e->in_flight < e->o.max_in_flight) {
        bool arm = arm_open && e->arm_head, kv = kv_open && e->kv_head;
        if (!arm && !kv)
            break;
        /* The older head goes first, so neither queue starves the other. */
        bool arm_turn = arm && (!kv || e->arm_head->queued_ms <= e->kv_head->queued_ms);
        struct read **head = arm_turn ? &e->arm_head : &e->kv_head;
        struct read **tail = arm_turn ? &e->arm_tail : &e->kv_tail;
        if (!may_start(e, *head, now, &wait_ms)) {
            if (arm_turn)
                arm_open = false;
            else
                kv_open = false;
            continue;
        }
        start(e, dequeue(head, tail));
    }
    if (wait_ms >= 0 && e->drain_timer == 0)
        e->drain_timer = loop_timer(e->loop, wait_ms, drain_timer, e);
}

/* -- sweeps and cadences ---------------------------------------------------------------------- */

static struct sweep *sweep_new(struct engine *e, enum engine_sweep kind, bool urgent)
{
    struct sweep *sw = xcalloc(1, sizeof *sw);
    sw->kind = kind;
    sw->urgent = urgent;
    sw->started_ms = loop_now(e->loop);
    sw->pending = 1; /* held while the first reads are queued */
    e->live[kind]++;
    return sw;
}

static void sweep_start(struct engine *e, enum engine_sweep kind, bool urgent, bool catch_up)
{
    struct sweep *sw = sweep_new(e, kind, urgent);
    sw->catch_up = catch_up;
    switch (kind) {
    case ENGINE_SWEEP_FULL:
        discover_full(e, sw);
        break;
    case ENGINE_SWEEP_HEALTH:
        discover_health(e, sw);
        break;
    case ENGINE_SWEEP_PROBE:
        discover_probe(e, sw);
        break;
    }
    if (--sw->pending == 0)
        sweep_end(e, sw);
}

static void sweep_run(struct engine *e, enum engine_sweep kind, bool urgent)
{
    sweep_start(e, kind, urgent, false);
}

static void cadence(struct loop *loop, void *arg, enum engine_sweep kind)
{
    (void)loop;
    struct engine *e = arg;
    schedule(e, kind);
    /*
     * An estate that needs more reads than the budget allows would otherwise
     * queue the same reads again behind the last sweep's, for ever: skip this
     * cycle while the last sweep of its kind is still under way.
     */
    if (e->live[kind] > 0) {
        e->skipped++;
        return;
    }
    sweep_run(e, kind, false);
}

static void full_timer(struct loop *loop, void *arg)
{
    ((struct engine *)arg)->full_timer = 0;
    cadence(loop, arg, ENGINE_SWEEP_FULL);
}

static void health_timer(struct loop *loop, void *arg)
{
    ((struct engine *)arg)->health_timer = 0;
    cadence(loop, arg, ENGINE_SWEEP_HEALTH);
}

static void probe_timer(struct loop *loop, void *arg)
{
    ((struct engine *)arg)->probe_timer = 0;
    cadence(loop, arg, ENGINE_SWEEP_PROBE);
}

static void schedule(struct engine *e, enum engine_sweep kind)
{
    uint32_t random = 0;
    if (RAND_bytes((unsigned char *)&random, sizeof random) != 1)
        random = (uint32_t)loop_now(e->loop);
    switch (kind) {
    case ENGINE_SWEEP_FULL:
        loop_timer_cancel(e->loop, e->full_timer);
        e->full_timer = loop_timer(
            e->loop, pace_jitter(e->o.structure_ms, e->o.jitter_percent, random), full_timer, e);
        break;
    case ENGINE_SWEEP_HEALTH:
        loop_timer_cancel(e->loop, e->health_timer);
        e->health_timer = loop_timer(
            e->loop, pace_jitter(e->o.health_ms, e->o.jitter_percent, random), health_timer, e);
        break;
    case ENGINE_SWEEP_PROBE:
        loop_timer_cancel(e->loop, e->probe_timer);
        e->probe_timer = loop_timer(
            e->loop, pace_jitter(e->o.probe_ms, e->o.jitter_percent, random), probe_timer, e);
        break;
    }
}

/*
 * The snapshot into the model. A damaged one (CORE_ERR_PARSE, CORE_ERR_LIMIT) is
 * moved aside before the first save could replace it; if it cannot be moved,
 * this engine saves no snapshot. An unreadable one (CORE_ERR_IO) is left alone
 * and not saved over either. Either way the start goes on, empty, with a note.
 */
static void load_snapshot(struct engine *e)
{
    struct model *m = model_create();
    char *why = NULL, *aside = NULL, *why2 = NULL;
    enum core_err err = snapshot_load(m, e->snapshot_path, &why);
    if (err == CORE_OK) {
        model_destroy(e->model);
        e->model = m;
        return;
    }
    model_destroy(m); /* start empty */
    if (err == CORE_ERR_NOT_FOUND) {
        free(why); /* the first start */
        return;
    }
    if ((err == CORE_ERR_PARSE || err == CORE_ERR_LIMIT) &&
        snapshot_set_aside(e->snapshot_path, engine_wall(e) / 1000, &aside, &why2) == 0) {
        e->snapshot_note =
            xasprintf("damaged snapshot moved aside to %s, starting empty (%s)", aside, why);
    } else {
        e->snapshot_note =
            xasprintf("snapshot %s left as it is and not saved over this run (%s%s%s)",
                      e->snapshot_path, why, why2 ? "; " : "", why2 ? why2 : "");
        free(e->snapshot_path);
        e->snapshot_path = NULL;
        e->o.snapshot_path = NULL;
    }
    free(why);
    free(why2);
    free(aside);
}

const char *engine_snapshot_note(const struct engine *e)
{
    return e->snapshot_note;
}

void engine_start(struct engine *e)
{
    if (e->started)
        return;
    e->started = true;
    if (e->snapshot_path)
        load_snapshot(e);
    sweep_run(e, ENGINE_SWEEP_FULL, true);
    sweep_run(e, ENGINE_SWEEP_PROBE, true);
    schedule(e, ENGINE_SWEEP_FULL);
    schedule(e, ENGINE_SWEEP_HEALTH);
    schedule(e, ENGINE_SWEEP_PROBE);
}

void engine_refresh(struct engine *e)
{
    schedule(e, ENGINE_SWEEP_FULL);
    schedule(e, ENGINE_SWEEP_HEALTH);
    sweep_run(e, ENGINE_SWEEP_FULL, true);
    sweep_run(e, ENGINE_SWEEP_PROBE, true);
}

void engine_refresh_health(struct engine *e)
{
    schedule(e, ENGINE_SWEEP_HEALTH);
    sweep_run(e, ENGINE_SWEEP_HEALTH, true);
}

void engine_refresh_probe(struct engine *e)
{
    schedule(e, ENGINE_SWEEP_PROBE);
    sweep_run(e, ENGINE_SWEEP_PROBE, true);
}

/* -- per-sweep claims and per-vault backoff -----------------------------------------------------
 */

bool engine_sweep_claim(struct sweep *sw, const char *kind, const char *key)
{
    char *claim = xasprintf("%s:%s", kind, key);
    for (size_t i = 0; i < sw->nclaims; i++) {
        if (strcasecmp(sw->claims[i], claim) == 0) {
            free(claim);
            return false;
        }
    }
    sw->claims = xrealloc(sw->claims, sw->nclaims + 1, sizeof *sw->claims);
    sw->claims[sw->nclaims++] = claim;
    return true;
}

struct pace_backoff *engine_vault_backoff(struct engine *e, const char *vault)
{
    for (size_t i = 0; i < e->nbackoffs; i++) {
        if (strcasecmp(e->backoffs[i].name, vault) == 0)
            return &e->backoffs[i].b;
    }
    e->backoffs = xrealloc(e->backoffs, e->nbackoffs + 1, sizeof *e->backoffs);
    struct vault_backoff *vb = &e->backoffs[e->nbackoffs++];
    vb->name = xstrdup(vault);
    memset(&vb->b, 0, sizeof vb->b);
    return &vb->b;
}
