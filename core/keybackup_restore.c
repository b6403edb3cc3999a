/*
 * keybackup_restore — restoring a backup file into a vault: the constraints
 * (local ones first, so a vault in another subscription or geography is
 * never called), the name free live and soft-deleted, the restore, and every
 * version read back and compared with the file (see keybackup.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keybackup_int.h"
#include "kvclient.h"
#include "kvparse.h"
#include "xmem.h"

/* The steps of a restore, in order. */
enum { STEP_CHECKS, STEP_RESTORE, STEP_VERIFY };

static const char import_advice[] =
    "To put this material in %s, import it instead: tdectl rotate --origin file with the key's "
    "original PEM/PFX or escrow; the vault never returns private key material.";

static struct kb_vault *target(struct keybackup *kb)
{
    return kb_vault(kb, kb->target);
}

static void add_steps(struct keybackup *kb)
{
    const struct kb_vault *v = target(kb);
    const struct bkfile_meta *m = &kb->meta;
    char *title = xasprintf("Check the constraints for restoring %s into %s", m->key, v->name);
    char *a = xasprintf("%s/keys/%s", v->uri, m->key);
    char *b = xasprintf("%s/deletedkeys", v->uri);
    size_t s = wizard_add_step(&kb->w, "checks", title,
                               "Key Vault restores a backup only into a vault of the same "
                               "subscription and geography, never over a key name in use, live or "
                               "soft-deleted");
    wizard_add_call(&kb->w, s, "GET", a, KV_API);
    wizard_add_call(&kb->w, s, "GET", b, KV_API);
    free(title);
    free(a);
    free(b);
    title = xasprintf("Restore %s (%zu version%s) into %s%s", m->key, m->nversions,
                      m->nversions == 1 ? "" : "s", v->name,
                      kb->how == KEYBACKUP_TEST ? " as a restore test" : "");
    a = xasprintf("%s/keys/restore", v->uri);
    s = wizard_add_step(&kb->w, "restore", title,
                        "the blob carries every version; they come back with the same version ids");
    wizard_add_call(&kb->w, s, "POST", a, KV_API);
    free(title);
    free(a);
    title = xasprintf("Read back every version of %s in %s and compare fingerprints with the file",
                      m->key, v->name);
    a = xasprintf("%s/keys/%s/versions", v->uri, m->key);
    s = wizard_add_step(&kb->w, "verify", title, "");
    wizard_add_call(&kb->w, s, "GET", a, KV_API);
    for (size_t i = 0; i < m->nversions; i++) {
        char *g = xasprintf("%s/keys/%s/%s", v->uri, m->key, m->versions[i].version);
        wizard_add_call(&kb->w, s, "GET", g, KV_API);
        free(g);
    }
    free(title);
    free(a);
}

static cJSON *plan_json(const struct keybackup *kb)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "file", kb->file);
    cJSON_AddStringToObject(p, "file_sha256", kb->file_sha256);
    cJSON_AddStringToObject(p, "vault", kb->target);
    cJSON_AddStringToObject(p, "key", kb->meta.key);
    cJSON_AddStringToObject(p, "source_vault", kb->meta.vault);
    cJSON_AddNumberToObject(p, "versions", (double)kb->meta.nversions);
    cJSON_AddBoolToObject(p, "test", kb->how == KEYBACKUP_TEST);
    return p;
}

