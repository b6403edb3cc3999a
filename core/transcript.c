/* transcript — a wizard's journal as Markdown and JSONL for a change ticket (see transcript.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "transcript_int.h"
#include "xmem.h"

/* At most this many plan steps, calls per step, and plan parameters are shown. */
#define LIST_MAX 256

/* ASCII characters that mean something to Markdown (or to the HTML it may contain) inline. */
static const char md_special[] = "\\`*_[]<>|~&#";

/* -- the output buffer ------------------------------------------------------------------------ */

struct md {
    char *s;
    size_t len, cap;
};

static void md_put(struct md *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap, 1);
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void md_puts(struct md *b, const char *s)
{
    md_put(b, s, strlen(s));
}

/* Only for text tdectl itself makes (numbers, fixed words): values go through md_text. */
static void md_printf(struct md *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_printf(struct md *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    md_puts(b, s);
    free(s);
}

/* -- values from the journal ------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at p (at most avail bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    if (n == 0 || n > avail)
        return 0;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range excludes overlongs, surrogates */
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/*
 * One value, cut at TRANSCRIPT_VALUE_MAX bytes (on a character boundary, then
 * "…"). Control characters become spaces (a newline would end a list item or
 * a table row), invalid UTF-8 '?'. In a code span only a backtick could end
 * it early ('); elsewhere Markdown's characters are backslash-escaped.
 */
static void put_value(struct md *b, const char *v, bool code)
{
    size_t n = strlen(v), lim = n > TRANSCRIPT_VALUE_MAX ? TRANSCRIPT_VALUE_MAX : n, i = 0;
    /* cppcheck-suppress knownConditionTrueFalse ; false only for an empty value */
    while (i < lim) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)v + i, n - i);
            if (k == 0) {
                md_put(b, "?", 1);
                k = 1;
            } else if (i + k > lim) {
                break;
            } else {
                md_put(b, v + i, k);
            }
            i += k;
            continue;
        }
        char ch = (char)c;
        if (c < 0x20 || c == 0x7f)
            ch = ' ';
        else if (code && ch == '`')
            ch = '\'';
        else if (!code && strchr(md_special, ch))
            md_put(b, "\\", 1);
        md_put(b, &ch, 1);
        i++;
    }
    if (i < n)
        md_puts(b, "…");
}

/* Escaped text; NULL or empty as a dash. */
static void md_text(struct md *b, const char *v)
{
    if (v == NULL || v[0] == '\0')
        md_puts(b, "—");
    else
        put_value(b, v, false);
}

/* lead and the escaped value, when there is one (optional fields: detail, ids, error). */
static void md_opt(struct md *b, const char *lead, const char *v)
{
    if (v && v[0]) {
        md_puts(b, lead);
        put_value(b, v, false);
    }
}

/* A code span; NULL or empty as "(none)" (an empty span is not one). */
static void md_code(struct md *b, const char *v)
{
    if (v == NULL || v[0] == '\0') {
        md_puts(b, "(none)");
        return;
    }
    md_put(b, "`", 1);
    put_value(b, v, true);
    md_put(b, "`", 1);
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return v && cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static bool num_of(const cJSON *o, const char *name, double *out)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    if (v == NULL || !cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

/* A number for people: whole ones without decimals, anything else as %g (no overflowing cast). */
static void md_num(struct md *b, double v)
{
    char buf[64];
    if (v >= -1e15 && v <= 1e15 && v == (double)(long long)v)
        snprintf(buf, sizeof buf, "%lld", (long long)v);
    else
        snprintf(buf, sizeof buf, "%.6g", v);
    md_puts(b, buf);
}

/* Whether a name says its value is a secret: such values are never shown. */
static bool secret_name(const char *name)
{
    static const char *const words[] = {"pass", "secret", "token"};
    char low[64];
    size_t n = 0;
    for (; n < sizeof low - 1 && name[n]; n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(low, words[i]))
            return true;
    return name[n] != '\0'; /* too long to judge: hide it */
}

/* A copy of v with the value of every secret-named member, at any depth, as "(set)". */
static cJSON *redacted(const cJSON *v)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return cJSON_Duplicate(v, false);
    cJSON *out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *c = v->child; c; c = c->next) {
        bool secret = cJSON_IsObject(v) && c->string && secret_name(c->string);
        cJSON *x = secret ? cJSON_CreateString("(set)") : redacted(c);
        if (cJSON_IsObject(v))
            cJSON_AddItemToObject(out, c->string ? c->string : "", x);
        else
            cJSON_AddItemToArray(out, x);
    }
    return out;
}

