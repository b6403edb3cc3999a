/* keybackup — the machine, the selection, the vaults and the end (see keybackup.h). */
#include "keybackup.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "armclient.h"
#include "atomfile.h"
#include "audit.h"
#include "cloud.h"
#include "engine.h"
#include "estate.h"
#include "keybackup_int.h"
#include "kvclient.h"
#include "loop.h"
#include "xmem.h"

static void enter_resolve(struct keybackup *kb);
static void enter_end(struct keybackup *kb);

/* The machine: every state's name (traces) and on-enter action. */
static const struct {
    const char *name;
    void (*enter)(struct keybackup *kb);
} kb_states[KB_STATE_COUNT] = {
    [KB_IDLE] = {"idle", NULL},
    [KB_RESOLVE] = {"resolve", enter_resolve},
    [KB_BK_VERSIONS] = {"bk-versions", kb_bk_enter_versions},
    [KB_BK_MATERIAL] = {"bk-material", kb_bk_enter_material},
    [KB_BK_BACKUP] = {"bk-backup", kb_bk_enter_backup},
    [KB_RS_LIVE] = {"rs-live", kb_rs_enter_live},
    [KB_RS_DELETED] = {"rs-deleted", kb_rs_enter_deleted},
    [KB_RS_RESTORE] = {"rs-restore", kb_rs_enter_restore},
    [KB_RS_LIST] = {"rs-list", kb_rs_enter_list},
    [KB_RS_MATERIAL] = {"rs-material", kb_rs_enter_material},
    [KB_END] = {"end", enter_end},
};

void kb_goto(struct keybackup *kb, enum kb_state to)
{
    enum kb_state from = kb->state;
    if (kb->o.trace)
        kb->o.trace(kb_states[from].name, kb_states[to].name, kb->o.trace_arg);
    kb->state = to;
    if (kb_states[to].enter)
        kb_states[to].enter(kb);
}

/* -- small helpers ----------------------------------------------------------------------------- */

const struct model *kb_model(const struct keybackup *kb)
{
    return engine_model(kb->o.engine);
}

int64_t kb_wall_s(const struct keybackup *kb)
{
    return loop_wall(kb->o.loop) / 1000;
}

static int64_t wizard_wall(void *arg)
{
    return kb_wall_s(arg);
}

void kb_time_text(int64_t s, char out[32])
{
    time_t t = (time_t)s;
    struct tm tm;
    if (s <= 0 || gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "-");
}

char *kb_kv_url(const struct kb_vault *v, const char *path)
{
    return xasprintf("%s%s?api-version=%s", v->uri ? v->uri : "", path, KV_API);
}

struct kb_vault *kb_vault(struct keybackup *kb, const char *name)
{
    for (size_t i = 0; i < kb->nvaults; i++)
        if (strcasecmp(kb->vaults[i].name, name) == 0)
            return &kb->vaults[i];
    return NULL;
}

struct kb_vault *kb_vault_add(struct keybackup *kb, const char *name)
{
    struct kb_vault *v = kb_vault(kb, name);
    if (v)
        return v;
    kb->vaults = xrealloc(kb->vaults, kb->nvaults + 1, sizeof *kb->vaults);
    v = &kb->vaults[kb->nvaults++];
    memset(v, 0, sizeof *v);
    v->name = xstrdup(name);
    for (char *p = v->name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return v;
}

void kb_check(struct keybackup *kb, bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = xvasprintf(fmt, ap);
    va_end(ap);
    kb->checks = xrealloc(kb->checks, kb->nchecks + 1, sizeof *kb->checks);
    kb->checks[kb->nchecks++] = (struct kb_check){xstrdup(name), ok, xstrdup(detail)};
    wizard_check(&kb->w, ok, name, "%s", detail);
    free(detail);
}

void kb_call(struct keybackup *kb, const char *method, const char *url, const struct az_status *st)
{
    wizard_call(&kb->w, method, url, st);
}

void kb_record_plan(struct keybackup *kb, cJSON *plan)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "kind", kb->w.kind);
    cJSON_AddStringToObject(f, "run", kb->w.run);
    cJSON_AddItemToObject(f, "plan", plan);
    cJSON_AddItemToObject(f, "steps", wizard_steps_json(&kb->w));
    wizard_record(&kb->w, "plan", f);
    const char *names[] = {"reason", "operator"}, *values[] = {kb->reason, kb->principal};
    for (size_t i = 0; i < 2; i++) {
        if (values[i] == NULL || values[i][0] == '\0')
            continue;
        f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", names[i]);
        cJSON_AddStringToObject(f, "value", values[i]);
        wizard_record(&kb->w, "input", f);
    }
}