/* A failed check ends the checks step and refuses the run: nothing was changed. */
static void refuse(struct keybackup *kb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(struct keybackup *kb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    wizard_step_failed(&kb->w, STEP_CHECKS, "%s", why);
    kb_finish(kb, KEYBACKUP_REFUSED, "%s", why);
    free(why);
}

/* Subscription and geography: a failure names both sides and the way that works. */
static bool where_checks(struct keybackup *kb, const struct kb_vault *v)
{
    const struct bkfile_meta *m = &kb->meta;
    bool sub = strcasecmp(m->subscription, v->subscription) == 0;
    kb_check(kb, sub, "subscription", "%s: the file's is %s, %s's is %s",
             sub ? "same" : "different", m->subscription, v->name, v->subscription);
    if (!sub) {
        char *advice = xasprintf(import_advice, v->name);
        refuse(kb,
               "Key Vault restores a backup only into a vault of the same subscription and "
               "geography (subscription %s ≠ %s). %s",
               m->subscription, v->subscription, advice);
        free(advice);
        return false;
    }
    bool known = m->geography[0] && v->geography;
    bool geo = known && strcmp(m->geography, v->geography) == 0;
    kb_check(kb, geo, "geography", "the file's %s (%s), %s's %s (%s)",
             m->geography[0] ? m->geography : "unknown", m->region, v->name,
             v->geography ? v->geography : "unknown", v->location);
    if (!geo) {
        char *advice = xasprintf(import_advice, v->name);
        if (known)
            refuse(kb,
                   "Key Vault restores a backup only into a vault of the same subscription and "
                   "geography (%s ≠ %s). %s",
                   v->geography, m->geography, advice);
        else
            refuse(kb,
                   "cannot tell whether %s (%s) is in the file's geography (%s, %s): tdectl "
                   "does not know that region's geography; nothing was changed. %s",
                   v->name, v->location, m->geography[0] ? m->geography : "unknown", m->region,
                   advice);
        free(advice);
    }
    return geo;
}

/* The checks that need no call, in the order that keeps a wrong vault from being called. */
static bool local_checks(struct keybackup *kb)
{
    const struct bkfile_meta *m = &kb->meta;
    const struct kb_vault *v = target(kb);
    char when[32];
    kb_time_text(m->created, when);
    kb_check(kb, true, "file", "%s verifies: %zu version%s of %s from %s (%s), taken %s", kb->file,
             m->nversions, m->nversions == 1 ? "" : "s", m->key, m->vault,
             m->geography[0] ? m->geography : m->region, when);
    kb_check(kb, !v->deleted, "vault", "%s: %s, %s%s", v->name, v->location,
             v->from_arm ? "found in ARM's list (no instance uses it)" : "known in the model",
             v->deleted ? ", DELETED (soft-deleted vault)" : "");
    if (v->deleted) {
        refuse(kb, "%s is a deleted vault: recover it first, or restore into another vault",
               v->name);
        return false;
    }
    if (!where_checks(kb, v))
        return false;
    const struct model_key *k = model_key(model_vault(kb_model(kb), v->name), m->key);
    if (k) {
        kb_check(kb, false, "name-live", "the model knows a key %s in %s", m->key, v->name);
        refuse(kb,
               "the name is taken: %s already has a key %s (Key Vault never restores over a key): "
               "restore into another vault, or rotate to a new key name",
               v->name, m->key);
        return false;
    }
    return true;
}

void kb_rs_ready(struct keybackup *kb)
{
    add_steps(kb);
    kb_record_plan(kb, plan_json(kb));
    wizard_step_begin(&kb->w, STEP_CHECKS);
    if (local_checks(kb))
        kb_goto(kb, KB_RS_LIVE);
}

/* -- the name, live and soft-deleted ----------------------------------------------------------- */

/* When the taken name holds the file's material: the version of the file it matches, or NULL. */
static const char *same_material(const struct keybackup *kb, const char *fingerprint)
{
    for (size_t i = 0; fingerprint && fingerprint[0] && i < kb->meta.nversions; i++)
        if (strcmp(kb->meta.versions[i].fingerprint, fingerprint) == 0)
            return kb->meta.versions[i].version;
    return NULL;
}

static void on_live(const struct az_status *st, struct model_version *v, const char *name,
                    void *arg)
{
    (void)name;
    struct keybackup *kb = arg;
    const struct kb_vault *t = target(kb);
    kb->call = NULL;
    char *path = xasprintf("/keys/%s", kb->meta.key);
    char *url = kb_kv_url(t, path);
    kb_call(kb, "GET", url, st);
    free(url);
    free(path);
    const char *same = st->err == CORE_OK ? same_material(kb, v->fingerprint) : NULL;
    char *also =
        same ? xasprintf(" (it holds this file's version %s: a restore was done before)", same)
             : xstrdup("");
    model_version_cleanup(v);
    if (st->status == 404 && (st->code == NULL || strcasecmp(st->code, "KeyNotFound") == 0)) {
        kb_check(kb, true, "name-live", "no live key %s in %s (GET: 404 %s)", kb->meta.key, t->name,
                 st->code ? st->code : "");
        kb_goto(kb, KB_RS_DELETED);
    } else if (st->err == CORE_OK) {
        kb_check(kb, false, "name-live", "%s has a live key %s%s", t->name, kb->meta.key, also);
        refuse(kb,
               "the name is taken: %s already has a live key %s%s; Key Vault never restores over "
               "a key: restore into another vault, or rotate to a new key name",
               t->name, kb->meta.key, also);
    } else {
        const char *why = st->error ? st->error : core_err_name(st->err);
        kb_check(kb, false, "name-live", "cannot tell whether %s is free in %s: %s", kb->meta.key,
                 t->name, why);
        refuse(kb, "cannot tell whether the name %s is free in %s (%s): nothing was changed",
               kb->meta.key, t->name, why);
    }
    free(also);
}

void kb_rs_enter_live(struct keybackup *kb)
{
    kb->call = kv_get_key(kb->o.az, target(kb)->uri, kb->meta.key, NULL, on_live, kb);
}

static void deleted_refusal(struct keybackup *kb, const struct kv_deleted *d)
{
    const struct kb_vault *t = target(kb);
    char until[32] = "the end of the vault's retention";
    if (d->scheduled_purge > 0)
        kb_time_text(d->scheduled_purge, until);
    kb_check(kb, false, "name-deleted", "%s is soft-deleted in %s until %s", kb->meta.key, t->name,
             until);
    if (t->purge_protection)
        refuse(kb,
               "the name is taken (soft-deleted until %s; purge protection keeps it reserved): "
               "restore into another vault, or rotate to a new key name",
               until);
    else
        refuse(kb,
               "the name is taken (soft-deleted until %s): restore into another vault, or rotate "
               "to a new key name (recovering the deleted key would bring back that key, not "
               "this backup; tdectl never purges)",
               until);
}

static void on_deleted(const struct az_status *st, struct kv_deleted *items, size_t n, void *arg)
{
    struct keybackup *kb = arg;
    const struct kb_vault *t = target(kb);
    kb->call = NULL;
    char *url = kb_kv_url(t, "/deletedkeys");
    kb_call(kb, "GET", url, st);
    free(url);
    const struct kv_deleted *hit = NULL;
    for (size_t i = 0; st->err == CORE_OK && i < n && hit == NULL; i++)
        if (items[i].name && strcasecmp(items[i].name, kb->meta.key) == 0)
            hit = &items[i];
    if (st->err != CORE_OK) {
        const char *why = st->error ? st->error : core_err_name(st->err);
        kb_check(kb, false, "name-deleted", "cannot list the soft-deleted keys of %s: %s", t->name,
                 why);
        refuse(kb,
               "cannot tell whether %s is soft-deleted in %s (%s; listing deleted keys needs the "
               "keys list permission): nothing was changed",
               kb->meta.key, t->name, why);
    } else if (hit) {
        deleted_refusal(kb, hit);
    } else {
        kb_check(kb, true, "name-deleted", "%s is not among the soft-deleted keys of %s",
                 kb->meta.key, t->name);
        wizard_step_done(&kb->w, STEP_CHECKS, NULL, "every constraint holds");
        if (kb->how == KEYBACKUP_PLAN)
            kb_finish(kb, KEYBACKUP_DONE,
                      "every constraint holds: %s can be restored into %s; nothing was changed",
                      kb->meta.key, t->name);
        else
            kb_goto(kb, KB_RS_RESTORE);
    }
    kvparse_deleted_free(items, n);
}

void kb_rs_enter_deleted(struct keybackup *kb)
{
    kb->call = kv_list_deleted(kb->o.az, target(kb)->uri, on_deleted, kb);
}

/* -- restore ----------------------------------------------------------------------------------- */

static void restore_failed(struct keybackup *kb, const struct az_status *st)
{
    const struct kb_vault *t = target(kb);
    const char *why = st->error ? st->error : core_err_name(st->err);
    wizard_step_failed(&kb->w, STEP_RESTORE, "%s", why);
    if (st->err == CORE_ERR_REFUSED) { /* the read-only gate or a challenge: nothing left */
        kb->changed = false;
        kb_finish(kb, KEYBACKUP_REFUSED,
                  "the restore was refused before it was sent (%s): nothing was restored", why);
    } else if (st->status >= 400 && st->status < 500) {
        kb_finish(kb, KEYBACKUP_FAILED,
                  "Key Vault refused the restore (%ld: %s): nothing was restored; %s is as it "
                  "was%s",
                  st->status, why, t->name,
                  st->status == 409 ? " (the name was taken in the meantime)" : "");
    } else {
        kb_finish(kb, KEYBACKUP_FAILED,
                  "the restore's outcome is unknown (%s): %s may now hold %s. Look before "
                  "retrying: tdectl restore --file %s --vault %s --plan says whether the name is "
                  "taken",
                  why, t->name, kb->meta.key, kb->file, t->name);
    }
}

static void on_restored(const struct az_status *st, struct model_version *v, const char *name,
                        void *arg)
{
    struct keybackup *kb = arg;
    kb->call = NULL;
    char *url = kb_kv_url(target(kb), "/keys/restore");
    kb_call(kb, "POST", url, st);
    free(url);
    if (st->err != CORE_OK) {
        model_version_cleanup(v);
        restore_failed(kb, st);
        return;
    }
    xstr_set(&kb->restore_request_id, st->request_id);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "key", name);
    cJSON_AddStringToObject(data, "latest", v->version ? v->version : "");
    wizard_step_done(&kb->w, STEP_RESTORE, data, "%s restored into %s (latest version %s)", name,
                     kb->target, v->version ? v->version : "?");
    model_version_cleanup(v);
    bkfile_blob_free(kb->blob, kb->bloblen); /* not needed any more: cleansed now */
    kb->blob = NULL;
    kb->bloblen = 0;
    kb_goto(kb, KB_RS_LIST);
}

