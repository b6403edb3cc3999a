/* wizard — the step list, journal and events the wizards share (see wizard.h). */
#include "wizard.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure.h"
#include "journal.h"
#include "xmem.h"

static const char *const state_names[] = {
    [WIZARD_PENDING] = "pending", [WIZARD_RUNNING] = "running", [WIZARD_DONE] = "done",
    [WIZARD_FAILED] = "failed",   [WIZARD_SKIPPED] = "skipped",
};

const char *wizard_state_name(enum wizard_step_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

void wizard_init(struct wizard *w, const char *kind)
{
    memset(w, 0, sizeof *w);
    snprintf(w->kind, sizeof w->kind, "%s", kind);
}

static void step_cleanup(struct wizard_step *s)
{
    free(s->id);
    free(s->title);
    free(s->why);
    free(s->detail);
    for (size_t c = 0; c < s->ncalls; c++) {
        free(s->calls[c].method);
        free(s->calls[c].resource);
        free(s->calls[c].api_version);
    }
    free(s->calls);
}

void wizard_cleanup(struct wizard *w)
{
    for (size_t i = 0; i < w->nsteps; i++)
        step_cleanup(&w->steps[i]);
    free(w->steps);
    if (w->journal)
        journal_close(w->journal);
    free(w->journal_path);
    memset(w, 0, sizeof *w);
}

size_t wizard_add_step(struct wizard *w, const char *id, const char *title, const char *why)
{
    w->steps = xrealloc(w->steps, w->nsteps + 1, sizeof *w->steps);
    struct wizard_step *s = &w->steps[w->nsteps];
    memset(s, 0, sizeof *s);
    s->id = xstrdup(id);
    s->title = xstrdup(title);
    s->why = xstrdup(why ? why : "");
    return w->nsteps++;
}

void wizard_add_call(struct wizard *w, size_t step, const char *method, const char *resource,
                     const char *api_version)
{
    if (step >= w->nsteps)
        return;
    struct wizard_step *s = &w->steps[step];
    s->calls = xrealloc(s->calls, s->ncalls + 1, sizeof *s->calls);
    s->calls[s->ncalls].method = xstrdup(method);
    s->calls[s->ncalls].resource = xstrdup(resource);
    s->calls[s->ncalls].api_version = xstrdup(api_version ? api_version : "");
    s->ncalls++;
}

size_t wizard_find(const struct wizard *w, const char *id)
{
    for (size_t i = 0; i < w->nsteps; i++)
        if (strcmp(w->steps[i].id, id) == 0)
            return i;
    return (size_t)-1;
}

char *wizard_plan_text(const struct wizard *w)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < w->nsteps; i++) {
        const struct wizard_step *s = &w->steps[i];
        xstr_appendf(&out, "%2zu. %s\n", i + 1, s->title);
        if (s->why[0])
            xstr_appendf(&out, "      why: %s\n", s->why);
        for (size_t c = 0; c < s->ncalls; c++)
            xstr_appendf(&out, "      %-6s %s%s%s\n", s->calls[c].method, s->calls[c].resource,
                         s->calls[c].api_version[0] ? "  api-version=" : "",
                         s->calls[c].api_version);
        if (s->ncalls == 0)
            xstr_appendf(&out, "      (no call that changes Azure)\n");
    }
    return out;
}

cJSON *wizard_steps_json(const struct wizard *w)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < w->nsteps; i++) {
        const struct wizard_step *s = &w->steps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "title", s->title);
        cJSON_AddStringToObject(o, "why", s->why);
        cJSON *calls = cJSON_AddArrayToObject(o, "calls");
        for (size_t c = 0; c < s->ncalls; c++) {
            cJSON *k = cJSON_CreateObject();
            cJSON_AddStringToObject(k, "method", s->calls[c].method);
            cJSON_AddStringToObject(k, "resource", s->calls[c].resource);
            cJSON_AddStringToObject(k, "api_version", s->calls[c].api_version);
            cJSON_AddItemToArray(calls, k);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int wizard_steps_from_json(struct wizard *w, const cJSON *steps, char **cause)
{
    if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) > 64) {
        xcause(cause, "the plan's steps are not a list of at most 64");
        return -1;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, steps)
    {
        const char *id = str_of(o, "id"), *title = str_of(o, "title"), *why = str_of(o, "why");
        if (id == NULL || title == NULL || id[0] == '\0') {
            xcause(cause, "a step of the plan has no id or title");
            return -1;
        }
        size_t i = wizard_add_step(w, id, title, why);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(o, "calls"))
        {
            const char *m = str_of(c, "method"), *r = str_of(c, "resource");
            if (m && r)
                wizard_add_call(w, i, m, r, str_of(c, "api_version"));
        }
    }
    return 0;
}

