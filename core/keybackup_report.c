/*
 * keybackup_report — what a run and a backup file look like to a person (text)
 * and to a program (JSON): the plan, the checks, the files, the comparison
 * after a restore, a verified file's description (see keybackup.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keybackup_int.h"
#include "xmem.h"

static const char *how_name(enum keybackup_how how)
{
    return how == KEYBACKUP_PLAN ? "plan" : how == KEYBACKUP_TEST ? "test" : "apply";
}

char *keybackup_plan_text(const struct keybackup *kb)
{
    char *out = NULL;
    if (kb->restore && kb->have_meta)
        xstr_appendf(&out, "Restore %s (%zu version%s, from %s, %s) into %s%s\n", kb->meta.key,
                     kb->meta.nversions, kb->meta.nversions == 1 ? "" : "s", kb->meta.vault,
                     kb->meta.geography[0] ? kb->meta.geography : kb->meta.region, kb->target,
                     kb->how == KEYBACKUP_TEST ? " (a restore test)" : "");
    else if (!kb->restore)
        xstr_appendf(&out, "Back up %zu key%s (every version of each)\n", kb->nitems,
                     kb->nitems == 1 ? "" : "s");
    char *steps = wizard_plan_text(&kb->w);
    xstr_appendf(&out, "%s", steps);
    free(steps);
    if (kb->nchecks)
        xstr_appendf(&out, "Checks:\n");
    for (size_t i = 0; i < kb->nchecks; i++)
        xstr_appendf(&out, "  %s %-12s %s\n", kb->checks[i].ok ? "ok  " : "FAIL",
                     kb->checks[i].name, kb->checks[i].detail);
    return out ? out : xstrdup("");
}

static void text_backup(const struct keybackup *kb, char **out)
{
    for (size_t i = 0; i < kb->nitems; i++) {
        const struct kb_item *it = &kb->items[i];
        const char *detail = it->step < kb->w.nsteps ? kb->w.steps[it->step].detail : NULL;
        if (it->file)
            xstr_appendf(out, "ok    %s/%s -> %s\n", it->vault, it->key, it->file);
        else
            xstr_appendf(out, "%s %s/%s%s%s\n", it->failed ? "FAIL " : "-    ", it->vault, it->key,
                         detail ? ": " : "", detail ? detail : "");
    }
}

static void text_restore(const struct keybackup *kb, char **out)
{
    for (size_t i = 0; i < kb->nchecks; i++)
        xstr_appendf(out, "%s %-12s %s\n", kb->checks[i].ok ? "ok   " : "FAIL ", kb->checks[i].name,
                     kb->checks[i].detail);
    for (size_t i = 0; i < kb->ncmp; i++) {
        const struct kb_cmp *c = &kb->cmp[i];
        bool same = strcmp(c->want, c->got) == 0;
        xstr_appendf(out, "%s version %s  file %.16s...  %s %.16s%s\n", same ? "ok   " : "FAIL ",
                     c->version, c->want, kb->target, c->got[0] ? c->got : "(missing)",
                     c->got[0] ? "..." : "");
    }
}

char *keybackup_text(const struct keybackup *kb)
{
    char *out = NULL;
    if (kb->how == KEYBACKUP_PLAN) {
        out = keybackup_plan_text(kb);
    } else if (kb->restore) {
        text_restore(kb, &out);
    } else {
        text_backup(kb, &out);
    }
    xstr_appendf(&out, "%s: %s\n", kb->result == KEYBACKUP_DONE ? "OK" : "NOT OK",
                 keybackup_detail(kb));
    if (kb->w.journal_path)
        xstr_appendf(&out, "journal: %s\n", kb->w.journal_path);
    return out;
}

static cJSON *json_backup(const struct keybackup *kb)
{
    cJSON *files = cJSON_CreateArray();
    for (size_t i = 0; i < kb->nitems; i++) {
        const struct kb_item *it = &kb->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "vault", it->vault);
        cJSON_AddStringToObject(o, "key", it->key);
        if (it->file)
            cJSON_AddStringToObject(o, "file", it->file);
        else
            cJSON_AddNullToObject(o, "file");
        cJSON_AddNumberToObject(o, "versions", (double)it->nversions);
        cJSON_AddBoolToObject(o, "ok", it->file != NULL);
        const char *d = it->step < kb->w.nsteps ? kb->w.steps[it->step].detail : NULL;
        cJSON_AddStringToObject(o, "detail", d ? d : "");
        cJSON_AddItemToArray(files, o);
    }
    return files;
}

static cJSON *json_restore(const struct keybackup *kb)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "file", kb->file ? kb->file : "");
    cJSON_AddStringToObject(r, "vault", kb->target ? kb->target : "");
    if (kb->have_meta) {
        cJSON_AddStringToObject(r, "key", kb->meta.key);
        cJSON_AddStringToObject(r, "source_vault", kb->meta.vault);
        cJSON_AddStringToObject(r, "file_sha256", kb->file_sha256);
    }
    cJSON *vs = cJSON_AddArrayToObject(r, "versions");
    for (size_t i = 0; i < kb->ncmp; i++) {
        const struct kb_cmp *c = &kb->cmp[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", c->version);
        cJSON_AddStringToObject(o, "fingerprint", c->want);
        if (c->got[0])
            cJSON_AddStringToObject(o, "restored_fingerprint", c->got);
        else
            cJSON_AddNullToObject(o, "restored_fingerprint");
        cJSON_AddBoolToObject(o, "match", strcmp(c->want, c->got) == 0);
        cJSON_AddItemToArray(vs, o);
    }
    return r;
}

cJSON *keybackup_json(const struct keybackup *kb)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "tdectl.keybackup-run/v1");
    cJSON_AddStringToObject(j, "kind", kb->restore ? "restore" : "backup");
    cJSON_AddStringToObject(j, "how", how_name(kb->how));
    cJSON_AddStringToObject(j, "result", keybackup_result_name(kb->result));
    cJSON_AddNumberToObject(j, "exit_code", (double)kb->result);
    cJSON_AddStringToObject(j, "detail", keybackup_detail(kb));
    cJSON_AddBoolToObject(j, "changed_azure", kb->changed);
    if (kb->w.journal_path) {
        cJSON_AddStringToObject(j, "run", kb->w.run);
        cJSON_AddStringToObject(j, "journal", kb->w.journal_path);
    }
    cJSON *steps = wizard_steps_json(&kb->w), *s;
    size_t i = 0;
    cJSON_ArrayForEach(s, steps)
    {
        cJSON_AddStringToObject(s, "state", wizard_state_name(kb->w.steps[i].state));
        cJSON_AddStringToObject(s, "detail", kb->w.steps[i].detail ? kb->w.steps[i].detail : "");
        i++;
    }
    cJSON_AddItemToObject(j, "steps", steps);
    cJSON *checks = cJSON_AddArrayToObject(j, "checks");
    for (size_t c = 0; c < kb->nchecks; c++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", kb->checks[c].name);
        cJSON_AddBoolToObject(o, "ok", kb->checks[c].ok);
        cJSON_AddStringToObject(o, "detail", kb->checks[c].detail);
        cJSON_AddItemToArray(checks, o);
    }
    if (kb->restore)
        cJSON_AddItemToObject(j, "restore", json_restore(kb));
    else
        cJSON_AddItemToObject(j, "files", json_backup(kb));
    return j;
}

/* -- a file ------------------------------------------------------------------------------------ */