void kb_rs_enter_restore(struct keybackup *kb)
{
    if (kb->w.journal_failed) {
        kb_finish(kb, KEYBACKUP_REFUSED, "the journal cannot be written: nothing was restored");
        return;
    }
    wizard_step_begin(&kb->w, STEP_RESTORE);
    kb->changed = true;
    kb->call = kv_restore_key(kb->o.az, target(kb)->uri, kb->blob, kb->bloblen, on_restored, kb);
}

/* -- verify ------------------------------------------------------------------------------------ */

static void unverified_read(struct keybackup *kb, const char *what, const struct az_status *st)
{
    const char *why = st->error ? st->error : core_err_name(st->err);
    wizard_step_failed(&kb->w, STEP_VERIFY, "%s: %s", what, why);
    kb_finish(kb, KEYBACKUP_FAILED,
              "%s was restored into %s, but %s could not be read back (%s): the copy is not "
              "verified. Check it before use: tdectl backup --vault %s --key %s, then "
              "tdectl backup --verify on the file it writes",
              kb->meta.key, kb->target, what, why, kb->target, kb->meta.key);
}

static void on_list(const struct az_status *st, struct model_version *items, size_t n, void *arg)
{
    struct keybackup *kb = arg;
    kb->call = NULL;
    char *path = xasprintf("/keys/%s/versions", kb->meta.key);
    char *url = kb_kv_url(target(kb), path);
    kb_call(kb, "GET", url, st);
    free(url);
    free(path);
    if (st->err != CORE_OK) {
        for (size_t i = 0; i < n; i++)
            model_version_cleanup(&items[i]);
        free(items);
        unverified_read(kb, "its versions", st);
        return;
    }
    kb->restored = items;
    kb->nrestored = n;
    kb->next = 0;
    kb_goto(kb, KB_RS_MATERIAL);
}

