#include "tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

int tags_from_json(const cJSON *object, struct tags *out, char **cause)
{
    out->v = NULL;
    out->n = 0;
    if (cJSON_IsNull(object))
        return 0;
    if (!cJSON_IsObject(object)) {
        xcause(cause, "tags must be an object of string values");
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(object);
    if (n > TAGS_KV_MAX) {
        xcause(cause, "too many tags (%zu): at most %d are allowed", n, TAGS_KV_MAX);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, object)
    {
        if (!cJSON_IsString(item) || strlen(item->string) > TAGS_NAME_MAX ||
            strlen(item->valuestring) > TAGS_VALUE_MAX) {
            xcause(cause, "tag values must be strings (names up to 512, values up to 256 "
                          "characters)");
            tags_clear(out);
            return -1;
        }
        out->v = xrealloc(out->v, out->n + 1, sizeof *out->v);
        out->v[out->n].name = xstrdup(item->string);
        out->v[out->n].value = xstrdup(item->valuestring);
        out->n++;
    }
    return 0;
}

size_t tags_length(const char *text)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            n += *p >= 0xF0 ? 2 : 1; /* beyond the BMP: a surrogate pair */
    }
    return n;
}

/* ARM's reserved characters in tag names, and the control characters. */
static bool name_reserved(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7F || strchr("<>%&\\?/", *p))
            return true;
    }
    return false;
}

static bool blank(const char *text)
{
    return text[strspn(text, " \t\r\n\v\f")] == '\0';
}

const char *tags_check_arm(const char *name, const char *value, char **cause)
{
    if (blank(name)) {
        xcause(cause, "A tag name must not be empty or only white space.");
        return "InvalidTagName";
    }
    if (name_reserved(name)) {
        xcause(cause,
               "The tag name '%.80s' has reserved characters '<,>,%%,&,\\,?,/' or control "
               "characters.",
               name);
        return "InvalidTagNameCharacters";
    }
    if (tags_length(name) > TAGS_NAME_MAX) {
        xcause(cause, "The tag name '%.40s...' is too long: tag names have at most %d characters.",
               name, TAGS_NAME_MAX);
        return "InvalidTagName";
    }
    if (tags_length(value) > TAGS_VALUE_MAX) {
        xcause(cause,
               "The value of tag '%.80s' is too long: tag values have at most %d characters.", name,
               TAGS_VALUE_MAX);
        return "InvalidTagValueLength";
    }
    return NULL;
}

const char *tags_from_json_arm(const cJSON *object, struct tags *out, char **cause)
{
    out->v = NULL;
    out->n = 0;
    if (!cJSON_IsObject(object)) {
        xcause(cause, "tags must be an object of string values");
        return "InvalidRequestContent";
    }
    size_t n = (size_t)cJSON_GetArraySize(object);
    if (n > TAGS_ARM_MAX) {
        xcause(cause, "Too many tags: %zu were given, at most %d are allowed.", n, TAGS_ARM_MAX);
        return "InvalidTags";
    }
    const char *code = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, object)
    {
        if (!cJSON_IsString(item)) {
            xcause(cause, "The value of tag '%.80s' is not a string.", item->string);
            code = "InvalidRequestContent";
        } else if (tags_find(out, item->string)) {
            xcause(cause, "The tag name '%.80s' is given twice (tag names are case-insensitive).",
                   item->string);
            code = "InvalidRequestContent";
        } else {
            code = tags_check_arm(item->string, item->valuestring, cause);
        }
        if (code) {
            tags_clear(out);
            return code;
        }
        tags_set(out, item->string, item->valuestring);
    }
    return NULL;
}

cJSON *tags_to_json(const struct tags *tags)
{
    cJSON *object = cJSON_CreateObject();
    for (size_t i = 0; i < tags->n; i++)
        cJSON_AddStringToObject(object, tags->v[i].name, tags->v[i].value);
    return object;
}

void tags_copy(struct tags *dst, const struct tags *src)
{
    tags_clear(dst);
    if (src->n == 0)
        return;
    dst->v = xcalloc(src->n, sizeof *dst->v);
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i].name = xstrdup(src->v[i].name);
        dst->v[i].value = xstrdup(src->v[i].value);
    }
    dst->n = src->n;
}

void tags_clear(struct tags *tags)
{
    for (size_t i = 0; i < tags->n; i++) {
        free(tags->v[i].name);
        free(tags->v[i].value);
    }
    free(tags->v);
    tags->v = NULL;
    tags->n = 0;
}

/* Index of the tag named name (any case), or tags->n. */
static size_t find(const struct tags *tags, const char *name)
{
    size_t i = 0;
    while (i < tags->n && strcasecmp(tags->v[i].name, name) != 0)
        i++;
    return i;
}

const struct tag *tags_find(const struct tags *tags, const char *name)
{
    size_t i = find(tags, name);
    return i < tags->n ? &tags->v[i] : NULL;
}

void tags_set(struct tags *tags, const char *name, const char *value)
{
    size_t i = find(tags, name);
    if (i == tags->n) {
        tags->v = xrealloc(tags->v, tags->n + 1, sizeof *tags->v);
        tags->n++;
    } else {
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): find gives n when v is empty */
        free(tags->v[i].name);
        free(tags->v[i].value);
    }
    tags->v[i].name = xstrdup(name);
    tags->v[i].value = xstrdup(value);
}

bool tags_remove(struct tags *tags, const char *name)
{
    size_t i = find(tags, name);
    if (i == tags->n)
        return false;
    free(tags->v[i].name);
    free(tags->v[i].value);
    memmove(&tags->v[i], &tags->v[i + 1], (tags->n - i - 1) * sizeof *tags->v);
    if (--tags->n == 0) {
        free(tags->v);
        tags->v = NULL;
    }
    return true;
}
