/*
 * keybackup_backup — backing up the selected keys: per key, the versions
 * (fresh), the material of versions the model has not read (fingerprints),
 * Key Vault's backup, the file written and read back (see keybackup.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estate.h"
#include "keybackup_int.h"
#include "kvclient.h"
#include "xmem.h"

static struct kb_item *item(struct keybackup *kb)
{
    return &kb->items[kb->cur];
}

static void add_calls(struct keybackup *kb, size_t step, const struct kb_item *it)
{
    const struct kb_vault *v = kb_vault(kb, it->vault);
    char *versions = xasprintf("%s/keys/%s/versions", v->uri, it->key);
    char *backup = xasprintf("%s/keys/%s/backup", v->uri, it->key);
    wizard_add_call(&kb->w, step, "GET", versions, KV_API);
    wizard_add_call(&kb->w, step, "POST", backup, KV_API);
    free(versions);
    free(backup);
}

void kb_bk_ready(struct keybackup *kb)
{
    cJSON *plan = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(plan, "keys");
    for (size_t i = 0; i < kb->nitems; i++) {
        struct kb_item *it = &kb->items[i];
        char *id = xasprintf("backup:%s/%s", it->vault, it->key);
        char *title = xasprintf("Back up %s from %s (every version) to a file in %s", it->key,
                                it->vault, kb->backup_dir ? kb->backup_dir : "the backup folder");
        it->step = wizard_add_step(&kb->w, id, title,
                                   i == 0 ? "Key Vault's backup holds every version of a key; it "
                                            "restores only in the same subscription and geography"
                                          : "");
        add_calls(kb, it->step, it);
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "vault", it->vault);
        cJSON_AddStringToObject(k, "key", it->key);
        cJSON_AddItemToArray(keys, k);
        free(id);
        free(title);
    }
    if (kb->backup_dir)
        cJSON_AddStringToObject(plan, "backup_dir", kb->backup_dir);
    if (kb->how == KEYBACKUP_PLAN) {
        cJSON_Delete(plan);
        kb_finish(kb, KEYBACKUP_DONE, "the plan: %zu key%s to back up; nothing was run", kb->nitems,
                  kb->nitems == 1 ? "" : "s");
        return;
    }
    kb_record_plan(kb, plan);
    kb->cur = 0;
    kb_goto(kb, KB_BK_VERSIONS);
}

/* The summary once every key was tried. */
static void backup_end(struct keybackup *kb)
{
    size_t failed = 0;
    for (size_t i = 0; i < kb->nitems; i++)
        failed += kb->items[i].failed;
    if (failed == 0) {
        kb_finish(kb, KEYBACKUP_DONE,
                  "%zu key%s backed up to %s, each file read back and verified; the files are "
                  "secret-equivalent: keep copies outside the subscription (offline media, "
                  "immutable storage)",
                  kb->nitems, kb->nitems == 1 ? "" : "s", kb->backup_dir);
        return;
    }
    char *which = xstrdup("");
    for (size_t i = 0; i < kb->nitems; i++) {
        const struct kb_item *it = &kb->items[i];
        if (!it->failed)
            continue;
        const char *why = kb->w.steps[it->step].detail;
        char *next = xasprintf("%s%s%s/%s (%s)", which, which[0] ? "; " : "", it->vault, it->key,
                               why ? why : "failed");
        free(which);
        which = next;
    }
    kb_finish(kb, KEYBACKUP_FAILED,
              "%zu of %zu keys backed up; not backed up: %s. Nothing in Azure was changed; run "
              "the backup again once the cause is fixed",
              kb->nitems - failed, kb->nitems, which);
    free(which);
}

static void next_item(struct keybackup *kb)
{
    if (++kb->cur < kb->nitems)
        kb_goto(kb, KB_BK_VERSIONS);
    else
        backup_end(kb);
}