/* A whole JSON value in a code span (for records tdectl does not know), secrets hidden. */
static void md_json(struct md *b, const cJSON *v)
{
    cJSON *copy = v ? redacted(v) : NULL;
    char *s = copy ? cJSON_PrintUnformatted(copy) : NULL;
    md_code(b, s ? s : "(not printable)");
    cJSON_free(s);
    cJSON_Delete(copy);
}

/* url and its query (NULL allowed) as one string, secret-looking parameters shown as (set). */
static char *redact_url(const char *url, const char *query)
{
    char *full = xasprintf("%s%s%s", url, query && query[0] ? "?" : "", query ? query : "");
    char *q = strchr(full, '?');
    if (q == NULL)
        return full;
    struct md b = {0};
    md_put(&b, full, (size_t)(q - full) + 1);
    for (char *p = q + 1; *p;) {
        size_t n = strcspn(p, "&");
        char *param = xstrndup(p, n), *eq = strchr(param, '=');
        if (eq)
            *eq = '\0';
        if (eq && (secret_name(param) || strcasecmp(param, "sig") == 0))
            md_printf(&b, "%s=(set)", param);
        else
            md_put(&b, p, n);
        free(param);
        p += n;
        if (*p == '&')
            md_put(&b, p++, 1);
    }
    free(full);
    return b.s;
}

/* -- what the whole journal says -------------------------------------------------------------- */

struct summary {
    const cJSON *plan_rec; /* the first plan record, or NULL */
    const cJSON *plan;     /* its "plan" object, or NULL */
    const cJSON *steps;    /* the plan's steps (an array), or NULL */
    const char *kind, *run, *origin, *started, *ended, *outcome, *end_detail;
    const char *operator_name, *reason;
    bool ended_any; /* an end record, even one without an outcome */
    char *subject;  /* heap: the group, vault/key or the keys backed up; NULL when unknown */
    const char *subject_label;
};

/* The keys of a backup plan: "vault/key, vault/key, vault/key and N more". */
static char *keys_subject(const cJSON *keys)
{
    struct md b = {0};
    int n = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        const char *vault = str_of(k, "vault"), *key = str_of(k, "key");
        if (vault && key && n++ < 3)
            md_printf(&b, "%s%s/%s", n > 1 ? ", " : "", vault, key);
    }
    if (n > 3)
        md_printf(&b, " and %d more", n - 3);
    return b.s;
}

static void summary_plan(struct summary *s, const cJSON *rec)
{
    s->plan_rec = rec;
    s->kind = str_of(rec, "kind");
    s->run = str_of(rec, "run");
    const cJSON *plan = cJSON_GetObjectItemCaseSensitive(rec, "plan");
    s->plan = cJSON_IsObject(plan) ? plan : NULL;
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(rec, "steps");
    if (!cJSON_IsArray(steps) && s->plan)
        steps = cJSON_GetObjectItemCaseSensitive(s->plan, "steps");
    s->steps = cJSON_IsArray(steps) ? steps : NULL;
    s->origin = str_of(s->plan, "origin");
    const char *group = str_of(s->plan, "group"), *vault = str_of(s->plan, "vault");
    const char *key = str_of(s->plan, "key");
    const cJSON *keys = s->plan ? cJSON_GetObjectItemCaseSensitive(s->plan, "keys") : NULL;
    if (group) {
        s->subject_label = "group";
        s->subject = xstrdup(group);
    } else if (vault && key) {
        s->subject_label = "key";
        s->subject = xasprintf("%s/%s", vault, key);
    } else if (cJSON_IsArray(keys)) {
        s->subject_label = "keys";
        s->subject = keys_subject(keys);
    }
}

