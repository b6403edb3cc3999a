/*
 * fixture_rotate — the rotation wizard (core/rotate) driven as a front end
 * drives it, against the fixture's azsim: a state folder of its own, plan,
 * apply, wait for the outcome; faults injected when a chosen step begins;
 * azsim's own instance model watched while a run goes; and the reads the
 * rotation tests assert with (core/rotread for both instances and vaults,
 * the journal, azsim's /model).
 *
 * Ownership: struct rotfx is caller storage (rotfx_start .. rotfx_stop);
 * rotfx_stop removes the state folder. Everything else fails the test when
 * azsim or the wizard does not answer in time.
 */
#ifndef TDECTL_FIXTURE_ROTATE_H
#define TDECTL_FIXTURE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fixture.h"
#include "oplock.h"
#include "rotate.h"
#include "rotread.h"

#define ROTFX_OWNER  "test@host"
#define ROTFX_REASON "test reason: CHG-1234"

/* The demo's protectors before any rotation: one version of one key, copied to both vaults. */
#define ROTFX_OLD_KEY     "tde-protector-2025"
#define ROTFX_OLD_VERSION "b70b487d725c442b8df2ba78d8564211"
#define ROTFX_PREV_EUS2   DEMO_KV_EUS2 "_" ROTFX_OLD_KEY "_" ROTFX_OLD_VERSION
#define ROTFX_PREV_CUS    DEMO_KV_CUS "_" ROTFX_OLD_KEY "_" ROTFX_OLD_VERSION

/* azsim's view of one instance (GET /model), with the counters a rotation must not move. */
struct rotfx_sim {
    char access[16];
    char protector[256];
    char serving[256];
    long inaccessible_events, lost_events;
    size_t ndbs, inaccessible;
};

struct rotfx {
    struct fixture f;
    char dir[256]; /* the wizard's state folder */
    struct rotate *r;
    int calls; /* rotate callbacks so far */
    /* A fault added when the step named at begins (once); its id (heap) after. */
    const char *fault_at, *fault_spec;
    char *fault_id;
    /* azsim's model as polled during waits: the worst seen. */
    size_t seen_inaccessible;
    bool seen_lost;
    char seen_what[256];
};

void rotfx_start(struct rotfx *x, const struct fixture_options *o);
void rotfx_stop(struct rotfx *x);
/* A new struct rotate on the fixture's session (the old one destroyed). */
void rotfx_new(struct rotfx *x);

/* Plans (health evaluated first) and waits for the plan: fails the test when it is not ready. */
void rotfx_plan(struct rotfx *x, const struct rot_choice *c);
/* The usual choice for the demo group. */
struct rot_choice rotfx_choice(enum rot_origin origin);
/* Applies with the group's name and ROTFX_REASON and waits for the outcome. */
enum rotate_outcome rotfx_apply(struct rotfx *x);
/* Waits for the next callback with an outcome other than RUNNING (fails after timeout_ms). */
enum rotate_outcome rotfx_wait(struct rotfx *x, int timeout_ms);
/* Fails the test with the detail when the outcome is not want. */
void rotfx_expect(struct rotfx *x, enum rotate_outcome got, enum rotate_outcome want);

/* A fresh read of the plan's group (caller: rotread_free); fails when a read failed. */
struct rot_state *rotfx_read(struct rotfx *x);
/* azsim's /model for one instance. */
void rotfx_sim(struct rotfx *x, const char *instance, struct rotfx_sim *out);

/* What a run must not take away: both instances' registered keys, azsim's counters. */
struct rotfx_before {
    char *keys[2][16]; /* primary, secondary */
    size_t nkeys[2];
    struct rotfx_sim sim[2];
};
void rotfx_note_before(struct rotfx *x, struct rotfx_before *b);
void rotfx_before_cleanup(struct rotfx_before *b);

/*
 * After a done run (rotated true) or a rollback (false): both instances on the new key's copy
 * in their own vault (or back on the previous keys), both copies of the new key registered on
 * both, one version of it in each vault with identical material (its fingerprint into fp), the
 * old versions enabled and every earlier registration kept; azsim's instances checked after its
 * clock moved past a check: access ok, serving that protector, no database Inaccessible, no
 * loss counted, none seen during the run; no critical finding.
 */
void rotfx_expect_keys(struct rotfx *x, const struct rotfx_before *b, bool rotated,
                       char fp[MODEL_FINGERPRINT_LEN]);
/* azsim as before any change: the previous protectors, no key of the plan's name anywhere. */
void rotfx_expect_unchanged(struct rotfx *x);

/* Loads a journal into a new struct rotate and resumes it; waits for the outcome. */
enum rotate_outcome rotfx_resume(struct rotfx *x, const char *journal);
/*
 * Loads a journal into a new struct rotate, resumes it, and destroys it after_ms into step (a
 * request in flight), as a front end quitting mid-run does; x->r is NULL after.
 */
void rotfx_resume_dropped(struct rotfx *x, const char *journal, const char *step, int after_ms);
/* Rolls the current run back; waits for the outcome. */
enum rotate_outcome rotfx_rollback(struct rotfx *x, const char *reason);
/* How many unfinished rotation journals the state folder has; whether path is one. */
size_t rotfx_unfinished(struct rotfx *x, const char *path, bool *listed);

/* Fails the test when needle is not in text. */
void rotfx_expect_in(const char *text, const char *needle);

/* The run's journal records (caller: cJSON_Delete). */
cJSON *rotfx_journal(struct rotfx *x);
/* The step ids of the journal's "begin" records, in order, without repeats; n of them. */
size_t rotfx_begun(const cJSON *records, const char *ids[], size_t max);
/* The first record of type (and step, when not NULL) and phase (when not NULL), or NULL. */
const cJSON *rotfx_record(const cJSON *records, const char *type, const char *step,
                          const char *phase);
const char *rotfx_str(const cJSON *o, const char *name);

/* Reads a small file whole (heap, NUL-terminated), or fails the test. */
char *rotfx_slurp(const char *path);

/* What an oplock call gave back (rotfx_on_lock fills it; rotfx_wait_calls waits for it). */
struct rotfx_lock {
    int calls;
    enum core_err err;
    enum oplock_state state;
    struct oplock lock;
};
void rotfx_on_lock(enum core_err err, enum oplock_state state, const struct oplock *lock,
                   const char *cause, void *arg);
/* Runs x's loop until *calls moved (at most 20 s). */
void rotfx_wait_calls(struct rotfx *x, const int *calls);

#endif