void kb_rs_enter_list(struct keybackup *kb)
{
    wizard_step_begin(&kb->w, STEP_VERIFY);
    kb->call = kv_list_versions(kb->o.az, target(kb)->uri, kb->meta.key, on_list, kb);
}

static void on_material(const struct az_status *st, struct model_version *v, const char *name,
                        void *arg)
{
    (void)name;
    struct keybackup *kb = arg;
    struct model_version *want = &kb->restored[kb->next];
    kb->call = NULL;
    char *path = xasprintf("/keys/%s/%s", kb->meta.key, want->version);
    char *url = kb_kv_url(target(kb), path);
    kb_call(kb, "GET", url, st);
    free(url);
    free(path);
    if (st->err == CORE_OK)
        memcpy(want->fingerprint, v->fingerprint, sizeof want->fingerprint);
    model_version_cleanup(v);
    if (st->err != CORE_OK) {
        char *what = xasprintf("version %s", want->version);
        unverified_read(kb, what, st);
        free(what);
        return;
    }
    kb->next++;
    kb_goto(kb, KB_RS_MATERIAL);
}

/* Every version of the file against the copy; the differences as text (heap, "" when none). */
static char *compare(struct keybackup *kb)
{
    char *diff = xstrdup("");
    kb->cmp = xcalloc(kb->meta.nversions, sizeof *kb->cmp);
    kb->ncmp = kb->meta.nversions;
    for (size_t i = 0; i < kb->meta.nversions; i++) {
        struct kb_cmp *c = &kb->cmp[i];
        const struct bkfile_version *fv = &kb->meta.versions[i];
        snprintf(c->version, sizeof c->version, "%s", fv->version);
        snprintf(c->want, sizeof c->want, "%s", fv->fingerprint);
        for (size_t r = 0; r < kb->nrestored; r++)
            if (kb->restored[r].version && strcmp(kb->restored[r].version, fv->version) == 0)
                snprintf(c->got, sizeof c->got, "%s", kb->restored[r].fingerprint);
        if (strcmp(c->got, c->want) == 0)
            continue;
        char *next = c->got[0] ? xasprintf("%s%sversion %s has fingerprint %s, the file says %s",
                                           diff, diff[0] ? "; " : "", c->version, c->got, c->want)
                               : xasprintf("%s%sversion %s is missing", diff, diff[0] ? "; " : "",
                                           c->version);
        free(diff);
        diff = next;
    }
    if (kb->nrestored != kb->meta.nversions) {
        char *next = xasprintf("%s%sthe copy has %zu versions, the file %zu", diff,
                               diff[0] ? "; " : "", kb->nrestored, kb->meta.nversions);
        free(diff);
        diff = next;
    }
    return diff;
}