static void summary_make(struct summary *s, const cJSON *records)
{
    memset(s, 0, sizeof *s);
    s->subject_label = "subject";
    if (!cJSON_IsArray(records))
        return;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
    {
        const char *type = str_of(rec, "type"), *time = str_of(rec, "time");
        if (s->started == NULL)
            s->started = time;
        if (type == NULL)
            continue;
        if (strcmp(type, "plan") == 0 && s->plan_rec == NULL) {
            summary_plan(s, rec);
        } else if (strcmp(type, "end") == 0) {
            s->ended_any = true;
            s->ended = time;
            s->outcome = str_of(rec, "outcome");
            s->end_detail = str_of(rec, "detail");
        } else if (strcmp(type, "input") == 0) {
            const char *name = str_of(rec, "name"), *value = str_of(rec, "value");
            if (name && (strcmp(name, "operator") == 0 || strcmp(name, "owner") == 0))
                s->operator_name = value;
            else if (name && strcmp(name, "reason") == 0)
                s->reason = value;
        }
    }
}

/* The 1-based number of step id in the plan, or 0. */
static int step_number(const struct summary *s, const char *id)
{
    int i = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, s->steps)
    {
        if (++i > LIST_MAX)
            break;
        const char *sid = str_of(st, "id");
        if (id && sid && strcmp(sid, id) == 0)
            return i;
    }
    return 0;
}

/* -- the head: title, summary table, parameters, plan ------------------------------------------ */

static const char *outcome_of(const struct summary *s)
{
    return s->outcome ? s->outcome : s->ended_any ? "(no outcome)" : "unfinished";
}

static void render_title(struct md *b, const struct summary *s)
{
    md_puts(b, "# tdectl ");
    md_text(b, s->kind ? s->kind : "wizard");
    md_puts(b, " — ");
    md_text(b, s->subject ? s->subject : "(unknown)");
    md_puts(b, " — ");
    md_text(b, outcome_of(s));
    md_puts(b, "\n\n");
}

static void row(struct md *b, const char *name, const char *value)
{
    md_printf(b, "| %s | ", name);
    md_text(b, value);
    md_puts(b, " |\n");
}

static void render_table(struct md *b, const struct summary *s, const char *run)
{
    md_puts(b, "| field | value |\n|---|---|\n");
    row(b, "run id", run ? run : s->run);
    row(b, "kind", s->kind);
    row(b, s->subject_label, s->subject);
    if (s->origin)
        row(b, "origin", s->origin);
    row(b, "started", s->started);
    row(b, "ended", s->ended ? s->ended : "(not ended)");
    md_puts(b, "| outcome | ");
    md_text(b, outcome_of(s));
    md_opt(b, ": ", s->end_detail);
    md_puts(b, " |\n");
    row(b, "operator", s->operator_name);
    row(b, "reason", s->reason);
    md_puts(b, "\n");
}

/* Plan members that are Unix seconds. */
static bool is_time_name(const char *name)
{
    return strcmp(name, "exp") == 0 || strcmp(name, "planned") == 0;
}

static bool utc_text(double v, char buf[32])
{
    struct tm tm;
    if (!(v > 0 && v < 253402300800.0)) /* 1970..9999, and no NaN */
        return false;
    time_t t = (time_t)v;
    return gmtime_r(&t, &tm) && strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

/* One plan parameter: times as times, secrets hidden, objects and arrays left to others. */
static void render_param(struct md *b, const char *prefix, const cJSON *v, int *shown)
{
    if (v->string == NULL || *shown >= LIST_MAX || cJSON_IsObject(v) || cJSON_IsArray(v))
        return;
    char *name = xasprintf("%s%s%s", prefix ? prefix : "", prefix ? "." : "", v->string);
    md_puts(b, "- ");
    md_code(b, name);
    md_puts(b, ": ");
    free(name);
    char buf[32];
    if (secret_name(v->string) || (prefix && secret_name(prefix))) {
        md_puts(b, "(set)");
    } else if (cJSON_IsString(v)) {
        md_text(b, v->valuestring);
    } else if (cJSON_IsNumber(v) && is_time_name(v->string) && utc_text(v->valuedouble, buf)) {
        md_puts(b, buf);
    } else if (cJSON_IsNumber(v)) {
        md_num(b, v->valuedouble);
    } else {
        md_puts(b, cJSON_IsTrue(v) ? "yes" : cJSON_IsFalse(v) ? "no" : "—");
    }
    md_puts(b, "\n");
    (*shown)++;
}

/* The plan's scalar members, and those of its objects one level down (primary.vault). */
static void render_params(struct md *b, const struct summary *s)
{
    if (s->plan == NULL)
        return;
    md_puts(b, "## Parameters\n\n");
    int shown = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, s->plan)
    {
        render_param(b, NULL, v, &shown);
        if (cJSON_IsObject(v) && v->string) {
            const cJSON *w;
            cJSON_ArrayForEach(w, v)
            {
                render_param(b, v->string, w, &shown);
            }
        }
    }
    md_puts(b, "\n");
}