/* A Key Vault name: 3..24 of letters, digits and hyphens. */
static bool vault_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 3 || n > 24)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-')
            return false;
    return true;
}

/* -- create, destroy, accessors ---------------------------------------------------------------- */

struct keybackup *keybackup_create(const struct keybackup_options *o)
{
    struct keybackup *kb = xcalloc(1, sizeof *kb);
    kb->o = *o;
    kb->backup_dir = xstrdup_or_null(o->backup_dir);
    kb->journal_dir = xstrdup_or_null(o->journal_dir);
    kb->audit_path = xstrdup_or_null(o->audit_path);
    kb->principal = xstrdup_or_null(o->principal);
    kb->o.backup_dir = kb->o.journal_dir = kb->o.audit_path = kb->o.principal = NULL;
    wizard_init(&kb->w, "backup");
    kb->w.wall = wizard_wall;
    kb->w.wall_arg = kb;
    kb->w.on_event = o->on_event;
    kb->w.event_arg = o->event_arg;
    return kb;
}

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void versions_free(struct model_version *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_version_cleanup(&v[i]);
    free(v);
}

static void lists_free(struct keybackup *kb)
{
    for (size_t i = 0; i < kb->nvaults; i++) {
        free(kb->vaults[i].name);
        free(kb->vaults[i].uri);
        free(kb->vaults[i].subscription);
        free(kb->vaults[i].location);
    }
    free(kb->vaults);
    for (size_t i = 0; i < kb->nitems; i++) {
        free(kb->items[i].vault);
        free(kb->items[i].key);
        free(kb->items[i].file);
        versions_free(kb->items[i].versions, kb->items[i].nversions);
    }
    free(kb->items);
    for (size_t i = 0; i < kb->nchecks; i++) {
        free(kb->checks[i].name);
        free(kb->checks[i].detail);
    }
    free(kb->checks);
    strings_free(kb->subs, kb->nsubs);
}

void keybackup_destroy(struct keybackup *kb)
{
    if (kb == NULL)
        return;
    if (kb->call)
        azure_cancel(kb->call);
    if (kb->done_timer)
        loop_timer_cancel(kb->o.loop, kb->done_timer);
    lists_free(kb);
    bkfile_blob_free(kb->blob, kb->bloblen);
    bkfile_meta_cleanup(&kb->meta);
    versions_free(kb->restored, kb->nrestored);
    free(kb->cmp);
    free(kb->file);
    free(kb->target);
    free(kb->latest_fp);
    free(kb->restore_request_id);
    free(kb->resolve_error);
    free(kb->detail);
    free(kb->reason);
    free(kb->backup_dir);
    free(kb->journal_dir);
    free(kb->audit_path);
    free(kb->principal);
    wizard_cleanup(&kb->w);
    free(kb);
}

bool keybackup_ended(const struct keybackup *kb)
{
    return kb->ended;
}

enum keybackup_result keybackup_result(const struct keybackup *kb)
{
    return kb->result;
}

const char *keybackup_detail(const struct keybackup *kb)
{
    return kb->detail ? kb->detail : "";
}

const struct wizard *keybackup_wizard(const struct keybackup *kb)
{
    return &kb->w;
}

