/*
 * rotate — the TDE protector rotation of a failover group as a state machine
 * on the core loop: plan → confirm → apply → verify each step → watch, with
 * resume after a crash and rollback. The console and `tdectl rotate` drive
 * the same machine; neither can reorder its steps (core/rotplan owns them).
 *
 * Apply:
 *   1. refuses synchronously: read-only mode, an empty reason, a typed
 *      confirmation that is not the group's name;
 *   2. journals the plan and the inputs (core/wizard; fsync'd);
 *   3. preconditions: a fresh read of the group (core/rotread) whose digest
 *      must equal the plan's (else the plan is stale and refused), no
 *      critical or high finding in the group's scope, no Inaccessible
 *      database, auto-rotation off on both instances;
 *   4. the operator lock (core/oplock): held by another run → refused;
 *   5. every step: if its effect can already be read back it is skipped,
 *      else it runs and is verified by reading back; a transient failure
 *      (429, 5xx, timeout, a protector change in progress) is retried after
 *      reading back (never blindly), a permanent one stops the run with the
 *      service's code and what to do.
 * Resume (after a crash, a kill, a dropped session) loads the journal, takes
 * the lock again (same run), skips the stale check and the findings (the
 * rotation itself moved them) and walks the steps from the first whose
 * effect it cannot read back. Rollback points each protector back to the
 * plan's previous key, the secondary first, verified; it deletes nothing.
 * No path deletes, disables or purges a key or a registration.
 *
 * Secrets: key file and escrow passphrases are borrowed from the front end
 * for the call that uses them; private key material lives in core/keymat
 * (cleansed, core dumps off) only between generate/load and the imports.
 *
 * Ownership: struct rotate is opaque (create/destroy; destroy cancels what
 * runs). Callbacks run from the loop. Errors: synchronous refusals return -1
 * with *cause; everything later ends in rotate_outcome and the journal.
 */
#ifndef TDECTL_ROTATE_H
#define TDECTL_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "model.h"
#include "rotplan.h"
#include "wizard.h"

struct loop;
struct azure;
struct rotate;

struct rotate_params {
    struct loop *loop;
    struct azure *az;
    const char *state_dir; /* journals (wizards/), backups (backups/), audit.jsonl */
    const char *owner;     /* for the lock and the audit log: "alice@host (client ...)" */
    bool read_only;        /* the session's mode: apply and rollback refuse */
    int64_t poll_ms;       /* between reads while waiting and watching; 0: 10 s */
    int64_t settle_ms;     /* resume: wait for an interrupted request to land; 0: 10 s */
};

enum rotate_outcome {
    ROTATE_NONE, /* nothing ran yet (a plan may exist) */
    ROTATE_RUNNING,
    ROTATE_DONE,    /* both instances on the new protector, the watch passed */
    ROTATE_REFUSED, /* nothing was changed: stale plan, preconditions, lock, read-only */
    ROTATE_FAILED,  /* stopped during apply; resume or roll back (the detail says which) */
    ROTATE_VERIFY,  /* a verification failed (material, protector, databases) */
    ROTATE_ROLLED_BACK
};

typedef void (*rotate_fn)(struct rotate *r, void *arg);

struct rotate *rotate_create(const struct rotate_params *p);
void rotate_destroy(struct rotate *r);
void rotate_on_event(struct rotate *r, wizard_event_fn fn, void *arg);
/* Secrets for the file origin's key file and the offline escrow: borrowed until the run ends
 * (steps read them after rotate_apply or rotate_resume returned) or until the next call. */
void rotate_set_secrets(struct rotate *r, const char *key_pass, const char *escrow_pass);

/*
 * Builds the plan from the model and reads the group (the digest and the
 * checks); fn runs when the plan is ready (rotate_plan_ready) or could not be
 * made (rotate_detail). h may be NULL (no findings known).
 */
int rotate_plan(struct rotate *r, const struct model *m, const struct health *h,
                const struct rot_choice *c, rotate_fn fn, void *arg, char **cause);
bool rotate_plan_ready(const struct rotate *r);
const struct rot_plan *rotate_get_plan(const struct rotate *r);
/* The plan and, when apply would be refused now, why (heap). */
char *rotate_plan_text(const struct rotate *r);
/* Why apply would be refused now (findings, Inaccessible, auto-rotation, name taken), or NULL. */
const char *rotate_blockers(const struct rotate *r);

int rotate_apply(struct rotate *r, const struct model *m, const struct health *h,
                 const char *confirm, const char *reason, rotate_fn fn, void *arg, char **cause);

/* A rotation's journal: its plan and what was done (resume needs an unfinished or failed
 * one; rollback takes any). */
int rotate_load(struct rotate *r, const char *journal_path, char **cause);
int rotate_resume(struct rotate *r, rotate_fn fn, void *arg, char **cause);
int rotate_rollback(struct rotate *r, const char *reason, rotate_fn fn, void *arg, char **cause);

enum rotate_outcome rotate_outcome(const struct rotate *r);
const char *rotate_outcome_name(enum rotate_outcome o); /* "done", "refused", ... */
const char *rotate_detail(const struct rotate *r);      /* the outcome in words */
bool rotate_rollback_offered(const struct rotate *r);   /* a protector moved, then it failed */
const char *rotate_journal(const struct rotate *r);     /* NULL before apply */
const struct wizard *rotate_wizard(const struct rotate *r);

/* Journals of rotations that have no end record, newest first (heap). */
int rotate_unfinished(const char *state_dir, char ***paths, size_t *n, char **cause);

#endif