static void render_calls(struct md *b, const cJSON *calls, int indent)
{
    int n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, calls)
    {
        if (++n > LIST_MAX) {
            md_printf(b, "%*s- … %d more\n", indent, "", cJSON_GetArraySize(calls) - LIST_MAX);
            break;
        }
        const char *method = str_of(c, "method"), *res = str_of(c, "resource");
        const char *api = str_of(c, "api_version");
        md_printf(b, "%*s- `", indent, "");
        put_value(b, method ? method : "?", true);
        md_puts(b, " ");
        put_value(b, res ? res : "?", true);
        md_puts(b, "`");
        md_opt(b, ", api-version ", api);
        md_puts(b, "\n");
    }
    if (n == 0)
        md_printf(b, "%*s- (no call that changes Azure)\n", indent, "");
}

static void render_plan(struct md *b, const struct summary *s)
{
    md_puts(b, "## Plan\n\n");
    if (s->steps == NULL || cJSON_GetArraySize(s->steps) == 0) {
        md_puts(b, s->plan_rec ? "(the plan has no steps)\n\n" : "(the journal has no plan)\n\n");
        return;
    }
    int i = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, s->steps)
    {
        if (++i > LIST_MAX) {
            md_printf(b, "… %d more steps\n", cJSON_GetArraySize(s->steps) - LIST_MAX);
            break;
        }
        int indent = snprintf(NULL, 0, "%d. ", i);
        const char *why = str_of(st, "why");
        md_printf(b, "%d. ", i);
        md_text(b, str_of(st, "title"));
        md_puts(b, " (");
        md_code(b, str_of(st, "id"));
        md_puts(b, ")\n");
        if (why && why[0]) {
            md_printf(b, "%*s- why: ", indent, "");
            md_text(b, why);
            md_puts(b, "\n");
        }
        render_calls(b, cJSON_GetObjectItemCaseSensitive(st, "calls"), indent);
    }
    md_puts(b, "\n");
}

/* -- the timeline: one line per record ------------------------------------------------------- */

typedef void (*rec_fn)(struct md *b, const struct summary *s, const cJSON *rec);

static void rec_plan(struct md *b, const struct summary *s, const cJSON *rec)
{
    md_puts(b, "**plan**");
    if (rec == s->plan_rec && s->steps)
        md_printf(b, ": %d steps", cJSON_GetArraySize(s->steps));
    else if (rec != s->plan_rec)
        md_puts(b, " (again)");
}

static void rec_input(struct md *b, const struct summary *s, const cJSON *rec)
{
    (void)s;
    const char *name = str_of(rec, "name");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(rec, "value");
    md_puts(b, "**input** ");
    md_text(b, name ? name : "(unnamed)");
    md_puts(b, ": ");
    if (name == NULL || secret_name(name))
        md_puts(b, value ? "(set)" : "—");
    else if (cJSON_IsString(value))
        md_text(b, value->valuestring);
    else if (value)
        md_json(b, value);
    else
        md_puts(b, "—");
}

static void rec_step(struct md *b, const struct summary *s, const cJSON *rec)
{
    const char *id = str_of(rec, "step"), *phase = str_of(rec, "phase");
    int n = step_number(s, id);
    md_puts(b, "**step** ");
    if (n > 0)
        md_printf(b, "%d ", n);
    md_code(b, id);
    md_puts(b, " ");
    if (phase && strcmp(phase, "failed") == 0)
        md_puts(b, "✗ ");
    md_text(b, phase ? phase : "?");
    md_opt(b, ": ", str_of(rec, "detail"));
}

