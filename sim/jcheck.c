#include "jcheck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

void jcheck_init(struct jcheck *jc, int64_t now)
{
    memset(jc, 0, sizeof *jc);
    jc->now = now;
}

void jcheck_cleanup(struct jcheck *jc)
{
    free(jc->cause);
    jc->cause = NULL;
}

static void append(struct jcheck *jc, const char *text)
{
    size_t len = strlen(jc->path);
    snprintf(jc->path + len, sizeof jc->path - len, "%s", text);
}

void jcheck_push(struct jcheck *jc, const char *field)
{
    if (jc->depth < JCHECK_DEPTH)
        jc->marks[jc->depth] = strlen(jc->path);
    jc->depth++;
    if (jc->path[0])
        append(jc, ".");
    append(jc, field);
}

void jcheck_push_index(struct jcheck *jc, size_t index)
{
    char buf[32];
    if (jc->depth < JCHECK_DEPTH)
        jc->marks[jc->depth] = strlen(jc->path);
    jc->depth++;
    snprintf(buf, sizeof buf, "[%zu]", index);
    append(jc, buf);
}

void jcheck_pop(struct jcheck *jc)
{
    if (jc->depth == 0)
        return;
    jc->depth--;
    if (jc->depth < JCHECK_DEPTH)
        jc->path[jc->marks[jc->depth]] = '\0';
}

bool jcheck_fail(struct jcheck *jc, const char *fmt, ...)
{
    if (jc->cause)
        return false;
    va_list ap;
    va_start(ap, fmt);
    char *message = xvasprintf(fmt, ap);
    va_end(ap);
    jc->cause = xasprintf("%s: %s", jc->path[0] ? jc->path : "(top level)", message);
    free(message);
    return false;
}

/* Fails with the field's path; the path is restored afterwards. */
static bool field_fail(struct jcheck *jc, const char *field, const char *message)
{
    jcheck_push(jc, field);
    jcheck_fail(jc, "%s", message);
    jcheck_pop(jc);
    return false;
}

bool jcheck_object(struct jcheck *jc, const cJSON *obj, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return jcheck_fail(jc, "expected an object");
    for (const cJSON *m = obj->child; m; m = m->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, m->string) == 0;
        if (!known)
            return field_fail(jc, m->string, "unknown field (check the spelling)");
        for (const cJSON *o = m->next; o; o = o->next) {
            if (strcmp(o->string, m->string) == 0)
                return field_fail(jc, m->string, "field given twice");
        }
    }
    return true;
}

bool jcheck_array(struct jcheck *jc, const cJSON *obj, const char *field, bool required,
                  const cJSON **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    *out = NULL;
    if (item == NULL)
        return required ? field_fail(jc, field, "required field is missing") : true;
    if (!cJSON_IsArray(item))
        return field_fail(jc, field, "expected an array");
    *out = item;
    return true;
}

bool jcheck_string(struct jcheck *jc, const cJSON *obj, const char *field, bool required,
                   const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (item == NULL)
        return required ? field_fail(jc, field, "required field is missing") : true;
    if (!cJSON_IsString(item))
        return field_fail(jc, field, "expected a string");
    if (required && item->valuestring[0] == '\0')
        return field_fail(jc, field, "must not be empty");
    *out = item->valuestring;
    return true;
}

bool jcheck_bool(struct jcheck *jc, const cJSON *obj, const char *field, bool *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (item == NULL)
        return true;
    if (!cJSON_IsBool(item))
        return field_fail(jc, field, "expected true or false");
    *out = cJSON_IsTrue(item);
    return true;
}

bool jcheck_int(struct jcheck *jc, const cJSON *obj, const char *field, int64_t min, int64_t max,
                int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (item == NULL)
        return true;
    /* Range first: converting an out-of-range double to int64_t is undefined. */
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= (double)min) ||
        !(item->valuedouble <= (double)max) ||
        item->valuedouble != (double)(int64_t)item->valuedouble) {
        char message[96];
        snprintf(message, sizeof message, "expected a whole number from %lld to %lld",
                 (long long)min, (long long)max);
        return field_fail(jc, field, message);
    }
    *out = (int64_t)item->valuedouble;
    return true;
}

int jcheck_parse_time(const char *text, int64_t now, int64_t *out)
{
    if (strncmp(text, "now", 3) != 0)
        return -1;
    const char *p = text + 3;
    if (*p == '\0') {
        *out = now;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1;
    p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t n = 0;
    while (isdigit((unsigned char)*p) && n < 1000000000)
        n = n * 10 + (*p++ - '0');
    static const char units[] = "smhdwy";
    static const int64_t seconds[] = {1, 60, 3600, 86400, 7 * 86400, 365 * 86400};
    const char *u = *p ? strchr(units, *p) : NULL;
    if (u == NULL || p[1] != '\0')
        return -1;
    *out = now + sign * n * seconds[u - units];
    return 0;
}

bool jcheck_time(struct jcheck *jc, const cJSON *obj, const char *field, int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (item == NULL)
        return true;
    if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 253402300800.0) {
        *out = (int64_t)item->valuedouble;
        return true;
    }
    if (cJSON_IsString(item) && jcheck_parse_time(item->valuestring, jc->now, out) == 0)
        return true;
    return field_fail(jc, field, "expected Unix seconds or a time such as \"now+90d\"");
}

bool jcheck_enum(struct jcheck *jc, const cJSON *obj, const char *field, const char *const *choices,
                 int *out)
{
    const char *value = NULL;
    if (!jcheck_string(jc, obj, field, false, &value))
        return false;
    if (value == NULL)
        return true;
    for (int i = 0; choices[i]; i++) {
        if (strcasecmp(choices[i], value) == 0) {
            *out = i;
            return true;
        }
    }
    char message[256] = "expected one of:";
    for (int i = 0; choices[i]; i++) {
        size_t len = strlen(message);
        snprintf(message + len, sizeof message - len, " %s", choices[i]);
    }
    return field_fail(jc, field, message);
}