const char *keybackup_file(const struct keybackup *kb, size_t i)
{
    for (size_t k = 0, seen = 0; k < kb->nitems; k++) {
        if (kb->items[k].file && seen++ == i)
            return kb->items[k].file;
    }
    return NULL;
}

const struct bkfile_meta *keybackup_meta(const struct keybackup *kb)
{
    return kb->have_meta ? &kb->meta : NULL;
}

bool keybackup_selected(const struct keybackup *kb, size_t i, const char **vault, const char **key)
{
    if (i >= kb->nitems)
        return false;
    *vault = kb->items[i].vault;
    *key = kb->items[i].key;
    return true;
}

const char *keybackup_result_name(enum keybackup_result r)
{
    switch (r) {
    case KEYBACKUP_DONE:
        return "done";
    case KEYBACKUP_REFUSED:
        return "refused";
    case KEYBACKUP_FAILED:
        return "failed";
    case KEYBACKUP_UNVERIFIED:
        return "unverified";
    }
    return "?";
}

/* -- selection --------------------------------------------------------------------------------- */

int keybackup_select(struct keybackup *kb, const char *vault, const char *key, char **cause)
{
    if (kb->started || kb->restore) {
        xcause(cause, "a backup selection after the run started or a restore was chosen");
        return -1;
    }
    if (!vault_name_valid(vault)) {
        xcause(cause, "%s is not a Key Vault name (3 to 24 letters, digits and hyphens)",
               vault ? vault : "(none)");
        return -1;
    }
    if (!kv_name_valid(key)) {
        xcause(cause, "%s is not a key name (1 to 127 letters, digits and hyphens)",
               key ? key : "(none)");
        return -1;
    }
    for (size_t i = 0; i < kb->nitems; i++)
        if (strcasecmp(kb->items[i].vault, vault) == 0 && strcasecmp(kb->items[i].key, key) == 0)
            return 0;
    kb->items = xrealloc(kb->items, kb->nitems + 1, sizeof *kb->items);
    struct kb_item *it = &kb->items[kb->nitems++];
    memset(it, 0, sizeof *it);
    it->vault = xstrdup(kb_vault_add(kb, vault)->name);
    it->key = xstrdup(key);
    return 0;
}

static void select_uri(struct keybackup *kb, const char *uri)
{
    char vault[128], key[128], version[64];
    if (uri && model_uri_parse(uri, vault, key, version) == 0 && key[0])
        keybackup_select(kb, vault, key, NULL);
}

/* The keys one instance needs: registered keys, its protector, past protectors found in vaults. */
static void select_instance(struct keybackup *kb, const struct model *m,
                            const struct model_instance *mi)
{
    for (size_t i = 0; i < mi->nkeys; i++)
        select_uri(kb, mi->keys[i].uri);
    select_uri(kb, mi->protector.uri);
    for (size_t p = 0; p < mi->npast; p++) {
        const char *fp = estate_fingerprint_of(m, mi->past_protectors[p]);
        for (size_t v = 0; fp && v < m->nvaults; v++) {
            const struct model_key *k = NULL;
            if (estate_vault_material(m->vaults[v], fp, &k) && k)
                keybackup_select(kb, m->vaults[v]->name, k->name, NULL);
        }
    }
}

int keybackup_select_group(struct keybackup *kb, const char *group, char **cause)
{
    const struct model *m = kb_model(kb);
    const struct model_fog *fg = NULL;
    size_t matches = 0;
    for (size_t i = 0; group && i < m->nfogs; i++) {
        if (m->fogs[i]->name && strcasecmp(m->fogs[i]->name, group) == 0) {
            fg = m->fogs[i];
            matches++;
        }
    }
    if (fg == NULL) {
        xcause(cause, "no failover group %s in the estate (tdectl check lists them)",
               group ? group : "(none)");
        return -1;
    }
    if (matches > 1) {
        xcause(cause, "%zu failover groups are named %s: select their keys with --vault and --key",
               matches, group);
        return -1;
    }
    const struct model_instance *mis[2] = {estate_fog_primary(m, fg), estate_fog_secondary(m, fg)};
    if (mis[0] == NULL && mis[1] == NULL) {
        xcause(cause, "the instances of %s were not read (tdectl check shows why)", group);
        return -1;
    }
    size_t before = kb->nitems;
    for (size_t i = 0; i < 2; i++)
        if (mis[i])
            select_instance(kb, m, mis[i]);
    if (kb->nitems == before) {
        xcause(cause, "the instances of %s have no Key Vault key registered: nothing to back up",
               group);
        return -1;
    }
    return 0;
}