static void set_run(struct wizard *w, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    snprintf(w->run, sizeof w->run, "%.*s", (int)(n < sizeof w->run ? n : sizeof w->run - 1), base);
}

int wizard_journal_start(struct wizard *w, const char *dir, char **cause)
{
    if (journal_create(dir, w->kind, &w->journal, &w->journal_path, cause) < 0)
        return -1;
    set_run(w, w->journal_path);
    return 0;
}

int wizard_journal_continue(struct wizard *w, const char *path, char **cause)
{
    if (journal_open(path, &w->journal, cause) < 0)
        return -1;
    free(w->journal_path);
    w->journal_path = xstrdup(path);
    set_run(w, path);
    return 0;
}

static int64_t wall_now(const struct wizard *w)
{
    return w->wall ? w->wall(w->wall_arg) : (int64_t)time(NULL);
}

static void emit(struct wizard *w, enum wizard_event_kind kind, size_t index, bool ok,
                 const char *text)
{
    if (w->on_event) {
        struct wizard_event ev = {.kind = kind, .index = index, .ok = ok, .text = text};
        w->on_event(&ev, w->event_arg);
    }
}

int wizard_record(struct wizard *w, const char *type, cJSON *fields)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "type", type);
    if (fields) {
        cJSON *f = fields->child;
        while (f) {
            cJSON *next = f->next;
            cJSON_AddItemToObject(rec, f->string, cJSON_DetachItemViaPointer(fields, f));
            f = next;
        }
        cJSON_Delete(fields);
    }
    int rc = 0;
    if (w->journal == NULL) {
        rc = -1;
    } else {
        char *cause = NULL;
        if (journal_append(w->journal, rec, wall_now(w), &cause) < 0) {
            if (!w->journal_failed)
                emit(w, WIZARD_EV_NOTE, w->current, false, cause ? cause : "journal write failed");
            w->journal_failed = true;
            rc = -1;
        }
        free(cause);
    }
    cJSON_Delete(rec);
    return rc;
}

static char *vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vfmt(const char *fmt, va_list ap)
{
    return xvasprintf(fmt, ap);
}

static void step_record(struct wizard *w, size_t i, const char *phase, const char *detail,
                        cJSON *data)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "step", w->steps[i].id);
    cJSON_AddStringToObject(f, "phase", phase);
    if (detail)
        cJSON_AddStringToObject(f, "detail", detail);
    if (data)
        cJSON_AddItemToObject(f, "data", data);
    wizard_record(w, "step", f);
}

/*
 * The crash tests' hook: TDECTL_CRASH_AT="STEP:PHASE" (e.g. "protect-secondary:begin") kills
 * the process with SIGKILL right after that record reached the disk, as a crash or a dropped
 * session would at that boundary. Unset in normal use; it can only end the process.
 */
static void crash_point(const char *step, const char *phase)
{
    const char *at = getenv("TDECTL_CRASH_AT");
    size_t n = strlen(step);
    if (at && strncmp(at, step, n) == 0 && at[n] == ':' && strcmp(at + n + 1, phase) == 0)
        kill(getpid(), SIGKILL);
}

static void step_state(struct wizard *w, size_t i, enum wizard_step_state st, char *detail,
                       cJSON *data)
{
    if (i >= w->nsteps) {
        free(detail);
        cJSON_Delete(data);
        return;
    }
    struct wizard_step *s = &w->steps[i];
    s->state = st;
    free(s->detail);
    s->detail = detail;
    static const char *const phase[] = {[WIZARD_PENDING] = "pending",
                                        [WIZARD_RUNNING] = "begin",
                                        [WIZARD_DONE] = "done",
                                        [WIZARD_FAILED] = "failed",
                                        [WIZARD_SKIPPED] = "skipped"};
    step_record(w, i, phase[st], detail, data);
    crash_point(s->id, phase[st]);
    emit(w, WIZARD_EV_STEP, i, st != WIZARD_FAILED, detail ? detail : s->title);
}