static void item_failed(struct keybackup *kb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void item_failed(struct keybackup *kb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    item(kb)->failed = true;
    wizard_step_failed(&kb->w, item(kb)->step, "%s", why);
    free(why);
    next_item(kb);
}

static int by_created(const void *a, const void *b)
{
    const struct model_version *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

static void on_versions(const struct az_status *st, struct model_version *items, size_t n,
                        void *arg)
{
    struct keybackup *kb = arg;
    struct kb_item *it = item(kb);
    const struct kb_vault *v = kb_vault(kb, it->vault);
    kb->call = NULL;
    char *path = xasprintf("/keys/%s/versions", it->key);
    char *url = kb_kv_url(v, path);
    kb_call(kb, "GET", url, st);
    free(url);
    free(path);
    if (st->err != CORE_OK || n == 0) {
        for (size_t i = 0; i < n; i++)
            model_version_cleanup(&items[i]);
        free(items);
        if (st->err == CORE_ERR_NOT_FOUND)
            item_failed(kb, "%s has no key %s", it->vault, it->key);
        else if (st->err != CORE_OK)
            item_failed(kb, "the versions of %s could not be listed: %s", it->key,
                        st->error ? st->error : core_err_name(st->err));
        else
            item_failed(kb, "%s in %s has no versions", it->key, it->vault);
        return;
    }
    qsort(items, n, sizeof *items, by_created);
    it->versions = items;
    it->nversions = n;
    it->next = 0;
    kb_goto(kb, KB_BK_MATERIAL);
}

void kb_bk_enter_versions(struct keybackup *kb)
{
    struct kb_item *it = item(kb);
    wizard_step_begin(&kb->w, it->step);
    kb->call = kv_list_versions(kb->o.az, kb_vault(kb, it->vault)->uri, it->key, on_versions, kb);
}

static void on_material(const struct az_status *st, struct model_version *v, const char *name,
                        void *arg)
{
    (void)name;
    struct keybackup *kb = arg;
    struct kb_item *it = item(kb);
    struct model_version *want = &it->versions[it->next];
    kb->call = NULL;
    char *path = xasprintf("/keys/%s/%s", it->key, want->version);
    char *url = kb_kv_url(kb_vault(kb, it->vault), path);
    kb_call(kb, "GET", url, st);
    free(url);
    free(path);
    bool ok = st->err == CORE_OK && v->fingerprint[0];
    if (ok)
        memcpy(want->fingerprint, v->fingerprint, sizeof want->fingerprint);
    model_version_cleanup(v);
    if (!ok) {
        if (st->err == CORE_OK)
            item_failed(kb, "version %s of %s is not an RSA key (TDE keys are RSA)", want->version,
                        it->key);
        else
            item_failed(kb, "version %s of %s could not be read: %s", want->version, it->key,
                        st->error ? st->error : core_err_name(st->err));
        return;
    }
    it->next++;
    kb_goto(kb, KB_BK_MATERIAL);
}

/* The model's fingerprint of a version, "" when it has not read the material. */
static const char *model_fp(const struct keybackup *kb, const struct kb_item *it,
                            const char *version)
{
    const struct model_version *mv =
        model_version(model_key(model_vault(kb_model(kb), it->vault), it->key), version);
    return mv ? mv->fingerprint : "";
}

void kb_bk_enter_material(struct keybackup *kb)
{
    struct kb_item *it = item(kb);
    for (; it->next < it->nversions; it->next++) {
        struct model_version *want = &it->versions[it->next];
        if (want->fingerprint[0] == '\0') {
            const char *fp = want->version ? model_fp(kb, it, want->version) : "";
            snprintf(want->fingerprint, sizeof want->fingerprint, "%s", fp);
        }
        if (want->fingerprint[0] == '\0') {
            kb->call = kv_get_key(kb->o.az, kb_vault(kb, it->vault)->uri, it->key, want->version,
                                  on_material, kb);
            return;
        }
    }
    kb_goto(kb, KB_BK_BACKUP);
}

/* -- the file ---------------------------------------------------------------------------------- */

static int fill_meta(struct keybackup *kb, const struct kb_item *it, struct bkfile_meta *m,
                     char **cause)
{
    const struct kb_vault *v = kb_vault(kb, it->vault);
    if (strlen(v->uri) >= sizeof m->vault_uri ||
        strlen(v->subscription) >= sizeof m->subscription ||
        strlen(v->location) >= sizeof m->region) {
        xcause(cause, "the vault's URI, subscription or region is too long for a backup file");
        return -1;
    }
    snprintf(m->vault, sizeof m->vault, "%s", v->name);
    snprintf(m->vault_uri, sizeof m->vault_uri, "%s", v->uri);
    snprintf(m->key, sizeof m->key, "%s", it->key);
    snprintf(m->subscription, sizeof m->subscription, "%s", v->subscription);
    snprintf(m->region, sizeof m->region, "%s", v->location);
    snprintf(m->geography, sizeof m->geography, "%s", v->geography ? v->geography : "");
    m->created = kb_wall_s(kb);
    m->versions = xcalloc(it->nversions, sizeof *m->versions);
    m->nversions = it->nversions;
    for (size_t i = 0; i < it->nversions; i++) {
        const struct model_version *src = &it->versions[i];
        struct bkfile_version *dst = &m->versions[i];
        const char *thumb = estate_thumbprint_of(kb_model(kb), src->fingerprint);
        snprintf(dst->version, sizeof dst->version, "%s", src->version ? src->version : "");
        snprintf(dst->fingerprint, sizeof dst->fingerprint, "%s", src->fingerprint);
        snprintf(dst->thumbprint, sizeof dst->thumbprint, "%s", thumb ? thumb : "");
        dst->enabled = src->enabled;
        dst->exp = src->exp;
        dst->created = src->created;
    }
    return 0;
}

/* The file as written must read back as the same metadata and the same blob. */
static int read_back(const char *path, const struct bkfile_meta *m, const unsigned char *blob,
                     size_t len, char **cause)
{
    struct bkfile_meta got = {0};
    unsigned char *back = NULL;
    size_t blen = 0;
    if (bkfile_read(path, &got, &back, &blen, cause) < 0)
        return -1;
    bool same = blen == len && memcmp(back, blob, len) == 0 &&
                strcmp(got.blob_sha256, m->blob_sha256) == 0 && strcmp(got.vault, m->vault) == 0 &&
                strcmp(got.key, m->key) == 0 && strcmp(got.subscription, m->subscription) == 0 &&
                got.nversions == m->nversions;
    for (size_t i = 0; same && i < m->nversions; i++)
        same = strcmp(got.versions[i].version, m->versions[i].version) == 0 &&
               strcmp(got.versions[i].fingerprint, m->versions[i].fingerprint) == 0;
    bkfile_blob_free(back, blen);
    bkfile_meta_cleanup(&got);
    if (!same)
        xcause(cause, "%s does not read back as written: do not rely on it", path);
    return same ? 0 : -1;
}

/* Writes the file for the current key while the blob exists (the callback's duration). */
static int write_file(struct keybackup *kb, const unsigned char *blob, size_t len, char **cause)
{
    struct kb_item *it = item(kb);
    struct bkfile_meta m = {0};
    char *path = NULL;
    int rc = -1;
    if (fill_meta(kb, it, &m, cause) < 0 ||
        bkfile_write(kb->backup_dir, &m, blob, len, &path, cause) < 0 ||
        read_back(path, &m, blob, len, cause) < 0)
        goto out;
    it->file = path;
    path = NULL;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "file", it->file);
    cJSON_AddNumberToObject(data, "versions", (double)m.nversions);
    cJSON_AddStringToObject(data, "blob_sha256", m.blob_sha256);
    wizard_step_done(&kb->w, it->step, data,
                     "%s: %zu version%s, %zu bytes of blob, read back and "
                     "verified",
                     it->file, m.nversions, m.nversions == 1 ? "" : "s", len);
    rc = 0;
out:
    free(path);
    bkfile_meta_cleanup(&m);
    return rc;
}

static void on_blob(const struct az_status *st, const unsigned char *value, size_t len, void *arg)
{
    struct keybackup *kb = arg;
    struct kb_item *it = item(kb);
    kb->call = NULL;
    char *path = xasprintf("/keys/%s/backup", it->key);
    char *url = kb_kv_url(kb_vault(kb, it->vault), path);
    kb_call(kb, "POST", url, st);
    free(url);
    free(path);
    if (st->err != CORE_OK || value == NULL || len == 0) {
        item_failed(kb, "Key Vault's backup of %s failed: %s%s", it->key,
                    st->error            ? st->error
                    : st->err != CORE_OK ? core_err_name(st->err)
                                         : "an empty blob",
                    st->err == CORE_ERR_FORBIDDEN ? " (the identity needs the keys backup "
                                                    "permission)"
                                                  : "");
        return;
    }
    char *cause = NULL;
    if (write_file(kb, value, len, &cause) < 0) {
        item_failed(kb, "%s", cause ? cause : "the backup file could not be written");
        free(cause);
        return;
    }
    next_item(kb);
}

void kb_bk_enter_backup(struct keybackup *kb)
{
    struct kb_item *it = item(kb);
    kb->call = kv_backup_key(kb->o.az, kb_vault(kb, it->vault)->uri, it->key, on_blob, kb);
}
