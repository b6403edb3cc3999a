/*
 * keybackup_int — what keybackup.c (the machine, selection, vaults, the end),
 * keybackup_backup.c, keybackup_restore.c and keybackup_report.c share. Not
 * for use outside core/keybackup*.c.
 *
 * The machine: one state at a time, changed only by kb_goto, which traces
 * from -> to and runs the state's on-enter action from the table in
 * keybackup.c. Every state but KB_IDLE and KB_END has at most one call in
 * flight (kb->call); its callback clears kb->call first, then moves on.
 */
#ifndef TDECTL_KEYBACKUP_INT_H
#define TDECTL_KEYBACKUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure.h"
#include "bkfile.h"
#include "keybackup.h"
#include "model.h"
#include "wizard.h"

enum kb_state {
    KB_IDLE,
    KB_RESOLVE,     /* the vaults: from the model, else from ARM's lists of vaults */
    KB_BK_VERSIONS, /* backup: the key's versions, fresh */
    KB_BK_MATERIAL, /* backup: the material of versions the model has not read */
    KB_BK_BACKUP,   /* backup: POST backup, write the file, read it back */
    KB_RS_LIVE,     /* restore: GET the key in the target: must be 404 KeyNotFound */
    KB_RS_DELETED,  /* restore: the target's soft-deleted keys */
    KB_RS_RESTORE,  /* restore: POST restore */
    KB_RS_LIST,     /* restore: the restored key's versions */
    KB_RS_MATERIAL, /* restore: each restored version's material (fingerprint) */
    KB_END,
    KB_STATE_COUNT
};

/* A vault the run acts on, copied out of the model or ARM's list. */
struct kb_vault {
    char *name; /* lower-case */
    char *uri;  /* https://NAME.vault...; NULL until resolved */
    char *subscription;
    char *location;
    const char *geography; /* estate_geography's static text; NULL when unknown */
    bool resolved;
    bool from_arm; /* not in the model: no instance uses it */
    bool soft_delete, purge_protection, deleted;
    int retention_days;
};

/* One key to back up. */
struct kb_item {
    char *vault, *key;
    size_t step;
    struct model_version *versions; /* the fresh list; fingerprints filled in */
    size_t nversions, next;
    char *file;
    bool failed;
};

struct kb_check {
    char *name;
    bool ok;
    char *detail;
};

/* A version of the file against the restored copy. */
struct kb_cmp {
    char version[33];
    char want[MODEL_FINGERPRINT_LEN]; /* the file's */
    char got[MODEL_FINGERPRINT_LEN];  /* the restored copy's; "" when missing */
};

struct keybackup {
    struct keybackup_options o; /* strings below are the copies */
    char *backup_dir, *journal_dir, *audit_path, *principal;
    struct wizard w;
    enum kb_state state;
    enum keybackup_how how;
    bool restore; /* a restore run (else a backup) */
    bool started, ended;
    enum keybackup_result result;
    char *detail;
    char *reason;
    struct az_call *call;
    uint64_t done_timer;

    struct kb_vault *vaults;
    size_t nvaults;
    char **subs; /* subscriptions whose vault lists resolve unknown vaults */
    size_t nsubs, next_sub;
    char *resolve_error; /* the last failed list, for the refusal */

    struct kb_item *items;
    size_t nitems, cur;

    char *file;
    struct bkfile_meta meta;
    bool have_meta;
    unsigned char *blob; /* secret: cleansed by bkfile_blob_free */
    size_t bloblen;
    char file_sha256[65];
    char *target;
    struct kb_check *checks;
    size_t nchecks;
    bool refused_check; /* a restore check failed: refuse once the step ends */
    char *latest_fp;    /* the live key's latest fingerprint when the name is taken */
    struct model_version *restored;
    size_t nrestored, next;
    struct kb_cmp *cmp;
    size_t ncmp;
    bool changed; /* a request that changes Azure was sent */
    char *restore_request_id;
};

void kb_goto(struct keybackup *kb, enum kb_state to);
/* Ends the run (once): result, detail, journal end record, audit, on_done from the loop. */
void kb_finish(struct keybackup *kb, enum keybackup_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const struct model *kb_model(const struct keybackup *kb);
int64_t kb_wall_s(const struct keybackup *kb);
struct kb_vault *kb_vault(struct keybackup *kb, const char *name);
struct kb_vault *kb_vault_add(struct keybackup *kb, const char *name);
/* A check: recorded for the result, journaled and shown. */
void kb_check(struct keybackup *kb, bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A call that ended: journaled with its request ids (path built from the vault URI). */
void kb_call(struct keybackup *kb, const char *method, const char *url, const struct az_status *st);
/* "https://v.vault.../keys/K/backup?api-version=..." (heap). */
char *kb_kv_url(const struct kb_vault *v, const char *path);
/* "2026-11-29T21:40:00Z" for Unix seconds. */
void kb_time_text(int64_t s, char out[32]);

/* Journals the plan record ({"kind", "run", "plan": plan (consumed), "steps"}) and the reason. */
void kb_record_plan(struct keybackup *kb, cJSON *plan);

/* The run, once every vault is resolved: plan, journal, first state. */
void kb_bk_ready(struct keybackup *kb);
void kb_rs_ready(struct keybackup *kb);

/* On-enter actions (keybackup_backup.c, keybackup_restore.c). */
void kb_bk_enter_versions(struct keybackup *kb);
void kb_bk_enter_material(struct keybackup *kb);
void kb_bk_enter_backup(struct keybackup *kb);
void kb_rs_enter_live(struct keybackup *kb);
void kb_rs_enter_deleted(struct keybackup *kb);
void kb_rs_enter_restore(struct keybackup *kb);
void kb_rs_enter_list(struct keybackup *kb);
void kb_rs_enter_material(struct keybackup *kb);

/* The restore's audit record fields (keybackup_restore.c). */
void kb_rs_audit_fields(const struct keybackup *kb, cJSON *rec);

#endif