/* SHA-256 of the file's bytes, for the audit log (it names this file, not only the blob). */
static void file_sha256(const char *path, char out[65])
{
    char *data = NULL;
    size_t len = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    out[0] = '\0';
    if (atomfile_read(path, BKFILE_MAX_BYTES, &data, &len, NULL) == 0 &&
        EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
        for (unsigned i = 0; i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    free(data);
}

int keybackup_restore_file(struct keybackup *kb, const char *file, const char *vault, char **cause)
{
    char *why = NULL;
    if (kb->started || kb->restore || kb->nitems) {
        xcause(cause, "a restore chosen after the run started or keys were selected");
        return -1;
    }
    kb->restore = true;
    kb->file = xstrdup(file ? file : "");
    if (file == NULL || file[0] == '\0' || !vault_name_valid(vault)) {
        kb->result = KEYBACKUP_REFUSED;
        xstr_set(&kb->detail, file && file[0] ? "the target is not a Key Vault name (3 to 24 "
                                                "letters, digits and hyphens)"
                                              : "no backup file given");
        xcause(cause, "%s", kb->detail);
        return -1;
    }
    if (bkfile_read(file, &kb->meta, &kb->blob, &kb->bloblen, &why) < 0) {
        kb->result = KEYBACKUP_UNVERIFIED;
        free(kb->detail);
        kb->detail = xasprintf("%s: nothing was sent to Azure", why ? why : "the file is refused");
        xcause(cause, "%s", why ? why : "the file is refused");
        free(why);
        return -1;
    }
    kb->have_meta = true;
    file_sha256(file, kb->file_sha256);
    kb->target = xstrdup(kb_vault_add(kb, vault)->name);
    return 0;
}

/* -- start ------------------------------------------------------------------------------------- */

static void add_sub(struct keybackup *kb, const char *sub)
{
    if (sub == NULL || sub[0] == '\0')
        return;
    for (size_t i = 0; i < kb->nsubs; i++)
        if (strcasecmp(kb->subs[i], sub) == 0)
            return;
    kb->subs = xrealloc(kb->subs, kb->nsubs + 1, sizeof *kb->subs);
    kb->subs[kb->nsubs++] = xstrdup(sub);
}

/* What refuses a run before any request; NULL when it may go on. */
static const char *precondition(struct keybackup *kb)
{
    if (!kb->restore && kb->nitems == 0)
        return "nothing selected to back up";
    if (kb->how == KEYBACKUP_PLAN)
        return NULL;
    if (kb->o.read_only)
        return kb->restore ? "read-only mode: restore changes Azure (run without --read-only, "
                             "and with read_only false in the configuration)"
                           : "read-only mode: Key Vault's backup is a POST, which read-only mode "
                             "never sends (run without --read-only)";
    if (kb->restore && (kb->reason == NULL || kb->reason[0] == '\0'))
        return "a restore needs a reason (--reason TEXT): it is kept in the journal and the "
               "audit log";
    if (kb->how == KEYBACKUP_TEST && !kb->restore)
        return "a restore test needs a backup file and a scratch vault";
    return NULL;
}

/* Directories and the journal, before any request; -1 after finishing the run. */
static int prepare(struct keybackup *kb)
{
    char *cause = NULL;
    if (!kb->restore && kb->how != KEYBACKUP_PLAN &&
        (kb->backup_dir == NULL || atomfile_mkdirs(kb->backup_dir, &cause) < 0)) {
        kb_finish(kb, KEYBACKUP_REFUSED, "cannot use the backup folder: %s",
                  cause ? cause : "none given");
        free(cause);
        return -1;
    }
    if (kb->how != KEYBACKUP_PLAN && kb->journal_dir &&
        wizard_journal_start(&kb->w, kb->journal_dir, &cause) < 0) {
        kb_finish(kb, KEYBACKUP_REFUSED, "cannot start the journal: %s: nothing was changed",
                  cause ? cause : "?");
        free(cause);
        return -1;
    }
    return 0;
}

void keybackup_start(struct keybackup *kb, enum keybackup_how how, const char *reason)
{
    if (kb->started)
        return;
    kb->started = true;
    kb->how = how;
    xstr_set(&kb->reason, reason);
    snprintf(kb->w.kind, sizeof kb->w.kind, "%s", kb->restore ? "restore" : "backup");
    if (kb->restore && !kb->have_meta) { /* keybackup_restore_file refused: result and detail set */
        kb_goto(kb, KB_END);
        return;
    }
    const char *why = precondition(kb);
    if (why) {
        kb_finish(kb, KEYBACKUP_REFUSED, "%s", why);
        return;
    }
    if (prepare(kb) < 0)
        return;
    if (kb->restore)
        add_sub(kb, kb->meta.subscription);
    const struct model *m = kb_model(kb);
    for (size_t i = 0; i < m->nsubs; i++)
        add_sub(kb, m->subs[i]->id);
    kb_goto(kb, KB_RESOLVE);
}

/* -- resolving vaults -------------------------------------------------------------------------- */

static void vault_fill(struct kb_vault *v, const struct model_vault *mv, bool from_arm)
{
    if (mv == NULL || mv->uri == NULL || mv->subscription_id == NULL || mv->location == NULL)
        return;
    xstr_set(&v->uri, mv->uri);
    xstr_set(&v->subscription, mv->subscription_id);
    xstr_set(&v->location, mv->location);
    v->geography = estate_geography(mv->location);
    v->soft_delete = mv->soft_delete;
    v->purge_protection = mv->purge_protection;
    v->retention_days = mv->retention_days;
    v->deleted = mv->deleted;
    v->from_arm = from_arm;
    v->resolved = true;
}

static void on_arm_vaults(const struct az_status *st, struct model_vault *items, size_t n,
                          void *arg)
{
    struct keybackup *kb = arg;
    kb->call = NULL;
    const struct cloud *c = azure_cloud(kb->o.az);
    char *url = xasprintf("%s/subscriptions/%s/providers/Microsoft.KeyVault/vaults?api-version=%s",
                          c ? c->arm_endpoint : "", kb->subs[kb->next_sub - 1], ARM_API_KEYVAULT);
    kb_call(kb, "GET", url, st);
    free(url);
    if (st->err != CORE_OK)
        xstr_set(&kb->resolve_error, st->error ? st->error : core_err_name(st->err));
    for (size_t i = 0; i < n; i++) {
        struct kb_vault *v = items[i].name ? kb_vault(kb, items[i].name) : NULL;
        if (v && !v->resolved)
            vault_fill(v, &items[i], true);
        model_vault_cleanup(&items[i]);
    }
    free(items);
    kb_goto(kb, KB_RESOLVE);
}

/* The names still unknown, for the refusal (heap). */
static char *unresolved_names(const struct keybackup *kb)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < kb->nvaults; i++) {
        if (kb->vaults[i].resolved)
            continue;
        char *next = xasprintf("%s%s%s", out, out[0] ? ", " : "", kb->vaults[i].name);
        free(out);
        out = next;
    }
    return out;
}

