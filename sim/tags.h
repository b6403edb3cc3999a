/*
 * tags — name/value tags, as Key Vault keeps them on key versions and Azure
 * Resource Manager keeps them on resources (managed instances, vaults).
 *
 * A struct tags owns its strings (tags_clear frees them); a zeroed one is
 * the empty set. Two rule sets, because the services differ:
 *   Key Vault (tags_from_json): at most 15 tags, names up to 512 and values
 *   up to 256 characters.
 *   ARM (tags_from_json_arm): at most 50 tags, names of 1-512 characters
 *   without <>%&\?/ or control characters, values up to 256 characters;
 *   names are case-insensitive, so one name cannot be given twice.
 * tags_find, tags_set and tags_remove compare names case-insensitively, as
 * ARM does for tag operations.
 */
#ifndef AZSIM_TAGS_H
#define AZSIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define TAGS_KV_MAX    15
#define TAGS_ARM_MAX   50
#define TAGS_NAME_MAX  512
#define TAGS_VALUE_MAX 256

struct tag {
    char *name;
    char *value;
};

struct tags {
    struct tag *v;
    size_t n;
};

/* Key Vault's rules: an object of string values (or null: none); -1 with *cause otherwise. */
int tags_from_json(const cJSON *object, struct tags *out, char **cause);
/*
 * ARM's rules. NULL when object (an object of string values) is a valid tag
 * set, now in *out; else ARM's error code ("InvalidRequestContent" for a
 * value that is not a string or a name given twice, "InvalidTags",
 * "InvalidTagName", "InvalidTagNameCharacters", "InvalidTagValueLength")
 * with *cause, and *out empty.
 */
const char *tags_from_json_arm(const cJSON *object, struct tags *out, char **cause);
/* ARM's rules for one name and one value: NULL when fine, else as above. */
const char *tags_check_arm(const char *name, const char *value, char **cause);
/* Characters as ARM counts them (UTF-16 code units of UTF-8 text). */
size_t tags_length(const char *text);

cJSON *tags_to_json(const struct tags *tags);
void tags_copy(struct tags *dst, const struct tags *src);
void tags_clear(struct tags *tags);

/* The tag named name (any case), or NULL; borrowed until tags changes. */
const struct tag *tags_find(const struct tags *tags, const char *name);
/* Sets name to value: replaces a tag of that name (any case, taking the new spelling) or adds. */
void tags_set(struct tags *tags, const char *name, const char *value);
/* Removes the tag named name (any case); false when there was none. */
bool tags_remove(struct tags *tags, const char *name);

#endif