static long long file_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

char *keybackup_describe_text(const char *path, const struct bkfile_meta *m, size_t blob_len)
{
    char created[32], when[32], exp[32];
    kb_time_text(m->created, created);
    char *out = NULL;
    xstr_appendf(&out, "file          %s (%lld bytes)\n", path, file_size(path));
    xstr_appendf(&out, "verified      yes: format %s; the blob and the text match their SHA-256\n",
                 BKFILE_FORMAT);
    xstr_appendf(&out, "vault         %s (%s)\n", m->vault, m->vault_uri);
    xstr_appendf(&out, "key           %s\n", m->key);
    xstr_appendf(&out, "subscription  %s\n", m->subscription);
    xstr_appendf(&out, "region        %s (%s)\n", m->region,
                 m->geography[0] ? m->geography
                                 : "geography "
                                   "unknown");
    xstr_appendf(&out, "created       %s\n", created);
    xstr_appendf(&out, "blob          %zu bytes, SHA-256 %s\n", blob_len, m->blob_sha256);
    xstr_appendf(&out, "versions      %zu\n", m->nversions);
    for (size_t i = 0; i < m->nversions; i++) {
        const struct bkfile_version *v = &m->versions[i];
        kb_time_text(v->created, when);
        kb_time_text(v->exp, exp);
        xstr_appendf(&out, "  %s  %s  created %s  expires %s\n", v->version,
                     v->enabled ? "enabled " : "DISABLED", when, v->exp ? exp : "never");
        xstr_appendf(&out, "      fingerprint %s\n      thumbprint  %s\n", v->fingerprint,
                     v->thumbprint[0] ? v->thumbprint : "(no instance has it registered)");
    }
    return out;
}

cJSON *keybackup_describe_json(const char *path, const struct bkfile_meta *m, size_t blob_len)
{
    char t[32];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "tdectl.keybackup-verify/v1");
    cJSON_AddStringToObject(j, "file", path);
    cJSON_AddNumberToObject(j, "file_bytes", (double)file_size(path));
    cJSON_AddBoolToObject(j, "verified", true);
    cJSON_AddStringToObject(j, "format", BKFILE_FORMAT);
    cJSON_AddStringToObject(j, "vault", m->vault);
    cJSON_AddStringToObject(j, "vault_uri", m->vault_uri);
    cJSON_AddStringToObject(j, "key", m->key);
    cJSON_AddStringToObject(j, "subscription", m->subscription);
    cJSON_AddStringToObject(j, "region", m->region);
    cJSON_AddStringToObject(j, "geography", m->geography);
    kb_time_text(m->created, t);
    cJSON_AddStringToObject(j, "created", t);
    cJSON_AddNumberToObject(j, "blob_bytes", (double)blob_len);
    cJSON_AddStringToObject(j, "blob_sha256", m->blob_sha256);
    cJSON *vs = cJSON_AddArrayToObject(j, "versions");
    for (size_t i = 0; i < m->nversions; i++) {
        const struct bkfile_version *v = &m->versions[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", v->version);
        cJSON_AddStringToObject(o, "fingerprint", v->fingerprint);
        if (v->thumbprint[0])
            cJSON_AddStringToObject(o, "thumbprint", v->thumbprint);
        else
            cJSON_AddNullToObject(o, "thumbprint");
        cJSON_AddBoolToObject(o, "enabled", v->enabled);
        kb_time_text(v->created, t);
        cJSON_AddStringToObject(o, "created", t);
        kb_time_text(v->exp, t);
        if (v->exp)
            cJSON_AddStringToObject(o, "exp", t);
        else
            cJSON_AddNullToObject(o, "exp");
        cJSON_AddItemToArray(vs, o);
    }
    return j;
}
