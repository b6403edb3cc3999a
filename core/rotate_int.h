/*
 * rotate internals shared by rotate.c (control: plan, apply, resume,
 * rollback, preconditions, lock, outcome) and rotstep.c (the steps' effects
 * and their read-back). Not for front ends.
 */
#ifndef TDECTL_ROTATE_INT_H
#define TDECTL_ROTATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "azure.h"
#include "kvclient.h"
#include "rotate.h"
#include "rotread.h"

struct keymat;
struct oplock_call;

struct rotate {
    struct rotate_params p;
    char *state_dir;
    char *owner;
    const char *key_pass, *escrow_pass; /* borrowed */
    struct rot_plan plan;
    bool have_plan, plan_ready;
    struct rot_state *st; /* the last read */
    bool st_fresh;        /* read after the last change: the next step may use it */
    char *blockers;       /* why apply would be refused now */
    char *findings;       /* the scope's critical and high findings, one per line; NULL none */
    enum rotate_outcome outcome;
    char *detail;
    bool rollback_offered;
    rotate_fn fn;
    void *arg;
    cJSON *records;       /* a loaded journal (resume) */
    char *ended;          /* its last end record's outcome, NULL when none */
    char interrupted[32]; /* the step its journal ends inside (begun, not ended), "" none */
    bool settled;         /* the resume waited for that step's request to land */
    bool resuming, rolling_back, started;
    size_t step;
    int attempts;
    bool step_retry, step_verify; /* the next timer retries / verifies the current step */
    bool in_doubt; /* the step's last write went unanswered: written again only once read back */
    int64_t retry_after_ms; /* the last transient failure's Retry-After; -1: none */
    char *last_error;
    char fp[MODEL_FINGERPRINT_LEN]; /* the new material's */
    char backup_path[1024];
    struct keymat *mat;
    struct rotread *reading;
    void (*then)(struct rotate *r); /* after the read under way */
    struct az_call *call;
    void *call_ctx; /* rotstep.c's context of that call, freed by rotstep_cleanup if cancelled */
    struct oplock_call *lockcall;
    uint64_t timer;
    bool lock_held;
    int64_t watch_end;
    unsigned watch_polls;
    unsigned char proof[32];
    unsigned char *wrapped;
    size_t wrapped_len;
    int phase;       /* a step's sub-step (prove: 0..3; register: which copy) */
    int gen_pipe[2]; /* key generation off the loop */
    void *gen;       /* struct gen (rotstep.c) while a thread runs */
};

/* rotate.c: what steps report. */
void rotate_step_ok(struct rotate *r, cJSON *data, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rotate_step_skip(struct rotate *r, cJSON *data, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rotate_step_fail(struct rotate *r, enum rotate_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A call of an effect step ended: journal it, then verify by reading back, retry or fail. */
void rotate_effect_done(struct rotate *r, const char *method, const char *url,
                        const struct az_status *st);
int64_t rotate_wall(const struct rotate *r);
/* rotate.c, for rotate_resume.c. */
void rotate_record_input(struct rotate *r, const char *name, const char *value);
int rotate_may_change(const struct rotate *r, const char *reason, char **cause);
void rotate_audit(struct rotate *r, const char *event, const char *reason);
void rotate_run(struct rotate *r); /* the next step (or the end) */
int64_t rotate_wall_cb(void *arg);
/* rotate_gate.c: the checks before any change, and the lock. */
char *rotate_scope_findings(const struct model *m, const struct health *h, const char *group);
char *rotate_judge(const struct rotate *r);  /* why apply or resume is refused now; NULL: nothing */
void rotate_preconditions(struct rotate *r); /* the step */
void rotate_take_lock(struct rotate *r);     /* the step */
/* Reads the group again, then fn(r). */
void rotate_reread(struct rotate *r, void (*fn)(struct rotate *r));

/* rotstep.c: the steps. */
struct rotstep {
    const char *id;
    bool (*in_place)(struct rotate *r); /* NULL: a check, always run */
    void (*run)(struct rotate *r);
};
const struct rotstep *rotstep_find(const char *id);
/* The copy's server key name in the primary's or the secondary's vault ("" while unknown). */
void rotstep_copy_name(const struct rotate *r, bool primary, char *buf, size_t size);
void rotstep_cleanup(struct rotate *r); /* material, proof buffers, the generator thread */

/*
 * A write's context: the side it acts on and the URL journaled. It hangs on r->call_ctx while
 * the call runs, so rotstep_cleanup frees it when the call is cancelled (rotate_destroy):
 * azure_on_cancel has one slot per call and the client wrapper's own context is in it.
 */
struct call_ctx {
    struct rotate *r;
    bool primary;
    char *url;
};

/* rotstep.c, shared with rotstep_import.c. */
const struct rot_side *rotstep_side(const struct rotate *r, bool primary);
const struct rot_copy_version *rotstep_copy_version(const struct rotate *r, bool primary);
struct kv_key_spec rotstep_key_spec(const struct rotate *r);
cJSON *rotstep_fp_data(const struct rotate *r);
struct call_ctx *rotstep_ctx_new(struct rotate *r, bool primary, char *url);
struct call_ctx *rotstep_ctx_take(void *arg);
void rotstep_ctx_free(struct call_ctx *c);

/* rotstep_import.c: the offline and file origins. */
bool rotstep_material_in_place(struct rotate *r);
void rotstep_generate_run(struct rotate *r);
void rotstep_load_run(struct rotate *r);
bool rotstep_import_sec_in_place(struct rotate *r);
bool rotstep_import_pri_in_place(struct rotate *r);
void rotstep_import_sec_run(struct rotate *r);
void rotstep_import_pri_run(struct rotate *r);
void rotstep_gen_cleanup(struct rotate *r); /* waits for a generator thread, drops its key */

#endif