static void verified(struct keybackup *kb)
{
    const struct kb_vault *t = target(kb);
    wizard_step_done(&kb->w, STEP_VERIFY, NULL, "all %zu versions have the file's fingerprints",
                     kb->ncmp);
    if (kb->how != KEYBACKUP_TEST) {
        kb_finish(kb, KEYBACKUP_DONE,
                  "%s restored into %s: %zu version%s, every fingerprint equal to the file's. "
                  "Rotation policies are not restored: set one if the key needs it",
                  kb->meta.key, t->name, kb->ncmp, kb->ncmp == 1 ? "" : "s");
        return;
    }
    char keep[96] = "";
    if (t->purge_protection && t->retention_days > 0)
        snprintf(keep, sizeof keep, " for %d days (purge protection)", t->retention_days);
    kb_finish(kb, KEYBACKUP_DONE,
              "restore test passed: %s restored into %s, %zu version%s, every fingerprint equal "
              "to the file's. The test copy stays in %s: tdectl never deletes, and deleting it "
              "would only soft-delete it and keep the name reserved%s",
              kb->meta.key, t->name, kb->ncmp, kb->ncmp == 1 ? "" : "s", t->name, keep);
}

void kb_rs_enter_material(struct keybackup *kb)
{
    if (kb->next < kb->nrestored) {
        kb->call = kv_get_key(kb->o.az, target(kb)->uri, kb->meta.key,
                              kb->restored[kb->next].version, on_material, kb);
        return;
    }
    char *diff = compare(kb);
    if (diff[0] == '\0') {
        verified(kb);
    } else {
        wizard_step_failed(&kb->w, STEP_VERIFY, "VERIFICATION FAILED: %s", diff);
        kb_finish(kb, KEYBACKUP_UNVERIFIED,
                  "VERIFICATION FAILED: the key restored into %s does not match the backup file: "
                  "%s. Do not register this copy on any instance; find out which of the file and "
                  "the vault is wrong before going on",
                  kb->target, diff);
    }
    free(diff);
}

void kb_rs_audit_fields(const struct keybackup *kb, cJSON *rec)
{
    if (kb->target)
        cJSON_AddStringToObject(rec, "vault", kb->target);
    if (kb->file)
        cJSON_AddStringToObject(rec, "file", kb->file);
    if (!kb->have_meta)
        return;
    cJSON_AddStringToObject(rec, "key", kb->meta.key);
    cJSON_AddStringToObject(rec, "source_vault", kb->meta.vault);
    cJSON_AddStringToObject(rec, "file_sha256", kb->file_sha256);
    cJSON_AddStringToObject(rec, "blob_sha256", kb->meta.blob_sha256);
    if (kb->restore_request_id)
        cJSON_AddStringToObject(rec, "request_id", kb->restore_request_id);
}