static void enter_resolve(struct keybackup *kb)
{
    bool missing = false;
    for (size_t i = 0; i < kb->nvaults; i++) {
        if (!kb->vaults[i].resolved)
            vault_fill(&kb->vaults[i], model_vault(kb_model(kb), kb->vaults[i].name), false);
        missing = missing || !kb->vaults[i].resolved;
    }
    if (!missing) {
        if (kb->restore)
            kb_rs_ready(kb);
        else
            kb_bk_ready(kb);
        return;
    }
    if (kb->next_sub < kb->nsubs) {
        const char *sub = kb->subs[kb->next_sub++];
        kb->call = arm_list_vaults(kb->o.az, sub, on_arm_vaults, kb);
        return;
    }
    char *names = unresolved_names(kb);
    kb_finish(kb, KEYBACKUP_REFUSED,
              "no vault %s in the subscriptions this identity can list%s%s: check the name "
              "(nothing was changed)",
              names, kb->resolve_error ? "; the last list failed: " : "",
              kb->resolve_error ? kb->resolve_error : "");
    free(names);
}

/* -- the end ----------------------------------------------------------------------------------- */

void kb_finish(struct keybackup *kb, enum keybackup_result r, const char *fmt, ...)
{
    if (kb->ended || kb->state == KB_END)
        return;
    va_list ap;
    va_start(ap, fmt);
    free(kb->detail);
    kb->detail = xvasprintf(fmt, ap);
    va_end(ap);
    kb->result = r;
    kb_goto(kb, KB_END);
}

