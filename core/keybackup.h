/*
 * keybackup — the key backup/restore wizard (tde-domain-rules.md section C),
 * a state machine on core's loop that the console and the CLI drive alike.
 *
 * Backup: the selected keys (vault + key name, or every key a failover
 * group's two instances have registered, current and past protectors) are
 * each listed fresh (their versions), backed up (POST .../backup: Key Vault's
 * blob holds every version) and written as one bkfile (core/bkfile.h) with
 * the metadata from the model: versions, fingerprints, SQL thumbprints,
 * subscription, region, geography. Each file is read back and compared before
 * the step counts as done.
 *
 * Restore: a verified file into a chosen vault. Every constraint is checked
 * before any change: the target vault known (the model, else ARM's list of
 * vaults), the same subscription and the same geography as the file (no
 * call reaches the target vault before these pass), the key name free live
 * (the model and a fresh GET answering 404 KeyNotFound) and soft-deleted (a
 * fresh list). Then POST .../keys/restore, then every version of the restored
 * key is read back and its fingerprint compared with the file's. A restore
 * test is the same into a scratch vault; its copy stays there (tdectl never
 * deletes: deleting would only soft-delete it and reserve the name).
 * Nothing here ever deletes, disables or purges anything.
 *
 * A run: keybackup_create, a selection (keybackup_select*, or
 * keybackup_restore_file), keybackup_start; on_done runs once, from the loop
 * (never inside keybackup_start). Plans change nothing and journal nothing;
 * runs that may change something (backup, restore) are journaled through
 * struct wizard (core/wizard.h: kinds "backup" and "restore") and end with an
 * audit record (reason, principal, outcome, file SHA-256).
 *
 * Secrets: backup blobs are secret-equivalent. They live only in the kvclient
 * callback that delivered them (backup) or in a buffer cleansed on destroy
 * (restore); they are never journaled, logged or put in a cause.
 *
 * Ownership: struct keybackup is opaque heap (create/destroy); options'
 * strings are copied; azure, engine and loop are borrowed and outlive it.
 * Model entities are read only synchronously, never held across a call.
 * keybackup_destroy cancels a call in flight (no callback after it).
 */
#ifndef TDECTL_KEYBACKUP_H
#define TDECTL_KEYBACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "bkfile.h"
#include "wizard.h"

struct azure;
struct engine;
struct loop;
struct keybackup;

/* How a run ended. The values are tdectl's exit codes for backup and restore. */
enum keybackup_result {
    KEYBACKUP_DONE = 0,      /* done; for a plan: every check passed */
    KEYBACKUP_REFUSED = 1,   /* refused before any change (checks, read-only mode, input) */
    KEYBACKUP_FAILED = 2,    /* failed while running; the detail says what was done */
    KEYBACKUP_UNVERIFIED = 4 /* a file that does not verify, or a restored copy that differs */
};

enum keybackup_how {
    KEYBACKUP_PLAN,  /* the plan and (restore) its read-only checks; nothing changes */
    KEYBACKUP_APPLY, /* run it */
    KEYBACKUP_TEST   /* restore only: a restore test into a scratch vault */
};

typedef void (*keybackup_done_fn)(struct keybackup *kb, enum keybackup_result result, void *arg);
/* The state machine's transitions, for tests and traces ("resolve" -> "bk-versions"). */
typedef void (*keybackup_trace_fn)(const char *from, const char *to, void *arg);

struct keybackup_options {
    struct azure *az;
    struct engine *engine; /* the model: vaults, keys, registered keys */
    struct loop *loop;
    bool read_only;          /* the session's mode: writes are refused before starting */
    const char *backup_dir;  /* where backup files go (made 0700); required for backups */
    const char *journal_dir; /* runs' journals; NULL: none */
    const char *audit_path;  /* audit.jsonl; NULL: none */
    const char *principal;   /* who runs it, for the audit log (client id); NULL: unknown */
    wizard_event_fn on_event;
    void *event_arg;
    keybackup_done_fn on_done;
    void *done_arg;
    keybackup_trace_fn trace; /* NULL: none */
    void *trace_arg;
};

struct keybackup *keybackup_create(const struct keybackup_options *o);
void keybackup_destroy(struct keybackup *kb);

/* Backup selection: one key (duplicates are ignored). -1 with *cause for a bad name. */
int keybackup_select(struct keybackup *kb, const char *vault, const char *key, char **cause);
/*
 * Every key group's two instances have registered (and every past protector
 * whose material the model finds in a vault), from the model. -1 with *cause
 * when the group is unknown, ambiguous or uses no Key Vault key.
 */
int keybackup_select_group(struct keybackup *kb, const char *group, char **cause);
/* The selected keys: vault and key of the i-th, false past the end. */
bool keybackup_selected(const struct keybackup *kb, size_t i, const char **vault, const char **key);

/*
 * Restore selection: reads and verifies file (bkfile_read) for a restore into
 * vault. -1 with *cause when the file does not verify (the result is then
 * KEYBACKUP_UNVERIFIED) or the vault name is not one (KEYBACKUP_REFUSED).
 */
int keybackup_restore_file(struct keybackup *kb, const char *file, const char *vault, char **cause);
/* The restore file's metadata (NULL before keybackup_restore_file succeeded). */
const struct bkfile_meta *keybackup_meta(const struct keybackup *kb);

/*
 * Starts: a backup when keys were selected, else a restore. reason is
 * required to apply a restore (journaled and audited); optional for backups.
 * Refusals that need no call (read-only mode, no reason, nothing selected)
 * end the run without any request.
 */
void keybackup_start(struct keybackup *kb, enum keybackup_how how, const char *reason);

bool keybackup_ended(const struct keybackup *kb);
enum keybackup_result keybackup_result(const struct keybackup *kb);
/* The closing sentence: what was done, why it was refused, what to do instead ("" while running).
 */
const char *keybackup_detail(const struct keybackup *kb);
/* The steps (plan), the journal path and run id. */
const struct wizard *keybackup_wizard(const struct keybackup *kb);
/* The plan as text (heap): steps, calls, and for a restore the constraints it checks. */
char *keybackup_plan_text(const struct keybackup *kb);
/* The backup files written, in selection order (NULL past the end). */
const char *keybackup_file(const struct keybackup *kb, size_t i);
/* The result as text for a terminal (heap) and as JSON (tdectl.keybackup-run/v1). */
char *keybackup_text(const struct keybackup *kb);
cJSON *keybackup_json(const struct keybackup *kb);

/* A verified file's description: what `tdectl backup --verify` prints. */
char *keybackup_describe_text(const char *path, const struct bkfile_meta *m, size_t blob_len);
cJSON *keybackup_describe_json(const char *path, const struct bkfile_meta *m, size_t blob_len);

/* The name a result has in journals and JSON: "done", "refused", "failed", "unverified". */
const char *keybackup_result_name(enum keybackup_result r);

#endif
