#include "doctorreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "xmem.h"

struct doctorreport {
    struct doctor_check *checks;
    size_t n;
    char *object_id;
    char *source;
};

struct doctorreport *doctorreport_create(void)
{
    return xcalloc(1, sizeof(struct doctorreport));
}

void doctorreport_destroy(struct doctorreport *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->checks[i].check);
        free(r->checks[i].subject);
        free(r->checks[i].detail);
        free(r->checks[i].fix);
    }
    free(r->checks);
    free(r->object_id);
    free(r->source);
    free(r);
}

struct doctor_check *doctorreport_add(struct doctorreport *r, const char *check,
                                      const char *subject, enum doctor_level level,
                                      const char *detail, const char *fix)
{
    r->checks = xrealloc(r->checks, r->n + 1, sizeof *r->checks);
    struct doctor_check *c = &r->checks[r->n++];
    *c = (struct doctor_check){.check = xstrdup(check),
                               .subject = xstrdup_or_null(subject),
                               .level = level,
                               .detail = xstrdup(detail ? detail : ""),
                               .fix = level == DOCTOR_OK ? NULL : xstrdup_or_null(fix)};
    return c;
}

void doctorreport_figure(struct doctor_check *c, const char *name, double value)
{
    if (c->nfigures < DOCTOR_MAX_FIGURES)
        c->figures[c->nfigures++] = (struct doctor_figure){name, value};
}

void doctorreport_principal(struct doctorreport *r, const char *object_id, const char *source)
{
    xstr_set(&r->object_id, object_id);
    xstr_set(&r->source, source);
}

static size_t rank(const char *const *order, const char *check)
{
    size_t i = 0;
    while (order[i] && strcmp(order[i], check) != 0)
        i++;
    return i;
}

/* Insertion sort: a handful of checks, and it is stable. */
void doctorreport_sort(struct doctorreport *r, const char *const *order)
{
    for (size_t i = 1; i < r->n; i++) {
        struct doctor_check c = r->checks[i];
        size_t j = i;
        while (j > 0) {
            const struct doctor_check *p = &r->checks[j - 1];
            size_t rp = rank(order, p->check), rc = rank(order, c.check);
            int by_subject = strcmp(p->subject ? p->subject : "", c.subject ? c.subject : "");
            if (rp < rc || (rp == rc && by_subject <= 0))
                break;
            r->checks[j] = r->checks[j - 1];
            j--;
        }
        r->checks[j] = c;
    }
}

size_t doctorreport_count(const struct doctorreport *r, enum doctor_level level)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->checks[i].level == level;
    return n;
}

const struct doctor_check *doctorreport_check(const struct doctorreport *r, size_t i, size_t *n)
{
    if (n)
        *n = r->n;
    return i < r->n ? &r->checks[i] : NULL;
}

int doctorreport_exit(const struct doctorreport *r)
{
    return doctorreport_count(r, DOCTOR_FAIL) ? 2 : doctorreport_count(r, DOCTOR_WARN) ? 1 : 0;
}

const char *doctorreport_level_name(enum doctor_level level)
{
    return level == DOCTOR_OK ? "OK" : level == DOCTOR_WARN ? "WARN" : "FAIL";
}

static const char *status_name(int exit_code)
{
    return exit_code == 0 ? "OK" : exit_code == 1 ? "WARNING" : "FAILED";
}

/* Appends text to *buf (heap, may start NULL). */
static void append(char **buf, const char *text)
{
    char *joined = xasprintf("%s%s", *buf ? *buf : "", text);
    free(*buf);
    *buf = joined;
}

char *doctorreport_text(const struct doctorreport *r)
{
    int code = doctorreport_exit(r);
    char *out = xasprintf("%s: %zu ok, %zu warning%s, %zu failed\n", status_name(code),
                          doctorreport_count(r, DOCTOR_OK), doctorreport_count(r, DOCTOR_WARN),
                          doctorreport_count(r, DOCTOR_WARN) == 1 ? "" : "s",
                          doctorreport_count(r, DOCTOR_FAIL));
    if (r->object_id || r->source) {
        char *line =
            xasprintf("principal %s (credential: %s)\n", r->object_id ? r->object_id : "unknown",
                      r->source ? r->source : "none");
        append(&out, line);
        free(line);
    }
    append(&out, "\n");
    for (size_t i = 0; i < r->n; i++) {
        const struct doctor_check *c = &r->checks[i];
        char *line = xasprintf("%-4s  %-20s %-22s %s\n", doctorreport_level_name(c->level),
                               c->check, c->subject ? c->subject : "-", c->detail);
        append(&out, line);
        free(line);
        if (c->fix) {
            line = xasprintf("      fix: %s\n", c->fix);
            append(&out, line);
            free(line);
        }
    }
    return out;
}

static void add_string_or_null(cJSON *obj, const char *name, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, name, value);
    else
        cJSON_AddNullToObject(obj, name);
}

static cJSON *check_json(const struct doctor_check *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "check", c->check);
    add_string_or_null(j, "subject", c->subject);
    cJSON_AddStringToObject(j, "status", doctorreport_level_name(c->level));
    cJSON_AddStringToObject(j, "detail", c->detail);
    add_string_or_null(j, "fix", c->fix);
    cJSON *fig = cJSON_AddObjectToObject(j, "figures");
    for (size_t i = 0; i < c->nfigures; i++)
        cJSON_AddNumberToObject(fig, c->figures[i].name, c->figures[i].value);
    return j;
}

char *doctorreport_json(const struct doctorreport *r, int64_t now_ms, const char *version)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "tdectl.doctor/v1");
    cJSON_AddStringToObject(root, "tdectl", version ? version : "");
    char when[32] = "";
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "generated_at", when);
    int code = doctorreport_exit(r);
    cJSON *st = cJSON_AddObjectToObject(root, "status");
    cJSON_AddStringToObject(st, "name", status_name(code));
    cJSON_AddNumberToObject(st, "exit_code", code);
    cJSON_AddNumberToObject(st, "ok", (double)doctorreport_count(r, DOCTOR_OK));
    cJSON_AddNumberToObject(st, "warn", (double)doctorreport_count(r, DOCTOR_WARN));
    cJSON_AddNumberToObject(st, "fail", (double)doctorreport_count(r, DOCTOR_FAIL));
    cJSON *p = cJSON_AddObjectToObject(root, "principal");
    add_string_or_null(p, "object_id", r->object_id);
    add_string_or_null(p, "credential", r->source);
    cJSON *arr = cJSON_AddArrayToObject(root, "checks");
    for (size_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(arr, check_json(&r->checks[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = xasprintf("%s\n", text ? text : "{}");
    free(text);
    return out;
}