void wizard_step_begin(struct wizard *w, size_t i)
{
    w->current = i;
    step_state(w, i, WIZARD_RUNNING, NULL, NULL);
}

void wizard_step_done(struct wizard *w, size_t i, cJSON *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    step_state(w, i, WIZARD_DONE, d, data);
}

void wizard_step_skipped(struct wizard *w, size_t i, cJSON *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    step_state(w, i, WIZARD_SKIPPED, d, data);
}

void wizard_step_failed(struct wizard *w, size_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    step_state(w, i, WIZARD_FAILED, d, NULL);
}

void wizard_check(struct wizard *w, bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    cJSON *f = cJSON_CreateObject();
    if (w->current < w->nsteps)
        cJSON_AddStringToObject(f, "step", w->steps[w->current].id);
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddBoolToObject(f, "ok", ok);
    cJSON_AddStringToObject(f, "detail", d);
    wizard_record(w, "check", f);
    char *line = xasprintf("%s %s: %s", ok ? "ok  " : "FAIL", name, d);
    emit(w, WIZARD_EV_CHECK, w->current, ok, line);
    free(line);
    free(d);
}

/* The URL without its query string: api-version is recorded on its own. */
static char *url_path(const char *url, const char **query)
{
    const char *q = strchr(url, '?');
    *query = q ? q + 1 : "";
    return q ? xstrndup(url, (size_t)(q - url)) : xstrdup(url);
}

void wizard_call(struct wizard *w, const char *method, const char *url, const struct az_status *st)
{
    const char *query;
    char *path = url_path(url, &query);
    cJSON *f = cJSON_CreateObject();
    if (w->current < w->nsteps)
        cJSON_AddStringToObject(f, "step", w->steps[w->current].id);
    cJSON_AddStringToObject(f, "method", method);
    cJSON_AddStringToObject(f, "url", path);
    if (query[0])
        cJSON_AddStringToObject(f, "query", query);
    cJSON_AddNumberToObject(f, "status", (double)st->status);
    if (st->code)
        cJSON_AddStringToObject(f, "code", st->code);
    if (st->err != CORE_OK && st->error)
        cJSON_AddStringToObject(f, "error", st->error);
    if (st->request_id)
        cJSON_AddStringToObject(f, "request_id", st->request_id);
    if (st->correlation_id)
        cJSON_AddStringToObject(f, "correlation_id", st->correlation_id);
    cJSON_AddNumberToObject(f, "elapsed_ms", (double)st->elapsed_ms);
    wizard_record(w, "call", f);
    char *line = xasprintf("%s %s -> %ld%s%s%s%s", method, path, st->status, st->code ? " " : "",
                           st->code ? st->code : "", st->request_id ? "  request id " : "",
                           st->request_id ? st->request_id : "");
    emit(w, WIZARD_EV_CALL, w->current, st->err == CORE_OK, line);
    free(line);
    free(path);
}

void wizard_note(struct wizard *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "text", d);
    wizard_record(w, "note", f);
    emit(w, WIZARD_EV_NOTE, w->current, true, d);
    free(d);
}

void wizard_end(struct wizard *w, const char *outcome, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vfmt(fmt, ap);
    va_end(ap);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "outcome", outcome);
    cJSON_AddStringToObject(f, "detail", d);
    wizard_record(w, "end", f);
    emit(w, WIZARD_EV_END, w->current, strcmp(outcome, "done") == 0, d);
    free(d);
}

const cJSON *wizard_step_data(const cJSON *records, const char *id)
{
    const cJSON *found = NULL, *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = str_of(r, "type"), *step = str_of(r, "step"), *ph = str_of(r, "phase");
        if (type && step && ph && strcmp(type, "step") == 0 && strcmp(step, id) == 0 &&
            (strcmp(ph, "done") == 0 || strcmp(ph, "skipped") == 0)) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "data");
            found = d ? d : r;
        }
    }
    return found;
}

bool wizard_ended(const cJSON *records, const char **outcome)
{
    const cJSON *r, *last = NULL;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = str_of(r, "type");
        if (type && strcmp(type, "end") == 0)
            last = r;
        else if (type && strcmp(type, "step") == 0)
            last = NULL; /* steps after an end: the run was taken up again (a rollback) */
    }
    if (last && outcome)
        *outcome = str_of(last, "outcome");
    return last != NULL;
}