static void rec_check(struct md *b, const struct summary *s, const cJSON *rec)
{
    (void)s;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(rec, "ok");
    md_puts(b, "**check** ");
    md_puts(b, cJSON_IsTrue(ok) ? "✓ ok " : cJSON_IsFalse(ok) ? "✗ FAIL " : "? ");
    md_text(b, str_of(rec, "name"));
    md_opt(b, ": ", str_of(rec, "detail"));
}

/* The call's outcome: status and code, request and correlation ids, time, error. */
static void call_result(struct md *b, const cJSON *rec)
{
    double v;
    md_puts(b, " → ");
    num_of(rec, "status", &v) ? md_num(b, v) : md_puts(b, "?");
    md_opt(b, " ", str_of(rec, "code"));
    md_opt(b, ", request id ", str_of(rec, "request_id"));
    md_opt(b, ", correlation id ", str_of(rec, "correlation_id"));
    if (num_of(rec, "elapsed_ms", &v)) {
        md_puts(b, ", ");
        md_num(b, v);
        md_puts(b, " ms");
    }
    md_opt(b, "; error: ", str_of(rec, "error"));
}

static void rec_call(struct md *b, const struct summary *s, const cJSON *rec)
{
    const char *method = str_of(rec, "method"), *id = str_of(rec, "step");
    char *url = redact_url(str_of(rec, "url") ? str_of(rec, "url") : "?", str_of(rec, "query"));
    int n = step_number(s, id);
    md_puts(b, "**call** ");
    if (n > 0)
        md_printf(b, "(step %d) ", n);
    md_puts(b, "`");
    put_value(b, method && method[0] ? method : "?", true);
    md_puts(b, " ");
    put_value(b, url, true);
    md_puts(b, "`");
    free(url);
    call_result(b, rec);
}

static void rec_note(struct md *b, const struct summary *s, const cJSON *rec)
{
    (void)s;
    md_puts(b, "**note** ");
    md_text(b, str_of(rec, "text"));
}

static void rec_end(struct md *b, const struct summary *s, const cJSON *rec)
{
    (void)s;
    md_puts(b, "**end** ");
    md_text(b, str_of(rec, "outcome"));
    md_opt(b, ": ", str_of(rec, "detail"));
}

static const struct {
    const char *type;
    rec_fn fn;
} rec_table[] = {
    {"plan", rec_plan}, {"input", rec_input}, {"step", rec_step}, {"check", rec_check},
    {"call", rec_call}, {"note", rec_note},   {"end", rec_end},
};

static void render_record(struct md *b, const struct summary *s, const cJSON *rec)
{
    const char *type = str_of(rec, "type"), *time = str_of(rec, "time");
    md_puts(b, "- ");
    md_code(b, time ? time : "(no time)");
    md_puts(b, " ");
    for (size_t i = 0; type && i < sizeof rec_table / sizeof rec_table[0]; i++) {
        if (strcmp(type, rec_table[i].type) == 0) {
            rec_table[i].fn(b, s, rec);
            md_puts(b, "\n");
            return;
        }
    }
    md_puts(b, "**record** ");
    md_json(b, rec);
    md_puts(b, "\n");
}

char *transcript_render(const cJSON *records, const char *run, const char *note)
{
    struct md b = {0};
    struct summary s;
    summary_make(&s, records);
    render_title(&b, &s);
    render_table(&b, &s, run);
    if (!cJSON_IsArray(records))
        md_puts(&b, "> This is not a journal: it is not a list of records.\n\n");
    if (note) {
        md_puts(&b, "> ");
        md_text(&b, note);
        md_puts(&b, "\n\n");
    }
    render_params(&b, &s);
    render_plan(&b, &s);
    md_puts(&b, "## Timeline\n\n");
    int n = 0;
    const cJSON *rec, *list = cJSON_IsArray(records) ? records : NULL;
    cJSON_ArrayForEach(rec, list)
    {
        render_record(&b, &s, rec);
        n++;
    }
    if (n == 0)
        md_puts(&b, "(no records)\n");
    if (!s.ended_any)
        md_puts(&b, "\nThe run is unfinished: its journal has no end record.\n");
    free(s.subject);
    return b.s;
}

char *transcript_markdown(const cJSON *records)
{
    return transcript_render(records, NULL, NULL);
}