static void on_done_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct keybackup *kb = arg;
    kb->done_timer = 0;
    if (kb->o.on_done)
        kb->o.on_done(kb, kb->result, kb->o.done_arg);
}

static void backup_audit_fields(const struct keybackup *kb, cJSON *rec)
{
    cJSON *keys = cJSON_AddArrayToObject(rec, "keys");
    for (size_t i = 0; i < kb->nitems; i++) {
        const struct kb_item *it = &kb->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "vault", it->vault);
        cJSON_AddStringToObject(o, "key", it->key);
        if (it->file)
            cJSON_AddStringToObject(o, "file", it->file);
        cJSON_AddBoolToObject(o, "ok", it->file != NULL && !it->failed);
        cJSON_AddItemToArray(keys, o);
    }
}

/* One audit record per run that could change something (apply and test, refusals too). */
static void audit(struct keybackup *kb)
{
    if (kb->audit_path == NULL || kb->how == KEYBACKUP_PLAN || !kb->started)
        return;
    cJSON *rec = cJSON_CreateObject();
    const char *action = !kb->restore                ? "backup"
                         : kb->how == KEYBACKUP_TEST ? "restore-test"
                                                     : "restore";
    cJSON_AddStringToObject(rec, "action", action);
    cJSON_AddStringToObject(rec, "outcome", keybackup_result_name(kb->result));
    cJSON_AddBoolToObject(rec, "changed_azure", kb->changed);
    cJSON_AddStringToObject(rec, "detail", keybackup_detail(kb));
    if (kb->w.run[0])
        cJSON_AddStringToObject(rec, "run", kb->w.run);
    if (kb->reason)
        cJSON_AddStringToObject(rec, "reason", kb->reason);
    if (kb->principal)
        cJSON_AddStringToObject(rec, "principal", kb->principal);
    if (kb->restore)
        kb_rs_audit_fields(kb, rec);
    else
        backup_audit_fields(kb, rec);
    char *cause = NULL;
    if (audit_append(kb->audit_path, rec, kb_wall_s(kb), &cause) < 0)
        wizard_note(&kb->w, "the audit log could not be written: %s", cause ? cause : "?");
    free(cause);
    cJSON_Delete(rec);
}

static void enter_end(struct keybackup *kb)
{
    kb->ended = true;
    if (kb->detail == NULL)
        kb->detail = xstrdup("");
    audit(kb);
    const char *outcome = kb->result == KEYBACKUP_DONE      ? "done"
                          : kb->result == KEYBACKUP_REFUSED ? "refused"
                                                            : "failed";
    wizard_end(&kb->w, outcome, "%s", kb->detail);
    kb->done_timer = loop_timer(kb->o.loop, 0, on_done_timer, kb);
}
